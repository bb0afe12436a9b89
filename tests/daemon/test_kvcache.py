"""The slab KV cache holds exactly what concatenation and row selection would."""

from __future__ import annotations

import torch

from lsp_server.daemon.kvcache import MIN_GROWTH, SlabLayer


def chunk(width: int, seed: int, rows: int = 2) -> torch.Tensor:
    return torch.randn(rows, 3, width, 4, generator=torch.Generator().manual_seed(seed))


def test_updates_equal_concatenation_across_reallocations() -> None:
    layer = SlabLayer()
    expected = chunk(5, 0)
    keys, values = layer.update(expected, -expected)
    for step in range(1, MIN_GROWTH * 2):
        new = chunk(1 if step % 7 else 3, step)
        expected = torch.cat([expected, new], dim=-2)
        keys, values = layer.update(new, -new)
    assert torch.equal(keys, expected)
    assert torch.equal(values, -expected)
    assert layer.get_seq_length() == expected.shape[-2]


def test_a_narrowed_window_is_overwritten_by_the_next_update() -> None:
    layer = SlabLayer()
    first, rejected, accepted = chunk(6, 1), chunk(4, 2), chunk(2, 3)
    layer.update(first, first)
    layer.update(rejected, rejected)
    layer.set_window(layer.lo, layer.hi - 4)
    keys, _ = layer.update(accepted, accepted)
    assert torch.equal(keys, torch.cat([first, accepted], dim=-2))


def test_rows_join_right_aligned_and_leave_by_moving_the_last_row() -> None:
    layer = SlabLayer()
    old = chunk(6, 4, rows=3)
    layer.update(old, old)
    prefill = SlabLayer()
    joining = chunk(9, 5, rows=1)
    prefill.update(joining, joining)
    # The joining prompt is wider: the window grows right, old rows get zero holes.
    layer.reserve(4, 3 + 1)
    layer.widen(layer.hi + 3)
    layer.write_rows(prefill, None)
    keys = layer.keys
    assert keys is not None
    assert keys.shape == (4, 3, 9, 4)
    assert torch.equal(keys[:3, :, :6], old)
    assert torch.equal(keys[:3, :, 6:], torch.zeros(3, 3, 3, 4))
    assert torch.equal(keys[3], joining[0])
    # Row 0 finishes: the last row takes its place.
    layer.move_rows(torch.tensor([0]), torch.tensor([3]), 3)
    keys = layer.keys
    assert keys is not None
    assert torch.equal(keys[0], joining[0])
    assert torch.equal(keys[1:, :, :6], old[1:])
    step = chunk(1, 6, rows=3)
    keys, _ = layer.update(step, step)
    assert torch.equal(keys[:, :, -1:], step)

"""The in-place KV cache layer holds exactly what concatenation would."""

from __future__ import annotations

import pytest
import torch

from lsp_server.daemon.kvcache import MIN_GROWTH, SlabLayer


def chunk(width: int, seed: int) -> torch.Tensor:
    return torch.randn(2, 3, width, 4, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("grow_in_place", [True, False])
def test_updates_equal_concatenation_across_reallocations(grow_in_place: bool) -> None:
    layer = SlabLayer(grow_in_place=grow_in_place)
    expected = chunk(5, 0)
    keys, values = layer.update(expected, -expected)
    for step in range(1, MIN_GROWTH * 2):
        new = chunk(1 if step % 7 else 3, step)
        expected = torch.cat([expected, new], dim=-2)
        keys, values = layer.update(new, -new)
    assert torch.equal(keys, expected)
    assert torch.equal(values, -expected)
    assert layer.get_seq_length() == expected.shape[-2]


@pytest.mark.parametrize("grow_in_place", [True, False])
def test_truncate_then_update_overwrites_the_dropped_positions(grow_in_place: bool) -> None:
    layer = SlabLayer(grow_in_place=grow_in_place)
    first, rejected, accepted = chunk(6, 1), chunk(4, 2), chunk(2, 3)
    layer.update(first, first)
    layer.update(rejected, rejected)
    layer.truncate(6)
    keys, _ = layer.update(accepted, accepted)
    assert torch.equal(keys, torch.cat([first, accepted], dim=-2))


def test_set_replaces_the_contents() -> None:
    layer = SlabLayer()
    layer.update(chunk(3, 4), chunk(3, 4))
    replacement = chunk(8, 5)
    layer.set(replacement, replacement)
    keys, _ = layer.update(chunk(1, 6), chunk(1, 6))
    assert torch.equal(keys, torch.cat([replacement, chunk(1, 6)], dim=-2))

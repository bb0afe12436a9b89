"""A KV cache layer that grows in place, and the batch surgery the runner needs on it.

transformers' ``DynamicLayer`` appends each step's keys and values with ``torch.cat``,
which copies the whole cache every step: at LLM Compiler's 16k context that is more
memory traffic than reading the 7B weights. :class:`SlabLayer` keeps spare capacity
and writes new positions into it, reallocating only when it is full (growing by a
quarter, so the copies cost O(1) per step on average). ``keys`` and ``values`` stay
what the model expects: tensors of shape ``[batch, heads, positions, head_dim]``, here
views into the larger buffers.

``torch.compile`` cannot trace the in-place writes into a reallocated buffer, so with
``--compile`` the layer concatenates like ``DynamicLayer`` (``grow_in_place=False``).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

#: Spare positions added on each reallocation, at least.
MIN_GROWTH = 256


# transformers' cache layers have untyped constructors, hence the two ignores.
class SlabLayer(DynamicLayer):  # type: ignore[no-untyped-call]
    """One layer's keys and values with room to grow in place."""

    def __init__(self, *, grow_in_place: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.grow_in_place = grow_in_place
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def set(self, keys: torch.Tensor, values: torch.Tensor) -> None:
        """Replace the contents (after the runner selected, padded or merged rows)."""
        self._key_buffer, self._value_buffer = keys, values
        self.keys, self.values = keys, values
        self.device = keys.device
        self.is_initialized = True

    def truncate(self, width: int) -> None:
        """Keep the first ``width`` positions; the rest of the buffer is reused later."""
        assert self._key_buffer is not None and self._value_buffer is not None
        self.keys = self._key_buffer[:, :, :width]
        self.values = self._value_buffer[:, :, :width]

    def width(self) -> int:
        """Positions held (including left padding)."""
        return 0 if self.keys is None or not self.is_initialized else int(self.keys.shape[-2])

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append this step's keys and values; return all of them (views)."""
        if not self.grow_in_place:
            if self.width() and self.keys is not None and self.values is not None:
                key_states = torch.cat([self.keys, key_states], dim=-2)
                value_states = torch.cat([self.values, value_states], dim=-2)
            self.set(key_states, value_states)
            return key_states, value_states
        old = self.width()
        new = old + key_states.shape[-2]
        buffer = self._key_buffer
        if buffer is None or not self.is_initialized or new > buffer.shape[-2] or old == 0:
            self._grow(key_states, value_states, old, new)
        assert self._key_buffer is not None and self._value_buffer is not None
        self._key_buffer[:, :, old:new] = key_states
        self._value_buffer[:, :, old:new] = value_states
        self.keys = self._key_buffer[:, :, :new]
        self.values = self._value_buffer[:, :, :new]
        self.device = key_states.device
        self.is_initialized = True
        return self.keys, self.values

    def _grow(self, keys: torch.Tensor, values: torch.Tensor, old: int, new: int) -> None:
        capacity = new + max(MIN_GROWTH, new // 4)
        batch, heads, _, dim = keys.shape
        key_buffer = keys.new_empty((batch, heads, capacity, dim))
        value_buffer = values.new_empty((batch, heads, capacity, values.shape[-1]))
        if old:
            assert self.keys is not None and self.values is not None
            key_buffer[:, :, :old] = self.keys
            value_buffer[:, :, :old] = self.values
        self._key_buffer, self._value_buffer = key_buffer, value_buffer


class ConcatLayer(SlabLayer):  # type: ignore[no-untyped-call]  # as SlabLayer.
    """A :class:`SlabLayer` that concatenates, for transformers versions that make layers lazily."""

    def __init__(self) -> None:
        super().__init__(grow_in_place=False)


def new_cache(config: Any, *, grow_in_place: bool = True) -> Any:
    """A ``DynamicCache`` for ``config`` whose layers are :class:`SlabLayer`."""
    cache = DynamicCache(config=config)
    if cache.layers:
        cache.layers = [SlabLayer(grow_in_place=grow_in_place) for _ in cache.layers]
    else:
        cache.layer_class_to_replicate = SlabLayer if grow_in_place else ConcatLayer
    return cache


def layers(cache: Any) -> list[SlabLayer]:
    """The cache's layers, all of them :class:`SlabLayer`."""
    found: list[SlabLayer] = list(cache.layers)
    return found

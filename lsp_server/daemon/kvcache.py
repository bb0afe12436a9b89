"""The running batch's KV cache: preallocated slabs that rows join and leave without copies.

transformers' ``DynamicLayer`` appends each step's keys and values with ``torch.cat``,
which copies the whole cache every step: at LLM Compiler's 16k context that is more
memory traffic than reading the 7B weights. Each :class:`SlabLayer` instead owns a
buffer ``[row capacity, heads, column capacity, head_dim]``; the batch is the window
``buffer[:rows, :, lo:hi]``, and the model's ``keys``/``values`` are views of it.

What costs what:

- a decoding step writes one column in place (no copy);
- a prompt joining the batch copies only its own prefilled keys into free rows, right-
  aligned to ``hi``; when it is wider than the window, the window grows to the right
  and the old rows get masked columns ("holes") there, so no old row moves;
- a finished row is replaced by the last row (one row copied, not the batch), and the
  window's left edge moves to the oldest live column (a view, no copy);
- only running out of capacity reallocates, growing by a quarter (amortised O(1)).

:class:`SlabCache` is what the model is given: it subclasses ``transformers.Cache``,
the public base class the model's ``forward`` is typed against, and overrides the part
of its interface the model calls (``update``, ``get_seq_length``, ``get_mask_sizes``
and the layer-kind properties the mask builder reads). Its layers are the daemon's own
:class:`SlabLayer` objects, which inherit nothing from transformers, so a change in
transformers' own cache layers cannot change what this cache stores.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from transformers import Cache

#: Spare columns added on each reallocation, at least.
MIN_GROWTH = 256


class SlabLayer:
    """One layer's keys and values in a buffer with spare rows and columns."""

    def __init__(self) -> None:
        #: The window, as views of the buffers (what ``update`` last returned).
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None
        self._kb: torch.Tensor | None = None
        self._vb: torch.Tensor | None = None
        self.rows = 0
        self.lo = 0
        self.hi = 0

    # -- what the model calls ----------------------------------------------------------

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write this pass's keys and values after the window; return the window (views)."""
        width = key_states.shape[-2]
        if self._kb is None:
            # A fresh cache (a prefill): room for the answer to grow without reallocating.
            self.rows = key_states.shape[0]
            self._allocate(key_states, value_states, self.rows, width + _room(width))
        elif self.hi + width > self._kb.shape[-2]:
            self.reserve(self.rows, width)
        assert self._kb is not None and self._vb is not None
        self._kb[: self.rows, :, self.hi : self.hi + width] = key_states
        self._vb[: self.rows, :, self.hi : self.hi + width] = value_states
        self.hi += width
        return self._views()

    def get_seq_length(self) -> int:
        """Columns in the window (padding and holes included: the mask hides them)."""
        return self.hi - self.lo

    # -- what the batch runner calls -----------------------------------------------------

    def reserve(self, rows: int, columns: int) -> None:
        """Make room for ``rows`` rows and ``columns`` more columns after the window."""
        assert self._kb is not None and self._vb is not None
        row_cap, col_cap = self._kb.shape[0], self._kb.shape[-2]
        if rows <= row_cap and self.hi + columns <= col_cap:
            return
        width = self.hi - self.lo
        new_rows = max(rows, row_cap)
        new_cols = max(col_cap, width + columns + _room(width + columns))
        old_k, old_v = self._kb, self._vb
        self._allocate(old_k, old_v, new_rows, new_cols)
        assert self._kb is not None and self._vb is not None
        self._kb[: self.rows, :, :width] = old_k[: self.rows, :, self.lo : self.hi]
        self._vb[: self.rows, :, :width] = old_v[: self.rows, :, self.lo : self.hi]
        self.lo, self.hi = 0, width
        self._views()

    def start_like(self, other: SlabLayer, *, rows: int, width: int) -> None:
        """Empty buffers shaped like ``other``'s, for ``rows`` rows and a window ``width`` wide."""
        assert other.keys is not None and other.values is not None
        self._allocate(other.keys, other.values, rows, width + _room(width))
        self.rows, self.lo, self.hi = 0, 0, width
        self._views()

    def capacity(self) -> tuple[int, int]:
        """(rows, columns) the buffers hold."""
        assert self._kb is not None
        return self._kb.shape[0], self._kb.shape[-2]

    def widen(self, hi: int) -> None:
        """Move the window's right edge to ``hi``; the new columns are zero (holes)."""
        assert self._kb is not None and self._vb is not None
        if hi > self.hi:
            self._kb[: self.rows, :, self.hi : hi].zero_()
            self._vb[: self.rows, :, self.hi : hi].zero_()
            self.hi = hi
            self._views()

    def write_rows(self, other: SlabLayer, index: torch.Tensor | None) -> None:
        """Append the rows of ``other`` (a prefill; ``index`` picks and repeats its rows),
        right-aligned to ``hi``, zero to the left of them."""
        assert self._kb is not None and self._vb is not None
        keys, values = other.keys, other.values
        assert keys is not None and values is not None
        if index is not None:
            keys, values = keys.index_select(0, index), values.index_select(0, index)
        count, width = keys.shape[0], keys.shape[-2]
        start, end = self.rows, self.rows + count
        self._kb[start:end, :, self.lo : self.hi - width].zero_()
        self._vb[start:end, :, self.lo : self.hi - width].zero_()
        self._kb[start:end, :, self.hi - width : self.hi] = keys
        self._vb[start:end, :, self.hi - width : self.hi] = values
        self.rows = end
        self._views()

    def move_rows(self, dst: torch.Tensor, src: torch.Tensor, rows: int) -> None:
        """Copy rows ``src`` over rows ``dst`` (finished ones), then keep ``rows`` rows."""
        assert self._kb is not None and self._vb is not None
        if dst.numel():
            window = slice(self.lo, self.hi)
            self._kb[:, :, window].index_copy_(0, dst, self._kb[:, :, window].index_select(0, src))
            self._vb[:, :, window].index_copy_(0, dst, self._vb[:, :, window].index_select(0, src))
        self.rows = rows
        self._views()

    def set_window(self, lo: int, hi: int) -> None:
        """Narrow the window (columns no row needs, or rejected draft tokens)."""
        self.lo, self.hi = lo, hi
        self._views()

    # -- internals -------------------------------------------------------------------

    def _allocate(self, keys: torch.Tensor, values: torch.Tensor, rows: int, cols: int) -> None:
        _, heads, _, dim = keys.shape
        self._kb = keys.new_empty((rows, heads, cols, dim))
        self._vb = values.new_empty((rows, values.shape[1], cols, values.shape[-1]))

    def _views(self) -> tuple[torch.Tensor, torch.Tensor]:
        assert self._kb is not None and self._vb is not None
        keys = self._kb[: self.rows, :, self.lo : self.hi]
        values = self._vb[: self.rows, :, self.lo : self.hi]
        self.keys, self.values = keys, values
        return keys, values


def _room(width: int) -> int:
    return max(MIN_GROWTH, width // 4)


class SlabCache(Cache):
    """The model's cache: one :class:`SlabLayer` per decoder layer."""

    def __init__(self, num_layers: int) -> None:
        self.slabs = [SlabLayer() for _ in range(num_layers)]
        # The base keeps ``layers`` for its own helpers; every method the model calls
        # is overridden below and reads ``slabs``.
        super().__init__(layers=cast(Any, list(self.slabs)))

    def update(
        self,
        key_states: torch.Tensor,
        value_states: torch.Tensor,
        layer_idx: int,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append this pass's keys and values to layer ``layer_idx``; return its window."""
        return self.slabs[layer_idx].update(key_states, value_states)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Columns in the window: the next token's column, which the mask builder needs."""
        return self.slabs[layer_idx].get_seq_length() if layer_idx < len(self.slabs) else 0

    def get_query_offset(self, layer_idx: int = 0) -> int:
        """Where this pass's queries start among the keys: after the window."""
        return self.get_seq_length(layer_idx)

    def get_mask_sizes(self, query_length: int, layer_idx: int = 0) -> tuple[int, int]:
        """(keys the pass attends over, offset of the first): the window and the new columns."""
        return self.get_seq_length(layer_idx) + query_length, 0

    def get_max_length(self, layer_idx: int | None = None) -> int:
        """No maximum: the slabs grow."""
        return -1

    @property
    def is_compileable(self) -> bool:
        """Shapes change every step: not for ``torch.compile``'s static graphs."""
        return False

    @property
    def is_initialized(self) -> bool:
        """Whether a prefill has filled the cache."""
        return bool(self.slabs) and self.slabs[0].keys is not None

    @property
    def is_sliding(self) -> list[bool]:
        """Every layer attends over the whole context (Llama)."""
        return [False] * len(self.slabs)

    @property
    def is_linear(self) -> list[bool]:
        """No layer is a linear-attention (recurrent) one."""
        return [False] * len(self.slabs)

    @property
    def is_dummy(self) -> list[bool]:
        """Every layer has keys and values of its own."""
        return [False] * len(self.slabs)


def new_cache(config: Any) -> SlabCache:
    """An empty :class:`SlabCache` for a model with ``config``."""
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    return SlabCache(int(text.num_hidden_layers))


def layers(cache: SlabCache) -> list[SlabLayer]:
    """The cache's layers."""
    return cache.slabs

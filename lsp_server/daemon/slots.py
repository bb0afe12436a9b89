"""The fixed-shape decode path (``--compile``): a KV slot per row, batch buckets, CUDA graphs.

The slab cache (:mod:`.kvcache`) changes shape every step, which suits eager decoding
and defeats ``torch.compile``'s static graphs. Here every shape a decoding step sees is
fixed in advance:

- the KV cache is one buffer per layer, ``[slots, heads, columns, head_dim]``,
  allocated once; row ``i`` of the running batch lives in slot ``i``, its tokens in
  columns ``0 .. length - 1`` (no padding, no holes);
- a step decodes a *bucket* of rows (1, 2, 4, 8, ... up to the slot count): the rows
  past the live ones decode a dummy token into a free slot, which nothing reads;
- each row attends over all ``columns`` columns under a mask built, inside the graph,
  from its position; each row writes its new key and value at its own position.

So one graph per bucket serves every step: on CUDA ``torch.compile(mode=
"reduce-overhead")`` captures it as a CUDA graph and replays it; on the CPU the same
function compiles in the default mode (or runs eagerly). A step's inputs are device
tensors the previous step left there; the only copy to the host is the sampled ids.

What it costs: attention reads all ``columns`` columns of a slot whatever the row's
length, and a request's prompt plus ``max_tokens`` must fit ``columns``. Prefill,
``n`` fan-out (the prompt's slot copied into the others) and prompt-lookup drafts run
eagerly into the same slots; a finished row's slot takes the last row's keys (one row
copied).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import torch
from transformers import Cache

from lsp_server.daemon.batch import BatchRunner, StepResult, _Row
from lsp_server.daemon.sampling import make_generator, sample_tensor
from lsp_server.daemon.sequence import Group

logger = logging.getLogger(__name__)

#: A decoding step's logits for a bucket: ``(input ids [B, 1], positions [B]) -> [B, vocab]``.
Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def buckets(slots: int) -> list[int]:
    """The batch sizes a step runs at: powers of two below ``slots``, then ``slots``."""
    sizes = [1]
    while sizes[-1] * 2 < slots:
        sizes.append(sizes[-1] * 2)
    if slots > sizes[-1]:
        sizes.append(slots)
    return sizes


class SlotCache(Cache):
    """Keys and values in fixed slots; the runner says, before each pass, where it writes.

    Before every forward pass the runner sets :attr:`first_row` (the slot of the pass's
    first row), :attr:`write` (``[rows, width]`` columns the pass's tokens go to) and
    :attr:`attend` (how many columns the pass attends over). ``update`` scatters the new
    keys there and returns the slots' first ``attend`` columns.
    """

    def __init__(self, num_layers: int, slots: int, columns: int) -> None:
        super().__init__(layers=[])
        self.num_layers, self.slots, self.columns = num_layers, slots, columns
        self.key_buffers: list[torch.Tensor] = []
        self.value_buffers: list[torch.Tensor] = []
        self.first_row = 0
        self.write: torch.Tensor | None = None
        self.attend = columns

    def allocate(self, keys: torch.Tensor, values: torch.Tensor) -> None:
        """Allocate every layer's buffers, shaped and typed like one pass's ``keys``."""
        _, heads, _, dim = keys.shape
        for _ in range(self.num_layers):
            k = keys.new_zeros((self.slots, heads, self.columns, dim))
            v = values.new_zeros((self.slots, values.shape[1], self.columns, values.shape[-1]))
            # Fixed addresses: CUDA graphs read and write them in place, never copy them.
            torch._dynamo.mark_static_address(k)
            torch._dynamo.mark_static_address(v)
            self.key_buffers.append(k)
            self.value_buffers.append(v)

    def update(
        self,
        key_states: torch.Tensor,
        value_states: torch.Tensor,
        layer_idx: int,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Write this pass's keys and values at :attr:`write`; return what it attends over."""
        if not self.key_buffers:
            self.allocate(key_states, value_states)
        assert self.write is not None
        rows, heads = key_states.shape[:2]
        end = self.first_row + rows
        device = key_states.device
        # index_put_ on the whole buffer, as transformers' StaticLayer writes its own: a
        # compiled graph then mutates the buffer in place (inductor re-inplaces
        # index_put), where a write through a slice view could become a copy of it.
        where = (
            torch.arange(self.first_row, end, device=device)[:, None, None],
            torch.arange(heads, device=device)[None, :, None],
            self.write[:, None, :],
        )
        keys, values = self.key_buffers[layer_idx], self.value_buffers[layer_idx]
        keys.index_put_(where, key_states)
        values.index_put_(where, value_states)
        return (
            keys[self.first_row : end, :, : self.attend],
            values[self.first_row : end, :, : self.attend],
        )

    def copy_slot(self, src: int, dst: slice | int, columns: int) -> None:
        """Copy slot ``src``'s first ``columns`` columns into slot(s) ``dst``, every layer."""
        for buffers in (self.key_buffers, self.value_buffers):
            for buffer in buffers:
                buffer[dst, :, :columns] = buffer[src, :, :columns]

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Columns before this pass's first token; exact for a prefill (the only pass
        whose mask transformers builds: decode and drafts bring their own)."""
        width = 0 if self.write is None else self.write.shape[-1]
        return self.attend - width

    def get_query_offset(self, layer_idx: int = 0) -> int:
        """Where this pass's queries start: see :meth:`get_seq_length`."""
        return self.get_seq_length(layer_idx)

    def get_mask_sizes(self, query_length: int, layer_idx: int = 0) -> tuple[int, int]:
        """(columns attended over, offset of the first)."""
        return self.attend, 0

    def get_max_length(self, layer_idx: int | None = None) -> int:
        """The columns of a slot."""
        return self.columns

    def __len__(self) -> int:
        return self.num_layers

    @property
    def is_compileable(self) -> bool:
        """Fixed shapes and addresses: yes."""
        return True

    @property
    def is_initialized(self) -> bool:
        """Whether the buffers exist."""
        return bool(self.key_buffers)

    @property
    def is_sliding(self) -> list[bool]:
        """Every layer attends over the whole context (Llama)."""
        return [False] * self.num_layers

    @property
    def is_linear(self) -> list[bool]:
        """No linear-attention layers."""
        return [False] * self.num_layers

    @property
    def is_dummy(self) -> list[bool]:
        """Every layer keeps keys and values."""
        return [False] * self.num_layers


def compile_step(
    step: Step, device: torch.device, backend: str | Callable[..., Any] | None = None
) -> Step:
    """``step`` compiled for fixed shapes: CUDA graphs on a GPU, the default mode elsewhere.

    ``dynamic=False``: each bucket gets its own graph rather than one symbolic graph
    (which CUDA graphs could not replay as one); ``fullgraph=True``: a graph break would
    split the CUDA graph, so it is an error, not a slowdown.
    """
    if backend is not None:
        compiled = torch.compile(step, backend=backend, fullgraph=True, dynamic=False)
    elif device.type == "cuda":
        compiled = torch.compile(step, mode="reduce-overhead", fullgraph=True, dynamic=False)
    else:
        compiled = torch.compile(step, fullgraph=True, dynamic=False)
    return compiled


class SlotBatchRunner(BatchRunner):
    """:class:`BatchRunner` on fixed slots, with its decoding step compiled (or not)."""

    def __init__(
        self,
        model: Any,
        *,
        device: torch.device,
        pad_id: int,
        slots: int,
        columns: int,
        compile: bool = True,
        backend: str | Callable[..., Any] | None = None,
        prompt_lookup: bool = False,
        draft_tokens: int = 8,
        max_draft_tokens: int = 64,
    ) -> None:
        super().__init__(
            model,
            device=device,
            pad_id=pad_id,
            prompt_lookup=prompt_lookup,
            draft_tokens=draft_tokens,
            max_draft_tokens=max_draft_tokens,
        )
        config = model.config
        text = (
            config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
        )
        self.slots, self.columns = slots, columns
        self.buckets = buckets(slots)
        self._slots = SlotCache(int(text.num_hidden_layers), slots, columns)
        self._cuda = device.type == "cuda"
        #: Column numbers, for the masks; a fixed address like the cache's.
        self._column_ids = torch.arange(columns, device=device)
        torch._dynamo.mark_static_address(self._column_ids)
        #: Next step's input ids and positions for every slot (padding slots: 0, 0).
        self._ids = torch.zeros(slots, dtype=torch.long, device=device)
        self._positions = torch.zeros(slots, dtype=torch.long, device=device)
        self._step: Step = (
            compile_step(self.fixed_step, device, backend) if compile else self.fixed_step
        )
        self.compiled = compile

    def bucket(self, rows: int) -> int:
        """The smallest bucket that holds ``rows`` rows."""
        return next(b for b in self.buckets if b >= rows)

    def fits(self, prompt_tokens: int, max_tokens: int) -> bool:
        """Whether a prompt and its completion fit one slot."""
        return prompt_tokens + max_tokens <= self.columns

    # -- the step that is compiled ---------------------------------------------------

    def fixed_step(self, input_ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """One decoding pass of a bucket: ``input_ids [B, 1]`` at ``positions [B]``.

        Every row attends to the columns up to its own position; the cache writes each
        row's key at that position. Shapes depend on the bucket only.
        """
        mask = self._column_ids[None, :] <= positions[:, None]
        output = self.model(
            input_ids=input_ids,
            attention_mask=mask[:, None, None, :],
            position_ids=positions[:, None],
            use_cache=True,
            logits_to_keep=1,
            **{self._cache_arg: self._slots},
        )
        logits: torch.Tensor = output.logits[:, -1, :]
        return logits

    # -- rows join and leave ---------------------------------------------------------

    def _clear(self) -> None:
        # The slots stay allocated (and the graphs captured) for the next requests.
        self._rows, self._inputs = [], None

    def _remove(self, gone: set[int]) -> None:
        """Drop rows ``gone``: the last rows' slots are copied into their places."""
        if not gone:
            return
        count = len(self._rows) - len(gone)
        holes = [i for i in range(count) if i in gone]
        movers = [i for i in range(count, len(self._rows)) if i not in gone]
        rows = self._rows[:count]
        for hole, mover in zip(holes, movers, strict=True):
            rows[hole] = self._rows[mover]
            self._slots.copy_slot(mover, hole, self._rows[mover].length)
        self._rows = rows
        self._inputs = None

    def _prefill(self, groups: Sequence[Group], result: StepResult) -> None:
        """Each prompt alone into the next free slot (no padding), then copied for ``n``."""
        for group in groups:
            ids = group.prompt_ids
            slot = len(self._rows)
            if slot + len(group.seqs) > self.slots or not self.fits(
                len(ids), group.params.max_tokens
            ):
                raise ValueError("a request does not fit the fixed slots; the scheduler let it in")
            group.generator = (
                None if group.params.greedy else make_generator(group.params.seed, self.device)
            )
            width = len(ids)
            input_ids = self._to_device(torch.tensor([ids], dtype=torch.long))
            positions = torch.arange(width, device=self.device)
            self._point(slot, positions[None, :], width)
            logits = self._forward(input_ids, None, positions[None, :], self._slots)[:, -1, :]
            result.prefill_tokens += width
            result.forward_passes += 1
            count = len(group.seqs)
            if count > 1:
                self._slots.copy_slot(slot, slice(slot + 1, slot + count), width)
            rows = [_Row(group=group, seq=s, pending=-1, length=width) for s in group.seqs]
            tokens: list[int] = sample_tensor(
                logits.expand(count, -1), [r.sampling for r in rows]
            ).tolist()
            for row, token in zip(rows, tokens, strict=True):
                row.pending = token
                self._record(row, [token], result)
                if not row.seq.finished:
                    # Slots fill in order; a row that finished at once gives its slot back.
                    if len(self._rows) != slot:
                        self._slots.copy_slot(slot, len(self._rows), width)
                    self._rows.append(row)
                slot += 1
            self._inputs = None

    def _point(self, first_row: int, write: torch.Tensor, attend: int) -> None:
        """Tell the cache where the next pass writes and how far it attends."""
        self._slots.first_row, self._slots.write, self._slots.attend = first_row, write, attend

    # -- decoding --------------------------------------------------------------------

    def _decode(self, result: StepResult) -> None:
        result.decode_batch = count = len(self._rows)
        params = self._rows[0].group.params
        lone_greedy = count == 1 and params.greedy and params.repetition_penalty == 1.0
        if self.prompt_lookup and lone_greedy and self._speculate(self._rows[0], result):
            return
        if self._inputs is None:
            # Rows changed: one small copy of every slot's input (padding slots: 0, 0).
            padding = [0] * (self.slots - count)
            pending = [r.pending for r in self._rows] + padding
            lengths = [r.length for r in self._rows] + padding
            self._ids.copy_(self._to_device(torch.tensor(pending)))
            self._positions.copy_(self._to_device(torch.tensor(lengths)))
            self._inputs = (self._ids, self._positions)
        size = self.bucket(count)
        positions = self._positions[:size]
        self._point(0, positions[:, None], self.columns)
        if self._cuda and self.compiled:
            # Each step's outputs are consumed before the next: the graph may reuse them.
            torch.compiler.cudagraph_mark_step_begin()  # type: ignore[no-untyped-call]
        logits = self._step(self._ids[:size, None], positions)
        result.forward_passes += 1
        sampled = sample_tensor(logits[:count], [r.sampling for r in self._rows])
        # The one copy to the host per step: the stop rules need the token ids.
        tokens: list[int] = sampled.tolist()
        finished = set()
        for i, (row, token) in enumerate(zip(self._rows, tokens, strict=True)):
            row.length += 1
            row.pending = token
            self._record(row, [token], result)
            if row.seq.finished:
                finished.add(i)
        self._ids[:count].copy_(sampled)
        self._positions[:count].add_(1)
        self._remove(finished)

    def _verify(self, row: _Row, draft: list[int]) -> list[int]:
        """The pending token and ``draft`` in one eager pass, written after the row's tokens."""
        width = 1 + len(draft)
        input_ids = torch.tensor([[row.pending, *draft]], device=self.device)
        positions = torch.arange(row.length, row.length + width, device=self.device)
        attend = row.length + width
        self._point(0, positions[None, :], attend)
        mask = self._column_ids[None, :attend] <= positions[:, None]
        logits = self._forward(
            input_ids, mask[None, None], positions[None, :], self._slots, last_only=False
        )
        predicted: list[int] = logits[0].argmax(dim=-1).tolist()
        return predicted

    def _reject(self, rejected: int) -> None:
        # Nothing to undo: columns past the row's length are masked and overwritten later.
        pass

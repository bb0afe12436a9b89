"""The running batch on the device: prefill, decode, and the KV cache they share.

One :class:`BatchRunner` owns the model's KV cache for every sequence being generated.
Each :meth:`BatchRunner.step` (called from one worker thread only) drops cancelled
sequences, prefills newly admitted prompts and merges them into the batch, runs one
decoding forward pass for all sequences, samples, and removes finished sequences.

Layout (see :mod:`.kvcache`): sequences are rows of preallocated slabs; every row's
next token goes in the same column, and a row's earlier columns hold its tokens, its
left padding and, when a wider prompt joined after it, masked holes. The 2-D attention
mask lives on the device and changes only where rows join or leave; position ids count
real tokens only, so a sequence computes the same thing whichever rows it shares a
batch with. A step copies to the host only the sampled token ids (the stop rules need
them); the next step's inputs are those same device tensors, so nothing is copied back.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from lsp_server.daemon.kvcache import SlabLayer, layers, new_cache
from lsp_server.daemon.lookup import DraftIndex
from lsp_server.daemon.sampling import RowSampling, make_generator, sample_tensor
from lsp_server.daemon.sequence import Group, SequenceState

logger = logging.getLogger(__name__)


@dataclass
class _Row:
    group: Group
    seq: SequenceState
    #: The last sampled token, not yet written to the cache.
    pending: int
    #: Real tokens of this row in the cache: the next token's position.
    length: int
    #: Columns from this row's first token to the window's right edge (holes included).
    span: int = 0
    #: Whether a wider prompt joined after this row, leaving masked columns inside it.
    holes: bool = False
    #: Prompt-lookup index of prompt and output, made the first time this row drafts.
    drafts: DraftIndex | None = None

    @property
    def sampling(self) -> RowSampling:
        generator = self.group.generator
        assert generator is None or isinstance(generator, torch.Generator)
        params = self.group.params
        if params.repetition_penalty == 1.0:
            return RowSampling(params, generator, order=self.seq.index)
        context = self.group.prompt_ids + self.seq.token_ids
        return RowSampling(params, generator, context, order=self.seq.index)


@dataclass(frozen=True)
class Update:
    """What one step did to one sequence, as values: new text, new tokens, finished or not."""

    key: int
    index: int
    text: str
    new_tokens: int
    finish_reason: str | None


@dataclass
class StepResult:
    """Everything the scheduler needs from one step."""

    updates: list[Update] = field(default_factory=list)
    prefill_tokens: int = 0
    decode_batch: int = 0
    forward_passes: int = 0
    drafted: int = 0
    accepted: int = 0


class BatchRunner:
    """Owns the KV cache of the running batch and advances it one step at a time."""

    def __init__(
        self,
        model: Any,
        *,
        device: torch.device,
        pad_id: int,
        prompt_lookup: bool = False,
        draft_tokens: int = 8,
        max_draft_tokens: int = 64,
    ) -> None:
        self.model = model
        self.device = device
        self.pad_id = pad_id
        self.prompt_lookup = prompt_lookup
        #: Tokens drafted next: starts at ``draft_tokens``, doubles while whole drafts are
        #: accepted (up to ``max_draft_tokens``), falls back after a rejection.
        self.draft_tokens = draft_tokens
        self._base_draft = draft_tokens
        self.max_draft_tokens = max(draft_tokens, max_draft_tokens)
        self._rows: list[_Row] = []
        self._cache: Any = None
        #: The attention mask of the whole slab, ``[row capacity, column capacity]``.
        self._mask: torch.Tensor | None = None
        #: The next step's input ids and positions, on the device; None after the rows
        #: changed (they are then rebuilt from the rows, once).
        self._inputs: tuple[torch.Tensor, torch.Tensor] | None = None
        #: Prompt-lookup totals since start: how often drafting pays off.
        self.drafted_total = 0
        self.accepted_total = 0
        # transformers 5 renamed the cache argument; older releases call it past_key_values.
        params = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    @property
    def num_rows(self) -> int:
        """Sequences in the running batch."""
        return len(self._rows)

    def groups(self) -> list[Group]:
        """The groups with a sequence in the running batch."""
        return list({id(r.group): r.group for r in self._rows}.values())

    def reset(self) -> list[Group]:
        """Forget the running batch (after an error); return the groups it held."""
        groups = self.groups()
        self._clear()
        return groups

    def step(self, admit: Sequence[Group], drop: Collection[int]) -> StepResult:
        """Drop the groups keyed in ``drop``, admit ``admit``, decode one token for all."""
        result = StepResult()
        with torch.inference_mode():
            if drop:
                self._remove({i for i, r in enumerate(self._rows) if r.group.key in drop})
            if admit:
                self._prefill(admit, result)
            if self._rows:
                self._decode(result)
        return result

    # -- the slab: rows join, rows leave -------------------------------------------------

    def _clear(self) -> None:
        self._rows, self._cache, self._mask, self._inputs = [], None, None, None

    def _layers(self) -> list[SlabLayer]:
        return layers(self._cache) if self._cache is not None else []

    def _window(self) -> tuple[int, int]:
        first = self._layers()[0]
        return first.lo, first.hi

    def _reserve(self, rows: int, columns: int) -> None:
        """Room for ``rows`` rows and ``columns`` more columns, in every layer and the mask."""
        found = self._layers()
        row_cap, col_cap = found[0].capacity()
        if rows <= row_cap and found[0].hi + columns <= col_cap:
            return
        lo, hi = self._window()
        # Rows grow by half at least, so rows joining one by one rarely reallocate.
        rows = max(rows, row_cap + max(1, row_cap // 2)) if rows > row_cap else rows
        for layer in found:
            layer.reserve(rows, columns)
        assert self._mask is not None
        mask = self._mask.new_zeros(found[0].capacity())
        mask[: len(self._rows), : hi - lo] = self._mask[: len(self._rows), lo:hi]
        self._mask = mask

    def _all_clean(self) -> bool:
        """True when no row has padding or holes: the model then needs no mask at all."""
        lo, hi = self._window()
        return all(r.span == hi - lo and not r.holes for r in self._rows)

    def _remove(self, gone: set[int]) -> None:
        """Drop the rows at ``gone``: the last rows move into their places (no batch copy)."""
        if not gone:
            return
        count = len(self._rows) - len(gone)
        if count == 0:
            self._clear()
            return
        holes = [i for i in range(count) if i in gone]
        movers = [i for i in range(count, len(self._rows)) if i not in gone]
        rows = self._rows[:count]
        for hole, mover in zip(holes, movers, strict=True):
            rows[hole] = self._rows[mover]
        dst = torch.tensor(holes, dtype=torch.long, device=self.device)
        src = torch.tensor(movers, dtype=torch.long, device=self.device)
        lo, hi = self._window()
        for layer in self._layers():
            layer.move_rows(dst, src, count)
        assert self._mask is not None
        if holes:
            window = self._mask[:, lo:hi]
            window.index_copy_(0, dst, window.index_select(0, src))
        self._rows = rows
        # Columns to the left of the oldest live token are no row's any more.
        new_lo = hi - max(r.span for r in rows)
        for layer in self._layers():
            layer.set_window(new_lo, hi)
        self._inputs = None

    def _merge(
        self, rows: list[_Row], cache: Any, mask: torch.Tensor, index: torch.Tensor | None
    ) -> None:
        """Add prefilled ``rows`` (rows ``index`` of ``cache``, whose mask is ``mask``)."""
        theirs = layers(cache)
        width = theirs[0].hi
        if not self._rows and index is None:
            # The prefill's own slab becomes the batch's: nothing is copied.
            self._cache, self._rows = cache, rows
            self._mask = mask.new_zeros(theirs[0].capacity())
            self._mask[: len(rows), :width] = mask
            self._inputs = None
            return
        if not self._rows:
            self._cache = new_cache(self.model.config)
            for mine, other in zip(self._layers(), theirs, strict=True):
                mine.start_like(other, rows=len(rows), width=width)
            self._mask = mask.new_zeros(self._layers()[0].capacity())
        lo, hi = self._window()
        extra = max(0, width - (hi - lo))
        self._reserve(len(self._rows) + len(rows), extra + 1)
        lo, hi = self._window()
        assert self._mask is not None
        if extra:
            # A wider prompt: the window grows to the right; old rows get masked holes.
            self._mask[: len(self._rows), hi : hi + extra] = 0
            for layer in self._layers():
                layer.widen(hi + extra)
            hi += extra
            for row in self._rows:
                row.span += extra
                row.holes = True
        start, end = len(self._rows), len(self._rows) + len(rows)
        for mine, other in zip(self._layers(), theirs, strict=True):
            mine.write_rows(other, index)
        picked = mask if index is None else mask.index_select(0, index)
        self._mask[start:end, lo:hi] = 0
        self._mask[start:end, hi - width : hi] = picked
        self._rows += rows
        self._inputs = None

    # -- the forward passes ----------------------------------------------------------

    def _forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        position_ids: torch.Tensor,
        cache: Any,
        *,
        last_only: bool = True,
    ) -> torch.Tensor:
        output = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            use_cache=True,
            logits_to_keep=1 if last_only else 0,
            **{self._cache_arg: cache},
        )
        logits: torch.Tensor = output.logits
        return logits

    def _prefill(self, groups: Sequence[Group], result: StepResult) -> None:
        width = max(len(g.prompt_ids) for g in groups)
        input_ids = torch.full((len(groups), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(groups), width), dtype=torch.long)
        for i, group in enumerate(groups):
            ids = group.prompt_ids
            input_ids[i, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            mask[i, width - len(ids) :] = 1
            group.generator = (
                None if group.params.greedy else make_generator(group.params.seed, self.device)
            )
            result.prefill_tokens += len(ids)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        input_ids, mask, positions = (self._to_device(t) for t in (input_ids, mask, positions))
        cache = new_cache(self.model.config)
        # One prompt has no padding: without a mask transformers need not look for any.
        padded = any(len(g.prompt_ids) < width for g in groups)
        logits = self._forward(input_ids, mask if padded else None, positions, cache)[:, -1, :]
        result.forward_passes += 1

        # The n samples of a prompt share its prefill: repeat its row n times.
        owners = [i for i, g in enumerate(groups) for _ in g.seqs]
        rows = [
            _Row(group=g, seq=s, pending=-1, length=len(g.prompt_ids), span=len(g.prompt_ids))
            for g in groups
            for s in g.seqs
        ]
        if owners != list(range(len(groups))):
            logits = logits.index_select(0, torch.tensor(owners, device=self.device))
        tokens: list[int] = sample_tensor(logits, [r.sampling for r in rows]).tolist()
        keep = []
        for i, (row, token) in enumerate(zip(rows, tokens, strict=True)):
            row.pending = token
            self._record(row, [token], result)
            if not row.seq.finished:
                keep.append(i)
        if not keep:
            return
        kept_owners = [owners[i] for i in keep]
        index = None
        if kept_owners != list(range(len(groups))):
            index = torch.tensor(kept_owners, device=self.device)
        self._merge([rows[i] for i in keep], cache, mask, index)

    def _to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        """A host tensor on the device; through pinned memory on a GPU, so it is async."""
        if self.device.type != "cuda":
            return tensor
        return tensor.pin_memory().to(self.device, non_blocking=True)

    def _decode(self, result: StepResult) -> None:
        result.decode_batch = len(self._rows)
        params = self._rows[0].group.params
        # Drafts are checked by argmax, which a repetition penalty would change.
        lone_greedy = len(self._rows) == 1 and params.greedy and params.repetition_penalty == 1.0
        if self.prompt_lookup and lone_greedy and self._speculate(self._rows[0], result):
            return
        count = len(self._rows)
        self._reserve(count, 1)
        if self._inputs is None:
            pending = torch.tensor([r.pending for r in self._rows], device=self.device)
            positions = torch.tensor([r.length for r in self._rows], device=self.device)
            self._inputs = (pending, positions)
        pending, positions = self._inputs
        lo, hi = self._window()
        assert self._mask is not None
        # The mask is kept current even while unused: a row may join with padding later.
        self._mask[:count, hi] = 1
        attention = None if self._all_clean() else self._mask[:count, lo : hi + 1]
        logits = self._forward(pending[:, None], attention, positions[:, None], self._cache)
        result.forward_passes += 1
        sampled = sample_tensor(logits[:, -1, :], [r.sampling for r in self._rows])
        # The one copy to the host per step: the stop rules need the token ids.
        tokens: list[int] = sampled.tolist()
        finished = set()
        for i, (row, token) in enumerate(zip(self._rows, tokens, strict=True)):
            row.length += 1
            row.span += 1
            row.pending = token
            self._record(row, [token], result)
            if row.seq.finished:
                finished.add(i)
        self._inputs = (sampled, positions.add_(1))
        self._remove(finished)

    def _speculate(self, row: _Row, result: StepResult) -> bool:
        """One prompt-lookup step for a lone greedy row; False when there is no draft."""
        seq = row.seq
        # Each accepted draft token plus the model's own next token is generated output.
        budget = min(self.draft_tokens, seq.max_tokens - len(seq.token_ids) - 1)
        if row.drafts is None:
            row.drafts = DraftIndex(row.group.prompt_ids + seq.token_ids)
        else:
            row.drafts.extend(seq.token_ids[len(row.drafts.ids) - len(row.group.prompt_ids) :])
        draft = row.drafts.draft(budget)
        if not draft:
            return False
        predicted = self._verify(row, draft)
        accepted = 0
        while accepted < len(draft) and draft[accepted] == predicted[accepted]:
            accepted += 1
        result.forward_passes += 1
        result.drafted += len(draft)
        result.accepted += accepted
        self.drafted_total += len(draft)
        self.accepted_total += accepted
        rejected = len(draft) - accepted
        if rejected:
            self._reject(rejected)
        row.length += 1 + accepted
        row.span += 1 + accepted
        # A fully accepted draft suggests a long copied span: draft further next time.
        if rejected:
            self.draft_tokens = max(self._base_draft, accepted + 1)
        else:
            self.draft_tokens = min(self.max_draft_tokens, self.draft_tokens * 2)
        tokens = [*draft[:accepted], predicted[accepted]]
        row.pending = tokens[-1]
        self._record(row, tokens, result)
        self._inputs = None
        if seq.finished:
            self._remove({0})
        return True

    def _verify(self, row: _Row, draft: list[int]) -> list[int]:
        """One pass over the pending token and ``draft``: the model's argmax after each."""
        self._reserve(1, 1 + len(draft))
        lo, hi = self._window()
        input_ids = torch.tensor([[row.pending, *draft]], device=self.device)
        positions = torch.arange(row.length, row.length + 1 + len(draft), device=self.device)
        assert self._mask is not None
        self._mask[0, hi : hi + 1 + len(draft)] = 1
        attention = None if self._all_clean() else self._mask[:1, lo : hi + 1 + len(draft)]
        logits = self._forward(
            input_ids, attention, positions[None, :], self._cache, last_only=False
        )
        predicted: list[int] = logits[0].argmax(dim=-1).tolist()
        return predicted

    def _reject(self, rejected: int) -> None:
        """Forget the keys of the last ``rejected`` draft tokens."""
        for layer in self._layers():
            layer.set_window(layer.lo, layer.hi - rejected)

    def _record(self, row: _Row, tokens: list[int], result: StepResult) -> None:
        seq = row.seq
        before = len(seq.token_ids)
        for token in tokens:
            seq.add_token(token)
            if seq.finished:
                break
        text = seq.take_delta()
        result.updates.append(
            Update(row.group.key, seq.index, text, len(seq.token_ids) - before, seq.finish_reason)
        )

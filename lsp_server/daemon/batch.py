"""The running batch on the device: prefill, decode, and the KV cache they share.

One :class:`BatchRunner` owns the model's KV cache for every sequence being generated.
Each :meth:`BatchRunner.step` (called from one worker thread only) drops cancelled
sequences, prefills newly admitted prompts and merges them into the batch, runs one
decoding forward pass for all sequences, samples, and removes finished sequences.

Layout: sequences are rows of the cache, left-padded, so every row's tokens are the
rightmost ``length`` columns. The attention mask is rebuilt from those lengths each
step, and position ids count real tokens only, so a sequence computes the same thing
whichever rows it shares a batch with.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from lsp_server.daemon.kvcache import SlabLayer, layers, new_cache
from lsp_server.daemon.lookup import DraftIndex
from lsp_server.daemon.sampling import RowSampling, make_generator, sample
from lsp_server.daemon.sequence import Group, SequenceState

logger = logging.getLogger(__name__)


@dataclass
class _Row:
    group: Group
    seq: SequenceState
    #: The last sampled token, not yet written to the cache.
    pending: int
    #: Real tokens of this row in the cache (the rest of its columns are padding).
    length: int
    #: Prompt-lookup index of prompt and output, made the first time this row drafts.
    drafts: DraftIndex | None = None

    @property
    def sampling(self) -> RowSampling:
        generator = self.group.generator
        assert generator is None or isinstance(generator, torch.Generator)
        params = self.group.params
        if params.repetition_penalty == 1.0:
            return RowSampling(params, generator)
        return RowSampling(params, generator, self.group.prompt_ids + self.seq.token_ids)


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
        grow_cache_in_place: bool = True,
    ) -> None:
        self.model = model
        self.device = device
        self.pad_id = pad_id
        self.prompt_lookup = prompt_lookup
        self.draft_tokens = draft_tokens
        self.grow_cache_in_place = grow_cache_in_place
        self._rows: list[_Row] = []
        self._cache: Any = None
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
        self._rows = []
        self._cache = None
        return groups

    def step(self, admit: Sequence[Group], drop: Collection[int]) -> StepResult:
        """Drop the groups keyed in ``drop``, admit ``admit``, decode one token for all."""
        result = StepResult()
        with torch.inference_mode():
            if drop:
                self._keep([i for i, r in enumerate(self._rows) if r.group.key not in drop])
            if admit:
                self._prefill(admit, result)
            if self._rows:
                self._decode(result)
        return result

    # -- cache surgery -------------------------------------------------------------

    def _layers(self) -> list[SlabLayer]:
        return layers(self._cache) if self._cache is not None else []

    def _keep(self, indices: list[int]) -> None:
        """Keep only the rows at ``indices``, then cut padding columns no row needs."""
        if len(indices) == len(self._rows):
            return
        self._rows = [self._rows[i] for i in indices]
        if not self._rows:
            self._cache = None
            return
        index = torch.tensor(indices, device=self.device)
        width = self._width()
        trim = width - max(r.length for r in self._rows)
        for layer in self._layers():
            assert layer.keys is not None and layer.values is not None
            layer.set(
                layer.keys.index_select(0, index)[:, :, trim:],
                layer.values.index_select(0, index)[:, :, trim:],
            )

    def _width(self) -> int:
        found = self._layers()
        return found[0].width() if found else 0

    def _merge(self, rows: list[_Row], cache: Any) -> None:
        """Add prefilled ``rows`` (with their own ``cache``) to the running batch."""
        if not self._rows:
            self._rows, self._cache = rows, cache
            return
        old_width, new_width = self._width(), layers(cache)[0].width()
        width = max(old_width, new_width)
        for mine, theirs in zip(self._layers(), layers(cache), strict=True):
            assert mine.keys is not None and mine.values is not None
            assert theirs.keys is not None and theirs.values is not None
            # Left padding keeps every row's tokens right-aligned; the mask hides the zeros.
            mine.set(
                torch.cat(
                    [
                        F.pad(mine.keys, (0, 0, width - old_width, 0)),
                        F.pad(theirs.keys, (0, 0, width - new_width, 0)),
                    ]
                ),
                torch.cat(
                    [
                        F.pad(mine.values, (0, 0, width - old_width, 0)),
                        F.pad(theirs.values, (0, 0, width - new_width, 0)),
                    ]
                ),
            )
        self._rows += rows

    def _mask(self, width: int) -> torch.Tensor:
        """The 2-D attention mask of the batch for a cache ``width`` columns wide."""
        lengths = torch.tensor([r.length for r in self._rows], device=self.device)
        columns = torch.arange(width, device=self.device)
        return (columns[None, :] >= (width - lengths)[:, None]).long()

    def _forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
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

    # -- the two kinds of forward pass ---------------------------------------------

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
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = new_cache(self.model.config, grow_in_place=self.grow_cache_in_place)
        logits = self._forward(input_ids, mask, positions, cache)[:, -1, :]
        result.forward_passes += 1

        # The n samples of a prompt share its prefill: repeat its row n times.
        owners = [i for i, g in enumerate(groups) for _ in g.seqs]
        rows = [
            _Row(group=g, seq=s, pending=-1, length=len(g.prompt_ids))
            for g in groups
            for s in g.seqs
        ]
        logits = logits.index_select(0, torch.tensor(owners, device=self.device))
        tokens = sample(logits, [r.sampling for r in rows])
        keep = []
        for i, (row, token) in enumerate(zip(rows, tokens, strict=True)):
            row.pending = token
            self._record(row, [token], result)
            if not row.seq.finished:
                keep.append(i)
        if not keep:
            return
        kept_owners = [owners[i] for i in keep]
        if kept_owners != list(range(len(groups))):
            index = torch.tensor(kept_owners, device=self.device)
            for layer in layers(cache):
                assert layer.keys is not None and layer.values is not None
                layer.set(layer.keys.index_select(0, index), layer.values.index_select(0, index))
        self._merge([rows[i] for i in keep], cache)

    def _decode(self, result: StepResult) -> None:
        result.decode_batch = len(self._rows)
        params = self._rows[0].group.params
        # Drafts are checked by argmax, which a repetition penalty would change.
        lone_greedy = len(self._rows) == 1 and params.greedy and params.repetition_penalty == 1.0
        if self.prompt_lookup and lone_greedy and self._speculate(self._rows[0], result):
            return
        width = self._width() + 1
        for row in self._rows:
            row.length += 1
        input_ids = torch.tensor([[r.pending] for r in self._rows], device=self.device)
        positions = torch.tensor([[r.length - 1] for r in self._rows], device=self.device)
        logits = self._forward(input_ids, self._mask(width), positions, self._cache)[:, -1, :]
        result.forward_passes += 1
        tokens = sample(logits, [r.sampling for r in self._rows])
        for row, token in zip(self._rows, tokens, strict=True):
            row.pending = token
            self._record(row, [token], result)
        self._keep([i for i, r in enumerate(self._rows) if not r.seq.finished])

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
        width = self._width() + 1 + len(draft)
        row.length += 1 + len(draft)
        input_ids = torch.tensor([[row.pending, *draft]], device=self.device)
        first = row.length - 1 - len(draft)
        positions = torch.arange(first, row.length, device=self.device)[None, :]
        logits = self._forward(
            input_ids, self._mask(width), positions, self._cache, last_only=False
        )
        result.forward_passes += 1
        predicted: list[int] = logits[0].argmax(dim=-1).tolist()
        accepted = 0
        while accepted < len(draft) and draft[accepted] == predicted[accepted]:
            accepted += 1
        result.drafted += len(draft)
        result.accepted += accepted
        self.drafted_total += len(draft)
        self.accepted_total += accepted
        rejected = len(draft) - accepted
        if rejected:
            row.length -= rejected
            for layer in self._layers():
                layer.truncate(layer.width() - rejected)
        tokens = [*draft[:accepted], predicted[accepted]]
        row.pending = tokens[-1]
        self._record(row, tokens, result)
        if seq.finished:
            self._keep([])
        return True

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

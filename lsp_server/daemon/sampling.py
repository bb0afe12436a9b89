"""Choosing the next token of every row in a batch: argmax, or sampling with temperature,
top-k, top-p and min-p, after an optional repetition penalty (vLLM's and transformers' rule).

Each request samples with its own ``torch.Generator``, seeded from its ``seed``, so a
seeded request draws the same random numbers whether it runs alone or batched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lsp_server.daemon.protocol import SamplingParams


@dataclass(frozen=True)
class RowSampling:
    """How one row is sampled: its request's parameters and random generator."""

    params: SamplingParams
    generator: torch.Generator | None
    #: Prompt and generated tokens, given only when the repetition penalty needs them.
    context: Sequence[int] = ()
    #: The row's place among its request's rows (its choice index): a request's rows
    #: draw in this order whatever their order in the batch, so a seed reproduces.
    order: int = 0


def make_generator(seed: int | None, device: torch.device) -> torch.Generator:
    """A generator for one request: seeded when the client asked, random otherwise."""
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def _top_p(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Zero the tail outside the smallest set of tokens whose mass reaches ``top_p``."""
    sorted_probs, order = probs.sort(dim=-1, descending=True)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    # The most likely token always survives, since the mass before it is 0.
    sorted_probs = sorted_probs.masked_fill(mass_before > top_p, 0.0)
    return torch.zeros_like(probs).scatter_(-1, order, sorted_probs)


def _top_k(probs: torch.Tensor, top_k: int) -> torch.Tensor:
    """Zero every token outside the ``top_k`` most likely (ties at the boundary survive)."""
    k = min(top_k, probs.shape[-1])
    kth = probs.topk(k, dim=-1).values[..., -1:]
    return probs.masked_fill(probs < kth, 0.0)


def _min_p(probs: torch.Tensor, min_p: float) -> torch.Tensor:
    """Zero tokens less likely than ``min_p`` times the most likely one."""
    floor = probs.amax(dim=-1, keepdim=True) * min_p
    return probs.masked_fill(probs < floor, 0.0)


def _penalise(logits: torch.Tensor, rows: Sequence[RowSampling]) -> None:
    """Apply each row's repetition penalty, in place, to the tokens of its context."""
    for i, row in enumerate(rows):
        penalty = row.params.repetition_penalty
        if penalty == 1.0 or not row.context:
            continue
        ids = torch.tensor(sorted(set(row.context)), device=logits.device)
        ids = ids[ids < logits.shape[-1]]
        seen = logits[i].index_select(0, ids)
        # Divide a positive logit and multiply a negative one: both make the token rarer.
        logits[i].index_copy_(0, ids, torch.where(seen > 0, seen / penalty, seen * penalty))


def sample(logits: torch.Tensor, rows: Sequence[RowSampling]) -> list[int]:
    """The next token of each row of ``logits`` (``[rows, vocab]``)."""
    tokens: list[int] = sample_tensor(logits, rows).tolist()
    return tokens


def sample_tensor(logits: torch.Tensor, rows: Sequence[RowSampling]) -> torch.Tensor:
    """:func:`sample` without the copy to the host: a ``[rows]`` tensor on the device."""
    logits = logits.float()
    if any(r.params.repetition_penalty != 1.0 for r in rows):
        # float() returns float32 logits themselves: penalise a copy, not the caller's.
        logits = logits.clone()
        _penalise(logits, rows)
    chosen = logits.argmax(dim=-1)
    # Rows of one request are sampled together, with that request's generator.
    groups: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        if not row.params.greedy:
            groups.setdefault(id(row.generator), []).append(i)
    for indices in groups.values():
        indices.sort(key=lambda i: rows[i].order)
        params = rows[indices[0]].params
        index = torch.tensor(indices, device=logits.device)
        probs = torch.softmax(logits.index_select(0, index) / params.temperature, dim=-1)
        # A model in half precision can overflow to inf or nan; sampling must not crash.
        probs = torch.nan_to_num(probs, nan=0.0, posinf=0.0, neginf=0.0)
        if params.top_k > 0:
            probs = _top_k(probs, params.top_k)
        if params.top_p < 1.0:
            probs = _top_p(probs, params.top_p)
        if params.min_p > 0.0:
            probs = _min_p(probs, params.min_p)
        empty = probs.sum(dim=-1, keepdim=True) <= 0
        probs = torch.where(empty, torch.ones_like(probs), probs)
        drawn = torch.multinomial(probs, 1, generator=rows[indices[0]].generator).squeeze(1)
        chosen.index_copy_(0, index, drawn)
    return chosen

"""Choosing the next token of every row in a batch: argmax, or temperature and top-p sampling.

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


def sample(logits: torch.Tensor, rows: Sequence[RowSampling]) -> list[int]:
    """The next token of each row of ``logits`` (``[rows, vocab]``)."""
    logits = logits.float()
    chosen = logits.argmax(dim=-1)
    # Rows of one request are sampled together, with that request's generator.
    groups: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        if not row.params.greedy:
            groups.setdefault(id(row.generator), []).append(i)
    for indices in groups.values():
        params = rows[indices[0]].params
        index = torch.tensor(indices, device=logits.device)
        probs = torch.softmax(logits.index_select(0, index) / params.temperature, dim=-1)
        # A model in half precision can overflow to inf or nan; sampling must not crash.
        probs = torch.nan_to_num(probs, nan=0.0, posinf=0.0, neginf=0.0)
        if params.top_p < 1.0:
            probs = _top_p(probs, params.top_p)
        empty = probs.sum(dim=-1, keepdim=True) <= 0
        probs = torch.where(empty, torch.ones_like(probs), probs)
        drawn = torch.multinomial(probs, 1, generator=rows[indices[0]].generator).squeeze(1)
        chosen.index_copy_(0, index, drawn)
    tokens: list[int] = chosen.tolist()
    return tokens

"""The selection rule: what may be offered as an improvement over ``-Oz``.

Architecture invariant: only a pipeline that the local opt and llc measured *strictly*
smaller than ``-Oz`` is ever an improvement. Everything else (no candidates, failed
candidates, ties, larger results, no -Oz baseline at all) ends in "-Oz is best" or in a
failure; a property-based test checks that no input makes the rule pick something worse.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

OZ_PIPELINE = "default<Oz>"


class Outcome(enum.Enum):
    IMPROVED = "improved"  # a candidate is strictly smaller than -Oz
    OZ_BEST = "oz-best"  # nothing beat -Oz; -Oz itself is offered
    FAILED = "failed"  # -Oz itself could not be measured: nothing can be claimed


@dataclass(frozen=True)
class Measured:
    """A candidate that compiled, with its size (None when it failed)."""

    pipeline: str
    size: int | None
    origin: str = "search"


@dataclass(frozen=True)
class Choice:
    """What the rule picked, with the numbers an offer states."""

    outcome: Outcome
    pipeline: str
    size: int | None
    oz_size: int | None
    verified_candidates: int  # candidates that compiled and were measured, -Oz included
    origin: str = "-Oz"

    @property
    def saving(self) -> int:
        if self.size is None or self.oz_size is None:
            return 0
        return self.oz_size - self.size

    @property
    def saving_percent(self) -> float:
        """How much smaller than -Oz, in percent of -Oz (0 unless IMPROVED)."""
        if self.outcome is not Outcome.IMPROVED or not self.oz_size:
            return 0.0
        return 100.0 * self.saving / self.oz_size


def _key(item: Measured) -> tuple[int, int, str]:
    assert item.size is not None
    # Smallest first; among equals the shorter pipeline (easier to read and to trust), then
    # a fixed order so the rule is deterministic.
    return (item.size, len(item.pipeline), item.pipeline)


def choose(oz_size: int | None, candidates: Iterable[Measured]) -> Choice:
    """Apply the rule to ``-Oz``'s size and the measured candidates."""
    measured = [c for c in candidates if c.size is not None and c.size >= 0]
    verified = len({c.pipeline for c in measured if c.pipeline != OZ_PIPELINE})
    if oz_size is None:
        return Choice(Outcome.FAILED, OZ_PIPELINE, None, None, verified)
    verified += 1  # -Oz itself
    better = [c for c in measured if c.size is not None and c.size < oz_size]
    if not better:
        return Choice(Outcome.OZ_BEST, OZ_PIPELINE, oz_size, oz_size, verified)
    best = min(better, key=_key)
    return Choice(Outcome.IMPROVED, best.pipeline, best.size, oz_size, verified, best.origin)

"""What a suggestion produces: the offer, the result with its notes, progress events.

Plain data shared by the engine, the LSP feature, the CLI and the benchmark.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsp_server.search.candidates import ModelAnswers
from lsp_server.search.select import Choice
from lsp_server.search.verify import Edited

if TYPE_CHECKING:
    from lsp_server.config import SuggestSettings

#: The typographic minus sign (U+2212) the offer text uses, as in "(-6.6% vs -Oz)" but typeset.
MINUS = "\u2212"


@dataclass(frozen=True)
class ProgressEvent:
    """What the search is doing, for ``$/progress`` and the side panel."""

    phase: str  # "baseline", "model", "search", "verify", "done"
    message: str
    percent: int
    oz_size: int | None = None
    best_size: int | None = None
    best_pipeline: str | None = None
    compilations: int = 0


OnProgress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Offer:
    """A checked result that can be applied."""

    pipeline: str
    size: int
    oz_size: int
    improved: bool
    edit: Edited
    differential: str
    llvm_version: str

    @property
    def saving_percent(self) -> float:
        return 100.0 * (self.oz_size - self.size) / self.oz_size if self.oz_size else 0.0


@dataclass
class Suggestion:
    """Everything one suggestion found; see the module docstring."""

    function: str | None
    triple: str
    choice: Choice | None = None
    offer: Offer | None = None
    model: ModelAnswers | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    search_seconds: float = 0.0
    evaluated: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    stopped: str = ""
    model_sizes: dict[str, int | None] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return f"@{self.function}" if self.function else "the module"

    def headline(self) -> str:
        """One line for a user: the offer, or why there is none."""
        if self.error:
            return f"No suggestion for {self.scope}: {self.error}"
        choice, offer = self.choice, self.offer
        if choice is None or offer is None:
            return f"No suggestion for {self.scope}"
        if offer.improved:
            return (
                f"Optimize {self.scope} for size: `{offer.pipeline}`: {offer.oz_size} → "
                f"{offer.size} bytes ({MINUS}{offer.saving_percent:.1f}% vs -Oz), "
                f"verified with LLVM {offer.llvm_version}"
            )
        return (
            f"-Oz is best of {choice.verified_candidates} verified candidates for "
            f"{self.scope} ({offer.oz_size} bytes, LLVM {offer.llvm_version})"
        )

    def to_json(self) -> dict[str, Any]:
        offer = self.offer
        return {
            "function": self.function,
            "triple": self.triple,
            "headline": self.headline(),
            "error": self.error,
            "notes": list(self.notes),
            "outcome": self.choice.outcome.value if self.choice else None,
            "verifiedCandidates": self.choice.verified_candidates if self.choice else 0,
            "ozSize": self.choice.oz_size if self.choice else None,
            "foundBy": self.choice.origin if self.choice else None,
            "offer": None
            if offer is None
            else {
                "pipeline": offer.pipeline,
                "size": offer.size,
                "ozSize": offer.oz_size,
                "improved": offer.improved,
                "savingPercent": round(offer.saving_percent, 2),
                "differential": offer.differential,
                "llvmVersion": offer.llvm_version,
            },
            "model": None
            if self.model is None
            else {
                "name": self.model.model,
                "error": self.model.error,
                "candidates": [
                    {**c.to_json(), "size": self.model_sizes.get(c.pipeline or "")}
                    for c in self.model.candidates
                ],
            },
            "search": {
                "seconds": round(self.seconds, 3),
                "searchSeconds": round(self.search_seconds, 3),
                "evaluated": self.evaluated,
                "stopped": self.stopped,
                **self.stats,
            },
        }


@dataclass(frozen=True)
class Options:
    """What a caller may override; the defaults come from the settings."""

    budget_seconds: float
    max_compilations: int
    samples: int
    temperature: float
    concurrency: int = 0  # 0: one per core
    seed: int = 0
    differential: bool = True


def options_from(
    settings: SuggestSettings, budget_seconds: float | None = None, **overrides: Any
) -> Options:
    """The search options the ``suggest.*`` settings give, with a caller's overrides.

    The one place settings become :class:`Options`: the server, the CLI, the demo, the eval
    and the benchmark all call it, so a new setting reaches every caller.
    """
    base = Options(
        budget_seconds=settings.budget_seconds if budget_seconds is None else budget_seconds,
        max_compilations=settings.max_compilations,
        samples=settings.samples,
        temperature=settings.temperature,
    )
    return dataclasses.replace(base, **overrides)

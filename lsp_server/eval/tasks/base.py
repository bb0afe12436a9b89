"""What every eval task provides, and the options and context the harness hands it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from lsp_server.eval.context import DEFAULT_CONTEXT_TOKENS
from lsp_server.eval.inputs import InputKind, InputOptions, Unit
from lsp_server.eval.records import Record
from lsp_server.services import Services

#: A few common single passes and the -Oz pipeline, the emulate task's default.
DEFAULT_PIPELINES = ("sroa", "instcombine", "simplifycfg", "early-cse", "default<Oz>")


@dataclass(frozen=True)
class EvalOptions:
    """Everything about a run that the command line sets.

    ``budget`` is the local search's time per function in seconds (0: no search) and
    ``max_compilations`` its compilation cap; ``jobs`` how many items run at once.
    ``max_tokens`` caps one answer of the emulate and passes tasks (None: what the task
    needs), to bound the time a slow model spends on answers that run on.
    """

    def answer_cap(self, wanted: int) -> int:
        """``wanted`` tokens, or fewer when ``max_tokens`` says so."""
        return wanted if self.max_tokens is None else max(1, min(wanted, self.max_tokens))

    task: str
    corpus: Path
    out: Path
    limit: int | None = None
    jobs: int = 1
    budget: float = 10.0
    max_compilations: int = 2000
    pipelines: tuple[str, ...] = DEFAULT_PIPELINES
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    max_tokens: int | None = None
    retry_errors: bool = False
    fresh: bool = False
    plots: bool = True
    seed: int = 0
    inputs: InputOptions = field(default_factory=InputOptions)

    def fingerprint(self, task: Task) -> dict[str, Any]:
        """The options a resumed run must share with the run it continues."""
        values: dict[str, Any] = {
            "task": self.task,
            "corpus": str(self.corpus.resolve()),
            "variant": self.inputs.variant,
            "arch": self.inputs.arch,
            "split": self.inputs.split,
            "clangFlags": list(self.inputs.clang_flags),
            "contextTokens": self.context_tokens,
            "maxTokens": self.max_tokens,
        }
        values.update(task.fingerprint(self))
        return values


@dataclass(frozen=True)
class Item:
    """One measurement: a unit, and for emulate the pipeline it is run through."""

    key: str
    unit: Unit
    pipeline: str | None = None


@dataclass
class EvalContext:
    """What a task's ``run`` may use: the services, the options, its share of the cores."""

    services: Services
    options: EvalOptions
    tool_concurrency: int = 1


class Task(Protocol):
    """One task: how a unit becomes items, how an item is measured, how records add up."""

    name: ClassVar[str]
    input_kind: ClassVar[InputKind]
    needs_model: ClassVar[bool]
    title: ClassVar[str]

    def fingerprint(self, options: EvalOptions) -> dict[str, Any]:
        """The task's own options that make records of two runs comparable."""
        ...

    def problem(self, options: EvalOptions, has_model: bool) -> str | None:
        """Why this run would measure nothing (None when it would measure something)."""
        ...

    def items(self, unit: Unit, options: EvalOptions) -> list[Item]:
        """The items of one unit."""
        ...

    async def run(self, item: Item, context: EvalContext) -> Record:
        """Measure one item: the task's fields and a ``status``; raise for an error."""
        ...

    def summarise(self, records: list[Record], options: EvalOptions) -> dict[str, Any]:
        """The task's numbers over the latest record of every item."""
        ...

    def table(self, summary: dict[str, Any], model: str | None) -> str:
        """The Markdown table, laid out like the paper's."""
        ...

    def plot(self, records: list[Record], summary: dict[str, Any], out: Path) -> list[Path]:
        """Draw the task's PNG plots into ``out``; return their paths."""
        ...

"""Pass lists from the model: asked for, parsed leniently, checked against the local opt.

The -ftd checkpoints answer the pass-list prompt with a pipeline. The greedy answer comes
first, then ``samples`` sampled ones. Each answer is parsed (model output is data: garbage
parses to nothing), and every pass name is checked against the local opt's registry. A
pipeline with unknown passes is repaired by dropping them, and the user is told which; one
with nothing left, or no pipeline at all, is rejected with the reason.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from lsp_server.llvm.passes import PassRegistry, unknown_passes
from lsp_server.model.backend import ModelBackend, ModelError
from lsp_server.model.prompts import PASS_LIST_STOP, parse_pass_list, pass_list_prompt
from lsp_server.syntax.pipeline import PipelineNode, parse_pipeline, render

log = logging.getLogger(__name__)

#: Enough tokens for a long pipeline (the -Oz pipeline printed in full is about 1,500).
MAX_TOKENS = 2048


class Status(enum.Enum):
    OK = "ok"
    REPAIRED = "repaired"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ModelCandidate:
    """One model answer, and what became of it."""

    sample: int  # 0 is the greedy answer
    answer: str  # the raw text, cut to a readable length
    proposed: str | None  # the pipeline as the model wrote it
    pipeline: str | None  # what will be measured (None when rejected)
    status: Status
    unknown: tuple[str, ...]
    message: str  # for the user: what was repaired or why it was rejected

    def to_json(self) -> dict[str, object]:
        return {
            "sample": self.sample,
            "proposed": self.proposed,
            "pipeline": self.pipeline,
            "status": self.status.value,
            "unknown": list(self.unknown),
            "message": self.message,
        }


def _drop(nodes: Sequence[PipelineNode], unknown: frozenset[str]) -> tuple[PipelineNode, ...]:
    kept: list[PipelineNode] = []
    for node in nodes:
        if node.children:
            children = _drop(node.children, unknown)
            if children:
                kept.append(PipelineNode(node.name, node.params, children, node.start, node.end))
        elif node.name not in unknown:
            kept.append(node)
    return tuple(kept)


def check_answer(
    sample: int, answer: str, finish_reason: str | None, registry: PassRegistry
) -> ModelCandidate:
    """Parse one answer and check it against ``registry`` (no tools run)."""
    shown = answer if len(answer) <= 400 else answer[:397] + "..."
    parsed = parse_pass_list(answer, finish_reason=finish_reason)
    if parsed.pipeline is None:
        return ModelCandidate(
            sample, shown, None, None, Status.REJECTED, (), "the answer holds no pass list"
        )
    proposed = parsed.pipeline
    nodes, syntax_error = parse_pipeline(proposed)
    unknown = unknown_passes(registry, proposed)
    names = tuple(u.name for u in unknown)
    notes: list[str] = []
    if not parsed.complete or syntax_error:
        notes.append("the pass list was cut off; kept the passes before the cut")
    if unknown:
        notes.append("dropped " + "; ".join(u.describe() for u in unknown))
    repaired = render(_drop(nodes, frozenset(names)))
    if not repaired:
        reason = "; ".join(notes) or "no passes left"
        return ModelCandidate(
            sample, shown, proposed, None, Status.REJECTED, names, f"rejected: {reason}"
        )
    if notes or repaired != proposed:
        return ModelCandidate(
            sample,
            shown,
            proposed,
            repaired,
            Status.REPAIRED,
            names,
            "repaired: " + "; ".join(notes),
        )
    return ModelCandidate(sample, shown, proposed, proposed, Status.OK, (), "")


@dataclass(frozen=True)
class ModelAnswers:
    """The candidates, or why there are none (``error``: the backend failed)."""

    candidates: tuple[ModelCandidate, ...]
    error: str | None
    model: str | None


Answer = tuple[str, str | None]  # the text and the finish reason


async def fetch_answers(
    backend: ModelBackend, ir: str, *, samples: int, temperature: float
) -> tuple[list[Answer], str | None]:
    """The raw answers, greedy first, and the backend's failure (None when it answered).

    Answers that arrived before a failure are kept.
    """
    prompt = pass_list_prompt(ir)
    answers: list[Answer] = []
    try:
        greedy = await backend.complete(
            prompt, max_tokens=MAX_TOKENS, temperature=0.0, n=1, stop=PASS_LIST_STOP
        )
        answers.extend(zip(greedy.texts, greedy.finish_reasons, strict=False))
        if samples > 0 and temperature > 0:
            sampled = await backend.complete(
                prompt,
                max_tokens=MAX_TOKENS,
                temperature=temperature,
                n=samples,
                stop=PASS_LIST_STOP,
            )
            answers.extend(zip(sampled.texts, sampled.finish_reasons, strict=False))
    except ModelError as err:
        log.info("pass-list request failed: %s", err)
        return answers, str(err)
    return answers, None


def check_answers(
    answers: Sequence[Answer], registry: PassRegistry, error: str | None, model: str | None
) -> ModelAnswers:
    checked = tuple(
        check_answer(i, text, reason, registry) for i, (text, reason) in enumerate(answers)
    )
    return ModelAnswers(checked, error, model)

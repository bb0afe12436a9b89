"""Which RUN line a request means, and that line's pipeline and opt options.

A file may have several RUN lines with different options (``-mtriple``, ``-aa-pipeline``,
``-verify-dom-info``); a preview of one of them must run with *its* options, never with
another line's. A request names the line by its index (``runLine``, 0-based among the
file's RUN lines as :func:`~lsp_server.syntax.runlines.parse_run_lines` counts them), by a
position on it, by a pass it holds, or by its pipeline text. Pure: no processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.llvm.opt_options import OptOptions
from lsp_server.preview.target import opt_arguments
from lsp_server.syntax.pipeline import leaves, parse_pipeline
from lsp_server.syntax.runlines import PipelineRef, RunLine, parse_run_lines, pass_at


@dataclass(frozen=True)
class RunLineChoice:
    """A RUN line's opt pipeline with the options the preview passes on."""

    index: int  # among parse_run_lines(text)
    pipeline: PipelineRef
    args: tuple[str, ...]
    notes: tuple[str, ...]


def _choice(index: int, run_line: RunLine, options: OptOptions | None) -> RunLineChoice | None:
    if not run_line.pipelines:
        return None
    pipeline = run_line.pipelines[0]
    args, notes = opt_arguments(run_line.command, pipeline, options)
    return RunLineChoice(index, pipeline, args, notes)


def _holds(pipeline: str, pass_name: str) -> bool:
    nodes, _ = parse_pipeline(pipeline)
    return any(pass_name in (leaf.name, leaf.text) for leaf in leaves(nodes))


def choose_run_line(
    text: str,
    *,
    index: int | None = None,
    position: tuple[int, int] | None = None,
    pipeline: str | None = None,
    pass_name: str | None = None,
    options: OptOptions | None = None,
) -> RunLineChoice | str | None:
    """The RUN line a request means, or a message when it names one that is not there, or
    None when it names none (the caller then uses its default).

    In order: ``index``; the RUN line under ``position`` (on a pass or anywhere on the
    line; None for a pass in a plain comment's pipeline); the first line whose pipeline is
    ``pipeline`` and holds ``pass_name`` (either may be None: with neither, the file's
    first RUN line with an opt pipeline).
    """
    run_lines = parse_run_lines(text)
    if index is not None:
        if not 0 <= index < len(run_lines):
            return f"there is no RUN line {index} (the file has {len(run_lines)})"
        found = _choice(index, run_lines[index], options)
        return found or f"RUN line {index} runs no opt pipeline"
    if position is not None:
        under = pass_at(text, *position)
        if under is not None and under[0].run_line is None:
            return None  # a pipeline in a comment: no RUN line's options
        if under is not None and under[0].run_line is not None:
            at = under[0].run_line
            args, notes = opt_arguments(run_lines[at].command, under[0], options)
            return RunLineChoice(at, under[0], args, notes)
        line = position[0]
        for at, run_line in enumerate(run_lines):
            if run_line.first_line <= line <= run_line.last_line:
                return _choice(at, run_line, options)
    for at, run_line in enumerate(run_lines):
        for ref in run_line.pipelines:
            if pipeline is not None and ref.text != pipeline:
                continue
            if pass_name is not None and not _holds(ref.text, pass_name):
                continue
            args, notes = opt_arguments(run_line.command, ref, options)
            return RunLineChoice(at, ref, args, notes)
    return None

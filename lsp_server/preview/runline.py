"""Which RUN line a request means, and the opt options of a RUN line the preview passes on.

A file may have several RUN lines with different options (``-mtriple``, ``-aa-pipeline``,
``-verify-dom-info``); a preview of one of them must run with *its* options, never with
another line's. A request names the line by its index (``runLine``, 0-based among the
file's RUN lines as :func:`~lsp_server.syntax.runlines.parse_run_lines` counts them), by a
position on it, by a pass it holds, or by its pipeline text. Pure: no processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.llvm.opt_options import OptOptions
from lsp_server.syntax.legacy import VALUE_OPTIONS
from lsp_server.syntax.pipeline import leaves, parse_pipeline
from lsp_server.syntax.runlines import PipelineRef, RunLine, parse_run_lines, pass_at
from lsp_server.syntax.shell import Stage, split_commands, tokenize

# Options the preview sets itself, or that print, write files, start viewers or load code:
# never taken over from a RUN line (a hover must not run a plugin named in a test file).
_DROPPED = frozenset(
    {
        "S",
        "o",
        "p",
        "passes",
        "f",
        "x",
        "disable-output",
        "thinlto-bc",
        "thin-lto-bc",
        "module-summary",
        "analyze",
        "stats",
        "stats-json",
        "version",
        "help",
        "h",
        "time-passes",
        "filter-print-funcs",
        "load",
        "load-pass-plugin",
        "pass-remarks-output",
        "pass-remarks-filter",
        "pass-remarks-format",
    }
)
#: Options that only make opt write to stderr (its pass-manager log, its remarks): kept, so
#: a preview's ``messages`` hold what the RUN line's ``2>&1`` checks read, and always
#: written ``-name=value`` so that a run whose stderr is read for other things can leave
#: them out (:func:`without_log_options`).
LOG_OPTIONS = frozenset(
    {
        "debug-pass-manager",
        "pass-remarks",
        "pass-remarks-missed",
        "pass-remarks-analysis",
        "pass-remarks-with-hotness",
        "pass-remarks-hotness-threshold",
    }
)
# The legacy flags that lsp_server.syntax.runlines translates to another new-PM name.
_LEGACY_SPELLINGS = {
    "function-attrs": ("functionattrs",),
    "simple-loop-unswitch": ("loop-unswitch",),
    "sroa": ("scalarrepl", "scalarrepl-ssa"),
}
_DROPPED_PREFIXES = (
    "print-",
    "debug-",
    "debug",
    "view-",
    "dot-",
    "time-",
    "stats",
    "help",
    "load",
    "pass-remarks",
    "opt-bisect",
    "save-",
)


def _is_opt_word(value: str) -> bool:
    name = value.rsplit("/", 1)[-1]
    if name.endswith(".exe"):
        name = name[:-4]
    head, _, version = name.partition("-")
    return head == "opt" and (not version or version.replace(".", "").isdigit())


def _opt_stage(command: str, pipeline: PipelineRef) -> Stage | None:
    """The stage of ``command`` that runs opt with ``pipeline``."""
    found: Stage | None = None
    for sequence in split_commands(tokenize(command)):
        for stage in sequence:
            words = [word.value for word in stage.words]
            while words and words[0] in ("not", "--crash"):
                words.pop(0)
            if not words or not _is_opt_word(words[0]):
                continue
            if found is None:
                found = stage
            if any(pipeline.text and pipeline.text in word for word in words):
                return stage
    return found


def _looks_like_a_file(word: str) -> bool:
    return word.startswith("%") or "/" in word or "." in word


def opt_arguments(
    command: str, pipeline: PipelineRef, options: OptOptions | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The options of the RUN line's opt that the preview passes on, and notes about it.

    Drops the pipeline itself, input and output, printing, and plugin loading (see
    ``_DROPPED``), but keeps the options that write only to stderr (:data:`LOG_OPTIONS`). Legacy pass flags (``-instcombine``) are the pipeline, so they are
    dropped too. Which options take the next word as their value comes from ``options``
    (the local opt's own list); without it, from a fixed table of common ones. With it, a
    word that is neither one of opt's options, an option's value nor an input is left out
    with a note naming it.
    """
    stage = _opt_stage(command, pipeline)
    if stage is None:
        return (), ()
    words = [word.value for word in stage.words]
    while words and words[0] in ("not", "--crash"):
        words.pop(0)
    legacy: set[str] = set()
    if pipeline.kind == "legacy":
        for ref in pipeline.passes:
            legacy.add(ref.params if ref.name == "default" and ref.params else ref.name)
            legacy.update(_LEGACY_SPELLINGS.get(ref.name, ()))
    args: list[str] = []
    notes: list[str] = []
    skip_next = False

    def takes_value(name: str) -> bool:
        if options is not None:
            return options.takes_next_word(name)
        return name in VALUE_OPTIONS

    for index, value in enumerate(words[1:], start=1):
        if skip_next:
            skip_next = False
            continue
        if not value.startswith("-") or value in ("-", "--"):
            if value in ("%s", "-") or value.startswith("%t"):
                continue
            if options is None or _looks_like_a_file(value):
                notes.append(f"this RUN line's opt reads `{value}`; the preview runs on this file")
            else:
                notes.append(
                    f"`{value}` in this RUN line is neither an option of the local opt, an "
                    "option's value nor the input (`%s`); the preview leaves it out"
                )
            continue
        name, equals, _ = value.lstrip("-").partition("=")
        takes_next = not equals and takes_value(name) and index + 1 < len(words)
        if value.lstrip("-") in legacy:
            continue
        if options is not None and not options.knows(name):
            notes.append(f"`{value}` is not an option of the local opt; the preview leaves it out")
            continue
        if name in LOG_OPTIONS:
            args.append(f"{value}={words[index + 1]}" if takes_next else value)
            skip_next = takes_next
            continue
        if name in _DROPPED or name.startswith(_DROPPED_PREFIXES):
            skip_next = takes_next
            continue
        args.append(value)
        if takes_next:
            args.append(words[index + 1])
            skip_next = True
    for kind, target in stage.redirects:
        if kind == "<" and target is not None and target.value != "%s":
            notes.append(
                f"this RUN line's opt reads `{target.value}`; the preview runs on this file"
            )
    return tuple(args), tuple(notes)


def without_log_options(args: tuple[str, ...]) -> tuple[str, ...]:
    """``args`` less the :data:`LOG_OPTIONS` (which :func:`opt_arguments` writes as one word)."""
    return tuple(a for a in args if a.lstrip("-").partition("=")[0] not in LOG_OPTIONS)


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

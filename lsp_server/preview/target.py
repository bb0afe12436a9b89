"""What a preview is about: the pass or ``define`` line under the cursor, as runnable pipelines.

A pass inside a pipeline (a RUN line, an ``opt -p``/``-passes=`` string in a comment, or
legacy flags such as ``-instcombine``) becomes two pipelines: the one cut just before the
pass and the one cut just after it, run on the whole module as the RUN line does. The
opt options a RUN line passes besides the pipeline (``-simplifycfg-require-...=1``,
``-mtriple``, ``-aa-pipeline``) go along, because they change what the passes do; the
ones that only print, write files or load code do not.

A ``define`` line becomes the configured default pipeline on that function alone.
Everything here is pure: no processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lsp_server.syntax.ir import IrModule, parse_module
from lsp_server.syntax.legacy import VALUE_OPTIONS
from lsp_server.syntax.pipeline import leaves, parse_pipeline, truncate
from lsp_server.syntax.runlines import PipelineRef, parse_run_lines, pass_at
from lsp_server.syntax.shell import Stage, split_commands, tokenize
from lsp_server.syntax.span import Pos, Span, split_lines


@dataclass(frozen=True)
class Target:
    """A preview request, resolved: what to run and what to show first.

    ``before``/``after`` are the pipelines whose outputs are compared (``before`` may be
    ``""``: the module as opt prints it). ``model_passes`` is what the emulation prompt
    asks for. With ``extract`` the pipelines run on ``function`` alone (llvm-extract),
    otherwise on the whole module.
    """

    kind: str  # "pass" or "function"
    pipeline: str
    pass_text: str
    before: str
    after: str
    model_passes: str
    args: tuple[str, ...]
    function: str | None
    extract: bool
    span: Span
    leaf_index: int = 0
    leaf_count: int = 1
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How the hover names what it previews."""
        if self.kind == "function":
            return f"{self.pass_text} on @{self.function}"
        return self.pass_text


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


def opt_arguments(command: str, pipeline: PipelineRef) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The options of the RUN line's opt that the preview passes on, and notes about it.

    Drops the pipeline itself, input and output, printing, and plugin loading (see
    ``_DROPPED``). Legacy pass flags (``-instcombine``) are the pipeline, so they are
    dropped too; other legacy-looking words stay as options.
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
    for index, value in enumerate(words[1:], start=1):
        if skip_next:
            skip_next = False
            continue
        if not value.startswith("-") or value in ("-", "--"):
            if value not in ("%s", "-") and not value.startswith("%t"):
                notes.append(f"this RUN line's opt reads `{value}`; the preview runs on this file")
            continue
        name, equals, _ = value.lstrip("-").partition("=")
        takes_next = not equals and name in VALUE_OPTIONS and index + 1 < len(words)
        if value.lstrip("-") in legacy:
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


def nearest_function(module: IrModule, line: int) -> str | None:
    """The defined function holding ``line``, else the one closest to it."""
    best: tuple[int, str] | None = None
    for function in module.functions:
        if not function.is_definition:
            continue
        start, end = function.span.start.line, function.span.end.line
        distance = 0 if start <= line <= end else min(abs(line - start), abs(line - end))
        if best is None or distance < best[0]:
            best = (distance, function.name)
    return best[1] if best is not None else None


def _pass_target(text: str, line: int, col: int) -> Target | None:
    found = pass_at(text, line, col)
    if found is None:
        return None
    pipeline, ref = found
    leaf_count = len(pipeline.passes)
    before = truncate(pipeline.nodes, ref.leaf_index, inclusive=False)
    after = truncate(pipeline.nodes, ref.leaf_index, inclusive=True)
    pass_text = ref.name if ref.params is None else f"{ref.name}<{ref.params}>"
    notes: list[str] = []
    args: tuple[str, ...] = ()
    if pipeline.error:
        notes.append(f"the pipeline has an error ({pipeline.error}); previewing up to it")
    if pipeline.run_line is not None:
        run_lines = parse_run_lines(text)
        if 0 <= pipeline.run_line < len(run_lines):
            run_line = run_lines[pipeline.run_line]
            args, arg_notes = opt_arguments(run_line.command, pipeline)
            notes.extend(arg_notes)
            if run_line.negated:
                notes.append("this RUN line expects opt to fail (`not`)")
    module = parse_module(text)
    return Target(
        kind="pass",
        pipeline=pipeline.text,
        pass_text=pass_text,
        before=before,
        after=after,
        model_passes=pass_text,
        args=args,
        function=nearest_function(module, line),
        extract=False,
        span=ref.span,
        leaf_index=ref.leaf_index,
        leaf_count=leaf_count,
        notes=tuple(notes),
    )


def _define_target(text: str, line: int, default_pipeline: str) -> Target | None:
    lines = split_lines(text)
    if not 0 <= line < len(lines) or ("define" not in lines[line] and "@" not in lines[line]):
        return None
    for function in parse_module(text).functions:
        if not function.is_definition:
            continue
        header_first, header_last = function.span.start.line, function.name_span.start.line
        if header_first <= line <= header_last:
            return Target(
                kind="function",
                pipeline=default_pipeline,
                pass_text=default_pipeline,
                before="",
                after=default_pipeline,
                model_passes=default_pipeline,
                args=(),
                function=function.name,
                extract=True,
                span=function.name_span,
            )
    return None


def find_target(text: str, line: int, col: int, default_pipeline: str) -> Target | None:
    """What a hover at ``(line, col)`` previews, or None when the cursor is on neither a
    pass nor a ``define`` line (a hover over anything else shows nothing)."""
    return _pass_target(text, line, col) or _define_target(text, line, default_pipeline)


def choose_target(
    text: str,
    default_pipeline: str,
    *,
    pass_name: str | None = None,
    pipeline: str | None = None,
    function: str | None = None,
    position: tuple[int, int] | None = None,
) -> Target | str:
    """The target a request names, or a message saying why there is none: the one choice of
    pipeline behind ``irlens preview``'s flags and ``irlens/pipelineSteps`` (the hover's is
    :func:`find_target`, the pass-under-the-cursor rule here).

    In order: ``pipeline`` (cut at ``pass_name`` when given), with the options of a RUN line
    that runs it; ``pass_name`` inside the first RUN-line pipeline holding it, else alone;
    the pass at ``position``, in its pipeline; the file's first RUN-line pipeline with its
    options; ``default_pipeline``. The function shown first: ``function``, else the one
    nearest ``position``, else the first one defined.
    """
    run_lines = run_line_pipelines(text)
    if function is None and position is not None:
        function = nearest_function(parse_module(text), position[0])
    if pipeline is not None:
        args: tuple[str, ...] = ()
        for ref, ref_args in run_lines:
            if ref.text == pipeline:
                args = ref_args
        if pass_name is None:
            return pipeline_target(text, pipeline, function, args)
        return pass_target(text, pipeline, pass_name, function, args) or (
            f"no pass {pass_name!r} in the pipeline {pipeline!r}"
        )
    if pass_name is not None:
        for ref, ref_args in run_lines:
            found = pass_target(text, ref.text, pass_name, function, ref_args)
            if found is not None:
                return found
        return pipeline_target(text, pass_name, function)
    if position is not None:
        at = _pass_target(text, *position)
        if at is not None:
            return at if function is None else replace(at, function=function)
    if run_lines:
        ref, ref_args = run_lines[0]
        return pipeline_target(text, ref.text, function, ref_args)
    return pipeline_target(text, default_pipeline, function)


def pipeline_target(
    text: str, pipeline: str, function: str | None, args: tuple[str, ...] = ()
) -> Target:
    """A target for a whole pipeline given by name (the CLI, the side panel)."""
    module = parse_module(text)
    names = [f.name for f in module.functions if f.is_definition]
    chosen = function if function is not None else (names[0] if names else None)
    return Target(
        kind="pass",
        pipeline=pipeline,
        pass_text=pipeline,
        before="",
        after=pipeline,
        model_passes=pipeline,
        args=args,
        function=chosen,
        extract=False,
        span=Span(Pos(0, 0), Pos(0, 0)),
    )


def run_line_pipelines(text: str) -> list[tuple[PipelineRef, tuple[str, ...]]]:
    """Every opt pipeline of the file's RUN lines, with the options passed along."""
    found = []
    for run_line in parse_run_lines(text):
        for pipeline in run_line.pipelines:
            args, _ = opt_arguments(run_line.command, pipeline)
            found.append((pipeline, args))
    return found


def pass_target(
    text: str, pipeline: str, pass_name: str, function: str | None, args: tuple[str, ...] = ()
) -> Target | None:
    """A target for the first pass named ``pass_name`` (or written so, with parameters)
    in ``pipeline``, as if hovered there; None when the pipeline has no such pass."""
    nodes, _ = parse_pipeline(pipeline)
    found = leaves(nodes)
    for index, leaf in enumerate(found):
        if pass_name in (leaf.name, leaf.text):
            base = pipeline_target(text, pipeline, function, args)
            return Target(
                kind="pass",
                pipeline=pipeline,
                pass_text=leaf.text,
                before=truncate(nodes, index, inclusive=False),
                after=truncate(nodes, index, inclusive=True),
                model_passes=leaf.text,
                args=args,
                function=base.function,
                extract=False,
                span=base.span,
                leaf_index=index,
                leaf_count=len(found),
            )
    return None

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

from lsp_server.llvm.opt_options import OptOptions
from lsp_server.preview.runline import choose_run_line, opt_arguments
from lsp_server.syntax.ir import IrModule, parse_module
from lsp_server.syntax.pipeline import leaves, parse_pipeline, truncate
from lsp_server.syntax.runlines import PipelineRef, parse_run_lines, pass_at
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


def _pass_target(text: str, line: int, col: int, options: OptOptions | None) -> Target | None:
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
            args, arg_notes = opt_arguments(run_line.command, pipeline, options)
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


def find_target(
    text: str,
    line: int,
    col: int,
    default_pipeline: str,
    options: OptOptions | None = None,
) -> Target | None:
    """What a hover at ``(line, col)`` previews, or None when the cursor is on neither a
    pass nor a ``define`` line (a hover over anything else shows nothing). ``options`` is
    the local opt's option table (see :func:`opt_arguments`)."""
    return _pass_target(text, line, col, options) or _define_target(text, line, default_pipeline)


def choose_target(
    text: str,
    default_pipeline: str,
    *,
    pass_name: str | None = None,
    pipeline: str | None = None,
    function: str | None = None,
    position: tuple[int, int] | None = None,
    run_line: int | None = None,
    options: OptOptions | None = None,
) -> Target | str:
    """The target a request names, or a message saying why there is none: the one choice of
    pipeline behind ``irlens preview``'s flags and ``irlens/pipelineSteps`` (the hover's is
    :func:`find_target`, the pass-under-the-cursor rule here).

    The opt options are always those of the RUN line the request means (see
    :func:`~lsp_server.preview.runline.choose_run_line`): ``run_line`` (its index), else the
    line under ``position``, else the first line whose pipeline is ``pipeline`` and holds
    ``pass_name``. The pipeline: ``pipeline`` (cut at ``pass_name`` when given); the pass at
    ``position``, in its pipeline; that RUN line's pipeline (cut at ``pass_name``);
    ``pass_name`` alone; ``default_pipeline``. The function shown first: ``function``, else
    the one nearest ``position``, else the first one defined.
    """
    if function is None and position is not None:
        function = nearest_function(parse_module(text), position[0])
    if position is not None and pipeline is None and pass_name is None and run_line is None:
        at = _pass_target(text, *position, options)
        if at is not None:
            return at if function is None else replace(at, function=function)
    chosen = choose_run_line(
        text,
        index=run_line,
        position=position,
        pipeline=pipeline,
        pass_name=pass_name,
        options=options,
    )
    if isinstance(chosen, str):
        return chosen
    args = chosen.args if chosen is not None else ()
    notes = chosen.notes if chosen is not None else ()
    if pipeline is None and chosen is not None:
        pipeline = chosen.pipeline.text
    if pipeline is not None:
        if pass_name is None:
            found: Target | None = pipeline_target(text, pipeline, function, args)
        else:
            found = pass_target(text, pipeline, pass_name, function, args)
        if found is None:
            return f"no pass {pass_name!r} in the pipeline {pipeline!r}"
        return replace(found, notes=found.notes + notes)
    if pass_name is not None:
        return pipeline_target(text, pass_name, function)
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


def run_line_pipelines(
    text: str, options: OptOptions | None = None
) -> list[tuple[PipelineRef, tuple[str, ...]]]:
    """Every opt pipeline of the file's RUN lines, with the options passed along."""
    found = []
    for run_line in parse_run_lines(text):
        for pipeline in run_line.pipelines:
            args, _ = opt_arguments(run_line.command, pipeline, options)
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

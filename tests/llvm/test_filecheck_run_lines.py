"""RUN lines with value options, ``-mtriple``, ``-aa-pipeline``, several lines per file and check
prefixes (``tests/data/run-lines``): each line through the hover and through
``irlens/pipelineSteps`` must print what the RUN line's own opt prints and pass its FileCheck
(issue 13, defects 2 to 4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.preview.engine import PreviewState
from lsp_server.preview.steps import pipeline_steps, resolve_request
from lsp_server.preview.target import find_target
from lsp_server.services import Services
from lsp_server.syntax.runlines import parse_run_lines
from lsp_server.syntax.shell import split_commands, tokenize
from tests.llvm.test_filecheck_suite import _after_opt, _check
from tests.support.data import DATA

RUN_LINES = DATA / "run-lines"


def _cases() -> list[object]:
    cases: list[object] = []
    for file in sorted(RUN_LINES.glob("*.ll")):
        for index, _ in enumerate(parse_run_lines(file.read_text())):
            cases.append(pytest.param(file, index, id=f"{file.name}:{index}"))
    return cases


def _body(module: str) -> str:
    """The module without the lines that name its input (a file here, stdin in irlens)."""
    kept = [
        line
        for line in module.strip("\n").splitlines()
        if not line.startswith(("; ModuleID = ", "source_filename = "))
    ]
    return "\n".join(kept)


def _run_lines_opt(toolchain, file: Path, command: str) -> str:
    """What the RUN line's own opt command prints (its words, %s being the file)."""
    stage = split_commands(tokenize(command))[0][0]
    words = [str(file) if w.value == "%s" else w.value for w in stage.words]
    argv = [toolchain.path("opt"), *words[1:]]
    result = subprocess.run(
        argv, input=file.read_text(), capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.parametrize(("file", "index"), _cases())
async def test_the_hover_and_the_steps_run_the_line_as_opt_does(
    toolchain, filecheck: str, file: Path, index: int
) -> None:
    text = file.read_text()
    run_line = parse_run_lines(text)[index]
    expected = _body(_run_lines_opt(toolchain, file, run_line.command))
    services = Services(settings=Settings(), toolchain=toolchain)
    options = await services.opt_options()

    last = run_line.pipelines[0].passes[-1]
    target = find_target(text, last.span.start.line, last.span.start.col, "default<Oz>", options)
    assert target is not None and not target.notes, target
    truth = await PreviewState().truth(str(file), text, target, services)
    assert truth.error is None, truth.error
    assert truth.after.ir is not None
    assert _body(truth.after.ir) == expected
    _check(file, _after_opt(run_line.command), truth.after.ir, filecheck)

    pipeline, _, args = resolve_request(
        text, None, None, None, "default<Oz>", run_line=index, options=options
    )
    assert args == target.args
    steps = await pipeline_steps(text, pipeline, None, services, args)
    assert steps.error is None and steps.final is not None
    assert _body(steps.final) == expected
    _check(file, _after_opt(run_line.command), steps.final + "\n", filecheck)

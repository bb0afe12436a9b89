"""LLVM's own regression tests against the preview: for every RUN line that passes under
LLVM 19, the module the hover previews for its pipeline must pass the test's checks.

The module comes from the feature code (the hover on the RUN line's last pass, whose
"after" is the whole pipeline with the RUN line's opt options), not from a separate opt
call here. The rest of the RUN line checks it as it would check opt's output: FileCheck
with the line's own arguments and prefixes, ``grep``/``count``, or just success.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lsp_server.config import Settings
from lsp_server.preview.engine import PreviewState
from lsp_server.preview.target import find_target
from lsp_server.services import Services
from lsp_server.syntax.runlines import parse_run_lines
from lsp_server.syntax.shell import split_commands, tokenize
from tests.support.data import LLVM_TESTS


def _cases() -> list[object]:
    cases: list[object] = []
    for line in (LLVM_TESTS / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        for index, (command, passing, pipelines) in enumerate(
            zip(entry["run_lines"], entry["passes_llvm19"], entry["pipelines"], strict=True)
        ):
            if passing is not True or not pipelines:
                continue
            marks: list[pytest.MarkDecorator] = []
            cases.append(
                pytest.param(
                    entry["path"], index, command, marks=marks, id=f"{entry['path']}:{index}"
                )
            )
    return cases


def _after_opt(command: str) -> list[list[str]]:
    """The commands the RUN line pipes opt's output through, as word lists."""
    sequence = split_commands(tokenize(command))[0]
    return [[word.value for word in stage.words] for stage in sequence[1:]]


def _check(path: Path, stages: list[list[str]], output: str, filecheck: str) -> None:
    """Run the RUN line's checks on ``output`` as lit would on opt's output."""
    data = output
    for words in stages:
        tool, args = words[0], [str(path) if w == "%s" else w for w in words[1:]]
        if tool == "FileCheck":
            result = subprocess.run(
                [filecheck, *args], input=data, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, result.stderr[-3000:]
            data = result.stdout
        elif tool == "grep":
            result = subprocess.run(
                ["grep", *args], input=data, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"grep {args} found nothing"
            data = result.stdout
        elif tool == "count":
            assert len(data.splitlines()) == int(args[0])
        elif tool == "llvm-dis":
            continue  # the preview is already text
        else:
            pytest.fail(f"RUN line stage {tool} is not handled by this test")


@pytest.mark.parametrize(("path", "index", "command"), _cases())
async def test_preview_passes_the_run_lines_checks(
    toolchain, filecheck: str, path: str, index: int, command: str
) -> None:
    file = LLVM_TESTS / path
    text = file.read_text()
    run_line = parse_run_lines(text)[index]
    assert run_line.command == command
    pipeline = run_line.pipelines[0]
    last = pipeline.passes[-1]
    target = find_target(text, last.span.start.line, last.span.start.col, "default<Oz>")
    assert target is not None
    services = Services(settings=Settings(), toolchain=toolchain)
    truth = await PreviewState().truth(path, text, target, services)
    assert truth.error is None, truth.error
    assert truth.after.ir is not None
    output = truth.after.ir
    if "2>&1" in command.split("|")[0]:
        output = truth.after.messages + output
    _check(file, _after_opt(command), output, filecheck)

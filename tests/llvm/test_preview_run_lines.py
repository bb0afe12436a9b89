"""``irlens preview --pass P`` runs P with the options of the RUN line that holds it, and
``--run-line N`` picks a line (issue 13, defect 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsp_server.cli import main

TEXT = """\
; RUN: opt -passes=sroa -S < %s | FileCheck %s
; RUN: opt -passes=instcombine -disable-simplify-libcalls -S < %s | FileCheck %s --check-prefix=KEEP
; RUN: opt -passes=instcombine -S < %s | FileCheck %s --check-prefix=FOLD
@s = private constant [4 x i8] c"abc\\00"

declare i64 @strlen(ptr)

define i64 @len() {
  %n = call i64 @strlen(ptr @s)
  ret i64 %n
}
"""


@pytest.fixture
def path(tmp_path: Path) -> str:
    file = tmp_path / "libcalls.ll"
    file.write_text(TEXT)
    return str(file)


def _preview(capsys, *argv: str) -> dict:
    assert main(["preview", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _folded(data: dict) -> bool:
    diff = "\n".join(f["diff"] for f in data["functions"])
    return "+  ret i64 3" in diff


@pytest.mark.parametrize(
    ("flags", "args", "folded"),
    [
        (["--pass", "instcombine"], ["-disable-simplify-libcalls"], False),
        (
            ["--pass", "instcombine", "--pipeline", "instcombine"],
            ["-disable-simplify-libcalls"],
            False,
        ),
        (["--pass", "instcombine", "--run-line", "2"], [], True),
        (["--run-line", "1"], ["-disable-simplify-libcalls"], False),
        (["--pipeline", "instcombine", "--run-line", "2"], [], True),
    ],
)
def test_the_run_line_that_holds_the_pass_gives_its_options(
    capsys, path: str, flags: list[str], args: list[str], folded: bool
) -> None:
    data = _preview(capsys, path, *flags)
    assert data["error"] is None
    assert data["optArgs"] == args
    assert _folded(data) is folded


def test_a_run_line_that_is_not_there_is_refused(capsys, path: str) -> None:
    assert main(["preview", path, "--run-line", "7"]) == 2
    assert "there is no RUN line 7 (the file has 3)" in capsys.readouterr().err
    assert main(["preview", path, "--run-line", "0", "--pass", "instcombine"]) == 2
    assert "no pass 'instcombine' in the pipeline 'sroa'" in capsys.readouterr().err

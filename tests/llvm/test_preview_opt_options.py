"""RUN-line options read as the local opt reads them: which options take the next word as
their value comes from ``opt --help-list-hidden`` (issue 13, defect 2)."""

from __future__ import annotations

import subprocess

import pytest

from lsp_server.config import Settings
from lsp_server.llvm.opt_options import FLAG, OPTIONAL, REQUIRED, load_opt_options, parse_help
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.services import Services

BODY = """\
define void @ifThen(i32 %a, i32 %b, i1 %c) {
  br i1 %c, label %a1, label %a2
a1:
  %x = add i32 %a, %b
  %y = add i32 %x, %b
  %z = add i32 %y, %b
  br label %a2
a2:
  ret void
}
"""
SPEC = "opt -passes=speculative-execution -spec-exec-max-speculation-cost {cost} -spec-exec-max-not-hoisted 3 -S"


def _text(run: str) -> str:
    return f"; RUN: {run} < %s | FileCheck %s\n{BODY}"


@pytest.fixture
def services(toolchain) -> Services:
    return Services(settings=Settings(), toolchain=toolchain)


def _opt(toolchain, argv: list[str], text: str) -> str:
    result = subprocess.run(
        [toolchain.path("opt"), *argv], input=text, capture_output=True, text=True, check=True
    )
    return result.stdout


async def test_the_table_comes_from_the_local_opt(toolchain) -> None:
    table = await load_opt_options(toolchain)
    assert table.kinds["spec-exec-max-speculation-cost"] == REQUIRED
    assert table.value_name("spec-exec-max-speculation-cost") == "uint"
    assert table.kinds["verify-dom-info"] == FLAG
    assert table.kinds["mtriple"] == REQUIRED
    assert table.takes_next_word("o") and table.takes_next_word("p")  # "-o <file>", an alias
    assert not table.takes_next_word("S")
    assert not table.knows("no-such-option")
    # Listed bare and with =<value>: the value is optional, the next word is not it.
    assert table.kinds["debug-pass-manager"] == OPTIONAL


def test_parse_help_reads_every_value_form() -> None:
    table = parse_help(
        "OPTIONS:\n"
        "  --aa-pipeline=<string>       - A textual description\n"
        "  --amdgpu-use-native[=<string>] - Comma separated list\n"
        "  -o <filename>                - Override output filename\n"
        "  --verify-dom-info            - Verify dominator info\n"
        "  --mode=<value>               - A mode\n"
        "    =fast                      -   Fast\n"
        "  -p                           - Alias for -passes\n"
        "  --passes=<string>            - A pipeline\n"
        "  --debug-pass-manager         - Print pass management debugging information\n"
        "  --debug-pass-manager=<value> - Print pass management debugging information\n"
        "    =quiet                     -   Skip printing info about analyses\n"
    )
    assert dict(table.kinds) == {
        "aa-pipeline": REQUIRED,
        "amdgpu-use-native": OPTIONAL,
        "o": REQUIRED,
        "verify-dom-info": FLAG,
        "mode": REQUIRED,
        "p": REQUIRED,
        "passes": REQUIRED,
        "debug-pass-manager": OPTIONAL,
    }


@pytest.mark.parametrize("cost", [4, 0])
async def test_values_given_as_the_next_word_reach_opt(toolchain, services, cost: int) -> None:
    run = SPEC.format(cost=cost)
    text = _text(run)
    found = await hover_preview(text, 0, run.index("speculative") + 9, services, PreviewState())
    assert found is not None
    assert "Cannot preview" not in found.markdown, found.markdown
    data = found.data
    assert data["error"] is None
    assert data["optArgs"] == [
        "-spec-exec-max-speculation-cost",
        str(cost),
        "-spec-exec-max-not-hoisted",
        "3",
    ]
    assert data["notes"] == []
    # What opt prints for the RUN line itself: the cost decides whether the adds are hoisted.
    expected = _opt(toolchain, run.split()[1:], text)
    hoisted = expected.index("%x = add") < expected.index("br i1 %c")
    assert hoisted == (cost == 4)
    changed = data["changed"]
    assert changed == hoisted


async def test_a_word_that_is_no_option_value_or_input_is_named(services) -> None:
    run = "opt -passes=speculative-execution banana -no-such-option -S"
    found = await hover_preview(
        _text(run), 0, run.index("speculative") + 9, services, PreviewState()
    )
    assert found is not None and found.data["error"] is None
    notes = found.data["notes"]
    assert any("`banana`" in note and "neither an option" in note for note in notes), notes
    assert any("`-no-such-option` is not an option of the local opt" in note for note in notes)
    assert "`banana`" in found.markdown


async def test_a_failure_before_any_pass_does_not_blame_earlier_passes(services) -> None:
    run = "opt -passes=speculative-execution -spec-exec-max-speculation-cost=x -S"
    found = await hover_preview(
        _text(run), 0, run.index("speculative") + 9, services, PreviewState()
    )
    assert found is not None
    error = found.data["error"]
    assert error.startswith("opt failed with this RUN line's options, before any pass ran:"), error
    assert "before speculative-execution" not in error
    assert "spec-exec-max-speculation-cost" in error

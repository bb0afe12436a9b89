"""Lift to IR as LSP values, and the document header that reports the round trip."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from lsp_server.features.arguments import ArgumentError
from lsp_server.features.lift import (
    CODE_ACTION_KIND,
    LIFT_COMMAND,
    LiftRequest,
    can_create_files,
    code_actions,
    creation_edit,
    lift_diagnostics,
    lifted_uri,
    parse_arguments,
    source_name,
)
from lsp_server.lift.report import FunctionReport, LiftResult, PieceReport
from tests.support.data import EXAMPLES

EXAMPLE_S = (EXAMPLES / "example.s").read_text()
RANGE = {"start": {"line": 3, "character": 0}, "end": {"line": 9, "character": 4}}


def test_command_arguments_in_every_accepted_form() -> None:
    uri = "file:///w/a.s"
    assert parse_arguments([uri]) == LiftRequest(uri)
    assert parse_arguments([uri, "crc32"]) == LiftRequest(uri, function="crc32")
    assert parse_arguments([uri, RANGE]) == LiftRequest(uri, lines=(3, 9))
    assert parse_arguments(
        [{"uri": uri, "range": RANGE, "function": "f", "triple": "aarch64-linux-gnu"}]
    ) == LiftRequest(uri, function="f", lines=(3, 9), triple="aarch64-linux-gnu")
    for bad in (
        [],
        [""],
        [42],
        [{"range": RANGE}],
        [uri, {"start": 1}],
        [{"uri": uri, "function": 3}],
    ):
        with pytest.raises(ArgumentError):
            parse_arguments(bad)


def test_the_lifted_document_never_takes_an_existing_name() -> None:
    taken = {"file:///w/crc.lifted.ll", "file:///w/crc.lifted.2.ll"}
    assert lifted_uri("file:///w/crc.s", lambda uri: False) == "file:///w/crc.lifted.ll"
    assert lifted_uri("file:///w/crc.s", taken.__contains__) == "file:///w/crc.lifted.3.ll"
    assert lifted_uri("file:///w/boot.S", lambda uri: False) == "file:///w/boot.lifted.ll"
    assert (
        lifted_uri("file:///w/odd%20name.asm", lambda u: False) == "file:///w/odd%20name.lifted.ll"
    )
    assert source_name("file:///w/odd%20name.asm") == "odd name.asm"


def test_the_edit_creates_the_file_without_overwriting() -> None:
    edit = creation_edit("file:///w/a.lifted.ll", "; text\n")
    create, insert = edit.document_changes or []
    assert isinstance(create, types.CreateFile)
    assert create.options is not None
    assert create.options.overwrite is False and create.options.ignore_if_exists is False
    assert isinstance(insert, types.TextDocumentEdit)
    assert insert.edits[0].new_text == "; text\n"


@pytest.mark.parametrize("client", ["visual-studio-code", "neovim@v0.11.0"])
def test_recorded_clients_can_create_files(client: str) -> None:
    assert can_create_files(client_capabilities(client))
    assert not can_create_files(types.ClientCapabilities())


def test_code_actions_for_the_function_under_the_cursor_and_the_file() -> None:
    cursor = types.Range(
        start=types.Position(line=10, character=0), end=types.Position(line=10, character=0)
    )
    actions = code_actions(
        "file:///w/e.s", EXAMPLE_S, cursor, has_model=True, disabled_support=True
    )
    assert [a.title for a in actions] == ["Lift crc32 to LLVM IR", "Lift this file to LLVM IR"]
    assert all(a.kind == CODE_ACTION_KIND and a.disabled is None for a in actions)
    command = actions[0].command
    assert command is not None and command.command == LIFT_COMMAND
    assert command.arguments == [{"uri": "file:///w/e.s", "function": "crc32"}]
    outside = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
    assert [
        a.title
        for a in code_actions(
            "file:///w/e.s", EXAMPLE_S, outside, has_model=True, disabled_support=False
        )
    ] == ["Lift this file to LLVM IR"]


def test_without_a_model_the_actions_are_disabled_with_the_reason_or_left_out() -> None:
    cursor = types.Range(
        start=types.Position(line=10, character=0), end=types.Position(line=10, character=0)
    )
    disabled = code_actions(
        "file:///w/e.s", EXAMPLE_S, cursor, has_model=False, disabled_support=True
    )
    assert disabled and all(
        a.disabled is not None and "model.url" in a.disabled.reason for a in disabled
    )
    assert (
        code_actions("file:///w/e.s", EXAMPLE_S, cursor, has_model=False, disabled_support=False)
        == []
    )


def _result() -> LiftResult:
    return LiftResult(
        source="two.s",
        triple="x86_64-unknown-linux-gnu",
        triple_source="from the file: mnemonics movq",
        model="facebook/llm-compiler-7b-ftd",
        llvm_version="19.1.7",
        functions=(
            FunctionReport("f", "exact", "", 2, 1, 5, score=1.0, opt_level="O2"),
            FunctionReport(
                "g",
                "similar",
                "first difference at line 9: expected `a`, got `b`",
                7,
                6,
                12,
                score=0.5,
                opt_level="O1",
                difference_line=8,
            ),
            FunctionReport(
                "h",
                "failed",
                "the IR does not parse: llvm-as failed\n<stdin>:1:1: error",
                14,
                13,
                15,
            ),
        ),
        pieces=(
            PieceReport(
                ("f",), False, "exact", ir="define void @f() {\n  ret void\n}\n", valid_ir=True
            ),
            PieceReport(
                ("g",), False, "similar", ir="define void @g() {\n  ret void\n}\n", valid_ir=True
            ),
            PieceReport(
                ("h",), False, "failed", problem="the IR does not parse", ir="define @h(\n"
            ),
        ),
        module="define void @f() {\n  ret void\n}\n\ndefine void @g() {\n  ret void\n}\n",
    )


def test_the_header_states_source_triple_model_and_each_function() -> None:
    document = _result().document or ""
    header = [line for line in document.splitlines() if line.startswith(";")]
    text = "\n".join(header)
    assert "from two.s" in text and "x86_64-unknown-linux-gnu" in text
    assert "facebook/llm-compiler-7b-ftd" in text and "LLVM 19.1.7" in text
    assert ";   f: exact (llc -O2)" in text
    assert ";   g: similar, BLEU 0.500 (llc -O1); first difference at line 9" in text
    assert ";   h: failed: the IR does not parse: llvm-as failed" in text
    assert "; <stdin>:1:1: error" in text, "multi-line reasons stay inside the comment"
    assert "Note:" not in text, "an -ftd model needs no warning"


def test_failed_answers_are_kept_only_as_comments() -> None:
    document = _result().document or ""
    code = [line for line in document.splitlines() if line and not line.startswith(";")]
    assert code == [
        "define void @f() {",
        "  ret void",
        "}",
        "define void @g() {",
        "  ret void",
        "}",
    ]
    assert "; define @h(" in document


def test_diagnostics_mark_failed_functions_and_where_similar_ones_differ() -> None:
    text = "\n".join(f"line {i}" for i in range(20)) + "\n"
    found = lift_diagnostics(_result(), text)
    assert [(d.range.start.line, d.severity) for d in found] == [
        (8, types.DiagnosticSeverity.Information),
        (14, types.DiagnosticSeverity.Warning),
    ]
    assert all(d.source == "irlens lift" for d in found)
    assert "h was not lifted to checked IR" in found[1].message
    assert found[1].range.end.character == len("line 14")


def test_a_result_with_an_error_has_no_document() -> None:
    result = LiftResult(error="no model", source="a.s")
    assert not result.ok and result.document is None
    assert result.to_json()["error"] == "no model"

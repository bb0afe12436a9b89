"""``irlens/pipelineSteps`` runs with the options of the RUN line it is about, through a real
LSP client (issue 13, defect 3): by ``runLine``, by a position on the line, or with an
explicit pipeline, never with another line's options."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from tests.support.lsp_session import open_document

TEXT = """\
; RUN: opt -passes=instcombine -S < %s | FileCheck %s --check-prefix=FOLD
; RUN: opt -passes=instcombine -disable-simplify-libcalls -S < %s | FileCheck %s --check-prefix=KEEP
@s = private constant [4 x i8] c"abc\\00"

declare i64 @strlen(ptr)

define i64 @len() {
  %n = call i64 @strlen(ptr @s)
  ret i64 %n
}
; FOLD: ret i64 3
; KEEP: call i64 @strlen
"""
LINES = TEXT.splitlines()


def _on(line: int, word: str) -> dict[str, int]:
    return {"line": line, "character": LINES[line].index(word) + 1}


async def _steps(client, uri: str, **params: object):
    return await client.protocol.send_request_async(
        "irlens/pipelineSteps", {"textDocument": {"uri": uri}, **params}
    )


@pytest.mark.parametrize(
    ("params", "folded"),
    [
        ({}, True),  # the file's first RUN line
        ({"runLine": 0}, True),
        ({"runLine": 1}, False),
        ({"position": _on(1, "instcombine")}, False),
        ({"position": _on(1, "RUN")}, False),
        ({"position": _on(1, "instcombine"), "pipeline": "instcombine"}, False),
        ({"runLine": 1, "pipeline": "instcombine", "function": "len"}, False),
        ({"pipeline": "instcombine"}, True),
    ],
)
async def test_steps_use_the_options_of_the_run_line_asked_for(client, params, folded) -> None:
    uri = "file:///tmp/irlens-test/steps-run-lines.ll"
    open_document(client, uri, TEXT)
    result = await _steps(client, uri, **params)
    assert result.error is None, result.error
    assert result.pipeline == "instcombine"
    assert ("ret i64 3" in result.final) is folded, result.final
    assert ("call i64 @strlen" in result.final) is not folded


async def test_a_run_line_that_is_not_there_is_an_error(client) -> None:
    uri = "file:///tmp/irlens-test/steps-run-lines-bad.ll"
    open_document(client, uri, TEXT)
    with pytest.raises(JsonRpcInvalidParams, match="there is no RUN line 5 \\(the file has 2\\)"):
        await _steps(client, uri, runLine=5)
    with pytest.raises(JsonRpcInvalidParams, match="runLine must be a RUN line's index"):
        await _steps(client, uri, runLine="1")


async def test_hover_on_the_second_line_uses_its_options(client) -> None:
    uri = "file:///tmp/irlens-test/hover-run-lines.ll"
    open_document(client, uri, TEXT)
    position = types.Position(**_on(1, "instcombine"))
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    assert hover is not None and "ret i64 3" not in hover.contents.value
    assert "@strlen" in hover.contents.value

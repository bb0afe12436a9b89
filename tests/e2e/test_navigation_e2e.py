"""The module index through a real LSP client: navigation, rename, hover on blocks, semantic
tokens, folding, selection, completion, the built-in checks and ``irlens/cfg``."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from lsp_server.syntax.tokens import TOKEN_TYPES
from tests.support.data import CORPUS
from tests.support.lsp_session import apply_edits, change_document, next_diagnostics, open_document

MODULE = """\
define i32 @f(i32 %n) {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %next, %loop ]
  %next = add i32 %i, 1
  %c = icmp slt i32 %next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret i32 %next
}
"""
URI = "file:///tmp/irlens-test/nav.ll"
DOC = types.TextDocumentIdentifier(uri=URI)


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def opened(client, text: str = MODULE, uri: str = URI) -> None:
    open_document(client, uri, text)
    await next_diagnostics(client, uri)


async def test_definition_references_and_highlights_of_a_local(client) -> None:
    await opened(client)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=DOC, position=pos(6, 22))
    )
    assert isinstance(found, types.Location) and found.range.start == pos(5, 2)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=DOC,
            position=pos(5, 3),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert sorted(r.range.start.line for r in refs) == [4, 6, 9]
    marks = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=DOC, position=pos(9, 11))
    )
    writes = [h.range.start.line for h in marks if h.kind == types.DocumentHighlightKind.Write]
    assert writes == [5] and len(marks) == 4


async def test_rename_a_block_then_refuse_a_collision(client) -> None:
    await opened(client)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=DOC, position=pos(3, 1))
    )
    assert prepared is not None and prepared.placeholder == "%loop"
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=DOC, position=pos(3, 1), new_name="body")
    )
    renamed = apply_edits(MODULE, edit.changes[URI])
    assert "\nbody:\n" in renamed and "label %body, label %exit" in renamed
    assert "[ %next, %body ]" in renamed
    # The renamed module is still valid: llvm-as and the checks say nothing.
    change_document(client, URI, 2, renamed)
    assert await next_diagnostics(client, URI) == []
    with pytest.raises(JsonRpcException, match="already defined"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=DOC, position=pos(5, 3), new_name="%i")
        )


async def test_hover_on_a_block_and_a_value(client) -> None:
    await opened(client)
    block = await client.text_document_hover_async(
        types.HoverParams(text_document=DOC, position=pos(3, 1))
    )
    assert block is not None
    text = block.contents.value
    assert "predecessors: `%entry`, `%loop`" in text and "loop depth 1" in text
    assert "immediate dominator: `%entry`" in text
    value = await client.text_document_hover_async(
        types.HoverParams(text_document=DOC, position=pos(6, 3))
    )
    assert value is not None and "`i1`" in value.contents.value


async def test_semantic_tokens_full_and_range(client) -> None:
    await opened(client)
    full = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=DOC)
    )
    decoded = []
    line = col = 0
    data = full.data
    for i in range(0, len(data), 5):
        line += data[i]
        col = data[i + 1] if data[i] else col + data[i + 1]
        decoded.append((line, col, data[i + 2], TOKEN_TYPES[data[i + 3]]))
    lines = MODULE.split("\n")
    kinds = {lines[ln][c : c + n]: kind for ln, c, n, kind in decoded}
    assert kinds["%n"] == "parameter" and kinds["loop"] == "label" and kinds["phi"] == "keyword"
    ranged = await client.text_document_semantic_tokens_range_async(
        types.SemanticTokensRangeParams(
            text_document=DOC, range=types.Range(start=pos(4, 0), end=pos(5, 0))
        )
    )
    assert 0 < len(ranged.data) < len(full.data)
    assert ranged.data[0] == 4  # the first token is on line 4


async def test_folding_selection_and_completion(client) -> None:
    await opened(client)
    folds = await client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=DOC)
    )
    assert (0, 10) in [(f.start_line, f.end_line) for f in folds]
    chosen = await client.text_document_selection_range_async(
        types.SelectionRangeParams(text_document=DOC, positions=[pos(5, 4)])
    )
    assert chosen[0].range == types.Range(start=pos(5, 2), end=pos(5, 7))
    assert chosen[0].parent is not None
    text = MODULE.replace("  ret i32 %next", "  ret i32 %")
    change_document(client, URI, 2, text)
    items = await client.text_document_completion_async(
        types.CompletionParams(text_document=DOC, position=pos(9, 11))
    )
    labels = {item.label: item.detail for item in items.items}
    assert labels["%next"] == "i32" and labels["%c"] == "i1" and "%n" in labels


async def test_built_in_checks_report_every_undefined_value(client) -> None:
    broken = MODULE.replace("%next, %n", "%nope, %n").replace("ret i32 %next", "ret i32 %gone")
    open_document(client, URI, broken)
    found = await next_diagnostics(client, URI)
    codes = [(d.code, d.range.start.line) for d in found if d.source == "irlens (checks)"]
    assert codes == [("undefined-value", 6), ("undefined-value", 9)]


async def test_cfg_request(client) -> None:
    await opened(client)
    answer = await client.protocol.send_request_async(
        "irlens/cfg", {"textDocument": {"uri": URI}, "position": {"line": 4, "character": 0}}
    )
    assert answer.function == "f"
    assert [b.name for b in answer.blocks] == ["%entry", "%loop", "%exit"]
    assert [(e.source, e.target, e.label, e.back) for e in answer.edges] == [
        (0, 1, "", False),
        (1, 1, "T", True),
        (1, 2, "F", False),
    ]
    assert answer.loops[0].header == 1
    assert "digraph" in answer.dot


async def test_assembly_labels_navigate(client) -> None:
    uri = "file:///tmp/irlens-test/nav.s"
    asm = sorted((CORPUS / "asm" / "x86_64").glob("*.s"))[0].read_text()
    open_document(client, uri, asm, language_id="asm")
    await next_diagnostics(client, uri)
    lines = asm.split("\n")
    use = next(i for i, line in enumerate(lines) if line.startswith("\t.globl\t"))
    name = lines[use].split("\t")[2]
    found = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=pos(use, len(".globl") + 3),
        )
    )
    assert isinstance(found, types.Location)
    assert lines[found.range.start.line].startswith(name + ":")

"""Rename in an assembly document through a real LSP client: prepareRename answers the
label's range and name, rename edits every occurrence, and a refusal is an error answer
(RequestFailed with the reason), never an internal error."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.support.data import CORPUS
from tests.support.lsp_session import apply_edits, change_document, next_diagnostics, open_document

URI = "file:///tmp/irlens-test/rename.s"
DOC = types.TextDocumentIdentifier(uri=URI)
_REQUEST_FAILED = -32803


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
async def test_prepare_rename_and_rename_a_function(client, arch: str) -> None:
    text = sorted((CORPUS / "asm" / arch).glob("*.s"))[0].read_text()
    open_document(client, URI, text, language_id="asm")
    assert await next_diagnostics(client, URI) == []
    lines = text.split("\n")
    use = next(i for i, line in enumerate(lines) if line.startswith("\t.globl\t"))
    name = lines[use].split("\t")[2].split()[0]
    at = pos(use, len("\t.globl\t") + 1)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=DOC, position=at)
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == name
    assert prepared.range.start == pos(use, len("\t.globl\t"))
    assert prepared.range.end == pos(use, len("\t.globl\t") + len(name))
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=DOC, position=at, new_name="renamed_fn")
    )
    assert edit is not None and edit.changes is not None
    renamed = apply_edits(text, edit.changes[URI])
    assert "\nrenamed_fn:" in renamed and "\t.size\trenamed_fn, .Lfunc_end0-renamed_fn" in renamed
    assert f"\n{name}:" not in renamed
    # The renamed file still assembles: llvm-mc reports nothing.
    change_document(client, URI, 2, renamed)
    assert await next_diagnostics(client, URI) == []


async def test_refusals_are_error_answers(client) -> None:
    text = sorted((CORPUS / "asm" / "aarch64").glob("*.s"))[0].read_text()
    open_document(client, URI, text, language_id="asm")
    await next_diagnostics(client, URI)
    lines = text.split("\n")
    directive = next(i for i, line in enumerate(lines) if line.startswith("\t.globl\t"))
    with pytest.raises(JsonRpcException, match="is a directive") as refused:
        await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=DOC, position=pos(directive, 2))
        )
    assert refused.value.code == _REQUEST_FAILED
    at = pos(directive, len("\t.globl\t") + 1)
    for new_name, reason in [
        ("x0", "is a register on aarch64"),
        ("", "is empty"),
        ("a b", "not a plain"),
    ]:
        with pytest.raises(JsonRpcException, match=reason) as refused:
            await client.text_document_rename_async(
                types.RenameParams(text_document=DOC, position=at, new_name=new_name)
            )
        assert refused.value.code == _REQUEST_FAILED
    # The session goes on: the same position still renames.
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=DOC, position=at, new_name="fine")
    )
    assert edit is not None and edit.changes is not None and edit.changes[URI]

"""Diagnostics, symbols and go to definition through a real LSP client."""

from __future__ import annotations

from lsprotocol import types

from tests.support.data import CORPUS, EXAMPLES
from tests.support.lsp_session import change_document, next_diagnostics, open_document

EXAMPLE = EXAMPLES / "example.ll"
BROKEN = "define i32 @f(i32 %x) {\n  %y = add i32 %x, 1\n  bogus %y\n  ret i32 %y\n}\n"


async def test_broken_ir_gets_a_diagnostic_that_clears_when_fixed(client) -> None:
    uri = "file:///tmp/irlens-test/broken.ll"
    open_document(client, uri, BROKEN)
    found = await next_diagnostics(client, uri)
    assert len(found) == 1
    assert found[0].range.start == types.Position(line=2, character=2)
    assert found[0].range.end == types.Position(line=2, character=7)
    assert "expected instruction opcode" in found[0].message
    assert found[0].severity == types.DiagnosticSeverity.Error

    change_document(client, uri, 2, BROKEN.replace("  bogus %y\n", ""))
    assert await next_diagnostics(client, uri) == []


async def test_assembly_errors_from_llvm_mc(client) -> None:
    uri = "file:///tmp/irlens-test/broken.s"
    asm = sorted((CORPUS / "asm" / "x86_64").glob("*.s"))[0].read_text()
    lines = asm.splitlines()
    lines.insert(5, "\tmovq\t%rax, %nosuchreg")
    open_document(client, uri, "\n".join(lines) + "\n", language_id="asm")
    found = await next_diagnostics(client, uri)
    assert [d.range.start.line for d in found] == [5]
    assert "register" in found[0].message


async def test_valid_files_get_no_diagnostics(client) -> None:
    uri = EXAMPLE.as_uri()
    open_document(client, uri, EXAMPLE.read_text())
    assert await next_diagnostics(client, uri) == []


async def test_document_symbols_list_functions_and_globals(client) -> None:
    uri = EXAMPLE.as_uri()
    open_document(client, uri, EXAMPLE.read_text())
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    names = [s.name for s in symbols]
    assert {"@crc32", "@scale_samples", "@main"} <= set(names)
    crc = next(s for s in symbols if s.name == "@crc32")
    assert crc.kind == types.SymbolKind.Function
    text_lines = EXAMPLE.read_text().splitlines()
    assert text_lines[crc.range.start.line].startswith("define")
    assert text_lines[crc.range.end.line] == "}"


async def test_go_to_definition_of_a_called_function(client) -> None:
    uri = EXAMPLE.as_uri()
    text = EXAMPLE.read_text()
    open_document(client, uri, text)
    lines = text.splitlines()
    call_line = next(i for i, line in enumerate(lines) if "call" in line and "@crc32" in line)
    col = lines[call_line].index("@crc32") + 2
    location = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=call_line, character=col),
        )
    )
    assert isinstance(location, types.Location)
    assert lines[location.range.start.line].startswith("define")
    assert "@crc32(" in lines[location.range.start.line]


async def test_garbage_and_empty_files_keep_the_server_serving(client) -> None:
    garbage = "\x00\x01\x02ÿþ" * 100 + "\nnot ir at all {{{\n"
    uri = "file:///tmp/irlens-test/garbage.ll"
    open_document(client, uri, garbage)
    found = await next_diagnostics(client, uri)
    assert found and found[0].severity == types.DiagnosticSeverity.Error
    empty = "file:///tmp/irlens-test/empty.ll"
    open_document(client, empty, "")
    assert await next_diagnostics(client, empty) == []
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols == []


async def test_the_outline_follows_every_version(client) -> None:
    """The outline of a version is kept for the editor's repeated asks; an edit gets a new
    one, and closing drops it."""
    uri = "file:///tmp/irlens-test/outline-versions.ll"
    text = "define void @first() {\n  ret void\n}\n"
    open_document(client, uri, text)
    ask = types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    first = await client.text_document_document_symbol_async(ask)
    assert [s.name for s in first] == ["@first"]
    assert [s.name for s in await client.text_document_document_symbol_async(ask)] == ["@first"]
    change_document(client, uri, 2, text.replace("@first", "@second"))
    assert [s.name for s in await client.text_document_document_symbol_async(ask)] == ["@second"]
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    open_document(client, uri, text.replace("@first", "@third"))
    assert [s.name for s in await client.text_document_document_symbol_async(ask)] == ["@third"]

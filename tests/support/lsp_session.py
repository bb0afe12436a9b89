"""Helpers for end-to-end LSP tests: the server command, initialize params, documents.

The server runs as a real subprocess (`python -m lsp_server serve`), so everything goes
through JSON-RPC over stdio exactly as in an editor. Tests wait for notifications; they
never sleep.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

CLIENTS = ["visual-studio-code", "neovim@v0.11.0"]
SERVER = [sys.executable, "-m", "lsp_server", "serve", "--no-cache"]


def initialize_params(
    client_name: str, options: dict[str, Any] | None = None
) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities(client_name),
        initialization_options=options or {},
        root_uri=Path.cwd().as_uri(),
    )


def open_document(client: LanguageClient, uri: str, text: str, language_id: str = "llvm") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language_id, version=1, text=text
            )
        )
    )


def change_document(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def next_diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """Wait for the next publishDiagnostics for ``uri``."""
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            return list(params.diagnostics)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """What an editor does with the edits (ASCII text, so any position encoding)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(position: types.Position) -> int:
        return offsets[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text

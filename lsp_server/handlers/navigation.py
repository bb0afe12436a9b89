"""LSP wiring of navigation: ``textDocument/documentSymbol`` and ``textDocument/definition``
(:mod:`lsp_server.features.symbols`)."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lsp_server.features import diagnostics, symbols
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.session import IrlensServer


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the outline and go-to-definition to ``server``."""

    # Outlining a huge file takes seconds of CPU: it runs in a thread so that the event loop
    # keeps serving other requests meanwhile.
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: IrlensServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        document = ls.workspace.get_text_document(params.text_document.uri)
        kind = diagnostics.document_kind(document.uri, document.language_id)
        if kind is None:
            return []
        work = asyncio.to_thread(symbols.document_symbols, document.source, kind, ls.encoding)
        return await ls.guarded("document symbols", work, [])

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: IrlensServer, params: types.DefinitionParams) -> types.Location | None:
        document = ls.workspace.get_text_document(params.text_document.uri)
        work = asyncio.to_thread(
            symbols.definition, document.source, document.uri, params.position, ls.encoding
        )
        return await ls.guarded("definition", work, None)

    return []

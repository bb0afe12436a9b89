"""LSP wiring of navigation: ``textDocument/documentSymbol`` and ``textDocument/definition``
(:mod:`lsp_server.features.symbols`)."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from lsp_server.features import documents as boundary
from lsp_server.features import symbols
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.session import IrlensServer


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the outline and go-to-definition to ``server``."""

    # Outlining a huge file takes seconds of CPU: it runs in a thread so that the event loop
    # keeps serving other requests meanwhile, within a size budget and a count of symbols.
    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(
        ls: IrlensServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        snapshot = await ls.document(params.text_document.uri)
        if snapshot.kind is None:
            return []
        limits = ls.settings.limits
        too_large = boundary.too_large(
            snapshot.text, "the outline", limits.symbols_megabytes, "symbolsMegabytes"
        )
        if too_large is not None:
            ls.tell(too_large, types.MessageType.Warning)
            return []
        most = limits.max_symbols
        work = asyncio.to_thread(
            symbols.document_symbols, snapshot.text, snapshot.kind, ls.encoding, most + 1
        )
        found = await ls.guarded("document symbols", work, [])
        if len(found) > most:
            ls.tell(
                f"irlens: the outline of {snapshot.uri} shows its first {most} symbols "
                "(setting irlens.limits.maxSymbols)",
                types.MessageType.Info,
            )
            del found[most:]
        ls.ensure_current(snapshot)
        return found

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: IrlensServer, params: types.DefinitionParams) -> types.Location | None:
        snapshot = await ls.document(params.text_document.uri)
        if snapshot.kind != "ir":
            return None
        work = asyncio.to_thread(
            symbols.definition, snapshot.text, snapshot.uri, params.position, ls.encoding
        )
        found = await ls.guarded("definition", work, None)
        ls.ensure_current(snapshot)
        return found

    return []

"""LSP wiring of documents and settings: ``initialize``, ``initialized``, configuration
changes, and a document's open, change, save and close (diagnostics are scheduled by the
session, :class:`~lsp_server.session.IrlensServer`)."""

from __future__ import annotations

import logging

from lsprotocol import types

from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.session import IrlensServer

log = logging.getLogger(__name__)


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the document lifecycle and settings handlers to ``server``."""

    @server.feature(types.INITIALIZE)
    def initialize(ls: IrlensServer, params: types.InitializeParams) -> None:
        ls.apply_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: IrlensServer, params: types.InitializedParams) -> None:
        for warm_up in ls.on_initialized:
            ls.spawn(ls.guarded("warm-up", warm_up(), None))
        services = await ls.services()
        for feature in ("diagnostics for .ll", "preview", "suggest"):
            problem = services.toolchain.problem_for(feature)
            if problem:
                ls.tell(f"irlens: {problem}", types.MessageType.Warning)
        if services.backend is not None:
            await ls.guarded("model check", services.backend.check(), None)
        await ls.send_status()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: IrlensServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if params.settings is None or params.settings == {}:
            return
        ls.apply_settings(params.settings)
        await ls.send_status()
        for uri in list(ls.workspace.text_documents):
            ls.schedule_diagnostics(uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: IrlensServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule_diagnostics(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: IrlensServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.forget_extra_diagnostics(params.text_document.uri)
        delay = ls.settings.diagnostics.debounce_ms / 1000
        ls.schedule_diagnostics(params.text_document.uri, delay=delay)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: IrlensServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule_diagnostics(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: IrlensServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget_document(uri)
        for forget in ls.on_close:
            try:
                forget(uri)
            except Exception:
                log.exception("irlens: a feature failed to forget %s", uri)
        ls.clear_diagnostics(uri)

    return []

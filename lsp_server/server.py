"""The language server: state on a LanguageServer subclass, handlers wired by create_server().

Architecture invariant: no feature logic here. Handlers read the document, call a function in
``lsp_server.features`` and return its lsprotocol values; every feature call is guarded so an
unexpected exception is logged with the feature's name and the session goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server import __version__, config
from lsp_server.features import diagnostics, symbols
from lsp_server.llvm.toolchain import MissingToolError
from lsp_server.services import Services, build_services

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Custom notification: the LLVM and model backend state, for status bars.
STATUS_NOTIFICATION = "irlens/status"


class IrlensServer(LanguageServer):
    """Holds the settings, the services built from them, and per-document work in flight."""

    def __init__(self, *, with_cache: bool = True) -> None:
        super().__init__(
            "irlens",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.settings = config.Settings()
        self.with_cache = with_cache
        self._services: asyncio.Future[Services] | None = None
        self._diagnostic_tasks: dict[str, asyncio.Task[None]] = {}
        self._told: set[str] = set()
        self._background: set[asyncio.Future[Any]] = set()
        # Diagnostics features publish beside the tools' (e.g. a lift's failed functions):
        # uri -> feature -> diagnostics, merged into every publish for that uri.
        self._extra_diagnostics: dict[str, dict[str, list[types.Diagnostic]]] = {}
        #: Called with a document's URI when it closes, so features drop its work in flight.
        self.on_close: list[Callable[[str], Any]] = []

    # -- services -----------------------------------------------------------------------

    def apply_settings(self, data: Any, *, base: config.Settings | None = None) -> None:
        """Take new settings; invalid values are reported and replaced by defaults."""
        self.settings, problems = config.from_dict(data, base)
        for problem in problems:
            self.tell(problem, types.MessageType.Warning)
        old = self._services
        self._services = asyncio.ensure_future(
            asyncio.to_thread(build_services, self.settings, with_cache=self.with_cache)
        )
        if old is not None:
            old.add_done_callback(self._close_services)

    def _close_services(self, future: asyncio.Future[Services]) -> None:
        """Close the model client of services that were replaced."""
        if future.cancelled() or future.exception() is not None:
            return
        backend = future.result().backend
        if backend is not None:
            self.spawn(backend.aclose())

    def spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        """Run ``work`` in the background, keeping a reference until it is done."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def services(self) -> Services:
        if self._services is None:
            self.apply_settings(None)
        assert self._services is not None
        return await asyncio.shield(self._services)

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    # -- talking to the user --------------------------------------------------------------

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """Show ``message`` once per session (repeats are logged only)."""
        log.log(logging.WARNING if kind <= types.MessageType.Warning else logging.INFO, message)
        if message in self._told:
            return
        self._told.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    async def send_status(self) -> None:
        services = await self.services()
        self.protocol.notify(STATUS_NOTIFICATION, status_payload(services))

    async def guarded(self, feature: str, work: Awaitable[T], default: T) -> T:
        """Run a feature; a missing tool is told once, anything unexpected is logged."""
        try:
            return await work
        except asyncio.CancelledError:
            raise
        except MissingToolError as err:
            self.tell(f"irlens {feature}: {err}", types.MessageType.Warning)
        except Exception:
            log.exception("irlens %s failed", feature)
        return default

    # -- diagnostics ----------------------------------------------------------------------

    def schedule_diagnostics(self, uri: str, *, delay: float) -> None:
        """(Re)check a document after ``delay`` seconds; a newer request cancels this one."""
        previous = self._diagnostic_tasks.pop(uri, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.ensure_future(self._diagnose(uri, delay))
        self._diagnostic_tasks[uri] = task
        task.add_done_callback(lambda t: self._forget(uri, t))

    def _forget(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._diagnostic_tasks.get(uri) is task:
            del self._diagnostic_tasks[uri]

    async def _diagnose(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        services = await self.services()
        document = self.workspace.get_text_document(uri)
        kind = diagnostics.document_kind(uri, document.language_id)
        if kind is None:
            return
        version, text = document.version, document.source
        found: list[types.Diagnostic] = []
        try:
            if services.settings.diagnostics.enabled:
                folders = [*self.workspace.folders, self.workspace.root_uri or ""]
                roots = diagnostics.include_roots(uri, folders)
                found = await diagnostics.diagnose(text, kind, services, self.encoding, roots=roots)
        except MissingToolError as err:
            self.tell(diagnostics.missing_tool_message(kind, err), types.MessageType.Warning)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("irlens diagnostics failed for %s", uri)
            return
        if self.workspace.get_text_document(uri).version != version:
            return  # the document changed meanwhile; a newer check is on its way
        found += self.extra_diagnostics(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )

    async def set_extra_diagnostics(
        self, uri: str, feature: str, found: list[types.Diagnostic]
    ) -> None:
        """Keep ``feature``'s diagnostics for ``uri`` and publish them with the tools' now.

        They last until the document changes, since their lines go stale then.
        """
        self._extra_diagnostics.setdefault(uri, {})[feature] = list(found)
        pending = self._diagnostic_tasks.pop(uri, None)
        if pending is not None:
            pending.cancel()
        await self._diagnose(uri, 0)

    def extra_diagnostics(self, uri: str) -> list[types.Diagnostic]:
        return [d for found in self._extra_diagnostics.get(uri, {}).values() for d in found]

    def forget_extra_diagnostics(self, uri: str) -> None:
        self._extra_diagnostics.pop(uri, None)

    def clear_diagnostics(self, uri: str) -> None:
        task = self._diagnostic_tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


def status_payload(services: Services) -> dict[str, Any]:
    """What ``irlens/status`` carries: the LLVM in use and the model backend's state."""
    toolchain = services.toolchain
    backend = services.backend
    return {
        "version": __version__,
        "llvm": {
            "version": toolchain.version_text if toolchain.tools else None,
            "source": toolchain.source,
            "tools": {name: tool.path for name, tool in toolchain.tools.items()},
        },
        "model": {
            "state": backend.state.value if backend is not None else "unconfigured",
            "name": backend.model_name if backend is not None else None,
            "detail": backend.detail if backend is not None else "LLVM-only mode",
        },
    }


def create_server(*, with_cache: bool = True) -> IrlensServer:
    """Build a server with every feature wired. Tests build their own variants."""
    server = IrlensServer(with_cache=with_cache)
    _register_documents(server)
    _register_navigation(server)
    _register_commands(server)
    _register_feature_handlers(server)
    return server


def _register_documents(server: IrlensServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: IrlensServer, params: types.InitializeParams) -> None:
        ls.apply_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: IrlensServer, params: types.InitializedParams) -> None:
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
        ls.forget_extra_diagnostics(uri)
        for forget in ls.on_close:
            try:
                forget(uri)
            except Exception:
                log.exception("irlens: a feature failed to forget %s", uri)
        ls.clear_diagnostics(uri)


def _register_navigation(server: IrlensServer) -> None:
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


def _register_commands(server: IrlensServer) -> None:
    @server.command("irlens.doctor")
    async def doctor(ls: IrlensServer, *args: Any) -> dict[str, Any]:
        from lsp_server.doctor import collect

        services = await ls.services()
        report = await collect(services)
        return report.to_json()


def _register_feature_handlers(server: IrlensServer) -> None:
    """Hover, code actions, lifting: each feature module wires its own handlers."""
    from lsp_server import handlers

    for register in handlers.registrars():
        register(server)

"""The session: one editor's server state on a pygls ``LanguageServer`` subclass.

:class:`IrlensServer` holds the settings, the services built from them, and the per-document
work in flight (debounced diagnostics, features' own diagnostics merged into every publish,
``on_close`` hooks). It registers no handlers: ``server.py`` wires them, from ``handlers/``,
which import this module at their top (no import cycle: nothing here imports a handler).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcContentModified,
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcRequestCancelled,
)
from pygls.lsp.server import LanguageServer

from lsp_server import __version__, config
from lsp_server.analysis import DocumentIndexes, TooLarge
from lsp_server.features import diagnostics
from lsp_server.features import documents as boundary
from lsp_server.features.documents import Snapshot
from lsp_server.features.status import STATUS_NOTIFICATION, status_payload
from lsp_server.llvm.toolchain import MissingToolError
from lsp_server.offload import run_sized
from lsp_server.rpc import IrlensProtocol
from lsp_server.services import Services, build_services

log = logging.getLogger(__name__)

#: Distinct messages remembered as shown (a message seen again is then only logged).
_MAX_TOLD = 512

T = TypeVar("T")


#: The errors answered on purpose, logged in one line: arguments the client got wrong
#: (``features/arguments.py``), a document that changed under a request, a superseded one.
_ANSWERED = {
    JsonRpcInvalidParams: "InvalidParams",
    JsonRpcContentModified: "ContentModified",
    JsonRpcRequestCancelled: "RequestCancelled",
}


class QuietInvalidParams(logging.Filter):
    """Logs an error answered on purpose in one line instead of with a traceback.

    pygls logs every error it answers with the exception's traceback. Arguments a client got
    wrong are its mistake, answered to it with a message naming the field
    (``features/arguments.py``); a request whose document changed is answered
    ``ContentModified``: a traceback in the server's log would say the server broke.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        name = next((n for kind, n in _ANSWERED.items() if isinstance(error, kind)), None)
        if isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError):
            # Any other error a handler raised on purpose (e.g. RequestFailed for a rename
            # with no name under the cursor) is an answer too.
            name = name or f"error {error.code}"
        if error is not None and name is not None:
            message = getattr(error, "message", str(error))
            record.msg, record.args = f"answered {name}: %s", (message,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


#: The filter on the logger of pygls' JSON-RPC layer, which logs the answered errors.
QUIET_INVALID_PARAMS = QuietInvalidParams()


class IrlensServer(LanguageServer):
    """Holds the settings, the services built from them, and per-document work in flight."""

    def __init__(self, *, with_cache: bool = True) -> None:
        super().__init__(
            "irlens",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=IrlensProtocol,
        )
        pygls_log = logging.getLogger("pygls.protocol.json_rpc")
        if QUIET_INVALID_PARAMS not in pygls_log.filters:
            pygls_log.addFilter(QUIET_INVALID_PARAMS)
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
        # uri -> (the workspace's text it was made from, the snapshot): one per version.
        self._snapshots: dict[str, tuple[str, Snapshot]] = {}
        self._status: dict[str, Any] | None = None
        #: Started in the background once the client is initialized: features' warm-ups,
        #: so that the first request does not pay for imports and tool start-up.
        self.on_initialized: list[Callable[[], Awaitable[Any]]] = []
        #: The module index of each open IR document, built off the event loop.
        self.indexes = DocumentIndexes()

    # -- services -----------------------------------------------------------------------

    def apply_settings(self, data: Any, *, base: config.Settings | None = None) -> None:
        """Take new settings; invalid values are reported and replaced by defaults."""
        self.settings, problems = config.from_dict(data, base)
        self.indexes.limit_bytes = int(self.settings.limits.index_megabytes * 2**20)
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
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Future[Any]) -> None:
        """Retrieve a background task's exception, logging it once (never "never retrieved")."""
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("irlens: background work failed", exc_info=task.exception())

    async def services(self) -> Services:
        if self._services is None:
            self.apply_settings(None)
        assert self._services is not None
        return await asyncio.shield(self._services)

    # -- documents ------------------------------------------------------------------------

    async def document(self, uri: str) -> Snapshot:
        """The document ``uri`` as every handler reads it (``features/documents.py``).

        An open document's current version, lone surrogates replaced (made once per
        version); a document the client never opened is read from disk. Raises
        ``InvalidParams`` naming the URI when there is none (the handler's answer).
        """
        opened = self.workspace.text_documents.get(unquote(uri))
        if opened is None:
            limit = int(self.settings.limits.document_megabytes * 1_000_000)
            try:
                return await asyncio.to_thread(boundary.read_unopened, uri, limit)
            except boundary.DocumentError as err:
                raise err.to_jsonrpc() from None
        raw = opened.source
        kept = self._snapshots.get(uri)
        if kept is not None and kept[0] is raw and kept[1].version == opened.version:
            return kept[1]
        made = boundary.snapshot_of(uri, opened.version, raw, opened.language_id)
        self._snapshots[uri] = (raw, made)
        return made

    def is_current(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` is still the document's version (always, for a disk read)."""
        if snapshot.version is None:
            return True
        opened = self.workspace.text_documents.get(unquote(snapshot.uri))
        return opened is not None and opened.version == snapshot.version

    def ensure_current(self, snapshot: Snapshot) -> None:
        """Raise ``ContentModified`` (-32801) when the document changed or closed meanwhile.

        LSP asks a server to answer a request whose document changed either for the current
        version or with this error, never with a silent null.
        """
        if not self.is_current(snapshot):
            raise JsonRpcContentModified(
                f"irlens: {snapshot.uri} changed while the request was answered; ask again"
            )

    def forget_document(self, uri: str) -> None:
        """Drop what is kept for a closed document."""
        self._snapshots.pop(uri, None)
        self.forget_extra_diagnostics(uri)

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    # -- talking to the user --------------------------------------------------------------

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """Show ``message`` once per session (repeats are logged only)."""
        log.log(logging.WARNING if kind <= types.MessageType.Warning else logging.INFO, message)
        if message in self._told:
            return
        if len(self._told) >= _MAX_TOLD:
            self._told.clear()  # messages can name documents: they must not pile up
        self._told.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    async def send_status(self) -> None:
        """Send ``irlens/status`` (after initialisation and every settings change)."""
        services = await self.services()
        self._send_status(status_payload(services))

    def _send_status(self, payload: dict[str, Any]) -> None:
        self._status = payload
        self.protocol.notify(STATUS_NOTIFICATION, payload)

    def refresh_status(self) -> None:
        """Send ``irlens/status`` again if the state a request observed changed since the
        last one (the model server went away or came back): once per change."""
        future = self._services
        if self._status is None or future is None or not future.done():
            return
        if future.cancelled() or future.exception() is not None:
            return
        payload = status_payload(future.result())
        if payload != self._status:
            self._send_status(payload)

    async def guarded(self, feature: str, work: Awaitable[T], default: T) -> T:
        """Run a feature; a missing tool is told once, anything unexpected is logged."""
        try:
            return await work
        except (asyncio.CancelledError, JsonRpcException):
            raise  # a cancellation, or an error answered on purpose (ContentModified, ...)
        except MissingToolError as err:
            self.tell(f"irlens {feature}: {err}", types.MessageType.Warning)
        except Exception:
            log.exception("irlens %s failed", feature)
        finally:
            self.refresh_status()
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
        if unquote(uri) not in self.workspace.text_documents:
            return  # closed meanwhile: its empty diagnostics went out on close
        snapshot = await self.document(uri)
        if snapshot.kind is None:
            return
        found = await self.check_diagnostics(uri, snapshot.version, snapshot.text, snapshot.kind)
        found = await self._check(snapshot, services) + found
        if not self.is_current(snapshot):
            return  # the document changed meanwhile; a newer check is on its way
        found = boundary.surrogate_diagnostics(snapshot, self.encoding) + found
        found += self.extra_diagnostics(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=snapshot.version)
        )

    async def _check(self, snapshot: Snapshot, services: Services) -> list[types.Diagnostic]:
        """The tools' diagnostics; a failure or a budget is one diagnostic, never nothing.

        Every final version gets a publication: a check that failed (a tool killed, a
        timeout) says so at the top of the file instead of leaving the last one standing.
        """
        if not services.settings.diagnostics.enabled:
            return []
        assert snapshot.kind is not None
        limits = services.settings.limits
        too_large = boundary.too_large(
            snapshot.text, "diagnostics", limits.diagnostics_megabytes, "diagnosticsMegabytes"
        )
        if too_large is not None:
            return [boundary.notice(too_large, types.DiagnosticSeverity.Information)]
        folders = [*self.workspace.folders, self.workspace.root_uri or ""]
        roots = diagnostics.include_roots(snapshot.uri, folders)
        try:
            return await diagnostics.diagnose(
                snapshot.text, snapshot.kind, services, self.encoding, roots=roots
            )
        except MissingToolError as err:
            self.tell(
                diagnostics.missing_tool_message(snapshot.kind, err), types.MessageType.Warning
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.exception("irlens diagnostics failed for %s", snapshot.uri)
            return [boundary.notice(f"irlens could not check this document: {err}")]
        return []

    async def check_diagnostics(
        self, uri: str, version: int | None, text: str, kind: str
    ) -> list[types.Diagnostic]:
        """The module index's built-in checks (IR only), computed off the event loop."""
        if kind != "ir" or not self.settings.diagnostics.enabled:
            return []
        from lsp_server.features.navigation import check_diagnostics

        try:
            index = await self.indexes.get(uri, version, text)
        except TooLarge as err:
            # llvm-as still checks it; say once why the built-in checks do not.
            self.tell(f"irlens: {err}", types.MessageType.Warning)
            return []
        work = run_sized(len(index.text), check_diagnostics, index, self.encoding)
        return await self.guarded("built-in checks", work, [])

    async def set_extra_diagnostics(
        self, uri: str, feature: str, found: list[types.Diagnostic]
    ) -> None:
        """Keep ``feature``'s diagnostics for ``uri`` and publish them with the tools' now.

        They last until the document changes, since their lines go stale then.
        """
        self._extra_diagnostics.setdefault(uri, {})[feature] = list(found)
        self.schedule_diagnostics(uri, delay=0)
        task = self._diagnostic_tasks.get(uri)
        if task is not None:
            # Waits without raising: a newer edit may cancel this check for its own.
            await asyncio.wait({task})

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

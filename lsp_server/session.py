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

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lsp_server import __version__, config
from lsp_server.features import diagnostics
from lsp_server.features.status import STATUS_NOTIFICATION, status_payload
from lsp_server.llvm.toolchain import MissingToolError
from lsp_server.services import Services, build_services

log = logging.getLogger(__name__)

#: Distinct messages remembered as shown (a message seen again is then only logged).
_MAX_TOLD = 512

T = TypeVar("T")


class QuietInvalidParams(logging.Filter):
    """Logs an ``InvalidParams`` answer in one line instead of with a traceback.

    pygls logs every error it answers with the exception's traceback. Arguments a client got
    wrong are its mistake, answered to it with a message naming the field
    (``features/arguments.py``): a traceback in the server's log would say the server broke.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, JsonRpcInvalidParams):
            record.msg, record.args = "answered InvalidParams: %s", (error.message,)
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
        if len(self._told) >= _MAX_TOLD:
            self._told.clear()  # messages can name documents: they must not pile up
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

"""The JSON-RPC boundary: a message whose params do not fit the LSP types is the client's
mistake, answered ``InvalidParams`` (-32602) in one log line, never a lost request.

pygls deserialises each message in ``json.loads``' ``object_hook``; when the params do not
fit (``position.line = "x"``, a missing ``range``), it logs the traceback and raises, and the
request is never answered. :class:`IrlensProtocol` answers such a request with an error that
names what did not fit, and drops such a notification with a warning.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import threading
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from lsp_server.features.status import STATUS_NOTIFICATION
from lsp_server.textsync import apply_change

log = logging.getLogger(__name__)


#: Answers with more items than this are turned into JSON off the event loop.
_BIG_RESULT = 2000


def _is_big(data: Any) -> bool:
    """Whether ``data`` is an answer whose JSON costs the loop a felt pause: a long list
    (symbols, references, folding ranges) or many semantic tokens."""
    result = getattr(data, "result", None)
    if isinstance(result, list):
        return len(result) > _BIG_RESULT
    tokens = getattr(result, "data", None)
    return isinstance(tokens, list) and len(tokens) > 5 * _BIG_RESULT


class _QueuedWriter:
    """pygls' stdout writer, written from one thread in the order of the messages.

    pygls writes and flushes stdout on the event loop: while a client is slow to read a
    big answer (or busy), every other request waited on that write. Here the loop only
    queues the bytes. ``close`` (on ``exit``) writes what is queued first.
    """

    def __init__(self, inner: StdoutWriter) -> None:
        self._inner = inner
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="irlens-stdout", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5.0)
        self._inner.close()  # type: ignore[no-untyped-call]

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            try:
                self._inner.write(data)
            except (OSError, ValueError):
                # The client is gone; its stdin's end stops the server. Nothing more to write.
                log.warning("irlens: the client stopped reading; answers are dropped")
                return


class _Rejected:
    """Stands for a message already answered (or dropped) at deserialisation."""

    jsonrpc = ""


def _reason(error: BaseException) -> str:
    """What did not fit, from cattrs' nested validation errors: the innermost messages."""
    found: list[str] = []

    def walk(err: BaseException, path: str) -> None:
        inner = getattr(err, "exceptions", None)
        if inner:
            for sub in inner:
                note = next(iter(getattr(sub, "__notes__", []) or []), "")
                walk(sub, f"{path} {note}".strip())
        elif len(found) < 3:
            found.append(f"{path}: {type(err).__name__}: {err}" if path else str(err))

    walk(error, "")
    return "; ".join(found) or type(error).__name__


class IrlensProtocol(LanguageServerProtocol):
    """pygls' LSP protocol, answering ill-typed params instead of losing the request."""

    def set_writer(self, writer: Any, include_headers: bool = True) -> None:
        if isinstance(writer, StdoutWriter):
            writer = _QueuedWriter(writer)
        super().set_writer(writer, include_headers)

    def structure_message(self, data: dict[str, Any]) -> Any:
        # Requests and notifications only: responses (to the server's own requests) and
        # nested objects go through pygls as they are.
        if "jsonrpc" not in data or "method" not in data or "error" in data:
            return super().structure_message(data)
        method = data["method"]
        if "id" in data:
            kind = self.get_message_type(method) or JsonRPCRequestMessage
        else:
            kind = self.get_message_type(method) or JsonRPCNotification
        try:
            return self._converter.structure(data, kind)
        except Exception as err:
            message = f"{method}: the params do not fit the protocol ({_reason(err)})"
            if "id" in data:
                log.info("answered InvalidParams: %s", message)
                error = JsonRpcInvalidParams(message).to_response_error()
                self._send_response(data["id"], error=error)
            else:
                log.warning("irlens dropped a notification: %s", message)
            return _Rejected()

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        """pygls' didChange, with the changes applied by :mod:`lsp_server.textsync` (whose
        cost is the edit's, not the document's: pygls rewrites every line on the loop)."""
        document = self.workspace.text_documents.get(unquote(params.text_document.uri))
        if document is None:
            log.warning("irlens: didChange for %s, which is not open", params.text_document.uri)
            return
        encoding = str(self.workspace.position_encoding or "utf-16")
        text = document.source
        for change in params.content_changes:
            text = apply_change(text, change, encoding)
        document._source = text  # pygls keeps an open document's text there
        document.version = params.text_document.version
        handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)
        if handler is not None:
            yield handler, (params,), None

    # Every answer and notification may follow a change of state a request observed (the
    # model server went away, or came back): the session re-sends ``irlens/status`` then.
    #: Set when the client said ``exit``: work still finishing then has no one to answer.
    exited = False

    def _send_data(self, data: Any) -> None:
        if self.exited:
            return  # stdout is closing: writing would only log tracebacks
        if _is_big(data) and self.writer is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None  # called from a worker thread: serialise there
            if loop is not None:
                # An answer of 20,000 symbols, or the tokens of a 10 MB module, takes 50 ms
                # to a second to turn into JSON: done in a thread, written when ready.
                future = loop.run_in_executor(None, self._encode, data)
                future.add_done_callback(functools.partial(self._write_encoded, data))
                return
        super()._send_data(data)
        self._after_send(data)

    def _encode(self, data: Any) -> bytes:
        body = json.dumps(data, default=self._serialize_message)
        header = (
            f"Content-Length: {len(body)}\r\n"
            f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        )
        return (header + body).encode(self.CHARSET)

    def _write_encoded(self, data: Any, future: asyncio.Future[bytes]) -> None:
        if self.exited or self.writer is None:
            return
        try:
            self.writer.write(future.result())
        except Exception as err:  # as pygls' _send_data: logged, and reported to the client
            log.exception("irlens: an answer could not be sent")
            self._server._report_server_error(err, JsonRpcInternalError)
            return
        self._after_send(data)

    def _after_send(self, data: Any) -> None:
        method = getattr(data, "method", None)
        is_request = method is not None and getattr(data, "id", None) is not None
        if method != STATUS_NOTIFICATION and not is_request:
            self._observed()  # an answer, or a notification other than the status

    def _observed(self) -> None:
        refresh = getattr(self._server, "refresh_status", None)
        if refresh is not None:
            try:
                refresh()
            except Exception:
                log.exception("irlens: the status could not be refreshed")

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Rejected):
            return
        if getattr(message, "method", None) == "exit":
            self.exited = True
        super().handle_message(message)

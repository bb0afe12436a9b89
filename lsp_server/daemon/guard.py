"""The daemon's edges below the routes: connection limits, low-level errors, Host and Origin.

aiohttp's defaults suit a public web server behind a proxy, not a model daemon a user
runs on a laptop: an hour of keep-alive, no limit on open connections (past the
open-file limit the accept loop fails on every attempt), plain-text answers and a
logged traceback for each malformed request. This module keeps the daemon's edges
small and quiet:

- :class:`GuardedSite` listens like ``web.TCPSite`` but answers connections over the
  limit with one 503 and closes them, logging once per episode, not per connection;
- :class:`JsonErrorHandler` answers what aiohttp's parser rejects (a bad request line,
  oversized headers) in OpenAI's error shape, with one log line;
- :func:`host_allowed` and :func:`origin_allowed` stop DNS rebinding and cross-origin
  posts from web pages reaching a key-less loopback daemon.

Idle and slow-header connections are closed by aiohttp's keep-alive timer, which the
server sets to the header timeout (aiohttp arms it when a connection opens, and it
fires while no complete request has arrived).
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from lsp_server.daemon.options import is_loopback

logger = logging.getLogger(__name__)

#: File descriptors kept free under the open-file limit for the model, logs and refusals.
FD_MARGIN = 32


def _error_bytes(status: int, reason: str, message: str, code: str) -> bytes:
    body = json.dumps(
        {
            "error": {
                "message": message,
                "type": "invalid_request_error" if status < 500 else "server_error",
                "code": code,
                "param": None,
            }
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


class _Refusal(asyncio.Protocol):
    """A connection over the limit: one 503 in OpenAI's shape, then closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(
            _error_bytes(
                503,
                "Service Unavailable",
                "too many open connections; retry shortly",
                "too_many_connections",
            )
        )
        transport.close()


class JsonErrorHandler(RequestHandler):
    """aiohttp's connection handler, answering its own errors as OpenAI-style JSON."""

    __slots__ = ()

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """One log line and a JSON body instead of a traceback and plain text."""
        reason = message or (str(exc) if exc else None) or "bad request"
        # One line, no traceback: a malformed request is the client's problem.
        logger.warning(
            "rejected a malformed HTTP request from %s: %d %s",
            getattr(request, "remote", None),
            status,
            reason.splitlines()[0][:200],
        )
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already started; closing the connection")
        kind = "invalid_request_error" if status < 500 else "server_error"
        text = reason if status < 500 else "internal error"
        response = web.json_response(
            {"error": {"message": text, "type": kind, "code": str(status), "param": None}},
            status=status,
        )
        response.force_close()
        return response


def connection_limit(configured: int) -> int:
    """``configured``, lowered to stay under the process's open-file limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return configured
    return max(1, min(configured, soft - FD_MARGIN))


class GuardedSite(web.TCPSite):
    """A ``web.TCPSite`` with a limit on open connections and JSON low-level errors."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, limit: int) -> None:
        super().__init__(runner, host, port)
        self.limit = limit
        self.refused = 0
        self._refusing = False

    def _protocol(self) -> asyncio.Protocol:
        server = self._runner.server
        assert server is not None
        if len(server.connections) >= self.limit:
            self.refused += 1
            if not self._refusing:
                self._refusing = True
                logger.warning(
                    "%d connections are open, the limit: refusing new ones with 503 "
                    "until some close (logged once)",
                    self.limit,
                )
            return _Refusal()
        if self._refusing:
            self._refusing = False
            logger.info("accepting connections again (%d refused so far)", self.refused)
        handler = server()
        # Same object, same slots; only handle_error differs.
        handler.__class__ = JsonErrorHandler
        return handler

    async def start(self) -> None:
        """Listen; like ``TCPSite.start`` but through :meth:`_protocol`."""
        self._runner._reg_site(self)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self._host, self._port)
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port


def _hostname(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8787`` -> ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def host_allowed(host: str | None, *, bound: str, keyed: bool, allowed: tuple[str, ...]) -> bool:
    """Whether a request's ``Host`` may be served.

    A key-less daemon (which only binds loopback) answers only requests addressed to a
    loopback name: a page whose own name was re-pointed at 127.0.0.1 (DNS rebinding)
    sends its own name. A keyed daemon is protected by its key and accepts any name.
    """
    if keyed or "*" in allowed or not host:
        return True
    name = _hostname(host)
    if name in allowed or host in allowed:
        return True
    if is_loopback(bound):
        return is_loopback(name)
    return name == bound.strip("[]").lower()


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """Requests from web pages carry ``Origin``; only the configured ones are served."""
    return origin is None or "*" in allowed or origin.rstrip("/") in allowed

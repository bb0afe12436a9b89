"""The HTTP side: an aiohttp application speaking OpenAI's completions API.

Routes: ``POST /v1/completions``, ``GET /v1/models``, ``GET /health`` (public: status and
the served name only), ``GET /status`` (what is loaded where, the queue), ``GET /metrics``.
Every error, expected or not, is answered as OpenAI-style JSON and never stops the
server; a request whose client disconnects is cancelled (aiohttp cancels the handler,
and the handler cancels the request in the scheduler). Connection limits, timeouts and
the Host and Origin checks are in :mod:`.guard`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from lsp_server.daemon.guard import GuardedSite, connection_limit, host_allowed, origin_allowed
from lsp_server.daemon.intake import check_prompt, read_json
from lsp_server.daemon.loader import LoadedModel, load_model
from lsp_server.daemon.metrics import DaemonMetrics
from lsp_server.daemon.options import is_loopback
from lsp_server.daemon.protocol import (
    ApiError,
    SamplingParams,
    context_error,
    parse_completion_request,
)
from lsp_server.daemon.responses import Responder
from lsp_server.daemon.runners import make_runner
from lsp_server.daemon.scheduler import QueueFullError, Scheduler
from lsp_server.daemon.sequence import Group
from lsp_server.daemon.settings import DaemonSettings

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error_response(error: ApiError) -> web.Response:
    response = web.json_response(error.body(), status=error.status)
    if error.status in (408, 413):
        # The rest of the body is still on the wire: the connection cannot be reused.
        response.force_close()
    return response


class DaemonServer:
    """The daemon's HTTP server around one loaded model."""

    def __init__(self, loaded: LoadedModel, settings: DaemonSettings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.started = int(time.time())
        self.port: int | None = None
        self._names = {settings.model_name, settings.model}
        self._runner: web.AppRunner | None = None
        self.batch = make_runner(loaded, settings)
        self.metrics = DaemonMetrics(
            queue_depth=lambda: self.scheduler.queue_depth,
            running=lambda: self.scheduler.running,
        )
        self.scheduler = Scheduler(
            self.batch,
            self.metrics,
            decode=loaded.decode,
            eos_ids=loaded.eos_ids,
            max_batch_size=settings.max_batch_size,
            batch_window_s=settings.batch_window_ms / 1000,
            max_queue=settings.max_queue,
            max_prefill_tokens=settings.max_prefill_tokens,
            # Fixed slots are allocated up front: the budget is already spent on them.
            kv_budget_tokens=None if settings.compile else loaded.kv_budget_tokens,
            detokenizer=loaded.detokenizer,
        )
        self.site: GuardedSite | None = None
        self._responder = Responder(settings.model_name)

    # -- lifecycle -------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application with its routes and middlewares."""
        app = web.Application(
            client_max_size=self.settings.max_body_bytes,
            middlewares=[self._errors, self._origin, self._auth],
        )
        app.router.add_post("/v1/completions", self.completions)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/health", self.health)
        app.router.add_get("/status", self.status)
        app.router.add_get("/metrics", self.prometheus)
        return app

    def warm_up(self) -> None:
        """Generate a few tokens before serving: the first pass allocates, picks kernels
        and, with ``--compile``, compiles the batch-1 step (other batch sizes compile when
        first used), none of which a user's request should wait for.
        """
        started = time.perf_counter()
        group = Group(
            key=-1,
            prompt_ids=self.loaded.encode(["warm up"])[0],
            params=SamplingParams(max_tokens=4, temperature=0, ignore_eos=True),
            first_index=0,
            n=1,
            decode=self.loaded.decode,
            eos_ids=self.loaded.eos_ids,
            detokenizer=self.loaded.detokenizer,
        )
        self.batch.step([group], set())
        while self.batch.num_rows:
            self.batch.step([], set())
        logger.info("warmed up in %.1f s", time.perf_counter() - started)

    async def start(self) -> None:
        """Warm up, start the scheduler and listen; sets :attr:`port` (useful with port 0)."""
        await asyncio.to_thread(self.warm_up)
        self.scheduler.start()
        # handler_cancellation: a client that disconnects cancels its handler, which
        # cancels its generation, so an abandoned request stops using the device.
        # keepalive_timeout: aiohttp arms it when a connection opens and whenever one is
        # idle, so it also closes connections that never finish sending their headers.
        self._runner = web.AppRunner(
            self.app(),
            handler_cancellation=True,
            access_log=None,
            keepalive_timeout=self.settings.header_timeout_s,
        )
        await self._runner.setup()
        limit = connection_limit(self.settings.max_connections)
        site = GuardedSite(self._runner, self.settings.host, self.settings.port, limit=limit)
        await site.start()
        self.site = site
        addresses = self._runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.settings.port
        logger.info(
            "serving %s on http://%s:%d/v1 (OpenAI-compatible completions)%s",
            self.settings.model_name,
            self.settings.host,
            self.port,
            "" if is_loopback(self.settings.host) else ", API key required",
        )

    async def close(self) -> None:
        """Stop listening and fail the requests still in flight."""
        if self._runner is not None:
            await self._runner.cleanup()
        await self.scheduler.close()

    # -- middlewares -----------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            self.metrics.errors.inc()
            return _error_response(error)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            self.metrics.errors.inc()
            kind = "invalid_request_error" if exc.status < 500 else "server_error"
            return _error_response(
                ApiError(exc.status, exc.reason, type=kind, code=str(exc.status))
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("unexpected error answering %s %s", request.method, request.path)
            self.metrics.errors.inc()
            return _error_response(ApiError(500, f"internal error: {exc}", type="server_error"))

    @web.middleware
    async def _origin(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        settings = self.settings
        if not host_allowed(
            request.headers.get("Host"),
            bound=settings.host,
            keyed=bool(settings.api_key),
            allowed=settings.allowed_hosts,
        ):
            raise ApiError(
                403,
                "requests must be addressed to the daemon's own address (the Host header "
                "names another one); allow it with --allowed-host",
                code="host_not_allowed",
            )
        if not origin_allowed(request.headers.get("Origin"), settings.allowed_origins):
            raise ApiError(
                403,
                "requests from web pages (with an Origin header) are refused; allow an "
                "origin with --allowed-origin",
                code="origin_not_allowed",
            )
        return await handler(request)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        key = self.settings.api_key
        if key and request.path != "/health":
            given = request.headers.get("Authorization", "")
            scheme, _, token = given.partition(" ")
            # aiohttp keeps undecodable header bytes as surrogates: compare them as bytes.
            sent = token.strip().encode("utf-8", "surrogateescape")
            if scheme.lower() != "bearer" or not hmac.compare_digest(sent, key.encode()):
                raise ApiError(
                    401,
                    "missing or incorrect API key: send `Authorization: Bearer <key>`",
                    code="invalid_api_key",
                )
        return await handler(request)

    # -- routes ----------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        """Liveness, public: the status and the served name, never a filesystem path."""
        return web.json_response({"status": "ok", "model": self._public_name()})

    def _public_name(self) -> str:
        name = self.settings.model_name
        if self.settings.served_model_name is None and Path(name).exists():
            # A local checkpoint: its directory name, not where it lives.
            return Path(name).name
        return name

    async def status(self, request: web.Request) -> web.Response:
        """What is loaded where, and the queue (behind the key, unlike ``/health``)."""
        site = self.site
        return web.json_response(
            {
                "status": "ok",
                "model": self.settings.model_name,
                "model_loaded": True,
                "device": str(self.loaded.device),
                "dtype": str(self.loaded.dtype).removeprefix("torch."),
                "context_limit": self.loaded.context_limit,
                "max_batch_size": self.settings.max_batch_size,
                "queue_depth": self.scheduler.queue_depth,
                "running_sequences": self.scheduler.running,
                "requests_cancelled": int(self.metrics.cancelled.get()),
                "prompt_lookup": self.settings.prompt_lookup,
                "connection_limit": site.limit if site else None,
                "connections_refused": site.refused if site else 0,
            }
        )

    async def models(self, request: web.Request) -> web.Response:
        """The one served model, in OpenAI's list format."""
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {
                        "id": self.settings.model_name,
                        "object": "model",
                        "created": self.started,
                        "owned_by": "irlens",
                        "max_model_len": self.loaded.context_limit,
                        # What the checkpoint is, so clients can tell two checkpoints
                        # served under one name apart (their cache keys use it).
                        "root": self.settings.model,
                        "fingerprint": self.loaded.fingerprint,
                    }
                ],
            }
        )

    async def prometheus(self, request: web.Request) -> web.Response:
        """Counters, gauges and histograms in the Prometheus text format."""
        return web.Response(text=self.metrics.render(), content_type="text/plain", charset="utf-8")

    async def completions(self, request: web.Request) -> web.StreamResponse:
        """``POST /v1/completions``."""
        body = await read_json(request, self.settings)
        limit = self.loaded.context_limit
        req = parse_completion_request(
            body, max_n=self.settings.max_batch_size, max_tokens_limit=limit
        )
        if req.unknown_keys:
            logger.warning("ignoring unknown request fields: %s", ", ".join(req.unknown_keys))
        if req.model is not None and req.model not in self._names:
            raise ApiError(
                404,
                f"model {req.model!r} does not exist; this daemon serves "
                f"{self.settings.model_name!r}",
                code="model_not_found",
                param="model",
            )
        if len(req.prompts) > self.settings.max_queue:
            raise ApiError(
                400,
                f"at most {self.settings.max_queue} prompts per request",
                code="invalid_value",
                param="prompt",
            )
        for prompt in req.prompts:
            check_prompt(self.loaded, prompt, req.sampling.max_tokens)
        loop = asyncio.get_running_loop()
        try:
            prompt_ids = await loop.run_in_executor(None, self.loaded.encode, list(req.prompts))
        except Exception as exc:
            # Text the tokenizer rejects (a lone surrogate, say) is the client's problem.
            raise ApiError(
                400, f"the prompt could not be tokenized: {exc}", param="prompt"
            ) from None
        for ids in prompt_ids:
            if not ids:
                raise ApiError(400, "the prompt is empty", code="invalid_value", param="prompt")
            if len(ids) + req.sampling.max_tokens > limit:
                raise context_error(len(ids), req.sampling.max_tokens, limit)
        try:
            handle = self.scheduler.submit(prompt_ids, req.n, req.sampling)
        except QueueFullError:
            raise ApiError(
                429,
                "too many requests are waiting; retry shortly",
                type="server_overloaded",
                code="queue_full",
            ) from None
        try:
            if req.stream:
                return await self._responder.stream(request, req, handle)
            return await self._responder.collect(req, handle)
        finally:
            # Reached with the handle still live only when the client went away
            # (cancellation) or the response could not be written.
            self.scheduler.cancel(handle)


async def start_daemon(loaded: LoadedModel, settings: DaemonSettings) -> DaemonServer:
    """Start a daemon around an already loaded model (tests and benchmarks use this)."""
    daemon = DaemonServer(loaded, settings)
    await daemon.start()
    return daemon


async def serve(
    settings: DaemonSettings,
    *,
    started: Callable[[DaemonServer], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Load the model and serve until ``stop`` is set (or SIGINT/SIGTERM), then shut down.

    ``started`` is called once the server listens; tests and benchmarks use it and
    ``stop`` to run the daemon exactly as ``irlens daemon`` does, on a free port.
    """
    loaded = await asyncio.to_thread(
        load_model,
        settings.model,
        revision=settings.revision,
        dtype=settings.dtype,
        device=settings.device,
        threads=settings.threads,
    )
    daemon = await start_daemon(loaded, settings)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Outside the main thread or a Unix loop this fails; Ctrl-C still interrupts.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    try:
        if started is not None:
            started(daemon)
        await stop.wait()
    finally:
        logger.info("shutting down")
        await daemon.close()

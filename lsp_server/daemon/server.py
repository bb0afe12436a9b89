"""The HTTP side: an aiohttp application speaking OpenAI's completions API.

Routes: ``POST /v1/completions``, ``GET /v1/models``, ``GET /health``, ``GET /metrics``.
Every error, expected or not, is answered as OpenAI-style JSON and never stops the
server; a request whose client disconnects is cancelled (aiohttp cancels the handler,
and the handler cancels the request in the scheduler).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from lsp_server.daemon.batch import BatchRunner
from lsp_server.daemon.loader import LoadedModel, load_model
from lsp_server.daemon.metrics import DaemonMetrics
from lsp_server.daemon.options import DaemonSettings, is_loopback
from lsp_server.daemon.protocol import (
    ApiError,
    CompletionRequest,
    SamplingParams,
    context_error,
    parse_completion_request,
)
from lsp_server.daemon.scheduler import QueueFullError, RequestHandle, Scheduler
from lsp_server.daemon.sequence import Group

logger = logging.getLogger(__name__)

#: A 16k-token prompt is about 64 KB; lists of prompts may be larger.
MAX_BODY_BYTES = 64 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status)


class DaemonServer:
    """The daemon's HTTP server around one loaded model."""

    def __init__(self, loaded: LoadedModel, settings: DaemonSettings) -> None:
        self.loaded = loaded
        self.settings = settings
        self.started = int(time.time())
        self.port: int | None = None
        self._names = {settings.model_name, settings.model}
        self._runner: web.AppRunner | None = None
        self.batch = BatchRunner(
            loaded.model,
            device=loaded.device,
            pad_id=loaded.pad_id,
            prompt_lookup=settings.prompt_lookup,
            draft_tokens=settings.draft_tokens,
            # torch.compile cannot trace the in-place cache growth.
            grow_cache_in_place=not settings.compile,
        )
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
            kv_budget_tokens=loaded.kv_budget_tokens,
        )

    # -- lifecycle -------------------------------------------------------------------

    def app(self) -> web.Application:
        """The aiohttp application with its routes and middlewares."""
        app = web.Application(
            client_max_size=MAX_BODY_BYTES, middlewares=[self._errors, self._auth]
        )
        app.router.add_post("/v1/completions", self.completions)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/health", self.health)
        app.router.add_get("/metrics", self.prometheus)
        return app

    def warm_up(self) -> None:
        """Generate a few tokens before serving: the first pass allocates, picks kernels
        and, with ``--compile``, compiles, none of which a user's request should wait for.
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
        self._runner = web.AppRunner(self.app(), handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
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
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        key = self.settings.api_key
        if key and request.path != "/health":
            given = request.headers.get("Authorization", "")
            scheme, _, token = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), key.encode()
            ):
                raise ApiError(
                    401,
                    "missing or incorrect API key: send `Authorization: Bearer <key>`",
                    code="invalid_api_key",
                )
        return await handler(request)

    # -- routes ----------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        """Liveness and what is loaded where."""
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
        raw = await request.read()
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(
                400, f"the request body is not valid JSON: {exc}", code="invalid_json"
            ) from None
        limit = self.loaded.context_limit
        req = parse_completion_request(
            body, max_n=self.settings.max_batch_size, max_tokens_limit=limit
        )
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
                return await self._stream(request, req, handle)
            return await self._collect(req, handle)
        finally:
            # Reached with the handle still live only when the client went away
            # (cancellation) or the response could not be written.
            self.scheduler.cancel(handle)

    def _envelope(self, request_id: str, created: int) -> dict[str, Any]:
        return {
            "id": request_id,
            "object": "text_completion",
            "created": created,
            "model": self.settings.model_name,
        }

    def _usage(self, handle: RequestHandle) -> dict[str, int]:
        completion = handle.completion_tokens
        return {
            "prompt_tokens": handle.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": handle.prompt_tokens + completion,
        }

    async def _collect(self, req: CompletionRequest, handle: RequestHandle) -> web.Response:
        choices = len(req.prompts) * req.n
        texts = [""] * choices
        reasons: list[str | None] = [None] * choices
        async for event in handle.events():
            texts[event.index] += event.text
            if event.finish_reason is not None:
                reasons[event.index] = event.finish_reason
        body = self._envelope(f"cmpl-{uuid.uuid4().hex}", int(time.time()))
        body["choices"] = [
            {"index": i, "text": texts[i], "finish_reason": reasons[i], "logprobs": None}
            for i in range(choices)
        ]
        body["usage"] = self._usage(handle)
        return web.json_response(body)

    async def _stream(
        self, request: web.Request, req: CompletionRequest, handle: RequestHandle
    ) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        envelope = self._envelope(f"cmpl-{uuid.uuid4().hex}", int(time.time()))

        async def send(payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            await response.write(f"data: {data}\n\n".encode())

        try:
            try:
                async for event in handle.events():
                    choice = {
                        "index": event.index,
                        "text": event.text,
                        "finish_reason": event.finish_reason,
                        "logprobs": None,
                    }
                    await send({**envelope, "choices": [choice]})
            except ApiError as error:
                # Headers are gone already: report the failure in the stream itself.
                await send(error.body())
            else:
                if req.include_usage:
                    await send({**envelope, "choices": [], "usage": self._usage(handle)})
            await send("[DONE]")
            await response.write_eof()
        except ConnectionResetError:
            # The client hung up; the caller cancels the request. Nothing to answer.
            logger.debug("streaming client went away")
        return response


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
        compile=settings.compile,
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

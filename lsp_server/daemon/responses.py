"""Answering a completion: one JSON body, or a stream of server-sent events.

Both follow OpenAI's legacy completions format: a ``text_completion`` envelope, one
choice per (prompt, sample), ``usage`` at the end (in a stream only when the client
asked with ``stream_options.include_usage``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from aiohttp import web

from lsp_server.daemon.protocol import ApiError, CompletionRequest
from lsp_server.daemon.scheduler import RequestHandle

logger = logging.getLogger(__name__)


class Responder:
    """Turns a request handle's events into the HTTP answer."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def _envelope(self, request_id: str, created: int) -> dict[str, Any]:
        return {
            "id": request_id,
            "object": "text_completion",
            "created": created,
            "model": self.model_name,
        }

    def _usage(self, handle: RequestHandle) -> dict[str, int]:
        completion = handle.completion_tokens
        return {
            "prompt_tokens": handle.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": handle.prompt_tokens + completion,
        }

    async def collect(self, req: CompletionRequest, handle: RequestHandle) -> web.Response:
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

    async def stream(
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

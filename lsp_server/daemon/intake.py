"""Reading a completion request before it reaches the model: size, time, depth, text.

Everything here answers a bad request with an :class:`ApiError` before any expensive
work: the body is bounded in bytes (413) and in time (408), its JSON in nesting depth,
and each prompt is checked against the context with a bound that needs no tokenising.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from lsp_server.daemon.loader import LoadedModel
from lsp_server.daemon.protocol import ApiError
from lsp_server.daemon.settings import DaemonSettings


async def read_json(request: web.Request, settings: DaemonSettings) -> object:
    """The body as JSON: bounded in size and in time, and in nesting depth."""
    size = request.content_length
    if size is not None and size > settings.max_body_bytes:
        raise ApiError(
            413,
            f"the request body is {size} bytes; at most {settings.max_body_bytes} are accepted",
            code="request_too_large",
        )
    try:
        async with asyncio.timeout(settings.body_timeout_s):
            raw = await request.read()
    except TimeoutError:
        raise ApiError(
            408,
            f"the request body did not arrive within {settings.body_timeout_s:g} s",
            code="request_timeout",
        ) from None
    try:
        return json.loads(raw)
    except RecursionError:
        raise ApiError(400, "the request body is nested too deeply", code="invalid_json") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            400, f"the request body is not valid JSON: {exc}", code="invalid_json"
        ) from None


def check_prompt(loaded: LoadedModel, prompt: str, max_tokens: int) -> None:
    """Refuse a prompt that cannot fit, or is not text, before it is tokenised.

    Tokenising megabytes takes seconds and gigabytes; the longest token of the
    vocabulary bounds how few tokens a prompt can have, which is enough to refuse
    one that is far too long at once.
    """
    limit = loaded.context_limit
    at_least = loaded.min_prompt_tokens(prompt)
    if at_least + max_tokens > limit:
        raise ApiError(
            400,
            f"This model's maximum context length is {limit} tokens, however your prompt "
            f"alone has at least {at_least} tokens ({len(prompt)} characters) and "
            f"{max_tokens} are asked for the completion. Please reduce your prompt or "
            "completion length.",
            code="context_length_exceeded",
            param="prompt",
        )
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiError(
            400,
            f"the prompt is not valid text: a lone UTF-16 surrogate "
            f"({prompt[exc.start]!r}) at character {exc.start}",
            code="invalid_value",
            param="prompt",
        ) from None

"""Every kind of bad request gets a 4xx with an OpenAI-style error, and the daemon lives on."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.daemon import RunningDaemon

BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("not an object", [1, 2], 400, "JSON object"),
    ("no prompt", {"max_tokens": 3}, 400, "'prompt' is required"),
    ("prompt of wrong type", {"prompt": 3}, 400, "'prompt' must be"),
    ("empty prompt list", {"prompt": []}, 400, "empty list"),
    ("token-id prompt", {"prompt": [1, 2, 3]}, 400, "token-id prompts"),
    (
        "max_tokens a string",
        {"prompt": "x", "max_tokens": "9"},
        400,
        "'max_tokens' must be an integer",
    ),
    (
        "max_tokens a bool",
        {"prompt": "x", "max_tokens": True},
        400,
        "'max_tokens' must be an integer",
    ),
    ("max_tokens zero", {"prompt": "x", "max_tokens": 0}, 400, "'max_tokens' must be between"),
    (
        "max_tokens over the context",
        {"prompt": "x", "max_tokens": 10**9},
        400,
        "between 1 and 4096",
    ),
    ("negative temperature", {"prompt": "x", "temperature": -0.5}, 400, "'temperature' must be in"),
    ("temperature too high", {"prompt": "x", "temperature": 7}, 400, "'temperature' must be in"),
    ("top_p zero", {"prompt": "x", "top_p": 0}, 400, "'top_p' must be in (0, 1]"),
    ("n zero", {"prompt": "x", "n": 0}, 400, "'n' must be between"),
    ("n over the batch size", {"prompt": "x", "n": 1000}, 400, "'n' must be between 1 and 16"),
    ("stop of wrong type", {"prompt": "x", "stop": 5}, 400, "'stop' must be"),
    ("empty stop string", {"prompt": "x", "stop": [""]}, 400, "must not be empty"),
    ("stream not a bool", {"prompt": "x", "stream": "yes"}, 400, "'stream' must be a boolean"),
    ("seed a float", {"prompt": "x", "seed": 1.5}, 400, "'seed' must be an integer"),
    ("seed out of range", {"prompt": "x", "seed": 2**70}, 400, "'seed' must be between"),
    ("unsupported echo", {"prompt": "x", "echo": True}, 400, "'echo' is not supported"),
    ("unsupported logprobs", {"prompt": "x", "logprobs": 2}, 400, "'logprobs' is not supported"),
    ("unknown model", {"prompt": "x", "model": "gpt-4"}, 404, "does not exist"),
    ("too many prompts", {"prompt": ["x"] * 300}, 400, "at most 256 prompts"),
]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [pytest.param(b, s, m, id=name) for name, b, s, m in BAD_BODIES],
)
async def test_bad_body_is_a_clear_4xx(
    daemon: RunningDaemon, body: Any, status: int, message: str
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{daemon.url}/v1/completions", json=body)
        assert response.status_code == status
        error = response.json()["error"]
        assert message in error["message"]
        assert error["type"] == "invalid_request_error"
        # The daemon still answers.
        assert (await client.get(f"{daemon.url}/health")).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"\xff\xfe\x00", b'{"prompt": "x"'],
    ids=["syntax", "empty", "binary", "truncated"],
)
async def test_malformed_json_is_a_400(daemon: RunningDaemon, raw: bytes) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{daemon.url}/v1/completions",
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_json"


async def test_unknown_route_and_wrong_method_are_json_errors(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient() as client:
        missing = await client.get(f"{daemon.url}/v1/chat/nothing")
        assert missing.status_code == 404
        assert "error" in missing.json()
        wrong = await client.get(f"{daemon.url}/v1/completions")
        assert wrong.status_code == 405
        assert "error" in wrong.json()


async def test_a_prompt_the_tokenizer_rejects_is_a_400(daemon: RunningDaemon) -> None:
    # A lone surrogate is valid JSON but not encodable text.
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{daemon.url}/v1/completions",
            content=b'{"prompt": "a\\ud800b"}',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400
        message = response.json()["error"]["message"]
        # Said in words, not the tokenizer's internal TypeError.
        assert "lone UTF-16 surrogate" in message
        assert "character 1" in message

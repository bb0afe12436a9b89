"""The OpenAI-compatible client against the FAKE server: states, answers, retries, errors."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from lsp_server.config import ModelSettings
from lsp_server.model.client import (
    BackendState,
    Completion,
    ModelBackend,
    ModelError,
    OpenAIClient,
    backend_from_settings,
    normalize_base_url,
)
from lsp_server.model.prompts import (
    CODE_STOP,
    PASS_LIST_STOP,
    parse_emulation,
    parse_pass_list,
    pass_list_prompt,
)
from tests.support.openai_fake import FakeHTTPError, FakeOpenAIServer

EMULATION_ANSWER = (
    " The LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n"
    "<code>define i32 @add(i32 %0, i32 %1) {\n  %3 = add nsw i32 %1, %0\n  ret i32 %3\n}\n"
    "</code>"
)
PASS_LIST_ANSWER = (
    " -p 'module(default<Oz>),function(instcombine,simplifycfg)'\n\n"
    "And the LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n"
    "<code>define i32 @add(i32 %0, i32 %1) {\n  ret i32 %0\n}\n</code>"
)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(lambda prompt, body: EMULATION_ANSWER) as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAIServer) -> AsyncIterator[OpenAIClient]:
    # A tiny backoff keeps retry tests fast; the schedule itself is the client's.
    backend = OpenAIClient(fake.url, backoff=0.001)
    yield backend
    await backend.aclose()


def _free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- state and model choice ----------------------------------------------------------------


async def test_check_picks_the_first_model_and_is_ready(fake: FakeOpenAIServer) -> None:
    fake.models = ["facebook/llm-compiler-7b-ftd", "facebook/llm-compiler-13b-ftd"]
    backend = OpenAIClient(fake.url)
    assert isinstance(backend, ModelBackend)
    assert backend.state is BackendState.CONNECTING
    assert await backend.check() is BackendState.READY
    assert backend.model_name == "facebook/llm-compiler-7b-ftd"
    assert backend.detail == f"ready: facebook/llm-compiler-7b-ftd at {fake.url}"
    assert fake.gets == ["/v1/models"]
    await backend.aclose()


async def test_a_named_model_is_kept_even_when_not_listed(fake: FakeOpenAIServer) -> None:
    backend = OpenAIClient(fake.url, model="facebook/llm-compiler-13b-ftd")
    assert await backend.check() is BackendState.READY
    assert backend.model_name == "facebook/llm-compiler-13b-ftd"
    assert "not in the server's list: fake-llm-compiler" in backend.detail
    await backend.complete("p", max_tokens=8)
    assert fake.requests[-1]["model"] == "facebook/llm-compiler-13b-ftd"
    await backend.aclose()


async def test_complete_asks_for_the_models_list_when_no_model_is_named(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    await client.complete("p", max_tokens=8)
    assert fake.gets == ["/v1/models"]
    assert fake.requests[0]["model"] == "fake-llm-compiler"
    assert client.state is BackendState.READY


async def test_server_without_models_is_unavailable(fake: FakeOpenAIServer) -> None:
    fake.models = []
    backend = OpenAIClient(fake.url)
    assert await backend.check() is BackendState.UNAVAILABLE
    assert backend.detail == f"unavailable: model server at {fake.url} serves no models"
    with pytest.raises(ModelError, match="serves no models"):
        await backend.complete("p", max_tokens=8)
    await backend.aclose()


def test_an_empty_url_is_unconfigured() -> None:
    backend = OpenAIClient("")
    assert backend.state is BackendState.UNCONFIGURED
    assert "LLVM-only" in backend.detail
    with pytest.raises(ModelError, match="no model server configured"):
        asyncio.run(backend.complete("p", max_tokens=1))


# --- completions ---------------------------------------------------------------------------


async def test_complete_returns_the_answer_and_sends_the_parameters(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    completion = await client.complete("the prompt", max_tokens=512, seed=7)
    assert completion == Completion(
        texts=(EMULATION_ANSWER,),
        finish_reasons=("stop",),
        model="fake-llm-compiler",
        prompt_tokens=2,  # the fake counts 4 characters a token
        completion_tokens=round(len(EMULATION_ANSWER) / 4),
    )
    body = fake.requests[0]
    assert body["prompt"] == "the prompt"
    assert (body["max_tokens"], body["temperature"], body["n"], body["seed"]) == (512, 0.0, 1, 7)
    assert "stop" not in body
    assert not body.get("stream")


async def test_n_samples_come_back_in_order(client: OpenAIClient, fake: FakeOpenAIServer) -> None:
    fake.responder = lambda prompt, body: ["-p 'sroa'", "-p 'instcombine'", "-p 'gvn'"]
    completion = await client.complete("p", max_tokens=16, n=3, temperature=0.7)
    assert completion.texts == ("-p 'sroa'", "-p 'instcombine'", "-p 'gvn'")
    assert completion.finish_reasons == ("stop", "stop", "stop")
    assert fake.requests[0]["n"] == 3
    assert fake.requests[0]["temperature"] == 0.7


async def test_the_pass_list_stop_strings_end_the_answer_after_the_pipeline(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    fake.responder = lambda prompt, body: PASS_LIST_ANSWER
    completion = await client.complete(
        pass_list_prompt("ret void"), max_tokens=64, stop=PASS_LIST_STOP
    )
    assert fake.requests[0]["stop"] == PASS_LIST_STOP
    assert "<code>" not in completion.texts[0]
    parsed = parse_pass_list(completion.texts[0], finish_reason=completion.finish_reasons[0])
    assert parsed.pipeline == "module(default<Oz>),function(instcombine,simplifycfg)"
    assert parsed.complete


async def test_the_code_stop_string_gives_a_complete_block(client: OpenAIClient) -> None:
    completion = await client.complete("p", max_tokens=512, stop=CODE_STOP)
    assert not completion.texts[0].endswith("</code>")
    parsed = parse_emulation(completion.texts[0], finish_reason=completion.finish_reasons[0])
    assert parsed.complete
    assert parsed.code is not None and parsed.code.endswith("ret i32 %3\n}\n")


async def test_a_length_cut_answer_is_incomplete(fake: FakeOpenAIServer) -> None:
    fake.chars_per_token = 1.0
    backend = OpenAIClient(fake.url)
    completion = await backend.complete("p", max_tokens=90)
    assert completion.finish_reasons == ("length",)
    assert len(completion.texts[0]) == 90
    assert not parse_emulation(completion.texts[0], finish_reason="length").complete
    await backend.aclose()


async def test_the_api_key_is_sent_as_a_bearer_token(fake: FakeOpenAIServer) -> None:
    fake.api_key = "s3cret"
    good = OpenAIClient(fake.url, api_key="s3cret")
    assert (await good.complete("p", max_tokens=4)).texts == (EMULATION_ANSWER,)
    bad = OpenAIClient(fake.url, api_key="wrong")
    assert await bad.check() is BackendState.UNAVAILABLE
    assert "answered 401" in bad.detail
    assert "check model.apiKey" in bad.detail
    await good.aclose()
    await bad.aclose()


# --- retries and errors --------------------------------------------------------------------


async def test_a_500_is_retried_until_it_succeeds(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    await client.check()
    fake.fail_next(500, times=2)
    completion = await client.complete("p", max_tokens=8)
    assert completion.texts == (EMULATION_ANSWER,)
    assert len(fake.requests) == 3
    assert client.state is BackendState.READY


async def test_a_429_is_retried(client: OpenAIClient, fake: FakeOpenAIServer) -> None:
    await client.check()
    fake.fail_next(429, message="too many requests")
    assert (await client.complete("p", max_tokens=8)).texts == (EMULATION_ANSWER,)
    assert len(fake.requests) == 2


async def test_persistent_500s_make_the_backend_unavailable_until_a_success(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    await client.check()
    fake.fail_next(500, times=3, message="CUDA out of memory")
    with pytest.raises(ModelError) as caught:
        await client.complete("p", max_tokens=8)
    assert str(caught.value) == "model server answered 500: CUDA out of memory"
    assert caught.value.status == 500
    assert len(fake.requests) == 3  # the first try and two retries
    assert client.state is BackendState.UNAVAILABLE
    assert client.detail == "unavailable: model server answered 500: CUDA out of memory"
    await client.complete("p", max_tokens=8)
    assert client.state is BackendState.READY


async def test_a_400_is_not_retried_and_its_message_is_shown(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    await client.check()
    fake.fail_next(400, times=3, message="prompt has 17000 tokens, limit 16384")
    with pytest.raises(ModelError) as caught:
        await client.complete("p", max_tokens=8)
    assert str(caught.value) == "model server answered 400: prompt has 17000 tokens, limit 16384"
    assert caught.value.status == 400
    assert len(fake.requests) == 1
    assert client.state is BackendState.READY  # the request was at fault, not the server


async def test_a_responder_error_reaches_the_user(
    client: OpenAIClient, fake: FakeOpenAIServer
) -> None:
    def refuse(prompt: str, body: dict[str, Any]) -> str:
        raise FakeHTTPError(422, "max_tokens must be at least 1")

    fake.responder = refuse
    with pytest.raises(
        ModelError, match=r"^model server answered 422: max_tokens must be at least 1$"
    ):
        await client.complete("p", max_tokens=8)


async def test_connection_refused_is_unavailable_with_a_clear_message() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    backend = OpenAIClient(url, retries=1, backoff=0.001)
    with pytest.raises(ModelError) as caught:
        await backend.complete("p", max_tokens=8)
    assert str(caught.value) == f"model server at {url} is not reachable: connection refused"
    assert caught.value.status is None
    assert backend.state is BackendState.UNAVAILABLE
    assert (
        backend.detail == f"unavailable: model server at {url} is not reachable: connection refused"
    )
    await backend.aclose()


async def test_a_server_that_comes_back_makes_the_backend_ready(fake: FakeOpenAIServer) -> None:
    backend = OpenAIClient(fake.url, model="m", retries=0)
    port = fake.port
    fake.stop()
    with pytest.raises(ModelError, match="not reachable"):
        await backend.complete("p", max_tokens=8)
    assert backend.state is BackendState.UNAVAILABLE
    with FakeOpenAIServer(lambda prompt, body: "back", port=port):
        assert (await backend.complete("p", max_tokens=8)).texts == ("back",)
    assert backend.state is BackendState.READY
    await backend.aclose()


async def test_a_timeout_is_reported_and_not_retried(fake: FakeOpenAIServer) -> None:
    backend = OpenAIClient(fake.url, model="m", timeout=0.2)
    fake.delay_seconds = 60.0  # ended by the fixture's stop()
    with pytest.raises(ModelError) as caught:
        await backend.complete("p", max_tokens=8)
    assert str(caught.value) == "model server timed out after 0.2 s"
    assert len(fake.requests) == 1
    await backend.aclose()


@pytest.mark.parametrize(
    "body",
    ["<html>Bad Gateway</html>", '{"id": 1}', '{"choices": [{"text": 5}]}', '{"choices": []}'],
)
async def test_a_body_that_is_not_a_completion(
    client: OpenAIClient, fake: FakeOpenAIServer, body: str
) -> None:
    await client.check()
    fake.garbage_body = body
    with pytest.raises(
        ModelError, match=r"^model server returned something that is not a completion$"
    ):
        await client.complete("p", max_tokens=8)


async def test_in_flight_requests_are_capped(fake: FakeOpenAIServer) -> None:
    entered = 0
    inside = 0
    most_inside = 0
    changed = threading.Condition()
    gate = threading.Semaphore(0)

    def responder(prompt: str, body: dict[str, Any]) -> str:
        nonlocal entered, inside, most_inside
        with changed:
            entered += 1
            inside += 1
            most_inside = max(most_inside, inside)
            changed.notify_all()
        gate.acquire(timeout=30)
        with changed:
            inside -= 1
        return prompt

    fake.responder = responder
    backend = OpenAIClient(fake.url, model="m", max_concurrent=2)
    tasks = [asyncio.create_task(backend.complete(f"p{i}", max_tokens=4)) for i in range(5)]

    def wait_for_entered(count: int) -> None:
        with changed:
            assert changed.wait_for(lambda: entered >= count, timeout=30)

    for released in range(5):
        # Two requests reach the server, and a third only once one of them is answered.
        await asyncio.to_thread(wait_for_entered, min(5, released + 2))
        gate.release()
    results = await asyncio.gather(*tasks)
    assert [c.texts for c in results] == [(f"p{i}",) for i in range(5)]
    assert most_inside == 2
    await backend.aclose()


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8787/v1", "http://127.0.0.1:8787/v1"),
        ("http://127.0.0.1:8787/v1/", "http://127.0.0.1:8787/v1"),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787/v1"),
        ("https://llm.example.com/", "https://llm.example.com/v1"),
        ("http://gpu-box:8000/openai", "http://gpu-box:8000/openai/v1"),
        ("127.0.0.1:8787", "http://127.0.0.1:8787/v1"),
        ("  ", ""),
    ],
)
def test_base_url_rule(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


def test_backend_from_settings() -> None:
    assert backend_from_settings(ModelSettings()) is None
    backend = backend_from_settings(
        ModelSettings(
            url="http://127.0.0.1:8787",
            name="facebook/llm-compiler-7b-ftd",
            api_key="k",
            timeout_seconds=30.0,
            max_concurrent=8,
        )
    )
    assert backend is not None
    assert backend.base_url == "http://127.0.0.1:8787/v1"
    assert backend.model_name == "facebook/llm-compiler-7b-ftd"
    assert backend.timeout == 30.0
    assert backend.state is BackendState.CONNECTING


async def test_cancelling_a_request_frees_its_slot(fake: FakeOpenAIServer) -> None:
    entered = threading.Event()
    gate = threading.Event()

    def responder(prompt: str, body: dict[str, Any]) -> str:
        entered.set()
        gate.wait(timeout=30)
        return "late"

    fake.responder = responder
    backend = OpenAIClient(fake.url, model="m", max_concurrent=1)
    task = asyncio.create_task(backend.complete("slow", max_tokens=8))
    assert await asyncio.to_thread(entered.wait, 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.set()
    assert (await backend.complete("next", max_tokens=8)).texts == ("late",)
    await backend.aclose()


def test_importing_the_model_package_loads_no_torch() -> None:
    code = (
        "import sys, lsp_server.model, lsp_server.model.prompts\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])

"""/v1/completions through HTTP against the tiny model: what a client of the daemon sees."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.support.daemon import RunningDaemon, metrics

PROMPTS = [
    "[INST] Tell me how to optimize this LLVM-IR for object file size:\n\n<code>",
    "define i32 @add(i32 %a, i32 %b) {\nentry:\n  %add = add nsw i32 %a, %b\n  ret i32 %add\n}\n",
    "x",
    "\t.text\n\t.globl\tadd\nadd:\n\tleal\t(%rdi,%rsi), %eax\n\tretq\n" * 3,
    'target triple = "x86_64-unknown-linux-gnu"\n',
    "; a comment\n",
]


async def complete(client: httpx.AsyncClient, daemon: RunningDaemon, **body: Any) -> dict[str, Any]:
    body.setdefault("model", daemon.name)
    response = await client.post(f"{daemon.url}/v1/completions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def greedy(client: httpx.AsyncClient, daemon: RunningDaemon, prompt: str, tokens: int) -> str:
    body = await complete(
        client, daemon, prompt=prompt, max_tokens=tokens, temperature=0, ignore_eos=True
    )
    text: str = body["choices"][0]["text"]
    return text


@pytest.fixture
async def client() -> Any:
    async with httpx.AsyncClient(timeout=120) as c:
        yield c


async def test_reply_has_the_openai_shape(client: httpx.AsyncClient, daemon: RunningDaemon) -> None:
    body = await complete(
        client, daemon, prompt=PROMPTS[1], max_tokens=7, temperature=0, ignore_eos=True
    )
    assert body["object"] == "text_completion"
    assert body["id"].startswith("cmpl-")
    assert isinstance(body["created"], int)
    assert body["model"] == daemon.name
    [choice] = body["choices"]
    assert choice["index"] == 0
    assert choice["finish_reason"] == "length"
    assert choice["logprobs"] is None
    usage = body["usage"]
    assert usage["completion_tokens"] == 7
    assert usage["prompt_tokens"] > 10
    assert usage["total_tokens"] == usage["prompt_tokens"] + 7


async def test_greedy_is_deterministic(client: httpx.AsyncClient, daemon: RunningDaemon) -> None:
    first = await greedy(client, daemon, PROMPTS[0], 40)
    second = await greedy(client, daemon, PROMPTS[0], 40)
    assert first == second
    assert first != ""


async def test_n_samples_share_a_prompt_and_differ(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    body = await complete(
        client,
        daemon,
        prompt=PROMPTS[1],
        n=4,
        max_tokens=12,
        temperature=1.0,
        seed=7,
        ignore_eos=True,
    )
    choices = body["choices"]
    assert [c["index"] for c in choices] == [0, 1, 2, 3]
    assert all(c["finish_reason"] == "length" for c in choices)
    assert len({c["text"] for c in choices}) > 1
    assert body["usage"]["completion_tokens"] == 4 * 12


async def test_greedy_n_is_refused_as_vllm_does(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    # n greedy choices would all be the same text.
    response = await client.post(
        f"{daemon.url}/v1/completions",
        json={"prompt": PROMPTS[2], "n": 3, "max_tokens": 10, "temperature": 0},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "n"


async def test_a_seed_makes_sampling_reproducible(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    request = {
        "prompt": PROMPTS[3],
        "n": 2,
        "max_tokens": 15,
        "temperature": 0.9,
        "top_p": 0.9,
        "seed": 1234,
        "ignore_eos": True,
    }
    first = await complete(client, daemon, **request)
    second = await complete(client, daemon, **request)
    assert [c["text"] for c in first["choices"]] == [c["text"] for c in second["choices"]]


async def test_a_list_of_prompts_gives_choices_in_order(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    body = await complete(
        client, daemon, prompt=PROMPTS[:3], max_tokens=8, temperature=0, ignore_eos=True
    )
    texts = [c["text"] for c in body["choices"]]
    for i, prompt in enumerate(PROMPTS[:3]):
        alone = await greedy(client, daemon, prompt, 8)
        assert texts[i] == alone


async def test_stop_string_ends_the_text_before_it(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    full = await greedy(client, daemon, PROMPTS[1], 40)
    # Stop at a piece of the greedy answer itself, so the stop is sure to be generated.
    stop = full[10:13]
    assert len(stop) == 3
    body = await complete(
        client,
        daemon,
        prompt=PROMPTS[1],
        max_tokens=40,
        temperature=0,
        stop=[stop],
        ignore_eos=True,
    )
    [choice] = body["choices"]
    assert choice["finish_reason"] == "stop"
    assert choice["text"] == full[: full.index(stop)]
    assert body["usage"]["completion_tokens"] < 40


async def test_streaming_sends_the_same_text_as_one_reply(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    expected = await greedy(client, daemon, PROMPTS[4], 30)
    chunks: list[dict[str, Any]] = []
    body = {
        "model": daemon.name,
        "prompt": PROMPTS[4],
        "max_tokens": 30,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with client.stream("POST", f"{daemon.url}/v1/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line async for line in response.aiter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    text_chunks = [c for c in chunks if c["choices"]]
    assert len(text_chunks) > 1
    assert "".join(c["choices"][0]["text"] for c in text_chunks) == expected
    assert [c["choices"][0]["finish_reason"] for c in text_chunks][-1] == "length"
    assert all(c["choices"][0]["finish_reason"] is None for c in text_chunks[:-1])
    assert chunks[-1]["usage"]["completion_tokens"] == 30


async def test_streaming_never_shows_part_of_a_stop_string(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    full = await greedy(client, daemon, PROMPTS[0], 40)
    stop = full[12:16]
    body = {
        "prompt": PROMPTS[0],
        "max_tokens": 40,
        "temperature": 0,
        "stop": stop,
        "stream": True,
        "ignore_eos": True,
    }
    async with client.stream("POST", f"{daemon.url}/v1/completions", json=body) as response:
        lines = [line async for line in response.aiter_lines() if line.startswith("data: {")]
    streamed = "".join(json.loads(line[6:])["choices"][0]["text"] for line in lines)
    assert streamed == full[: full.index(stop)]


async def test_concurrent_requests_are_batched_and_match_sequential_ones(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    lengths = [24, 40, 16, 32, 48, 20]
    sequential = [await greedy(client, daemon, p, n) for p, n in zip(PROMPTS, lengths, strict=True)]
    before = await metrics(client, daemon.url)
    concurrent = await asyncio.gather(
        *(greedy(client, daemon, p, n) for p, n in zip(PROMPTS, lengths, strict=True))
    )
    after = await metrics(client, daemon.url)
    assert list(concurrent) == sequential
    key = "irlens_daemon_decode_batch_size_bucket"
    steps = after[f'{key}{{le="+Inf"}}'] - before[f'{key}{{le="+Inf"}}']
    single = after[f'{key}{{le="1"}}'] - before[f'{key}{{le="1"}}']
    assert steps > single, "no decoding step ran more than one sequence"


async def test_a_request_joining_a_running_batch_gets_the_same_text(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    """Continuous batching: a late request joins mid-generation with different padding."""
    long_alone = await greedy(client, daemon, PROMPTS[3], 200)
    short_alone = await greedy(client, daemon, PROMPTS[1], 30)
    body = {
        "prompt": PROMPTS[3],
        "max_tokens": 200,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
    }
    texts = []
    async with client.stream("POST", f"{daemon.url}/v1/completions", json=body) as response:
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("data: {"):
                texts.append(json.loads(line[6:])["choices"][0]["text"])
                break
        # The long request is running now; this one is prefilled and merged into its batch.
        short = await greedy(client, daemon, PROMPTS[1], 30)
        async for line in lines:
            if line.startswith("data: {"):
                texts.append(json.loads(line[6:])["choices"][0]["text"])
    assert short == short_alone
    assert "".join(texts) == long_alone


async def test_models_health_and_metrics(client: httpx.AsyncClient, daemon: RunningDaemon) -> None:
    models = (await client.get(f"{daemon.url}/v1/models")).json()
    assert models["object"] == "list"
    assert [m["id"] for m in models["data"]] == [daemon.name]
    assert models["data"][0]["max_model_len"] == 4096
    health = (await client.get(f"{daemon.url}/health")).json()
    # Public: the status and the served name, nothing about where the model lives.
    assert health == {"status": "ok", "model": daemon.name}
    status = (await client.get(f"{daemon.url}/status")).json()
    assert status["model_loaded"] is True
    assert status["device"] == "cpu"
    assert status["dtype"] == "float32"
    assert status["context_limit"] == 4096
    assert status["queue_depth"] == 0
    response = await client.get(f"{daemon.url}/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE irlens_daemon_request_duration_seconds histogram" in response.text
    values = await metrics(client, daemon.url)
    assert values["irlens_daemon_requests_total"] >= 1
    assert values["irlens_daemon_generation_tokens_total"] >= 1
    assert "irlens_daemon_queue_depth" in values


async def test_a_prompt_over_the_context_limit_is_refused_with_the_numbers(
    client: httpx.AsyncClient, daemon: RunningDaemon
) -> None:
    response = await client.post(
        f"{daemon.url}/v1/completions",
        json={"model": daemon.name, "prompt": PROMPTS[3] * 4, "max_tokens": 4000},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded"
    assert "maximum context length is 4096 tokens" in error["message"]
    assert "4000 for the completion" in error["message"]

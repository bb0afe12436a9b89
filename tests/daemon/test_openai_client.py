"""The official openai Python client works against the daemon unchanged."""

from __future__ import annotations

import openai
import pytest

from tests.support.daemon import API_KEY, RunningDaemon

PROMPT = "[INST] Disassemble this code to LLVM-IR:\n\n<code>\t.text\n</code> [/INST]"


async def test_completions_models_and_streaming(daemon: RunningDaemon) -> None:
    client = openai.AsyncOpenAI(base_url=f"{daemon.url}/v1", api_key="unused", max_retries=0)
    async with client:
        models = await client.models.list()
        assert [m.id for m in models.data] == [daemon.name]
        reply = await client.completions.create(
            model=daemon.name,
            prompt=PROMPT,
            max_tokens=20,
            temperature=0,
            extra_body={"ignore_eos": True},
        )
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage is not None and reply.usage.completion_tokens == 20
        stream = await client.completions.create(
            model=daemon.name,
            prompt=PROMPT,
            max_tokens=20,
            temperature=0,
            stream=True,
            extra_body={"ignore_eos": True},
        )
        streamed = "".join([chunk.choices[0].text async for chunk in stream if chunk.choices])
        assert streamed == reply.choices[0].text
        sampled = await client.completions.create(
            model=daemon.name,
            prompt=[PROMPT, "x"],
            n=2,
            max_tokens=5,
            temperature=0.7,
            seed=3,
            stop=["\n"],
        )
        assert sorted(c.index for c in sampled.choices) == [0, 1, 2, 3]


async def test_errors_arrive_as_openai_exceptions(daemon: RunningDaemon) -> None:
    client = openai.AsyncOpenAI(base_url=f"{daemon.url}/v1", api_key="unused", max_retries=0)
    async with client:
        with pytest.raises(openai.BadRequestError, match="maximum context length"):
            await client.completions.create(model=daemon.name, prompt="x" * 100, max_tokens=4090)
        with pytest.raises(openai.NotFoundError, match="does not exist"):
            await client.completions.create(model="no-such-model", prompt="x")


async def test_the_api_key_travels_as_a_bearer_token(keyed_daemon: RunningDaemon) -> None:
    good = openai.AsyncOpenAI(base_url=f"{keyed_daemon.url}/v1", api_key=API_KEY, max_retries=0)
    bad = openai.AsyncOpenAI(base_url=f"{keyed_daemon.url}/v1", api_key="wrong", max_retries=0)
    async with good, bad:
        reply = await good.completions.create(model=keyed_daemon.name, prompt="x", max_tokens=3)
        assert len(reply.choices) == 1
        with pytest.raises(openai.AuthenticationError):
            await bad.completions.create(model=keyed_daemon.name, prompt="x", max_tokens=3)

"""The FAKE OpenAI server itself: scripted answers by prompt substring, requests recorded."""

from __future__ import annotations

import httpx
import pytest

from lsp_server.model.client import ModelError, OpenAIClient
from lsp_server.model.prompts import PASS_LIST_STOP, parse_pass_list, pass_list_prompt
from tests.support.openai_fake import FakeOpenAIServer, scripted_responder

SCRIPT = {
    "Tell me how to optimize": " -p 'module(default<Oz>),function(sroa)'\n\nAnd the LLVM-IR",
    "Disassemble this code": ["<code>define void @f() {\n  ret void\n}\n</code>", "<code>x</code>"],
}


async def test_scripted_answers_by_prompt_substring() -> None:
    with FakeOpenAIServer(scripted_responder(SCRIPT)) as fake:
        url = fake.url
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/v1")
        client = OpenAIClient(url)
        answer = await client.complete(
            pass_list_prompt("define void @f() {\n  ret void\n}"),
            max_tokens=64,
            stop=PASS_LIST_STOP,
        )
        assert parse_pass_list(answer.texts[0]).passes == ("default", "sroa")
        lifted = await client.complete(
            "[INST] Disassemble this code to LLVM-IR:", max_tokens=64, n=2
        )
        assert lifted.texts == tuple(SCRIPT["Disassemble this code"])
        with pytest.raises(ModelError, match="answered 400: fake server: no scripted answer"):
            await client.complete("something else", max_tokens=8)
        await client.aclose()


def test_a_stream_request_is_refused_with_a_reason() -> None:
    # The fake does not stream (irlens's client never asks it to): it says so rather than
    # answering in a shape the request did not ask for.
    with FakeOpenAIServer(scripted_responder({"a": "first"})) as fake:
        reply = httpx.post(
            fake.url + "/completions", json={"prompt": "a?", "max_tokens": 8, "stream": True}
        )
        assert reply.status_code == 400
        assert reply.json()["error"]["message"] == "fake server: streaming is not supported"


def test_fake_records_requests_and_serves_prompt_lists() -> None:
    with FakeOpenAIServer(scripted_responder({"a": "first", "b": ["x", "y"]})) as fake:
        reply = httpx.post(
            fake.url + "/completions",
            json={"prompt": ["a?", "b?"], "max_tokens": 8, "n": 2},
        ).json()
        assert [c["text"] for c in reply["choices"]] == ["first", "first", "x", "y"]
        assert [c["index"] for c in reply["choices"]] == [0, 1, 2, 3]
        assert fake.requests == [{"prompt": ["a?", "b?"], "max_tokens": 8, "n": 2}]
        bad = httpx.post(fake.url + "/completions", content=b"{not json")
        assert bad.status_code == 400
        assert httpx.get(fake.url + "/models").json()["data"][0]["id"] == "fake-llm-compiler"

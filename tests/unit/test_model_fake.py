"""The FAKE OpenAI server itself: its scripted command-line mode, for end-to-end tests."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from lsp_server.model.client import ModelError, OpenAIClient
from lsp_server.model.prompts import PASS_LIST_STOP, parse_pass_list, pass_list_prompt
from tests.fakes import FakeOpenAIServer, scripted_responder

REPO = Path(__file__).resolve().parents[2]
SCRIPT = {
    "Tell me how to optimize": " -p 'module(default<Oz>),function(sroa)'\n\nAnd the LLVM-IR",
    "Disassemble this code": ["<code>define void @f() {\n  ret void\n}\n</code>", "<code>x</code>"],
}


async def test_scripted_process_answers_by_prompt_substring(tmp_path: Path) -> None:
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(SCRIPT))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_fake", "--port", "0", "--script", str(script)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
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
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


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

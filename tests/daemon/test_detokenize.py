"""Detokenising with ``tokenizers``' DecodeStream: the same text, and no wait on tokenising."""

from __future__ import annotations

import asyncio
import json

import httpx

from lsp_server.daemon.sequence import IncrementalDetokenizer
from tests.support.daemon import RunningDaemon

TEXT = (
    "define i32 @f() {\n  ret i32 0 ; héllo wörld ✓ 日本語 🎉\n}\n"
    "; naïve café — ½ \u2200x\u2208\u211d \U0001d518\U0001d52b \t  spaces   \n"
) * 12


def test_the_stream_gives_the_text_of_the_tokens(daemon: RunningDaemon) -> None:
    loaded = daemon.server.loaded
    ids = loaded.encode([TEXT])[0]
    assert len(ids) > 300
    prompt, answer = ids[:7], ids[7:]
    stream = loaded.detokenizer(prompt)
    old = IncrementalDetokenizer(loaded.decode, prompt)
    streamed = "".join(stream.push(t) for t in answer) + stream.flush()
    incremental = "".join(old.push(t) for t in answer) + old.flush()
    assert streamed == incremental == loaded.decode(answer)
    assert "🎉" in streamed


def test_an_incomplete_character_is_flushed_at_the_end(daemon: RunningDaemon) -> None:
    loaded = daemon.server.loaded
    ids = loaded.encode(["x🎉"])[0]
    stream = loaded.detokenizer(ids[:2])
    pushed = "".join(stream.push(t) for t in ids[2:-1])
    # The last byte of the emoji is missing: nothing is shown until the end, then U+FFFD.
    assert pushed == ""
    assert stream.flush().endswith("\ufffd")


async def test_generation_goes_on_while_a_prompt_is_being_tokenised(
    daemon: RunningDaemon,
) -> None:
    lock = daemon.server.loaded._tokenizer_lock
    body = {"prompt": "x", "max_tokens": 400, "temperature": 0, "ignore_eos": True, "stream": True}
    chunks = 0
    async with (
        httpx.AsyncClient(timeout=120) as client,
        client.stream("POST", f"{daemon.url}/v1/completions", json=body) as response,
    ):
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("data: {"):
                break
        # As if a huge prompt were being tokenised from now on.
        await asyncio.to_thread(lock.acquire)
        try:
            async with asyncio.timeout(60):
                async for line in lines:
                    if line.startswith("data: {"):
                        chunks += 1
                        finish = json.loads(line[6:])["choices"][0]["finish_reason"]
        finally:
            lock.release()
    assert chunks > 50
    assert finish == "length"

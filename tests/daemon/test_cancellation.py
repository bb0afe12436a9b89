"""A client that goes away cancels its request, which leaves the batch at once."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tests.support.daemon import RunningDaemon, metrics, wait_for_status

LONG = 4000  # tokens: far more than any cancellation takes to be noticed


def _long_request(daemon: RunningDaemon, *, stream: bool) -> dict[str, object]:
    return {
        "model": daemon.name,
        "prompt": "define void @f() {\n",
        "max_tokens": LONG,
        "temperature": 0,
        "ignore_eos": True,
        "stream": stream,
    }


async def test_closing_a_stream_cancels_the_generation(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        before = await metrics(client, daemon.url)
        async with client.stream(
            "POST", f"{daemon.url}/v1/completions", json=_long_request(daemon, stream=True)
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    break  # it is generating; now hang up
        await wait_for_status(
            client,
            daemon.url,
            lambda h: (
                h["requests_cancelled"] > before["irlens_daemon_requests_cancelled_total"]
                and h["running_sequences"] == 0
            ),
            "the cancelled stream to leave the batch",
        )
        after = await metrics(client, daemon.url)
    generated = (
        after["irlens_daemon_generation_tokens_total"]
        - before["irlens_daemon_generation_tokens_total"]
    )
    assert 0 < generated < LONG
    assert (
        after["irlens_daemon_requests_finished_total"]
        == before["irlens_daemon_requests_finished_total"]
    )


async def test_a_dropped_connection_cancels_a_plain_request(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient(timeout=120) as client, httpx.AsyncClient(timeout=120) as other:
        before = await metrics(client, daemon.url)
        task = asyncio.create_task(
            other.post(f"{daemon.url}/v1/completions", json=_long_request(daemon, stream=False))
        )
        await wait_for_status(
            client, daemon.url, lambda h: h["running_sequences"] == 1, "the request to start"
        )
        # Cancelling the client's task closes its connection mid-request.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await other.aclose()
        await wait_for_status(
            client,
            daemon.url,
            lambda h: (
                h["requests_cancelled"] > before["irlens_daemon_requests_cancelled_total"]
                and h["running_sequences"] == 0
            ),
            "the abandoned request to leave the batch",
        )
        after = await metrics(client, daemon.url)
    generated = (
        after["irlens_daemon_generation_tokens_total"]
        - before["irlens_daemon_generation_tokens_total"]
    )
    assert 0 < generated < LONG

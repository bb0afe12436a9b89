"""The two lanes of work off the event loop: a small document's work never waits for a big
document's (lsp_server/offload.py)."""

from __future__ import annotations

import asyncio
import threading

from lsp_server import offload


async def test_small_work_runs_while_every_large_worker_is_busy() -> None:
    release = threading.Event()
    started = threading.Semaphore(0)

    def big() -> str:
        started.release()
        release.wait(30)
        return "big"

    workers = offload._large._max_workers
    size = offload.SMALL_CHARS + 1
    large = [asyncio.ensure_future(offload.run_sized(size, big)) for _ in range(workers + 1)]
    try:
        for _ in range(workers):  # waited in a thread: the loop must go on submitting them
            assert await asyncio.to_thread(started.acquire, True, 10)
        # Every large worker is held (and one more big job queued): the small lane answers.
        small = await asyncio.wait_for(
            offload.run_sized(offload.TINY_CHARS + 1, lambda: "small"), 5
        )
        assert small == "small"
        assert not any(task.done() for task in large)
    finally:
        release.set()
    assert await asyncio.gather(*large) == ["big"] * (workers + 1)


def test_the_lane_follows_the_size() -> None:
    assert offload.lane(0) == offload.lane(offload.TINY_CHARS) == "tiny"
    assert offload.lane(offload.TINY_CHARS + 1) == offload.lane(offload.SMALL_CHARS) == "small"
    assert offload.lane(offload.SMALL_CHARS + 1) == "large"


async def test_tiny_work_never_queues_behind_the_small_lane() -> None:
    """Every small worker held: a tiny document's work still runs, at once, on the loop."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def held() -> None:
        started.release()
        release.wait(30)

    workers = offload._small._max_workers
    size = offload.TINY_CHARS + 1
    small = [asyncio.ensure_future(offload.run_sized(size, held)) for _ in range(workers + 1)]
    try:
        for _ in range(workers):
            assert await asyncio.to_thread(started.acquire, True, 10)
        here = threading.get_ident()
        assert await offload.run_sized(10, threading.get_ident) == here
    finally:
        release.set()
    await asyncio.gather(*small)

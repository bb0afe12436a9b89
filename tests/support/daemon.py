"""Running a real daemon in-process for the daemon tests: start, wait, read metrics, stop."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lsp_server.daemon.server import DaemonServer, serve
from lsp_server.daemon.settings import DaemonSettings

START_TIMEOUT_S = 180.0
POLL_INTERVAL_S = 0.02
WAIT_LIMIT_S = 60.0

#: The bearer token of the keyed daemon fixture.
API_KEY = "test-key-0123456789"
SERVED_NAME = "tiny-llama"


def settings(checkpoint: Path, **overrides: object) -> DaemonSettings:
    """Daemon settings for tests: loopback, a free port, the CPU."""
    values: dict[str, object] = {
        "model": str(checkpoint),
        "served_model_name": SERVED_NAME,
        "device": "cpu",
        "host": "127.0.0.1",
        "port": 0,
        "max_batch_size": 16,
        "batch_window_ms": 5.0,
        # Two OpenMP threads on a busy 2-core machine mostly wait for each other.
        "threads": 1,
    }
    values.update(overrides)
    return DaemonSettings(**values)  # type: ignore[arg-type]


@dataclass
class RunningDaemon:
    """A daemon serving on a free loopback port in a thread of its own."""

    url: str
    name: str
    server: DaemonServer
    _loop: asyncio.AbstractEventLoop
    _stop: asyncio.Event
    _thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)


def start_daemon_thread(settings: DaemonSettings) -> RunningDaemon:
    """Run ``serve(settings)``, the code path of ``irlens daemon``, in a background thread."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    def started(server: DaemonServer) -> None:
        box["server"] = server
        ready.set()

    async def main() -> None:
        box["loop"] = asyncio.get_running_loop()
        box["stop"] = asyncio.Event()
        await serve(settings, started=started, stop=box["stop"])

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=target, name="irlens-test-daemon", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT_S) or "error" in box:
        raise RuntimeError(f"the daemon did not start: {box.get('error')!r}")
    server: DaemonServer = box["server"]
    return RunningDaemon(
        url=f"http://127.0.0.1:{server.port}",
        name=settings.model_name,
        server=server,
        _loop=box["loop"],
        _stop=box["stop"],
        _thread=thread,
    )


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text to ``{"name{labels}": value}``."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


async def metrics(client: httpx.AsyncClient, url: str) -> dict[str, float]:
    """The daemon's metrics, parsed."""
    response = await client.get(f"{url}/metrics")
    response.raise_for_status()
    return parse_metrics(response.text)


async def wait_for_status(
    client: httpx.AsyncClient, url: str, predicate: Any, what: str
) -> dict[str, Any]:
    """Poll ``/status`` until ``predicate(status)`` holds; fail after a generous bound."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_LIMIT_S
    while True:
        status: dict[str, Any] = (await client.get(f"{url}/status")).json()
        if predicate(status):
            return status
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last /status: {status}")
        await asyncio.sleep(POLL_INTERVAL_S)  # allowed: bounded poll of another process's state

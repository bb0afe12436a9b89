"""The daemon's edges: connections, timeouts, sizes, headers, and what it logs about them."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.daemon import API_KEY, RunningDaemon, metrics, settings, start_daemon_thread

ALLOWED_ORIGIN = "http://allowed.example"
CONNECTION_LIMIT = 6
SOCKET_WAIT_S = 30.0


@pytest.fixture(scope="module")
def edge_daemon(tiny_checkpoint: Path) -> Iterator[RunningDaemon]:
    """Short timeouts and a small body cap, so the tests reach them quickly."""
    running = start_daemon_thread(
        settings(
            tiny_checkpoint,
            header_timeout_s=0.5,
            body_timeout_s=0.5,
            max_body_bytes=64 * 1024,
            allowed_origins=(ALLOWED_ORIGIN,),
            served_model_name=None,
        )
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def limited_daemon(tiny_checkpoint: Path) -> Iterator[RunningDaemon]:
    running = start_daemon_thread(settings(tiny_checkpoint, max_connections=CONNECTION_LIMIT))
    yield running
    running.stop()


def _connect(daemon: RunningDaemon) -> socket.socket:
    assert daemon.server.port is not None
    sock = socket.create_connection(("127.0.0.1", daemon.server.port), timeout=SOCKET_WAIT_S)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (blocking, bounded)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _status_and_json(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    parsed: dict[str, Any] = json.loads(body)
    return status, parsed


# -- connections and timeouts -----------------------------------------------------------


def test_an_idle_connection_is_closed(edge_daemon: RunningDaemon) -> None:
    with _connect(edge_daemon) as sock:
        started = time.monotonic()
        assert _read_until_closed(sock) == b""
        assert time.monotonic() - started < SOCKET_WAIT_S


def test_half_sent_headers_are_closed(edge_daemon: RunningDaemon) -> None:
    with _connect(edge_daemon) as sock:
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert _read_until_closed(sock) == b""


def test_a_slow_body_gets_a_408(edge_daemon: RunningDaemon) -> None:
    with _connect(edge_daemon) as sock:
        sock.sendall(
            b"POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"prompt":'
        )
        status, body = _status_and_json(_read_until_closed(sock))
    assert status == 408
    assert body["error"]["code"] == "request_timeout"


def test_connections_over_the_limit_get_a_503_logged_once(
    limited_daemon: RunningDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    idle = [_connect(limited_daemon) for _ in range(CONNECTION_LIMIT)]
    try:
        # Something from each idle connection proves the server accepted it.
        for sock in idle:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert b" 200 " in sock.recv(65536)
        with caplog.at_level(logging.INFO, logger="lsp_server.daemon"):
            for _ in range(5):
                with _connect(limited_daemon) as extra:
                    status, body = _status_and_json(_read_until_closed(extra))
                assert status == 503
                assert body["error"]["code"] == "too_many_connections"
    finally:
        for sock in idle:
            sock.close()
    refusals = [r for r in caplog.records if "connections are open, the limit" in r.message]
    assert len(refusals) == 1
    assert all(r.exc_info is None for r in caplog.records)
    # Once the idle connections are gone, requests are served again.
    deadline = time.monotonic() + SOCKET_WAIT_S
    while True:
        response = httpx.get(f"{limited_daemon.url}/health", timeout=SOCKET_WAIT_S)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
    assert response.status_code == 200


def test_health_names_the_model_without_its_path(
    edge_daemon: RunningDaemon, tiny_checkpoint: Path
) -> None:
    # No --served-model-name: the id is the checkpoint's path, which /health keeps private.
    health = httpx.get(f"{edge_daemon.url}/health", timeout=SOCKET_WAIT_S).json()
    assert health == {"status": "ok", "model": tiny_checkpoint.name}
    assert str(tiny_checkpoint.parent) not in str(health)


# -- sizes and malformed requests --------------------------------------------------------


async def test_a_body_over_the_cap_gets_413_and_every_error_is_counted(
    edge_daemon: RunningDaemon,
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        before = (await metrics(client, edge_daemon.url))["irlens_daemon_request_errors_total"]
        big = await client.post(f"{edge_daemon.url}/v1/completions", json={"prompt": "x" * 100_000})
        assert big.status_code == 413
        assert big.json()["error"]["code"] == "request_too_large"
        assert (await client.get(f"{edge_daemon.url}/nothing")).status_code == 404
        assert (await client.get(f"{edge_daemon.url}/v1/completions")).status_code == 405
        after = (await metrics(client, edge_daemon.url))["irlens_daemon_request_errors_total"]
    assert after - before == 3


async def test_a_huge_prompt_is_refused_without_tokenising_it(daemon: RunningDaemon) -> None:
    loaded = daemon.server.loaded
    calls = []
    original = loaded.encode

    def counting(prompts: list[str]) -> list[list[int]]:
        calls.append(len(prompts))
        return original(prompts)

    loaded.encode = counting  # type: ignore[method-assign]
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            response = await client.post(
                f"{daemon.url}/v1/completions", json={"prompt": "%x = add i32 1, 2\n" * 150_000}
            )
    finally:
        loaded.encode = original  # type: ignore[method-assign]
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded"
    assert "at least" in error["message"]
    assert calls == []


async def test_deeply_nested_json_is_a_400(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            f"{daemon.url}/v1/completions",
            content=b"[" * 100_000 + b"]" * 100_000,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


def test_a_malformed_http_request_gets_json_and_one_log_line(
    daemon: RunningDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), _connect(daemon) as sock:
        sock.sendall(
            b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n"
        )
        status, body = _status_and_json(_read_until_closed(sock))
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    mine = [r for r in caplog.records if r.name == "lsp_server.daemon.guard"]
    assert len(mine) == 1
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_non_utf8_authorization_header_is_a_401(keyed_daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            f"{keyed_daemon.url}/v1/completions",
            json={"prompt": "x", "max_tokens": 1},
            headers={"Authorization": b"Bearer \xff\xfe" + API_KEY.encode()},
        )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


# -- Host and Origin ---------------------------------------------------------------------


async def test_a_foreign_host_header_is_refused(daemon: RunningDaemon) -> None:
    # DNS rebinding: a page at evil.example re-points its name at 127.0.0.1.
    port = daemon.server.port
    async with httpx.AsyncClient(timeout=60) as client:
        body = {"prompt": "x", "max_tokens": 1}
        foreign = await client.post(
            f"{daemon.url}/v1/completions", json=body, headers={"Host": f"evil.example:{port}"}
        )
        assert foreign.status_code == 403
        assert foreign.json()["error"]["code"] == "host_not_allowed"
        local = await client.post(
            f"{daemon.url}/v1/completions", json=body, headers={"Host": f"localhost:{port}"}
        )
        assert local.status_code == 200


async def test_requests_from_web_pages_are_refused_unless_allowed(
    daemon: RunningDaemon, edge_daemon: RunningDaemon
) -> None:
    body = {"prompt": "x", "max_tokens": 1}
    async with httpx.AsyncClient(timeout=60) as client:
        page = await client.post(
            f"{daemon.url}/v1/completions", json=body, headers={"Origin": "http://evil.example"}
        )
        assert page.status_code == 403
        assert page.json()["error"]["code"] == "origin_not_allowed"
        allowed = await client.post(
            f"{edge_daemon.url}/v1/completions", json=body, headers={"Origin": ALLOWED_ORIGIN}
        )
        assert allowed.status_code == 200
        other = await client.post(
            f"{edge_daemon.url}/v1/completions", json=body, headers={"Origin": "http://x.example"}
        )
        assert other.status_code == 403

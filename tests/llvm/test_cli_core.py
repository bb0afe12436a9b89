"""The `irlens` command's own subcommands: --version, doctor, serve --tcp, demo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from lsp_server import __version__

IRLENS = [sys.executable, "-m", "lsp_server"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*IRLENS, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_version() -> None:
    out = _run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"irlens {__version__}"


def test_doctor_reports_the_tools_and_features(toolchain) -> None:
    out = _run("doctor", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] is True
    assert report["llvm"]["version"] == toolchain.version_text
    assert report["llvm"]["tools"]["opt"]["path"] == toolchain.path("opt")
    assert all(
        feature["ok"] for name, feature in report["features"].items() if name != "lift to IR"
    )
    assert report["model"]["state"] == "unconfigured"
    assert "x86-64" in report["llvm"]["targets"]


def test_doctor_fails_and_says_what_to_install_without_llvm() -> None:
    env = {**os.environ, "PATH": "/nonexistent"}
    out = _run("doctor", env=env)
    assert out.returncode == 1
    assert "opt is missing" in out.stdout
    assert "apt install llvm" in out.stdout


def test_doctor_fails_when_the_configured_model_server_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = _run("doctor", "--json", "--model-url", f"http://127.0.0.1:{port}/v1")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["model"]["state"] == "unavailable"
    assert any("model backend is unavailable" in p for p in report["problems"])


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        assert line, "the server closed the connection"
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def test_serve_over_tcp_answers_initialize() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*IRLENS, "serve", "--tcp", f"127.0.0.1:{port}", "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # bounded: wait for the port to open
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                server.poll()
                assert server.returncode is None, "irlens serve --tcp exited"
                time.sleep(0.05)  # allowed: polling a port, bounded
        else:
            raise AssertionError("irlens serve --tcp never listened")
        with conn:
            conn.sendall(
                _frame(
                    {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "initialize",
                        "params": {"processId": None, "rootUri": None, "capabilities": {}},
                    }
                )
            )
            reply = _read_message(conn.makefile("rb"))
        assert reply["id"] == 1
        assert reply["result"]["serverInfo"]["name"] == "irlens"
        capabilities = reply["result"]["capabilities"]
        assert capabilities["documentSymbolProvider"]
        assert capabilities["definitionProvider"]
    finally:
        server.kill()
        server.wait()


def test_demo_runs_in_llvm_only_mode() -> None:
    out = _run("demo")
    assert out.returncode == 0, out.stderr
    assert "model: unconfigured" in out.stdout
    assert "Diagnostics (llvm-as" in out.stdout and "no problems" in out.stdout
    assert "instcombine" in out.stdout
    assert "vs -Oz" in out.stdout

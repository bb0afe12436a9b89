"""The one async runner: timeouts, output caps, memory limits, cancellation, files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys

from lsp_server.llvm.runner import run_tool


async def test_captures_output_and_exit_code() -> None:
    result = await run_tool(
        [sys.executable, "-c", "import sys; print('out'); sys.stderr.write('err'); sys.exit(3)"]
    )
    assert result.returncode == 3
    assert result.out.strip() == "out"
    assert result.err == "err"
    assert not result.ok
    assert "exit 3" in result.describe_failure()


async def test_stdin_and_private_directory_files() -> None:
    code = "import sys, os; data = sys.stdin.read(); open('out.txt', 'w').write(data.upper() + open('in.txt').read())"
    result = await run_tool(
        [sys.executable, "-c", code], stdin="hello", files={"in.txt": "!"}, collect=("out.txt",)
    )
    assert result.ok, result.err
    assert result.files["out.txt"] == b"HELLO!"


async def test_each_run_gets_its_own_directory_which_is_removed() -> None:
    code = "import os; print(os.getcwd())"
    first = await run_tool([sys.executable, "-c", code])
    second = await run_tool([sys.executable, "-c", code])
    assert first.out != second.out
    assert not os.path.exists(first.out.strip())


async def test_timeout_kills_the_child() -> None:
    result = await run_tool(
        [sys.executable, "-c", "import time; time.sleep(30)"],  # allowed: the child to kill
        timeout=0.5,
    )
    assert result.timed_out
    assert not result.ok
    assert "timed out" in result.describe_failure()


async def test_output_cap_stops_a_flood() -> None:
    code = "import sys\nwhile True: sys.stdout.write('x' * 65536)"
    result = await run_tool([sys.executable, "-c", code], output_cap=100_000, timeout=20)
    assert result.truncated
    assert len(result.stdout) == 100_000
    assert "output cap" in result.describe_failure()


async def test_memory_limit_applies_to_the_child() -> None:
    code = "x = bytearray(600 * 1024 * 1024); print(len(x))"
    result = await run_tool([sys.executable, "-c", code], memory_mb=300)
    assert not result.ok
    assert "MemoryError" in result.err


async def test_cancellation_kills_the_child(tmp_path) -> None:
    marker = tmp_path / "pid"
    code = f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(60)"  # allowed: the child
    task = asyncio.ensure_future(run_tool([sys.executable, "-c", code], timeout=120))
    for _ in range(200):  # wait for the child to start (bounded), then cancel
        if marker.exists() and marker.read_text():
            break
        await asyncio.sleep(0.05)  # allowed: polling for an external process, bounded
    pid = int(marker.read_text())
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


async def test_missing_executable_is_a_result_not_an_exception() -> None:
    result = await run_tool(["/nonexistent/opt-99", "--version"])
    assert not result.ok
    assert result.returncode is None
    assert "No such file" in result.err

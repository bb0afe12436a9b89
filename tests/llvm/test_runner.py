"""The one async runner: timeouts, output caps, memory limits, cancellation, files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile

import pytest

from lsp_server.llvm.runner import ToolLimits, run_tool


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
    result = await run_tool([sys.executable, "-c", code], limits=ToolLimits(memory_mb=300))
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


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A TMPDIR of the test's own, so that what a run leaves there can be seen."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


async def test_a_file_larger_than_the_limit_stops_the_child(private_tmp) -> None:
    code = "open('big', 'wb').write(b'x' * (8 * 1024 * 1024))"
    result = await run_tool([sys.executable, "-c", code], limits=ToolLimits(output_mb=1))
    assert result.over_output_limit
    assert "its output would exceed 1 MiB" in result.describe_failure()
    assert list(private_tmp.iterdir()) == []


async def test_a_crashing_tool_leaves_nothing_in_tmpdir(toolchain, private_tmp) -> None:
    # clang writes its crash reproducer (a .c and a .sh) into TMPDIR.
    result = await run_tool(
        [toolchain.path("clang"), "-c", "crash.c", "-o", "crash.o"],
        files={"crash.c": "#pragma clang __debug crash\n"},
        limits=toolchain.limits,
    )
    assert not result.ok
    assert "diagnostic msg" in result.err  # it did write its reproducer, into the run's dir
    # The symbolizer (whose input and output files a killed tool left in TMPDIR) did not run.
    assert "Stack dump without symbol names" in result.err
    assert list(private_tmp.iterdir()) == []


async def test_a_cancelled_run_removes_its_directory(private_tmp) -> None:
    code = "import os, time; open('here', 'w').write(os.getcwd()); time.sleep(60)"  # allowed: the child
    task = asyncio.ensure_future(run_tool([sys.executable, "-c", code], timeout=120))
    for _ in range(200):
        dirs = list(private_tmp.iterdir())
        if dirs and (dirs[0] / "here").exists():
            break
        await asyncio.sleep(0.05)  # allowed: polling for an external process, bounded
    assert [d.name.startswith(f"irlens-run-{os.getpid()}-") for d in dirs] == [True]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert list(private_tmp.iterdir()) == []


async def test_a_directory_with_files_is_removed_off_the_event_loop(
    private_tmp, monkeypatch
) -> None:
    import threading

    from lsp_server.llvm import scratch

    removed_in: list[str] = []
    remove = scratch.remove_dir

    def recording(path: str) -> None:
        removed_in.append(threading.current_thread().name)
        remove(path)

    monkeypatch.setattr(scratch, "remove_dir", recording)
    await run_tool([sys.executable, "-c", "print('nothing left')"])
    assert removed_in == []  # an empty directory goes at once
    await run_tool([sys.executable, "-c", "open('left', 'w').write('x' * 1000)"])
    assert len(removed_in) == 1 and removed_in[0] != threading.main_thread().name
    assert list(private_tmp.iterdir()) == []

"""The tools' private directories: named after the server, swept when it is gone, removed
on SIGTERM (issue 18, item 7)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from lsp_server.llvm import scratch


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _ends(pid: int) -> bool:
    """Whether ``pid`` is gone or a zombie within a few seconds (SIGKILL is delivered
    asynchronously)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if _state(pid) in (None, "Z", "X"):
            return True
        time.sleep(0.02)  # allowed: polling an external process, bounded
    return False


def test_directories_are_named_after_the_server(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with scratch.run_dir("warm") as path:
        assert Path(path).parent == tmp_path
        assert Path(path).name.startswith(f"irlens-warm-{os.getpid()}-")
        (Path(path) / "left.o").write_bytes(b"x")
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_only_the_directories_of_servers_that_ended(tmp_path) -> None:
    dead = _dead_pid()
    stale = [tmp_path / f"irlens-warm-{dead}-abc", tmp_path / f"irlens-run-{dead}-def"]
    live = [tmp_path / f"irlens-warm-{os.getpid()}-ghi", tmp_path / "irlens-stress-xyz"]
    other = tmp_path / f"irlens-warm-{dead}-file"  # a file, not a directory: left alone
    for path in (*stale, *live):
        path.mkdir()
        (path / "out.o").write_bytes(b"object")
    other.write_text("not ours")
    removed = scratch.sweep_stale(str(tmp_path))
    assert sorted(removed) == sorted(map(str, stale))
    assert sorted(tmp_path.iterdir()) == sorted([*live, other])


def test_sigterm_kills_the_tools_and_removes_their_directories(tmp_path) -> None:
    # A process standing in for the server: a spare's directory and a running tool in it.
    code = textwrap.dedent(
        f"""
        import subprocess, sys, tempfile
        tempfile.tempdir = {str(tmp_path)!r}
        from lsp_server.llvm import scratch
        scratch.install_sigterm_cleanup()
        path = scratch.make_dir("warm")
        tool = subprocess.Popen(["sleep", "60"], cwd=path, start_new_session=True)
        scratch.track_group(tool.pid)
        print(path, tool.pid, flush=True)
        sys.stdin.read()
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert server.stdout is not None
    path, tool = server.stdout.readline().split()
    assert Path(path).is_dir()
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == -signal.SIGTERM
    assert not Path(path).exists()
    # The tool was killed: gone, or a zombie waiting for init to reap it.
    assert _ends(int(tool))
    assert server.stdin is not None
    server.stdin.close()

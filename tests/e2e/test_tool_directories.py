"""A real ``irlens serve`` leaves no tool directories behind (issue 18, item 7).

The server is driven by the stress harness's raw client (``tests.stress.harness.Session``),
which can end it with SIGTERM as a desktop session or a supervisor does.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.stress.harness import Session

MODULE = "define i32 @f(i32 %x) {\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _wait_for(found, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found():
            return True
        time.sleep(0.05)  # allowed: polling the file system for the spares, bounded
    return False


def test_sigterm_removes_the_spares_directories_and_start_sweeps_stale_ones(tmp_path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    stale = tmp / f"irlens-warm-{_dead_pid()}-left"
    stale.mkdir()
    (stale / "out.o").write_bytes(b"left by a server killed with SIGKILL")
    session = Session(tmp, tmp_path / "server.log")
    try:
        session.initialize({})
        uri = "file:///irlens-test/spares.ll"
        session.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "llvm", "version": 1, "text": MODULE}},
        )
        answer = session.call(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}},
            timeout=60,
        )
        assert answer is not None and answer.get("result"), answer
        assert not stale.exists(), "the directory of a dead server was swept at start"
        own = f"irlens-warm-{session.proc.pid}-"
        assert _wait_for(lambda: any(p.name.startswith(own) for p in tmp.iterdir()))
        session.proc.send_signal(signal.SIGTERM)
        assert session.proc.wait(timeout=30) == -signal.SIGTERM
    finally:
        if session.proc.poll() is None:
            session.proc.kill()
        session.close()
    assert sorted(p.name for p in tmp.iterdir()) == []

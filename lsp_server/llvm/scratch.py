"""The private directories LLVM tools run in, and leaving none behind.

Every tool run (lsp_server.llvm.runner) and every spare tool (lsp_server.llvm.warm) gets a
directory of its own under the temporary directory, named ``irlens-<kind>-<pid>-<random>``
after the server that made it. The tool runs with that directory as its working directory
and as its ``TMPDIR``, and with ``LLVM_DISABLE_SYMBOLIZATION=1``, so a crash writes neither a
core file nor the symbolizer's files (nor clang's crash reproducers) anywhere else.

A directory is removed when its run ends, however it ends. What a normal exit or SIGTERM
would leave (a spare waiting for its next hover, a tool still running) is killed and removed
by :func:`cleanup_now`, which runs at exit and from the SIGTERM handler the server installs
(:func:`install_sigterm_cleanup`). A server killed with SIGKILL cannot clean up: the next
server to start removes the directories whose pid is no longer alive (:func:`sweep_stale`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

_NAME = re.compile(r"^irlens-(?:run|warm)-(\d+)-")

# Process-wide on purpose: a signal is delivered to the process, so what a SIGTERM must
# clean up has to be reachable from the handler without any server object.
_live_dirs: set[str] = set()
_live_groups: set[int] = set()


def make_dir(kind: str) -> str:
    """A new private directory for a ``kind`` ("run" or "warm") of tool; the caller removes
    it with :func:`remove_dir`."""
    path = tempfile.mkdtemp(prefix=f"irlens-{kind}-{os.getpid()}-")
    _live_dirs.add(path)
    return path


def remove_dir(path: str) -> None:
    """Remove a directory made by :func:`make_dir`, whatever the tool left in it."""
    shutil.rmtree(path, ignore_errors=True)
    _live_dirs.discard(path)


@contextlib.contextmanager
def run_dir(kind: str = "run") -> Iterator[str]:
    """A private directory for the duration of the ``with`` block, removed in every case."""
    path = make_dir(kind)
    try:
        yield path
    finally:
        remove_dir(path)


@contextlib.asynccontextmanager
async def run_dir_async(kind: str = "run") -> AsyncIterator[str]:
    """:func:`run_dir` for async code: a directory the tool left files in is removed in a
    worker thread, not on the event loop (removing the object of a ``.fill`` of hundreds of
    MiB takes long enough to be felt by every other request; the stress run's profile showed
    it). An empty one is removed at once. Removed in every case, cancellation included: the
    thread runs to its end even when the awaiting task is cancelled."""
    path = make_dir(kind)
    try:
        yield path
    finally:
        try:
            os.rmdir(path)
            _live_dirs.discard(path)
        except OSError:
            try:
                removing = asyncio.get_running_loop().run_in_executor(None, remove_dir, path)
            except RuntimeError:  # the loop's executor is already shut down
                remove_dir(path)
            else:
                await asyncio.shield(removing)


def tool_env(workdir: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a tool runs with: the server's, with temporary files kept in
    ``workdir`` and no symbolizer run on a crash (it writes its input and output into
    ``TMPDIR``, and a killed tool leaves them there)."""
    env = dict(os.environ if base is None else base)
    env["LLVM_DISABLE_SYMBOLIZATION"] = "1"
    env["TMPDIR"] = workdir
    return env


def track_group(pid: int) -> None:
    """Remember a started tool (the leader of its own process group) for :func:`cleanup_now`."""
    _live_groups.add(pid)


def untrack_group(pid: int) -> None:
    _live_groups.discard(pid)


def cleanup_now() -> None:
    """Kill every tool still running and remove every directory not yet removed.

    Synchronous and quick, so that a signal handler can call it.
    """
    for pid in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    _live_groups.clear()
    for path in list(_live_dirs):
        remove_dir(path)


atexit.register(cleanup_now)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def sweep_stale(directory: str | None = None) -> list[str]:
    """Remove the run and spare directories of irlens servers that are no longer running.

    A directory is named after its server's pid; one whose pid is alive (this server, another
    irlens, or an unrelated process that reused the pid) is left alone. Returns what was
    removed.
    """
    root = Path(directory or tempfile.gettempdir())
    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError as err:
        log.debug("could not list %s: %s", root, err)
        return removed
    for entry in entries:
        m = _NAME.match(entry.name)
        if m is None or _pid_alive(int(m[1])):
            continue
        with contextlib.suppress(OSError):
            if not entry.is_dir(follow_symlinks=False):
                continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.exists(entry.path):
            removed.append(entry.path)
    if removed:
        log.info("removed %d directories left by irlens servers that ended", len(removed))
    return removed


def install_sigterm_cleanup() -> None:
    """On SIGTERM, kill the tools and remove their directories, then end as SIGTERM ends a
    process. A handler someone else installed is left in place."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        cleanup_now()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)

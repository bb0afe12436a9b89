"""The one way irlens runs an LLVM tool.

Every call takes an argv list (no shell), runs in a private temporary directory, and is
bounded: a timeout, a cap on what it may print, and an address-space limit for the child.
Cancelling the awaiting task kills the child. A tool that fails, crashes or times out is a
:class:`ToolResult`, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import shlex
import signal
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_server.textkey import text_bytes

log = logging.getLogger(__name__)

DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024
DEFAULT_MEMORY_MB = 4096
_CHUNK = 1 << 16


@dataclass(frozen=True)
class ToolResult:
    """What a tool run produced, whether it succeeded or not."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    truncated: bool = False
    seconds: float = 0.0
    files: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.truncated

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def describe_failure(self) -> str:
        """One short paragraph for a user: what went wrong with this run."""
        tool = Path(self.argv[0]).name if self.argv else "tool"
        if self.timed_out:
            return f"{tool} timed out after {self.seconds:.1f} s"
        if self.truncated:
            return f"{tool} printed more than the output cap; stopped"
        if self.returncode is not None and self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            detail = _first_lines(self.err, 6)
            return f"{tool} crashed ({name})" + (f":\n{detail}" if detail else "")
        detail = _first_lines(self.err, 6) or _first_lines(self.out, 3)
        return f"{tool} failed (exit {self.returncode})" + (f":\n{detail}" if detail else "")


def _first_lines(text: str, n: int) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    cut = lines[:n]
    if len(lines) > n:
        cut.append(f"... ({len(lines) - n} more lines)")
    return "\n".join(cut)


def limit_child(pid: int, memory_mb: int | None = DEFAULT_MEMORY_MB) -> None:
    """Set the child's limits from outside, right after it starts.

    Using ``prlimit`` instead of a ``preexec_fn`` lets Python start the child with vfork, which
    does not copy the server's memory (a full fork blocked the event loop for ~10 ms). The
    window before the limit applies is the tool's own start-up, before it reads any input.
    """
    try:
        # A crash must not write a core file into the user's directory.
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
        if memory_mb:
            limit = memory_mb * 1024 * 1024
            resource.prlimit(pid, resource.RLIMIT_AS, (limit, limit))
    except (ProcessLookupError, PermissionError, OSError) as err:
        log.debug("could not limit process %d: %s", pid, err)


async def read_capped(
    stream: asyncio.StreamReader | None, cap: int, over: asyncio.Event
) -> bytearray:
    """Read ``stream`` to its end, keeping at most ``cap`` bytes; ``over`` is set (for both
    of a child's streams) once it printed more."""
    data = bytearray()
    if stream is None:
        return data
    while True:
        chunk = await stream.read(_CHUNK)
        if not chunk:
            return data
        if over.is_set():
            # Keep draining (and dropping) what is left: a pipe that is not read to its end
            # keeps asyncio from ever seeing the killed child exit.
            continue
        if len(data) + len(chunk) > cap:
            data.extend(chunk[: cap - len(data)])
            over.set()
            continue
        data.extend(chunk)


async def communicate(
    proc: asyncio.subprocess.Process,
    data: bytes | None,
    *,
    timeout: float,
    output_cap: int,
    begun: float,
) -> tuple[bytes, bytes, bool, bool]:
    """Feed ``data`` to a started child and collect its stdout and stderr, bounded.

    The child is killed when it runs past ``timeout`` (counted from ``begun``, a
    ``perf_counter`` value) or prints more than ``output_cap``, and when the awaiting task is
    cancelled (then it is waited for, and the cancellation propagates). Returns ``(stdout,
    stderr, timed_out, truncated)``; the child has exited when it returns.
    """
    over = asyncio.Event()
    readers = asyncio.gather(
        read_capped(proc.stdout, output_cap, over),
        read_capped(proc.stderr, output_cap, over),
    )
    timed_out = False
    feeder = asyncio.ensure_future(_feed(proc, data))
    waiter: asyncio.Future[Any] = asyncio.ensure_future(readers)
    capped: asyncio.Future[Any] = asyncio.ensure_future(over.wait())
    try:
        left = max(0.0, timeout - (time.perf_counter() - begun))
        done, _ = await asyncio.wait(
            [waiter, capped], timeout=left, return_when=asyncio.FIRST_COMPLETED
        )
        capped.cancel()
        if waiter not in done:
            timed_out = not over.is_set()
            kill_child(proc)
        out, errout = await waiter
        # A child can close its pipes and keep running; it gets what is left of the budget.
        left = max(0.1, timeout - (time.perf_counter() - begun))
        try:
            await asyncio.wait_for(proc.wait(), left)
        except asyncio.TimeoutError:
            timed_out = True
            kill_child(proc)
            await proc.wait()
    except asyncio.CancelledError:
        kill_child(proc)
        readers.cancel()
        await _reap(proc)
        with contextlib.suppress(BaseException):
            await readers  # retrieve the readers' outcome so none is left unobserved
        raise
    finally:
        capped.cancel()
        feeder.cancel()
    return bytes(out), bytes(errout), timed_out, over.is_set()


async def run_tool(
    argv: Sequence[str],
    *,
    stdin: bytes | str | None = None,
    timeout: float = 20.0,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    files: Mapping[str, bytes | str] | None = None,
    collect: Sequence[str] = (),
) -> ToolResult:
    """Run ``argv`` in a fresh private directory and return what happened.

    ``files`` are written into that directory first (argv may name them relatively);
    ``collect`` names output files to read back into ``ToolResult.files``. The directory is
    removed afterwards. Cancellation kills the child and propagates.
    """
    argv = tuple(argv)
    data = text_bytes(stdin) if isinstance(stdin, str) else stdin
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="irlens-") as workdir:
        for name, content in (files or {}).items():
            payload = text_bytes(content) if isinstance(content, str) else content
            Path(workdir, name).write_bytes(payload)
        log.debug("run %s", shlex.join(argv))
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if data is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=workdir,
                start_new_session=True,
            )
        except OSError as err:
            return ToolResult(argv, None, b"", str(err).encode(), seconds=0.0)
        limit_child(proc.pid, memory_mb)
        out, errout, timed_out, truncated = await communicate(
            proc, data, timeout=timeout, output_cap=output_cap, begun=start
        )
        collected = {}
        for name in collect:
            path = Path(workdir, name)
            if path.is_file():
                collected[name] = path.read_bytes()
    result = ToolResult(
        argv=argv,
        returncode=proc.returncode,
        stdout=out,
        stderr=errout,
        timed_out=timed_out,
        truncated=truncated,
        seconds=time.perf_counter() - start,
        files=collected,
    )
    if not result.ok:
        log.debug("%s: %s", argv[0], result.describe_failure())
    return result


async def _feed(proc: asyncio.subprocess.Process, data: bytes | None) -> None:
    """Write the child's stdin in the background, so a big input cannot block the timeout."""
    if data is None or proc.stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
        proc.stdin.close()


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """Wait for a killed child to exit, even through further cancellations."""
    exited = asyncio.ensure_future(proc.wait())
    while not exited.done():
        try:
            await asyncio.shield(exited)
        except asyncio.CancelledError:
            continue


def kill_child(proc: asyncio.subprocess.Process) -> None:
    """Kill the child and anything it started (it leads its own process group)."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()

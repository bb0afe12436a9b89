"""The one way irlens runs an LLVM tool.

Every call takes an argv list (no shell), runs in a private temporary directory
(lsp_server.llvm.scratch: removed in every case, and the tool's ``TMPDIR``), and is bounded:
a timeout, a cap on what it may print, and :class:`ToolLimits` for the child (the size of any
file it writes, ``RLIMIT_FSIZE``, and its address space, ``RLIMIT_AS``; settings
``llvm.maxOutputMb`` and ``llvm.maxMemoryMb``). Cancelling the awaiting task kills the child.
A tool that fails, crashes, times out or hits a limit is a :class:`ToolResult`, never an
exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import shlex
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_server.llvm import scratch
from lsp_server.textkey import text_bytes

log = logging.getLogger(__name__)

DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024
_CHUNK = 1 << 16
_MIB = 1024 * 1024


@dataclass(frozen=True)
class ToolLimits:
    """What one tool run may use: the largest file it may write and its address space, in
    MiB (0: no limit). The defaults fit a laptop; the settings ``llvm.maxOutputMb`` and
    ``llvm.maxMemoryMb`` change them."""

    output_mb: int = 256
    memory_mb: int = 2048


DEFAULT_LIMITS = ToolLimits()


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
    limits: ToolLimits = field(default=DEFAULT_LIMITS, compare=False)

    @property
    def over_output_limit(self) -> bool:
        """The tool tried to write a file larger than ``limits.output_mb``: the kernel sent
        it SIGXFSZ, or (where it ignores that signal) the write failed with EFBIG."""
        if not self.limits.output_mb or self.returncode == 0:
            return False
        return self.returncode == -signal.SIGXFSZ or "File too large" in self.err

    @property
    def over_memory_limit(self) -> bool:
        """The tool ran out of its address space (``limits.memory_mb``)."""
        if not self.limits.memory_mb or self.returncode == 0:
            return False
        err = self.err.lower()
        return "out of memory" in err or "bad_alloc" in err or "cannot allocate memory" in err

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
        if self.over_output_limit:
            return (
                f"{tool} stopped: its output would exceed {self.limits.output_mb} MiB "
                "(setting irlens.llvm.maxOutputMb)"
            )
        if self.over_memory_limit:
            return (
                f"{tool} ran out of memory: one run may use {self.limits.memory_mb} MiB "
                "(setting irlens.llvm.maxMemoryMb)"
            )
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


def limit_child(pid: int, limits: ToolLimits = DEFAULT_LIMITS) -> None:
    """Set the child's limits from outside, right after it starts: no core file, files no
    larger than ``limits.output_mb`` and an address space of ``limits.memory_mb``.

    Using ``prlimit`` instead of a ``preexec_fn`` lets Python start the child with vfork, which
    does not copy the server's memory (a full fork blocked the event loop for ~10 ms). The
    window before the limit applies is the tool's own start-up, before it reads any input.
    """
    try:
        # A crash must not write a core file into the user's directory.
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
        # A document must not fill the user's disk (`.fill 1073741824` in a .s file) ...
        if limits.output_mb:
            size = limits.output_mb * _MIB
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, size))
        # ... nor their memory (`.fill 16GiB`, a module that explodes under a pass).
        if limits.memory_mb:
            size = limits.memory_mb * _MIB
            resource.prlimit(pid, resource.RLIMIT_AS, (size, size))
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
    limits: ToolLimits = DEFAULT_LIMITS,
    files: Mapping[str, bytes | str] | None = None,
    collect: Sequence[str] = (),
) -> ToolResult:
    """Run ``argv`` in a fresh private directory and return what happened.

    ``files`` are written into that directory first (argv may name them relatively);
    ``collect`` names output files to read back into ``ToolResult.files``. The directory is
    removed afterwards, in every case. Cancellation kills the child and propagates.
    """
    argv = tuple(argv)
    data = text_bytes(stdin) if isinstance(stdin, str) else stdin
    start = time.perf_counter()
    async with scratch.run_dir_async() as workdir:
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
                env=scratch.tool_env(workdir),
                start_new_session=True,
            )
        except OSError as err:
            return ToolResult(argv, None, b"", str(err).encode(), seconds=0.0)
        limit_child(proc.pid, limits)
        scratch.track_group(proc.pid)
        try:
            out, errout, timed_out, truncated = await communicate(
                proc, data, timeout=timeout, output_cap=output_cap, begun=start
            )
        finally:
            scratch.untrack_group(proc.pid)
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
        limits=limits,
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

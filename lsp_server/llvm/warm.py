"""opt and llc started ahead of need, so a hover does not wait for them to load.

Starting an LLVM tool costs more than the work a hover gives it: loading libLLVM and
running its static initialisers takes 15-40 ms on a small machine, running a few passes
on a 500-line module or compiling it about as much. So spare processes are started before
a hover needs them and wait, blocked, until it does:

- llc's command line does not depend on the module, so a spare llc simply waits on its
  stdin for the module;
- opt's pipeline is part of its command line, which is not known in advance. A spare opt
  is started as ``opt @/dev/fd/N`` where N is the read end of a pipe it inherits: LLVM
  reads response files (as a stream, for a pipe) while it parses its command line, after
  loading and initialising, so the spare waits there until the hover writes the real
  arguments and closes the pipe.

Every run keeps the runner's guarantees, with the runner's own helpers
(lsp_server.llvm.runner: ``limit_child``, ``communicate``, ``kill_child``): an argv list
(built by lsp_server.llvm.opt and .llc, and written to the response file with every
special character escaped), a private temporary directory (lsp_server.llvm.scratch, named
after the server's pid, removed when the spare is done, on SIGTERM, or by the next server
after a SIGKILL), a timeout, a cap on the output, the toolchain's limits on file size and
address space, no core files, and cancellation kills the child. The limits are set from
outside with ``prlimit`` right after the start, before the child gets any input. A spare that
died meanwhile is replaced by a fresh start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsp_server.llvm import llc, scratch
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import (
    DEFAULT_OUTPUT_CAP,
    ToolLimits,
    ToolResult,
    communicate,
    kill_child,
    limit_child,
    run_tool,
)
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.textkey import text_bytes

log = logging.getLogger(__name__)

#: Spares kept per command line: a preview compiles its two modules side by side.
LLC_SPARES = 2
#: A preview runs one opt (two where one run cannot give both sides).
OPT_SPARES = 2
#: Spares are started this long after a run, when the hover that used one is done, so
#: that starting them does not compete with its work.
REFILL_DELAY = 0.1
_OUTPUT = llc.OBJECT_FILE
_ARGS = "@args"  # stands for opt's response-file pipe in a spare's key
_SPECIAL = re.compile(r"""([\s\\'"])""")


def response_file(args: Sequence[str]) -> bytes:
    """``args`` as an LLVM response file: one per line, GNU quoting (a backslash makes
    the next character literal), so each argument arrives exactly as given."""
    return "".join(_SPECIAL.sub(r"\\\1", arg) + "\n" for arg in args).encode()


@dataclass
class _Started:
    key: tuple[str, ...]
    proc: asyncio.subprocess.Process
    workdir: str
    limits: ToolLimits
    args_fd: int | None = None  # the write end of opt's response-file pipe
    argv: tuple[str, ...] = ()  # what it runs, for messages

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def kill(self) -> None:
        kill_child(self.proc)

    def send_args(self, args: Sequence[str]) -> None:
        """Give opt its arguments (it reads them once this end is closed)."""
        if self.args_fd is None:
            return
        fd, self.args_fd = self.args_fd, None
        data = response_file(args)
        try:
            # Never blocks: the pipe buffer holds far more than a command line.
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):
            raise ToolError("opt's command line is too long")

    async def close(self) -> None:
        if self.args_fd is not None:
            os.close(self.args_fd)
            self.args_fd = None
        self.kill()
        with contextlib.suppress(Exception):
            await self.proc.wait()
        scratch.untrack_group(self.proc.pid)
        scratch.remove_dir(self.workdir)


async def _exchange(started: _Started, data: bytes, timeout: float, cap: int) -> ToolResult:
    """Feed ``data`` to the child, collect its output within ``timeout`` and ``cap``."""
    begun = time.perf_counter()
    out, err, timed_out, truncated = await communicate(
        started.proc, data, timeout=timeout, output_cap=cap, begun=begun
    )
    return ToolResult(
        argv=started.argv,
        returncode=started.proc.returncode,
        stdout=out,
        stderr=err,
        timed_out=timed_out,
        truncated=truncated,
        seconds=time.perf_counter() - begun,
        limits=started.limits,
    )


class WarmTools:
    """opt runs and llc object files with spare processes (see the module docstring)."""

    def __init__(self) -> None:
        self._spares: dict[tuple[str, ...], list[_Started]] = {}
        self._refill: dict[tuple[str, ...], asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    # -- starting and keeping spares --------------------------------------------------

    async def _start(self, key: tuple[str, ...], limits: ToolLimits) -> _Started:
        """Start the tool ``key`` names. For opt (``key`` ends with ``@args``) the response
        file is a pipe it inherits, read as ``@/dev/fd/N``: it waits there until its
        arguments are written, and reads an end of file, and so finishes, should the
        server die first."""
        workdir = scratch.make_dir("warm")
        argv = key
        read_fd = write_fd = None
        try:
            if key[-1] == _ARGS:
                read_fd, write_fd = os.pipe()
                os.set_blocking(write_fd, False)
                argv = (*key[:-1], f"@/dev/fd/{read_fd}")
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=workdir,
                env=scratch.tool_env(workdir),
                start_new_session=True,
                pass_fds=(read_fd,) if read_fd is not None else (),
            )
        except BaseException:
            for fd in (read_fd, write_fd):
                if fd is not None:
                    os.close(fd)
            scratch.remove_dir(workdir)
            raise
        if read_fd is not None:
            os.close(read_fd)
        limit_child(proc.pid, limits)
        scratch.track_group(proc.pid)
        return _Started(key, proc, workdir, limits, write_fd, argv)

    def _discard(self, started: _Started) -> None:
        task = asyncio.ensure_future(started.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _take(self, key: tuple[str, ...]) -> _Started | None:
        spares = self._spares.get(key, [])
        while spares:
            started = spares.pop()
            if started.alive:
                return started
            self._discard(started)
        return None

    def _top_up(self, key: tuple[str, ...], count: int, limits: ToolLimits) -> None:
        """Start spares for ``key`` in a moment; spares of the same tool for another
        command line (another target, another LLVM) are dropped: the next hover almost
        always uses the same."""
        if self._closed:
            return
        is_opt = key[-1] == _ARGS
        for other in [k for k in self._spares if k != key and (k[-1] == _ARGS) == is_opt]:
            for started in self._spares.pop(other):
                self._discard(started)

        async def refill() -> None:
            await asyncio.sleep(REFILL_DELAY)
            spares = self._spares.setdefault(key, [])
            while len(spares) < count and not self._closed:
                try:
                    spares.append(await self._start(key, limits))
                except OSError as err:
                    log.debug("could not start a spare %s: %s", Path(key[0]).name, err)
                    return

        running = self._refill.get(key)
        if running is not None and not running.done():
            return
        self._refill[key] = asyncio.ensure_future(refill())

    async def _started(self, key: tuple[str, ...], limits: ToolLimits) -> _Started:
        started = self._take(key)
        if started is not None and started.limits == limits:
            return started
        if started is not None:
            self._discard(started)  # started under other limits (the settings changed)
        try:
            return await self._start(key, limits)
        except OSError as err:
            raise ToolError(f"{Path(key[0]).name} could not be started: {err}") from err

    # -- the tools ----------------------------------------------------------------------

    @staticmethod
    def llc_argv(toolchain: Toolchain, ir: str) -> tuple[str, ...]:
        """llc's command line for ``ir`` (:func:`lsp_server.llvm.llc.compile_argv`), which
        is also the key of its spares: it depends on the module only through its triple."""
        return tuple(llc.compile_argv(toolchain, ir, output=_OUTPUT))

    async def compile(self, toolchain: Toolchain, ir: str) -> bytes:
        """``llc -filetype=obj`` of ``ir``; raises ToolError as lsp_server.llvm.llc does."""
        argv = self.llc_argv(toolchain, ir)
        started = await self._started(argv, toolchain.limits)
        try:
            result = await _exchange(started, text_bytes(ir), toolchain.timeout, 1 << 20)
            path = Path(started.workdir, _OUTPUT)
            if not result.ok or not path.is_file():
                raise ToolError.from_result("llc could not compile this module", result)
            return path.read_bytes()
        finally:
            await started.close()
            self._top_up(argv, LLC_SPARES, toolchain.limits)

    async def opt(self, toolchain: Toolchain, args: Sequence[str], module: str) -> ToolResult:
        """``opt <args>`` with ``module`` on stdin: what ``run_tool`` returns for it."""
        key = (toolchain.path("opt"), _ARGS)
        started = await self._started(key, toolchain.limits)
        try:
            try:
                started.send_args(args)
            except OSError:
                # The spare died while it waited (killed, out of memory) and is not reaped
                # yet: this run goes to a fresh opt.
                return await run_tool(
                    [key[0], *args],
                    stdin=module,
                    timeout=toolchain.timeout,
                    limits=toolchain.limits,
                )
            started.argv = (key[0], *args)
            return await _exchange(
                started, text_bytes(module), toolchain.timeout, DEFAULT_OUTPUT_CAP
            )
        finally:
            await started.close()
            self._top_up(key, OPT_SPARES, toolchain.limits)

    async def close(self) -> None:
        """Stop the spares (and start no more)."""
        self._closed = True
        # Starting ones are let finish, so that none is lost half-started.
        await asyncio.gather(*self._refill.values(), *self._closing, return_exceptions=True)
        self._refill.clear()
        spares = [s for group in self._spares.values() for s in group]
        self._spares.clear()
        for started in spares:
            await started.close()

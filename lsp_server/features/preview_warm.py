"""llc started ahead of need, so a hover does not wait for it to load.

Starting an LLVM tool costs more than the work a hover gives it: loading libLLVM and
running its static initialisers takes 20-40 ms on a small machine, compiling a 500-line
module about as much. llc's command line does not depend on the module (it reads the IR
from stdin), so a spare llc can be started before a hover needs it and wait, blocked on
its stdin, until the module arrives. opt cannot be started early: its pipeline is part of
its command line.

Every run keeps the runner's guarantees (lsp_server.llvm.runner): an argv list, a private
temporary directory, a timeout, an address-space limit, no core files, cancellation kills
the child. A spare that died meanwhile is replaced by a fresh start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.llc import module_triple
from lsp_server.llvm.runner import DEFAULT_MEMORY_MB, ToolResult
from lsp_server.llvm.toolchain import Toolchain

log = logging.getLogger(__name__)

#: Spares kept per command line: a preview compiles its two modules side by side.
SPARES = 2
_OUTPUT = "out.o"
_MAX_STDERR = 1 << 20


def _limits() -> None:
    limit = DEFAULT_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@dataclass
class _Started:
    proc: asyncio.subprocess.Process
    workdir: tempfile.TemporaryDirectory[str]

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    async def close(self) -> None:
        self.kill()
        with contextlib.suppress(Exception):
            await self.proc.wait()
        self.workdir.cleanup()


class WarmLlc:
    """Object files from llc, with spare processes started ahead (see the module doc)."""

    def __init__(self) -> None:
        self._spares: dict[tuple[str, ...], list[_Started]] = {}
        self._refill: dict[tuple[str, ...], asyncio.Task[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    def _discard(self, started: _Started) -> None:
        task = asyncio.ensure_future(started.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    def argv(toolchain: Toolchain, ir: str) -> tuple[str, ...]:
        """llc's command line for ``ir``: the module's own triple, else the configured one
        (as lsp_server.llvm.llc does)."""
        argv = [toolchain.path("llc"), "-filetype=obj", "-o", _OUTPUT, "-"]
        if module_triple(ir) is None and toolchain.default_triple:
            argv.append(f"-mtriple={toolchain.default_triple}")
        return tuple(argv)

    async def _start(self, argv: tuple[str, ...]) -> _Started:
        workdir = tempfile.TemporaryDirectory(prefix="irlens-llc-")
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                cwd=workdir.name,
                preexec_fn=_limits,
                start_new_session=True,
            )
        except BaseException:
            workdir.cleanup()
            raise
        return _Started(proc, workdir)

    def _take(self, argv: tuple[str, ...]) -> _Started | None:
        spares = self._spares.get(argv, [])
        while spares:
            started = spares.pop()
            if started.alive:
                return started
            self._discard(started)
        return None

    def _top_up(self, argv: tuple[str, ...]) -> None:
        """Start spares for ``argv`` in the background (others' command lines are dropped:
        the next hover almost always compiles for the same target)."""
        if self._closed:
            return
        for other in [a for a in self._spares if a != argv]:
            for started in self._spares.pop(other):
                self._discard(started)

        async def refill() -> None:
            spares = self._spares.setdefault(argv, [])
            while len(spares) < SPARES and not self._closed:
                try:
                    spares.append(await self._start(argv))
                except OSError as err:
                    log.debug("could not start a spare llc: %s", err)
                    return

        running = self._refill.get(argv)
        if running is not None and not running.done():
            return
        self._refill[argv] = asyncio.ensure_future(refill())

    async def compile(self, toolchain: Toolchain, ir: str) -> bytes:
        """``llc -filetype=obj`` of ``ir``; raises ToolError as lsp_server.llvm.llc does."""
        argv = self.argv(toolchain, ir)
        started = self._take(argv)
        try:
            if started is None:
                started = await self._start(argv)
        except OSError as error:
            raise ToolError(f"llc could not be started: {error}") from error
        try:
            try:
                _, stderr = await asyncio.wait_for(
                    started.proc.communicate(ir.encode()), toolchain.timeout
                )
            except asyncio.TimeoutError:
                started.kill()
                await started.proc.wait()
                result = ToolResult(argv, started.proc.returncode, b"", b"", timed_out=True)
                raise ToolError.from_result("llc could not compile this module", result) from None
            path = Path(started.workdir.name, _OUTPUT)
            result = ToolResult(argv, started.proc.returncode, b"", stderr[:_MAX_STDERR])
            if not result.ok or not path.is_file():
                raise ToolError.from_result("llc could not compile this module", result)
            return path.read_bytes()
        finally:
            await started.close()
            self._top_up(argv)

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

"""Compiling candidate pipelines and measuring their object size, fast and in parallel.

One :class:`Measurer` serves one input module. A candidate is measured as ``opt
-passes=P`` to bitcode, then ``llc -filetype=obj`` for the module's triple, then ``text +
data`` of the object (the project's definition of binary size). Three things keep the
search's compilations useful:

- a pipeline that was measured before is answered from memory;
- opt's output is hashed, and a module that some other pipeline already produced is not
  compiled again (many pipelines produce the same IR);
- at most ``concurrency`` tools run at once (one per core), so compilations do not fight.

Failures (a pass that crashes, a timeout) are measurements with ``size=None`` and a reason,
never exceptions: a bad candidate is just a bad candidate.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from lsp_server.llvm import llc, opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.size import object_binary_size
from lsp_server.llvm.toolchain import Toolchain


@dataclass(frozen=True)
class Measurement:
    """The size one pipeline gives, or why it gave none."""

    pipeline: str
    size: int | None
    error: str | None = None
    ir_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.size is not None


@dataclass
class MeasureStats:
    """What the compilations were spent on (reported by the benchmark and the CLI)."""

    requests: int = 0
    pipeline_cache_hits: int = 0
    opt_runs: int = 0
    llc_runs: int = 0
    ir_cache_hits: int = 0
    failures: int = 0
    tool_seconds: float = 0.0
    failure_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def compilations(self) -> int:
        """opt runs: every pipeline that was not answered from memory."""
        return self.opt_runs

    def to_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "pipelineCacheHits": self.pipeline_cache_hits,
            "optRuns": self.opt_runs,
            "llcRuns": self.llc_runs,
            "irCacheHits": self.ir_cache_hits,
            "failures": self.failures,
            "toolSeconds": round(self.tool_seconds, 3),
            "failureReasons": dict(self.failure_reasons.most_common(5)),
        }


def _reason(result: ToolResult) -> str:
    """The failure on one line ("opt failed (exit 1): opt: unknown pass 'x'")."""
    lines = [line.strip() for line in result.describe_failure().splitlines() if line.strip()]
    return " ".join(lines[:3])


class Measurer:
    """Measures pipelines on one module; see the module docstring."""

    def __init__(
        self,
        toolchain: Toolchain,
        module: bytes | str,
        triple: str,
        *,
        concurrency: int,
        timeout: float,
    ) -> None:
        self.toolchain = toolchain
        self.module = module
        self.triple = triple
        self.timeout = timeout
        self.stats = MeasureStats()
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._by_pipeline: dict[str, asyncio.Future[Measurement]] = {}
        self._by_ir: dict[str, asyncio.Future[int | None]] = {}

    @property
    def measured(self) -> int:
        return len(self._by_pipeline)

    def results(self) -> list[Measurement]:
        """Every finished measurement, in the order they were asked for."""
        return [f.result() for f in self._by_pipeline.values() if f.done() and not f.cancelled()]

    def known(self, pipeline: str) -> Measurement | None:
        """The measurement of ``pipeline`` if it is done, without compiling anything."""
        future = self._by_pipeline.get(pipeline)
        if future is None or not future.done() or future.cancelled():
            return None
        return future.result()

    async def measure(self, pipeline: str) -> Measurement:
        """The size ``pipeline`` gives; compiled at most once per Measurer."""
        self.stats.requests += 1
        future = self._by_pipeline.get(pipeline)
        if future is not None and not future.cancelled():
            self.stats.pipeline_cache_hits += 1
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._by_pipeline[pipeline] = future
        try:
            result = await self._measure(pipeline)
        except BaseException:
            # A cancelled measurement is forgotten, so asking again compiles again.
            del self._by_pipeline[pipeline]
            future.cancel()
            raise
        future.set_result(result)
        return result

    async def _run(self, argv: list[str], stdin: bytes | str) -> ToolResult:
        async with self._semaphore:
            result = await run_tool(
                argv, stdin=stdin, timeout=self.timeout, limits=self.toolchain.limits
            )
        self.stats.tool_seconds += result.seconds
        return result

    async def _measure(self, pipeline: str) -> Measurement:
        argv = opt.pipeline_argv(self.toolchain, pipeline, output="bitcode")
        self.stats.opt_runs += 1
        result = await self._run(argv, self.module)
        if not result.ok:
            return self._failed(pipeline, _reason(result))
        digest = hashlib.blake2b(result.stdout, digest_size=16).hexdigest()
        size = await self._size_of(digest, result.stdout)
        if size is None:
            return self._failed(pipeline, "llc could not compile opt's output", digest)
        return Measurement(pipeline, size, None, digest)

    def _failed(self, pipeline: str, reason: str, digest: str | None = None) -> Measurement:
        self.stats.failures += 1
        self.stats.failure_reasons[_short(reason)] += 1
        return Measurement(pipeline, None, reason, digest)

    async def _size_of(self, digest: str, bitcode: bytes) -> int | None:
        future = self._by_ir.get(digest)
        if future is not None and not future.cancelled():
            self.stats.ir_cache_hits += 1
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._by_ir[digest] = future
        try:
            size = await self._compile(bitcode)
        except BaseException:
            del self._by_ir[digest]
            future.cancel()
            raise
        future.set_result(size)
        return size

    async def _compile(self, bitcode: bytes) -> int | None:
        # The object comes back on stdout: no file to write and read back per candidate.
        argv = llc.compile_argv(self.toolchain, bitcode, output="-", triple=self.triple)
        self.stats.llc_runs += 1
        result = await self._run(argv, bitcode)
        if not result.ok:
            return None
        try:
            return await object_binary_size(self.toolchain, result.stdout)
        except ToolError:
            return None


def _short(reason: str) -> str:
    return reason if len(reason) <= 80 else reason[:77] + "..."

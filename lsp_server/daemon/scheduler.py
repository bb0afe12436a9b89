"""The request queue: batches concurrent requests and drives the batch runner.

All of this runs on the event loop except :meth:`BatchRunner.step`, which runs on one
worker thread so that HTTP keeps flowing (and disconnects are noticed) while the device
computes. Between two steps the loop admits waiting prompts into the batch (continuous
batching: a new request does not wait for a long one to finish) and forwards new text to
each request's handle. A request whose client goes away is dropped at the next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from lsp_server.daemon.metrics import DaemonMetrics
from lsp_server.daemon.protocol import ApiError, SamplingParams
from lsp_server.daemon.sequence import Decode, Group, SequenceState

logger = logging.getLogger(__name__)


class QueueFullError(Exception):
    """Raised by :meth:`Scheduler.submit` when too many prompts are waiting."""


class StepUpdate(Protocol):
    """What the runner reports about one sequence after a step."""

    @property
    def group(self) -> Group: ...

    @property
    def seq(self) -> SequenceState: ...

    @property
    def text(self) -> str: ...

    @property
    def new_tokens(self) -> int: ...


class StepReport(Protocol):
    """What the runner reports about one step."""

    @property
    def updates(self) -> Sequence[StepUpdate]: ...

    @property
    def prefill_tokens(self) -> int: ...

    @property
    def decode_batch(self) -> int: ...

    @property
    def forward_passes(self) -> int: ...

    @property
    def drafted(self) -> int: ...

    @property
    def accepted(self) -> int: ...


class Runner(Protocol):
    """The part of :class:`lsp_server.daemon.batch.BatchRunner` the scheduler uses."""

    @property
    def num_rows(self) -> int: ...

    def group_keys(self) -> set[int]: ...

    def reset(self) -> list[Group]: ...

    def step(self, admit: Sequence[Group], drop: set[int]) -> StepReport: ...


@dataclass(frozen=True)
class Event:
    """New text for one choice, and its finish reason once it is done."""

    index: int
    text: str
    finish_reason: str | None


class RequestHandle:
    """One accepted request: its groups, and a queue of events for the HTTP handler."""

    def __init__(self, groups: list[Group], prompt_tokens: int) -> None:
        self.groups = groups
        self.prompt_tokens = prompt_tokens
        self.created = time.perf_counter()
        self.first_token: float | None = None
        self.done = False
        self._queue: asyncio.Queue[Event | ApiError | None] = asyncio.Queue()

    @property
    def completion_tokens(self) -> int:
        """Tokens generated for this request so far, over all choices."""
        return sum(len(s.token_ids) for g in self.groups for s in g.seqs)

    async def events(self) -> AsyncIterator[Event]:
        """Events until every choice has finished; raises the error that ended it, if any."""
        while True:
            item = await self._queue.get()
            if item is None:
                return
            if isinstance(item, ApiError):
                raise item
            yield item

    def _put(self, item: Event | ApiError | None) -> None:
        self._queue.put_nowait(item)


class Scheduler:
    """Owns the waiting queue and the loop that steps the batch runner."""

    def __init__(
        self,
        runner: Runner,
        metrics: DaemonMetrics,
        *,
        decode: Decode,
        eos_ids: frozenset[int],
        max_batch_size: int,
        batch_window_s: float,
        max_queue: int,
        max_prefill_tokens: int,
    ) -> None:
        self._runner = runner
        self._metrics = metrics
        self._decode = decode
        self._eos_ids = eos_ids
        self._max_batch_size = max_batch_size
        self._batch_window_s = batch_window_s
        self._max_queue = max_queue
        self._max_prefill_tokens = max_prefill_tokens
        self._waiting: deque[Group] = deque()
        self._handles: dict[int, RequestHandle] = {}
        self._next_key = 0
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="irlens-generate")
        self._task: asyncio.Task[None] | None = None
        self._running_rows = 0

    @property
    def queue_depth(self) -> int:
        """Prompts waiting to join the batch."""
        return len(self._waiting)

    @property
    def running(self) -> int:
        """Sequences in the batch after the last step."""
        return self._running_rows

    def start(self) -> None:
        """Start the scheduling loop on the running event loop."""
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="irlens-scheduler")

    async def close(self) -> None:
        """Stop the loop and fail whatever is still waiting or running."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=True)
        for handle in set(self._handles.values()):
            self._fail(handle, ApiError(503, "the daemon is shutting down", type="server_error"))

    def submit(
        self, prompt_ids: Sequence[Sequence[int]], n: int, params: SamplingParams
    ) -> RequestHandle:
        """Queue one request (one group per prompt); raise :class:`QueueFullError`."""
        if len(self._waiting) + len(prompt_ids) > self._max_queue:
            raise QueueFullError
        groups = []
        for i, ids in enumerate(prompt_ids):
            groups.append(
                Group(
                    key=self._next_key,
                    prompt_ids=ids,
                    params=params,
                    first_index=i * n,
                    n=n,
                    decode=self._decode,
                    eos_ids=self._eos_ids,
                )
            )
            self._next_key += 1
        handle = RequestHandle(groups, sum(len(ids) for ids in prompt_ids))
        for group in groups:
            self._handles[group.key] = handle
        self._waiting.extend(groups)
        self._metrics.requests.inc()
        self._wake.set()
        return handle

    def cancel(self, handle: RequestHandle) -> None:
        """Stop a request whose client went away; its sequences leave at the next step."""
        if handle.done:
            return
        handle.done = True
        self._metrics.cancelled.inc()
        for group in handle.groups:
            group.cancelled = True
        # Waiting groups leave now; running ones are dropped by the next step.
        for group in [g for g in self._waiting if g.cancelled]:
            self._handles.pop(group.key, None)
        self._waiting = deque(g for g in self._waiting if not g.cancelled)
        logger.debug("request cancelled after %d tokens", handle.completion_tokens)
        self._wake.set()

    # -- the loop ------------------------------------------------------------------

    def _admit(self) -> list[Group]:
        free = self._max_batch_size - self._runner.num_rows
        chosen: list[Group] = []
        longest = 0
        while self._waiting:
            group = self._waiting[0]
            if group.cancelled:
                self._waiting.popleft()
                self._handles.pop(group.key, None)
                continue
            rows = len(group.seqs)
            widest = max(longest, len(group.prompt_ids))
            if rows > free or (chosen and widest * (len(chosen) + 1) > self._max_prefill_tokens):
                break
            chosen.append(self._waiting.popleft())
            free -= rows
            longest = widest
        return chosen

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._runner.num_rows and not self._waiting:
                self._wake.clear()
                await self._wake.wait()
                # Requests that arrive together share the first prefill.
                if self._batch_window_s > 0:
                    await asyncio.sleep(self._batch_window_s)
            admit = self._admit()
            running = self._runner.group_keys()
            drop = {k for k in running if k not in self._handles or self._handles[k].done}
            if not admit and not self._runner.num_rows:
                continue
            try:
                report = await loop.run_in_executor(self._executor, self._runner.step, admit, drop)
            except Exception as exc:
                logger.exception("a generation step failed; failing the requests in the batch")
                error = ApiError(500, f"generation failed: {exc}", type="server_error")
                for group in [*self._runner.reset(), *admit]:
                    handle = self._handles.get(group.key)
                    if handle is not None:
                        self._fail(handle, error)
                self._running_rows = 0
                continue
            for key in drop:
                self._handles.pop(key, None)
            self._running_rows = self._runner.num_rows
            self._dispatch(report)

    def _dispatch(self, report: StepReport) -> None:
        metrics = self._metrics
        metrics.prompt_tokens.inc(report.prefill_tokens)
        metrics.steps.inc(report.forward_passes)
        metrics.draft_tokens.inc(report.drafted)
        metrics.accepted_tokens.inc(report.accepted)
        if report.decode_batch:
            metrics.batch_size.observe(report.decode_batch)
        now = time.perf_counter()
        touched: dict[int, tuple[Group, RequestHandle]] = {}
        for update in report.updates:
            metrics.generation_tokens.inc(update.new_tokens)
            handle = self._handles.get(update.group.key)
            if handle is None or handle.done:
                continue
            if handle.first_token is None and update.new_tokens:
                handle.first_token = now
                metrics.ttft.observe(now - handle.created)
            seq = update.seq
            if update.text or seq.finished:
                handle._put(Event(seq.index, update.text, seq.finish_reason))
            touched[update.group.key] = (update.group, handle)
        # Completion is decided after every update is delivered: several sequences of
        # one request often finish in the same step.
        for key, (group, handle) in touched.items():
            if not group.finished:
                continue
            self._handles.pop(key, None)
            if not handle.done and all(g.finished for g in handle.groups):
                handle.done = True
                metrics.finished.inc()
                metrics.latency.observe(now - handle.created)
                handle._put(None)

    def _fail(self, handle: RequestHandle, error: ApiError) -> None:
        for group in handle.groups:
            self._handles.pop(group.key, None)
        if not handle.done:
            handle.done = True
            self._metrics.errors.inc()
            handle._put(error)

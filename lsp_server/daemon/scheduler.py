"""The request queue: batches concurrent requests and drives the batch runner.

The model runs on one worker thread that loops: admit waiting prompts into the batch
(continuous batching: a new request does not wait for a long one to finish), drop the
sequences of cancelled requests, run one step, and hand the step's report to the event
loop. The event loop only queues requests and forwards text to each request's handle,
so HTTP work overlaps with the device's, and the device never waits for a slow client.

Threads: ``_waiting`` is shared under ``_lock``; ``Group.cancelled`` is a flag the loop
sets and the worker reads; everything else belongs to the event loop, which learns
about a step only through the immutable :class:`StepReport` it is sent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from lsp_server.daemon.metrics import DaemonMetrics
from lsp_server.daemon.protocol import ApiError, SamplingParams
from lsp_server.daemon.sequence import Decode, Group, MakeDetokenizer

logger = logging.getLogger(__name__)

#: A group passed over this long (it did not fit, or its request had its share) stops
#: later groups from overtaking it, so fairness never starves a large request.
STARVATION_S = 2.0


class QueueFullError(Exception):
    """Raised by :meth:`Scheduler.submit` when too many prompts are waiting."""


class StepUpdate(Protocol):
    """What one step did to one sequence, as values (the worker goes on mutating state)."""

    @property
    def key(self) -> int: ...

    @property
    def index(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def new_tokens(self) -> int: ...

    @property
    def finish_reason(self) -> str | None: ...


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

    def groups(self) -> list[Group]: ...

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
        self.completion_tokens = 0
        self.created = time.perf_counter()
        self.first_token: float | None = None
        self.done = False
        self._remaining = sum(len(g.seqs) for g in groups)
        self._queue: asyncio.Queue[Event | ApiError | None] = asyncio.Queue()

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
    """Owns the waiting queue and the worker thread that steps the batch runner."""

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
        kv_budget_tokens: int | None = None,
        detokenizer: MakeDetokenizer | None = None,
    ) -> None:
        self._runner = runner
        self._detokenizer = detokenizer
        self._kv_budget_tokens = kv_budget_tokens
        self._metrics = metrics
        self._decode = decode
        self._eos_ids = eos_ids
        self._max_batch_size = max_batch_size
        self._batch_window_s = batch_window_s
        self._max_queue = max_queue
        self._max_prefill_tokens = max_prefill_tokens
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._waiting: deque[Group] = deque()
        self._stopping = False
        self._handles: dict[int, RequestHandle] = {}
        self._next_key = 0
        self._running_rows = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._work_loop, name="irlens-generate", daemon=True)

    @property
    def queue_depth(self) -> int:
        """Prompts waiting to join the batch."""
        return len(self._waiting)

    @property
    def running(self) -> int:
        """Sequences in the batch after the last step."""
        return self._running_rows

    def start(self) -> None:
        """Start the worker; reports go to the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._thread.start()

    async def close(self) -> None:
        """Stop the worker after its current step and fail whatever is still pending."""
        with self._work:
            self._stopping = True
            self._work.notify()
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join)
        error = ApiError(503, "the daemon is shutting down", type="server_error")
        for handle in set(self._handles.values()):
            self._fail(handle, error)

    def submit(
        self, prompt_ids: Sequence[Sequence[int]], n: int, params: SamplingParams
    ) -> RequestHandle:
        """Queue one request (one group per prompt); raise :class:`QueueFullError`."""
        groups = []
        request = self._next_key
        for i, ids in enumerate(prompt_ids):
            group = Group(
                key=self._next_key,
                prompt_ids=ids,
                params=params,
                first_index=i * n,
                n=n,
                decode=self._decode,
                eos_ids=self._eos_ids,
                detokenizer=self._detokenizer,
            )
            group.request = request
            groups.append(group)
            self._next_key += 1
        with self._work:
            if len(self._waiting) + len(groups) > self._max_queue:
                raise QueueFullError
            self._waiting.extend(groups)
            self._work.notify()
        handle = RequestHandle(groups, sum(len(ids) for ids in prompt_ids))
        for group in groups:
            self._handles[group.key] = handle
        self._metrics.requests.inc()
        return handle

    def cancel(self, handle: RequestHandle) -> None:
        """Stop a request whose client went away; its sequences leave at the next step."""
        if handle.done:
            return
        handle.done = True
        self._metrics.cancelled.inc()
        for group in handle.groups:
            group.cancelled = True
            self._handles.pop(group.key, None)
        with self._work:
            self._waiting = deque(g for g in self._waiting if not g.cancelled)
        logger.debug("request cancelled after %d tokens", handle.completion_tokens)

    # -- the worker thread ---------------------------------------------------------

    def take_admissible(self) -> list[Group]:
        """Waiting groups that fit in the batch now (called with the lock held).

        Three limits: rows (``max_batch_size``), the padded size of one prefill
        (``max_prefill_tokens``), and on a GPU the KV cache the batch could grow to,
        counted as rows x the longest prompt-plus-completion (the cache is padded to
        its widest row). A lone request is always admitted.

        Fairness is by request, not by row: a group that does not fit does not block
        the ones behind it; a request already holding its share of the rows (the batch
        size over the requests running or waiting) waits while others are admitted;
        and a fan-out (``n`` > 1) may not take the last eighth of the rows, which stay
        free for single-row requests. A group passed over for :data:`STARVATION_S`
        stops the queue behind it until it fits.
        """
        rows = self._runner.num_rows
        running = self._runner.groups()
        reach = max((len(g.prompt_ids) + g.params.max_tokens for g in running), default=0)
        held: Counter[int] = Counter()
        for g in running:
            held[g.request] += len(g.seqs)
        requests = {g.request for g in running} | {
            g.request for g in self._waiting if not g.cancelled
        }
        share = max(1, self._max_batch_size // max(1, len(requests)))
        reserve = max(1, self._max_batch_size // 8)
        now = time.perf_counter()
        chosen: list[Group] = []
        passed: list[Group] = []
        longest = 0
        while self._waiting:
            group = self._waiting.popleft()
            if group.cancelled:
                continue
            need = len(group.seqs)
            widest = max(longest, len(group.prompt_ids))
            new_reach = max(reach, len(group.prompt_ids) + group.params.max_tokens)
            new_rows = rows + need
            alone = not rows and not chosen
            too_wide = bool(chosen) and widest * (len(chosen) + 1) > self._max_prefill_tokens
            too_big = (
                self._kv_budget_tokens is not None
                and new_rows > need
                and new_rows * new_reach > self._kv_budget_tokens
            )
            fan_out_too_big = need > 1 and not alone and new_rows > self._max_batch_size - reserve
            over_share = held[group.request] > 0 and held[group.request] + need > share
            if (
                new_rows > self._max_batch_size
                or too_wide
                or too_big
                or fan_out_too_big
                or (over_share and not alone)
            ):
                passed.append(group)
                if now - group.queued_at > STARVATION_S:
                    break
                continue
            chosen.append(group)
            held[group.request] += need
            rows, reach, longest = new_rows, new_reach, widest
        # Groups passed over keep their place at the head of the queue.
        self._waiting.extendleft(reversed(passed))
        return chosen

    def _work_loop(self) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            with self._work:
                while not (self._stopping or self._waiting or self._runner.num_rows):
                    self._work.wait()
                if self._stopping:
                    return
                idle = not self._runner.num_rows
            if idle and self._batch_window_s > 0:
                # Requests that arrive together share the first prefill.
                time.sleep(self._batch_window_s)
            with self._work:
                admit = self.take_admissible()
            drop = {g.key for g in self._runner.groups() if g.cancelled}
            if not admit and not self._runner.num_rows:
                continue
            try:
                report = self._runner.step(admit, drop)
            except Exception as exc:
                logger.exception("a generation step failed; failing the requests in the batch")
                keys = [g.key for g in [*self._runner.reset(), *admit]]
                self._running_rows = 0
                loop.call_soon_threadsafe(self._fail_keys, keys, f"generation failed: {exc}")
                continue
            self._running_rows = self._runner.num_rows
            loop.call_soon_threadsafe(self._dispatch, report)

    # -- back on the event loop ----------------------------------------------------

    def _dispatch(self, report: StepReport) -> None:
        metrics = self._metrics
        metrics.prompt_tokens.inc(report.prefill_tokens)
        metrics.steps.inc(report.forward_passes)
        metrics.draft_tokens.inc(report.drafted)
        metrics.accepted_tokens.inc(report.accepted)
        if report.decode_batch:
            metrics.batch_size.observe(report.decode_batch)
        now = time.perf_counter()
        for update in report.updates:
            metrics.generation_tokens.inc(update.new_tokens)
            handle = self._handles.get(update.key)
            if handle is None or handle.done:
                continue
            handle.completion_tokens += update.new_tokens
            if handle.first_token is None and update.new_tokens:
                handle.first_token = now
                metrics.ttft.observe(now - handle.created)
            if update.text or update.finish_reason:
                handle._put(Event(update.index, update.text, update.finish_reason))
            if update.finish_reason:
                handle._remaining -= 1
                if handle._remaining == 0:
                    handle.done = True
                    for group in handle.groups:
                        self._handles.pop(group.key, None)
                    metrics.finished.inc()
                    metrics.latency.observe(now - handle.created)
                    handle._put(None)

    def _fail_keys(self, keys: list[int], message: str) -> None:
        error = ApiError(500, message, type="server_error")
        for key in keys:
            handle = self._handles.get(key)
            if handle is not None:
                self._fail(handle, error)

    def _fail(self, handle: RequestHandle, error: ApiError) -> None:
        for group in handle.groups:
            self._handles.pop(group.key, None)
        if not handle.done:
            handle.done = True
            self._metrics.errors.inc()
            handle._put(error)

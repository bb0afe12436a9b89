"""Hover: the IR after a pass (or after the default pipeline on a function), verified.

The flow: what is under the cursor (:mod:`.preview_target`) → the real opt result on the
whole module (:mod:`.preview_run`) → diffs, counts and sizes (:mod:`.preview`) → with a
model configured, its emulation and verdict (:mod:`.preview_model`).

The truth is always waited for; the model gets what is left of the time budget
(``preview.timeBudgetMs``). A prediction that is not ready goes on in the background,
lands in the cache and is reported through ``on_update`` (the server sends it as
``irlens/previewUpdated``), and the next hover shows it.

:class:`PreviewState` is the feature's per-server state: the memo of results, the one
truth computation in flight per document (a newer hover cancels a stale one), and the
predictions running in the background.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lsp_server.llvm.warm import WarmTools
from lsp_server.model.backend import BackendState
from lsp_server.model.identity import ModelIdentity, identity_of
from lsp_server.preview.command import shell_command, source_name
from lsp_server.preview.model import (
    Prediction,
    PredictionRequest,
    cached_prediction,
    model_name,
    prediction_request,
    run_prediction,
)
from lsp_server.preview.remarks import Remark, pass_remarks
from lsp_server.preview.render import Preview, build_preview, preview_json, render_markdown
from lsp_server.preview.run import Memo, Truth, compute_truth
from lsp_server.preview.target import Target, find_target
from lsp_server.services import Services
from lsp_server.syntax.span import Span
from lsp_server.textkey import text_key

log = logging.getLogger(__name__)

#: How long a failed model call is remembered before a hover asks again.
FAILURE_MEMORY_SECONDS = 30.0
#: Background predictions kept per document; an older one is cancelled for a newer one.
MAX_PREDICTIONS_PER_DOCUMENT = 2
#: The least time a hover waits for the model server to say which model it serves.
IDENTITY_FLOOR = 0.25
#: Failed model calls remembered at most (the oldest goes first).
MAX_FAILURES = 256
#: Modules longer than this (both sides, in characters) are diffed in a worker thread.
_THREAD_CHARS = 50_000


class Superseded(Exception):
    """A newer hover on the same document took over this one's work."""


@dataclass(frozen=True)
class HoverPreview:
    """What a hover shows: Markdown over ``span``, and the same as structured ``data``."""

    markdown: str
    span: Span
    data: dict[str, Any]


@dataclass(frozen=True)
class PreviewUpdate:
    """A prediction that arrived after its hover returned (``irlens/previewUpdated``)."""

    document: str
    span: Span
    function: str | None
    pass_text: str
    markdown: str
    data: dict[str, Any]


Updater = Callable[[PreviewUpdate], None]


@dataclass
class _Flight:
    key: tuple[Any, ...]
    task: asyncio.Task[Truth]
    waiters: int = 0


@dataclass
class PreviewState:
    """The preview feature's state in one server (see the module docstring)."""

    memo: Memo = field(default_factory=Memo)
    flights: dict[str, _Flight] = field(default_factory=dict)
    predictions: dict[str, asyncio.Task[Prediction]] = field(default_factory=dict)
    _by_document: dict[str, list[str]] = field(default_factory=dict)
    _failures: dict[str, tuple[float, Prediction]] = field(default_factory=dict)
    _winding: dict[str, set[asyncio.Task[Truth]]] = field(default_factory=dict)
    max_in_flight: int = 0  # the most truth computations ever in flight (for the benchmark)
    warm: WarmTools | None = None  # opt and llc started ahead (the server sets one)

    def in_flight(self) -> int:
        return sum(1 for flight in self.flights.values() if not flight.task.done())

    async def truth(self, document: str, text: str, target: Target, services: Services) -> Truth:
        """The truth for ``target``: remembered, shared with an identical hover in flight,
        or computed after cancelling the document's stale computation."""
        key = (
            "truth",
            text_key(text),
            target,
            services.toolchain.version_text,
            services.settings.target.triple,
        )
        known = self.memo.get(key)
        if known is not None:
            return known  # type: ignore[no-any-return]
        flight = self.flights.get(document)
        if flight is None or flight.key != key or flight.task.done():
            # Every earlier computation of the document still winding down, not only the
            # last one: a computation cancelled before it started waits for nothing.
            stale = {t for t in self._winding.get(document, set()) if not t.done()}
            if flight is not None and not flight.task.done():
                # Only the current one: cancelling one again while it waits for its killed
                # tool to exit would cut that wait short.
                flight.task.cancel()
            task = asyncio.ensure_future(self._compute(stale, text, target, services))
            flight = _Flight(key, task)
            self.flights[document] = flight
            self._winding.setdefault(document, set()).add(task)
            task.add_done_callback(functools.partial(self._landed, document))
            self.max_in_flight = max(self.max_in_flight, self.in_flight())
        flight.waiters += 1
        try:
            truth = await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            if flight.task.cancelled() and not _cancelling():
                raise Superseded from None
            if flight.waiters == 1:
                flight.task.cancel()
            raise
        finally:
            flight.waiters -= 1
        timed_out = any(
            stage.failure is not None and stage.failure.kind == "timeout"
            for stage in (truth.before, truth.after)
        )
        if not timed_out:
            self.memo.put(key, truth, truth.weight)
        return truth

    async def _compute(
        self, stale: set[asyncio.Task[Truth]], text: str, target: Target, services: Services
    ) -> Truth:
        if stale:
            # Start only once the stale computations have killed their tools: at most one
            # computation's processes run per document.
            await asyncio.wait(stale)
        return await compute_truth(text, target, services, self.memo, self.warm)

    def _landed(self, document: str, task: asyncio.Task[Truth]) -> None:
        flight = self.flights.get(document)
        if flight is not None and flight.task is task:
            del self.flights[document]
        winding = self._winding.get(document)
        if winding is not None:
            winding.discard(task)
            if not winding:
                del self._winding[document]
        if not task.cancelled() and task.exception() is not None:
            log.debug("preview computation failed", exc_info=task.exception())

    # -- predictions --------------------------------------------------------------------

    def known_prediction(self, services: Services, request: PredictionRequest) -> Prediction | None:
        """A settled prediction, or a recent failure (so a down model is not asked again
        on every hover)."""
        found = cached_prediction(services, request, self.memo)
        if found is not None:
            return found
        failure = self._failures.get(request.key)
        if failure is not None and time.monotonic() - failure[0] < FAILURE_MEMORY_SECONDS:
            return failure[1]
        return None

    def start_prediction(
        self,
        document: str,
        services: Services,
        request: PredictionRequest,
        done: Callable[[Prediction], None],
    ) -> asyncio.Task[Prediction]:
        """The background prediction for ``request`` (started once, shared by hovers)."""
        task = self.predictions.get(request.key)
        if task is not None and not task.done():
            return task
        keys = self._by_document.setdefault(document, [])
        while len(keys) >= MAX_PREDICTIONS_PER_DOCUMENT:
            stale = self.predictions.pop(keys.pop(0), None)
            if stale is not None:
                stale.cancel()
        task = asyncio.ensure_future(self._predict(services, request))
        self.predictions[request.key] = task
        keys.append(request.key)

        def finished(t: asyncio.Task[Prediction]) -> None:
            if self.predictions.get(request.key) is t:
                del self.predictions[request.key]
            if request.key in keys:
                keys.remove(request.key)
            if t.cancelled():
                return
            prediction = t.result()
            if not prediction.settled:
                self._remember_failure(request.key, prediction)
            done(prediction)

        task.add_done_callback(finished)
        return task

    def _remember_failure(self, key: str, prediction: Prediction) -> None:
        """Keep a failure for FAILURE_MEMORY_SECONDS; expired and surplus ones go, so
        the failures of documents long closed do not pile up."""
        now = time.monotonic()
        self._failures.pop(key, None)
        for old, (when, _) in list(self._failures.items()):
            if now - when >= FAILURE_MEMORY_SECONDS or len(self._failures) >= MAX_FAILURES:
                del self._failures[old]
            else:
                break  # insertion order is time order: the rest are newer
        self._failures[key] = (now, prediction)

    async def _predict(self, services: Services, request: PredictionRequest) -> Prediction:
        try:
            return await run_prediction(services, request, self.memo)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.exception("irlens model prediction failed")
            return Prediction("error", request.model, request.passes, f"internal error: {err}")

    def forget_document(self, document: str) -> None:
        """Cancel the document's work (it was closed)."""
        flight = self.flights.pop(document, None)
        if flight is not None:
            flight.task.cancel()
        for key in self._by_document.pop(document, []):
            task = self.predictions.pop(key, None)
            if task is not None:
                task.cancel()


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _preview(truth: Truth, state: PreviewState) -> Preview:
    # Truth compares by identity, so this finds the preview of this very result.
    key = ("preview", truth)
    known = state.memo.get(key)
    if known is not None:
        return known  # type: ignore[no-any-return]
    size = len(truth.before.ir or "") + len(truth.after.ir or "")
    if size > _THREAD_CHARS:
        preview = await asyncio.to_thread(build_preview, truth)
    else:
        preview = build_preview(truth)
    state.memo.put(key, preview, truth.weight)
    return preview


def _result(
    preview: Preview,
    services: Services,
    prediction: Prediction | None,
    document: str,
    remarks: list[Remark] | str | None = None,
) -> tuple[str, dict[str, Any]]:
    command = shell_command(services.toolchain, preview.truth.target, source_name(document))
    limit = services.settings.preview.max_diff_lines
    markdown = render_markdown(preview, limit, prediction, command, remarks)
    return markdown, preview_json(preview, prediction, command, remarks)


async def _remarks(services: Services, state: PreviewState, truth: Truth) -> list[Remark] | str:
    """The previewed pass's remarks on its input (remembered by content)."""
    target = truth.target
    module = truth.before.ir
    if module is None:
        return "opt printed no input for the pass"
    known = _known_remarks(state, truth)
    if known is not None:
        return known
    found = await pass_remarks(services, module, target.model_passes, target.args, state.warm)
    state.memo.put(_remarks_key(truth), found, 1)
    return found


def _remarks_key(truth: Truth) -> tuple[Any, ...]:
    target = truth.target
    module = truth.before.ir or ""
    return ("remarks", text_key(module), target.model_passes, target.args, truth.llvm_version)


def _known_remarks(state: PreviewState, truth: Truth) -> list[Remark] | str | None:
    found: list[Remark] | str | None = state.memo.get(_remarks_key(truth))
    return found


def _problem(services: Services, target: Target) -> HoverPreview | None:
    problem = services.toolchain.problem_for("preview")
    if problem is None:
        return None
    markdown = f"**{target.pass_text}**: cannot preview: {problem}"
    return HoverPreview(markdown, target.span, {"error": problem})


_NO_TARGET = object()


async def _target(
    text: str, line: int, col: int, services: Services, state: PreviewState
) -> Target | None:
    """find_target with the local opt's options, remembered: parsing the RUN lines and the
    outline of a large file is most of what a repeated hover costs."""
    default = services.settings.preview.default_pipeline
    version = services.toolchain.version_text
    key = ("target", text_key(text), line, col, default, version)
    known = state.memo.get(key)
    if known is not None:
        return None if known is _NO_TARGET else known
    options = await services.opt_options()
    target = find_target(text, line, col, default, options)
    state.memo.put(key, _NO_TARGET if target is None else target)
    return target


async def hover_preview(
    text: str,
    line: int,
    col: int,
    services: Services,
    state: PreviewState,
    *,
    document: str = "",
    on_update: Updater | None = None,
    ask_model: bool = True,
) -> HoverPreview | None:
    """The preview for a hover at ``(line, col)`` (0-based, str columns), or None when the
    cursor is on neither a pass nor a ``define`` line. Raises :class:`Superseded` when a
    newer hover on the same document replaced this one. With ``ask_model`` false the
    configured model is left alone (the warm-up must not spend the GPU or fill its cache)."""
    started = time.monotonic()
    target = await _target(text, line, col, services, state)
    if target is None:
        return None
    problem = _problem(services, target)
    if problem is not None:
        return problem
    # Which model the server serves is asked while opt runs: a cached answer is shown only
    # for the server and model that gave it.
    identity = (
        asyncio.ensure_future(identity_of(services.backend))
        if services.backend is not None and ask_model
        else None
    )
    remarks: list[Remark] | str | None = None
    try:
        truth = await state.truth(document, text, target, services)
        preview = await _preview(truth, state)
        prediction: Prediction | None = None
        if truth.error is None:
            # The pass's remarks come from one more opt run, beside the model's prediction.
            asked = asyncio.ensure_future(_remarks(services, state, truth))
            try:
                if identity is not None:
                    prediction = await _prediction(
                        services, state, truth, preview, document, started, on_update, identity
                    )
                remarks = await asyncio.shield(asked)
            finally:
                if not asked.done():
                    asked.cancel()
    finally:
        if identity is not None and not identity.done():
            identity.cancel()
    markdown, data = _result(preview, services, prediction, document, remarks)
    return HoverPreview(markdown, target.span, data)


async def _identity_within(
    services: Services, identity: asyncio.Future[ModelIdentity | None], started: float
) -> ModelIdentity | str | None:
    """The served model's identity, or a message when the server did not say in time."""
    left = services.settings.preview.time_budget_ms / 1000 - (time.monotonic() - started)
    try:
        # It was asked while opt ran, so it is usually known by now; the floor lets a slow
        # first hover still find a cached answer.
        return await asyncio.wait_for(asyncio.shield(identity), max(left, IDENTITY_FLOOR))
    except TimeoutError:
        return "the model server has not yet said which model it serves"


async def _prediction(
    services: Services,
    state: PreviewState,
    truth: Truth,
    preview: Preview,
    document: str,
    started: float,
    on_update: Updater | None,
    identity_task: asyncio.Future[ModelIdentity | None],
) -> Prediction:
    identity = await _identity_within(services, identity_task, started)
    if isinstance(identity, str):
        return Prediction("error", model_name(services), truth.target.model_passes, identity)
    request = await prediction_request(services, truth, state.memo, identity)
    if isinstance(request, Prediction):
        return request
    known = state.known_prediction(services, request)
    if known is not None:
        return known

    def landed(prediction: Prediction) -> None:
        if on_update is None:
            return
        remarks = _known_remarks(state, truth)
        markdown, data = _result(preview, services, prediction, document, remarks)
        target = truth.target
        on_update(
            PreviewUpdate(document, target.span, preview.focus, target.pass_text, markdown, data)
        )

    task = state.start_prediction(document, services, request, landed)
    backend = services.backend
    if backend is not None and backend.state is BackendState.UNAVAILABLE:
        # Known to be down: say so now; the request above finds out whether it is back.
        return Prediction("error", request.model, request.passes, backend.detail)
    budget = services.settings.preview.time_budget_ms / 1000
    left = budget - (time.monotonic() - started)
    if left > 0:
        done, _ = await asyncio.wait([task], timeout=left)
        if task in done and not task.cancelled():
            return task.result()
    return Prediction("pending", request.model, request.passes)


async def preview_text(
    text: str, target: Target, services: Services, state: PreviewState | None = None
) -> tuple[Preview, Prediction | None]:
    """The preview of an explicit target, waiting for the model (the CLI's path)."""
    state = state or PreviewState()
    truth = await state.truth("", text, target, services)
    preview = await _preview(truth, state)
    if services.backend is None or truth.error is not None:
        return preview, None
    identity = await identity_of(services.backend)
    request = await prediction_request(services, truth, state.memo, identity)
    if isinstance(request, Prediction):
        return preview, request
    known = cached_prediction(services, request, state.memo)
    if known is not None:
        return preview, known
    return preview, await run_prediction(services, request, state.memo)

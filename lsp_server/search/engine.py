"""One suggestion, end to end: baseline, model candidates, local search, selection, checks.

:func:`suggest` is what the code action, the ``irlens.suggestPasses`` command, the CLI and the
benchmark call. It never raises for expected failures (a missing tool, IR that does not
compile, a model that is down or answers garbage, a timeout): those end in
:attr:`Suggestion.error` or in :attr:`Suggestion.notes`. Cancelling the awaiting task stops
everything and kills the tools it started.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from typing import TYPE_CHECKING

from lsp_server.llvm import extract, llc, opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.passes import PassRegistry
from lsp_server.llvm.toolchain import MissingToolError, Toolchain
from lsp_server.model.identity import identity_of
from lsp_server.search import learned, local, verify
from lsp_server.search.candidates import ModelAnswers, Status, check_answers, fetch_answers
from lsp_server.search.measure import Measurer
from lsp_server.search.result import (
    Offer,
    OnProgress,
    Options,
    ProgressEvent,
    Suggestion,
    options_from,
)
from lsp_server.search.select import OZ_PIPELINE, Choice, Measured, Outcome, choose
from lsp_server.search.space import Moves, flatten, level_of, vocabulary
from lsp_server.search.splice import SpliceError
from lsp_server.syntax.ir import parse_module

if TYPE_CHECKING:
    from lsp_server.services import Services

__all__ = [
    "Offer",
    "OnProgress",
    "Options",
    "ProgressEvent",
    "Suggestion",
    "options_from",
    "oz_pipeline",
    "suggest",
]

log = logging.getLogger(__name__)

#: How many of the best candidates are tried when the best one fails the final checks.
_FALLBACKS = 3


async def oz_pipeline(toolchain: Toolchain) -> str:
    """``default<Oz>`` spelled out, as the local opt prints it."""
    return await opt.print_pipeline(toolchain, OZ_PIPELINE)


def _kinds(registry: PassRegistry) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for kind, names in registry.by_kind.items():
        if "analys" in kind:
            continue
        level = level_of(kind)
        if level is None:
            continue
        for name in names:
            kinds.setdefault(name, level)
    return kinds


def _emit(on_progress: OnProgress | None, event: ProgressEvent) -> None:
    if on_progress is not None:
        on_progress(event)


async def suggest(
    text: str,
    function: str | None,
    services: Services,
    options: Options,
    *,
    on_progress: OnProgress | None = None,
) -> Suggestion:
    """Find and check the best pipeline for ``@function`` (or the module when None)."""
    toolchain = services.toolchain
    start = time.monotonic()
    triple = llc.module_triple(text) or ""
    result = Suggestion(function, triple or services.triple)
    problem = toolchain.problem_for("suggest")
    if problem:
        result.error = problem
        return result
    if not triple:
        result.notes.append(
            f"the module names no target triple; sizes are for {result.triple} "
            "(the irlens.target.triple setting, else llc's default target)"
        )
    try:
        await _suggest(text, function, services, options, result, on_progress)
    except (ToolError, MissingToolError) as err:
        result.error = str(err)
    result.seconds = time.monotonic() - start
    _emit(
        on_progress,
        ProgressEvent(
            "done",
            result.headline(),
            100,
            result.choice.oz_size if result.choice else None,
            result.offer.size if result.offer else None,
            result.offer.pipeline if result.offer else None,
        ),
    )
    return result


async def _suggest(
    text: str,
    function: str | None,
    services: Services,
    options: Options,
    result: Suggestion,
    on_progress: OnProgress | None,
) -> None:
    toolchain = services.toolchain
    triple = result.triple
    source = text
    if function is None and not any(f.is_definition for f in parse_module(text).functions):
        result.error = "the module defines no functions"
        return
    if function is not None:
        try:
            source = await extract.extract_function(toolchain, text, function)
        except ToolError as err:
            result.error = f"@{function} could not be extracted on its own: {err}"
            return
    concurrency = options.concurrency or os.cpu_count() or 1
    measurer = Measurer(
        toolchain, source, triple, concurrency=concurrency, timeout=toolchain.timeout
    )
    _emit(on_progress, ProgressEvent("baseline", "compiling with -Oz", 0))
    baseline = await measurer.measure(OZ_PIPELINE)
    if baseline.size is None:
        result.error = f"{result.scope} does not compile with -Oz: {baseline.error}"
        return
    oz_size = baseline.size
    # A candidate that compiles far slower than -Oz is not worth waiting for.
    measurer.timeout = min(toolchain.timeout, max(3.0, 10 * measurer.stats.tool_seconds))
    registry = await services.registry()
    oz_steps = flatten(await oz_pipeline(toolchain))
    steps, weights = vocabulary(registry.names)
    moves = Moves(steps, weights)

    model_task: asyncio.Task[ModelAnswers] | None = None
    if services.backend is not None:
        _emit(on_progress, ProgressEvent("model", "asking the model for pass lists", 2, oz_size))
        model_task = asyncio.ensure_future(_ask_model(services, source, registry, options))

    budget = local.Budget(options.budget_seconds, options.max_compilations)
    search_start = time.monotonic()

    def on_best(found: local.Found) -> None:
        elapsed = time.monotonic() - search_start
        percent = min(95, 5 + int(90 * elapsed / max(budget.seconds, 0.001)))
        saving = 100.0 * (oz_size - found.size) / oz_size if oz_size else 0.0
        _emit(
            on_progress,
            ProgressEvent(
                "search",
                f"best so far {found.size} bytes ({-saving:+.1f}% vs -Oz's {oz_size})",
                percent,
                oz_size,
                found.size,
                found.pipeline,
                measurer.stats.compilations,
            ),
        )

    kinds = _kinds(registry)
    seeds = learned.seeds(source, registry.names, kinds, local.seed_candidates(oz_steps), result)
    search = local.Search(
        measurer,
        moves,
        budget,
        random.Random(options.seed),
        on_best,
        concurrency,
    )
    search_task = asyncio.ensure_future(search.run(seeds))
    try:
        if model_task is not None:
            answers = await _await_model(model_task, search_task)
            result.model = answers
            _note_model(result, answers, kinds, search)
        outcome = await search_task
    finally:
        search_task.cancel()
        if model_task is not None:
            model_task.cancel()
    result.evaluated = outcome.evaluated
    result.search_seconds = outcome.seconds
    result.stopped = outcome.stopped
    result.stats = {
        **measurer.stats.to_json(),
        "improvementsBy": dict(outcome.origins),
    }
    if result.model is not None:
        await _measure_late_model(result.model, measurer)
        for candidate in result.model.candidates:
            if candidate.pipeline is not None:
                known = measurer.known(candidate.pipeline)
                result.model_sizes[candidate.pipeline] = known.size if known else None

    measured = [
        Measured(m.pipeline, m.size, search.origin_of(m.pipeline)) for m in measurer.results()
    ]
    choice = choose(oz_size, measured)
    result.choice = choice
    await _offer(text, function, source, services, options, result, measured, on_progress)


async def _ask_model(
    services: Services, source: str, registry: PassRegistry, options: Options
) -> ModelAnswers:
    """The model's checked answers, from the result cache when it has them."""
    backend = services.backend
    assert backend is not None
    cache = services.cache
    model = backend.model_name
    key = None
    # Keyed by the server and the served model's identity (see lsp_server.model.identity).
    identity = await identity_of(backend) if cache is not None else None
    if cache is not None and identity is not None:
        model = identity.model
        key = cache.key(
            "suggest-pass-list",
            identity.key,
            services.toolchain.version_text,
            source,
            {"samples": options.samples, "temperature": options.temperature},
        )
        stored = cache.get(key)
        if stored is not None:
            answers = [(str(text), reason) for text, reason in json.loads(stored)]
            return check_answers(answers, registry, None, model)
    fetched, error = await fetch_answers(
        backend, source, samples=options.samples, temperature=options.temperature
    )
    if key is not None and cache is not None and error is None:
        cache.put(key, json.dumps(fetched))
    return check_answers(fetched, registry, error, backend.model_name)


async def _await_model(
    model_task: asyncio.Task[ModelAnswers], search_task: asyncio.Task[local.SearchResult]
) -> ModelAnswers:
    """The model's answers, waiting at most as long as the search runs."""
    done, _ = await asyncio.wait({model_task, search_task}, return_when=asyncio.FIRST_COMPLETED)
    if model_task not in done:
        # The search is over and the model still thinks: give it no more time than that.
        model_task.cancel()
        return ModelAnswers((), "the model did not answer within the search budget", None)
    return model_task.result()


def _note_model(
    result: Suggestion, answers: ModelAnswers, kinds: dict[str, str], search: local.Search
) -> None:
    if answers.error:
        result.notes.append(f"model: {answers.error}; using the local search alone")
    for candidate in answers.candidates:
        label = "greedy answer" if candidate.sample == 0 else f"sample {candidate.sample}"
        if candidate.status is Status.REJECTED:
            result.notes.append(f"model {label}: {candidate.message}")
            continue
        if candidate.status is Status.REPAIRED:
            result.notes.append(f"model {label}: {candidate.message}")
        assert candidate.pipeline is not None
        search.inject("model", flatten(candidate.pipeline, kinds=kinds), candidate.pipeline)


async def _measure_late_model(answers: ModelAnswers, measurer: Measurer) -> None:
    """Model candidates the search had no time for are still measured: they were asked for."""
    pipelines = [
        c.pipeline
        for c in answers.candidates
        if c.pipeline is not None and measurer.known(c.pipeline) is None
    ]
    await asyncio.gather(*(measurer.measure(p) for p in pipelines))


async def _offer(
    text: str,
    function: str | None,
    source: str,
    services: Services,
    options: Options,
    result: Suggestion,
    measured: list[Measured],
    on_progress: OnProgress | None,
) -> None:
    """Check the chosen pipeline (falling back to the next best, then to -Oz) and offer it."""
    choice = result.choice
    assert choice is not None and choice.oz_size is not None
    toolchain = services.toolchain
    version = toolchain.version_text
    tries: list[Measured] = []
    if choice.outcome is Outcome.IMPROVED:
        better = sorted(
            (m for m in measured if m.size is not None and m.size < choice.oz_size),
            key=lambda m: (m.size, len(m.pipeline)),
        )
        tries = better[:_FALLBACKS]
    tries.append(Measured(OZ_PIPELINE, choice.oz_size, "-Oz"))
    for candidate in tries:
        improved = candidate.pipeline != OZ_PIPELINE
        _emit(
            on_progress,
            ProgressEvent(
                "verify",
                f"checking `{candidate.pipeline[:80]}`",
                97,
                choice.oz_size,
                candidate.size,
                candidate.pipeline,
            ),
        )
        try:
            edited = await verify.build_edit(
                toolchain, text, candidate.pipeline, function=function, function_module=source
            )
        except (SpliceError, ToolError) as err:
            result.notes.append(f"`{candidate.pipeline[:60]}`: {verify.splice_failure(err)}")
            continue
        checked = await verify.check(
            toolchain,
            text,
            edited,
            function=function,
            function_module=source if function else None,
            triple=result.triple,
            improvement=improved,
            differential=options.differential,
        )
        if not checked.ok or checked.size is None or checked.oz_size is None:
            result.notes.append(f"`{candidate.pipeline[:60]}` was not offered: {checked.message}")
            continue
        result.offer = Offer(
            pipeline=candidate.pipeline,
            size=checked.size,
            oz_size=checked.oz_size,
            improved=improved,
            edit=edited,
            differential=checked.differential,
            llvm_version=version,
        )
        if improved and candidate.pipeline != choice.pipeline:
            result.choice = Choice(
                Outcome.IMPROVED,
                candidate.pipeline,
                checked.size,
                checked.oz_size,
                choice.verified_candidates,
                candidate.origin,
            )
        elif not improved and choice.outcome is Outcome.IMPROVED:
            result.choice = Choice(
                Outcome.OZ_BEST,
                OZ_PIPELINE,
                checked.oz_size,
                checked.oz_size,
                choice.verified_candidates,
            )
        return
    result.error = "no result passed the final checks (see the notes)"

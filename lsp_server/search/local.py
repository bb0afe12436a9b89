"""The local search for a pass sequence that makes a module smaller than ``-Oz`` does.

It runs without a model (the default on a machine without a GPU) and refines a model's
candidates when there are some. The shape, which the benchmark (bench/suggest_bench.py)
chose over plain random search:

1. Seeds first: ``default<Oz>`` itself, -Oz's flattened pipeline with and without its loop
   passes, short "promote, combine, simplify" pipelines, -Oz with a cleanup tail, and the
   model's candidates (injected as they arrive).
2. Then an elite pool of the best distinct candidates (size first, then length) is improved
   by random edits: insert, delete, replace, swap or move a pass, drawn from a weighted
   vocabulary of passes that change code size. Anything no larger than the pool's worst
   enters it, so the search drifts along plateaus instead of stalling on them. A share of
   the children are fresh short random sequences (restarts) or a crossover of two members.
3. Whenever the best improves, its passes are each tried deleted (greedy removal), which
   both shortens the answer and often finds a smaller result.

On the corpus the winners are mostly short (one to eight passes): -Oz's loop passes and
inlining are what most often make it larger than necessary for one function.

The budget is time and compilations (``opt`` runs; answers from the measurer's caches are
free). Every new best is reported through ``on_best`` as it is found.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lsp_server.search.measure import Measurement, Measurer
from lsp_server.search.space import (
    INSTCOMBINE,
    OZ,
    SIMPLIFYCFG_OZ,
    Candidate,
    Moves,
    Step,
    render,
)

log = logging.getLogger(__name__)

_POOL_SIZE = 8
_GRACE_SECONDS = 1.0
#: Shares of the children that are fresh random sequences, and crossovers of two members.
#: Half fresh (up to 24 passes): on 14 train-split functions at 4 s (issue 14) that found
#: 3.16% against 2.75% with 15% of at most 12, and plain random search is a strong baseline.
_FRESH = 0.5
_CROSSOVER = 0.1
_FRESH_MAX_LENGTH = 24


@dataclass(frozen=True)
class Budget:
    """How long the search may run, in seconds and in compilations."""

    seconds: float
    compilations: int


@dataclass(frozen=True)
class Found:
    """A measured candidate."""

    steps: Candidate
    pipeline: str
    size: int
    origin: str  # "-Oz", "seed", "model", "search"


@dataclass
class SearchResult:
    """What the search found, and what it spent."""

    best: Found | None
    evaluated: int
    seconds: float
    stopped: str  # "time", "compilations" or "exhausted"
    origins: Counter[str] = field(default_factory=Counter)  # new bests by where they came from
    improvements: list[tuple[float, int, int]] = field(default_factory=list)


OnBest = Callable[[Found], None]


def seed_candidates(oz_steps: Candidate) -> list[tuple[str, Candidate]]:
    """The hand-made seeds: -Oz as one step, its flattened pipeline, and variations.

    On the corpus (bench/suggest_bench.py), -Oz's own loop passes and its inlining are what
    most often make it larger than it needs to be for one function, and a short
    "promote, combine, simplify, deduplicate" pipeline often beats it outright; these seeds
    start the search from both ends.
    """
    f = "function"
    oz = (Step(OZ, "module"),)
    sroa = Step("sroa<modify-cfg>", f)
    combine = Step(INSTCOMBINE, f)
    simplify = Step(SIMPLIFYCFG_OZ, f)
    no_loops = tuple(
        s
        for s in oz_steps
        if s.level not in ("loop", "loop-mssa")
        and not s.name.startswith(
            ("loop-unroll", "loop-vectorize", "loop-distribute", "loop-load-elim", "loop-sink")
        )
    )
    mini = (
        sroa,
        Step("early-cse<memssa>", f),
        combine,
        simplify,
        Step("gvn", f),
        Step("dse", f),
        combine,
        simplify,
    )
    seeds = [
        ("-Oz", oz),
        ("seed", mini),
        ("seed", (sroa, combine, simplify)),
        ("seed", (sroa,)),
        ("seed", no_loops),
        ("seed", (Step("mem2reg", f), Step("gvn-sink", f), combine, simplify)),
        ("seed", oz_steps),
        ("seed", (*mini, Step("gvn-sink", f), simplify)),
        ("seed", (*oz, combine, simplify)),
    ]
    return [(origin, steps) for origin, steps in seeds if steps]


class Search:
    """One search's state; :meth:`run` runs it (see the module docstring)."""

    def __init__(
        self,
        measurer: Measurer,
        moves: Moves,
        budget: Budget,
        rng: random.Random,
        on_best: OnBest | None,
        concurrency: int,
    ) -> None:
        self.measurer = measurer
        self.moves = moves
        self.budget = budget
        self.rng = rng
        self.on_best = on_best
        self.concurrency = max(1, concurrency)
        self.start = time.monotonic()
        self.deadline = self.start + budget.seconds
        self.compilations_at_start = measurer.stats.compilations
        self.pool: list[Found] = []
        self.best: Found | None = None
        self.queue: deque[tuple[str, Candidate, str]] = deque()
        self._origin: dict[str, str] = {}
        self.evaluated = 0
        self.origins: Counter[str] = Counter()
        self.improvements: list[tuple[float, int, int]] = []
        self.stopped = "exhausted"

    # -- budget --------------------------------------------------------------------------

    def spent(self) -> int:
        return self.measurer.stats.compilations - self.compilations_at_start

    def out_of_budget(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.stopped = "time"
            return True
        if self.spent() >= self.budget.compilations:
            self.stopped = "compilations"
            return True
        return False

    # -- the pool ------------------------------------------------------------------------

    @staticmethod
    def _rank(found: Found) -> tuple[int, int, int]:
        # Smaller first; among equals a shorter pipeline; -Oz itself last among equals, so a
        # tie never displaces a real alternative from the pool.
        return (found.size, found.origin == "-Oz", len(found.steps))

    def _admit(self, found: Found) -> None:
        if any(p.pipeline == found.pipeline for p in self.pool):
            return
        if len(self.pool) >= _POOL_SIZE and self._rank(found) > self._rank(self.pool[-1]):
            return
        self.pool.append(found)
        self.pool.sort(key=self._rank)
        del self.pool[_POOL_SIZE:]

    def inject(self, origin: str, steps: Candidate, pipeline: str | None = None) -> None:
        """Measure this candidate next (``pipeline`` overrides the rendering of ``steps``)."""
        self.queue.appendleft((origin, steps, pipeline or render(steps)))

    def origin_of(self, pipeline: str) -> str:
        """Where a measured pipeline came from ("-Oz", "seed", "model", "search")."""
        return self._origin.get(pipeline, "search")

    def _record(self, origin: str, steps: Candidate, measurement: Measurement) -> None:
        self.evaluated += 1
        self._origin.setdefault(measurement.pipeline, origin)
        if measurement.size is None:
            return
        found = Found(steps, measurement.pipeline, measurement.size, origin)
        self._admit(found)
        if self.best is None or self._rank(found) < self._rank(self.best):
            first = self.best is None
            improved = self.best is None or found.size < self.best.size
            self.best = found
            if improved:
                if not first:
                    # The first best is the baseline, not an improvement on anything.
                    self.origins[origin] += 1
                self.improvements.append(
                    (round(time.monotonic() - self.start, 3), self.spent(), found.size)
                )
                self._plan_removals(found)
                if self.on_best is not None:
                    self.on_best(found)

    def _plan_removals(self, found: Found) -> None:
        """Queue the best with each of its passes deleted (greedy removal)."""
        steps = found.steps
        if len(steps) > 60:
            # Too long to try every deletion; sample them.
            indices = self.rng.sample(range(len(steps)), 30)
        else:
            indices = list(range(len(steps)))
        for i in indices:
            shorter = steps[:i] + steps[i + 1 :]
            if shorter:
                self.queue.append(("search", shorter, render(shorter)))

    # -- choosing what to measure next ---------------------------------------------------

    def _parent(self) -> Found:
        if self.rng.random() < 0.5 or len(self.pool) == 1:
            return self.pool[0]
        return self.rng.choice(self.pool)

    def _next(self) -> tuple[str, Candidate, str] | None:
        while self.queue:
            origin, steps, pipeline = self.queue.popleft()
            if self.measurer.known(pipeline) is None:
                return origin, steps, pipeline
        if not self.pool:
            return None
        for _ in range(50):
            roll = self.rng.random()
            if roll < _FRESH:
                child = self.moves.random_sequence(self.rng, 1, _FRESH_MAX_LENGTH)
            elif roll < _FRESH + _CROSSOVER and len(self.pool) > 1:
                a, b = self.rng.sample(self.pool, 2)
                child = (
                    a.steps[: self.rng.randint(0, len(a.steps))]
                    + b.steps[self.rng.randint(0, len(b.steps)) :]
                )
                if not child:
                    continue
            else:
                parent = self._parent()
                edits = self.rng.choice((1, 1, 1, 2, 2, 3))
                child = self.moves.mutate(self.rng, parent.steps, edits)
            pipeline = render(child)
            if self.measurer.known(pipeline) is None:
                return "search", child, pipeline
        return None

    # -- running -------------------------------------------------------------------------

    async def worker(self) -> None:
        idle = 0
        while not self.out_of_budget():
            picked = self._next()
            if picked is None:
                idle += 1
                if idle > 3:
                    return
                continue
            idle = 0
            origin, steps, pipeline = picked
            measurement = await self.measurer.measure(pipeline)
            self._record(origin, steps, measurement)

    async def run(self, seeds: Sequence[tuple[str, Candidate]]) -> SearchResult:
        """Search until the budget is spent; compilations still running then may finish."""
        # Workers stop taking work at the deadline; what is in flight gets a moment to land
        # before it is cancelled (cancelling kills the tools, and a result is worth more).
        remaining = max(0.0, self.deadline - time.monotonic()) + _GRACE_SECONDS
        try:
            await asyncio.wait_for(self._run(seeds), timeout=remaining)
        except asyncio.TimeoutError:
            self.stopped = "time"
        return SearchResult(
            best=self.best,
            evaluated=self.evaluated,
            seconds=time.monotonic() - self.start,
            stopped=self.stopped,
            origins=self.origins,
            improvements=self.improvements,
        )

    async def _run(self, seeds: Sequence[tuple[str, Candidate]]) -> None:
        # The seeds are measured in the order given, through the workers, so the budget
        # holds for them too: a long list of learned sequences never overspends it.
        for origin, steps in seeds:
            if not steps:
                continue
            pipeline = render(steps)
            known = self.measurer.known(pipeline)
            if known is not None:
                # Measured before the search (the -Oz baseline): it still enters the pool.
                self._record(origin, steps, known)
            else:
                self.queue.append((origin, steps, pipeline))
        # One more worker than cores keeps a core busy while another worker is between tools.
        await asyncio.gather(*(self.worker() for _ in range(self.concurrency + 1)))


async def search(
    measurer: Measurer,
    seeds: Sequence[tuple[str, Candidate]],
    moves: Moves,
    budget: Budget,
    *,
    rng: random.Random | None = None,
    on_best: OnBest | None = None,
    concurrency: int = 1,
) -> SearchResult:
    """Search within ``budget``, starting from ``seeds`` (origin, steps); see the module doc.

    Cancelling the awaiting task stops the search and kills its compilations.
    """
    state = Search(measurer, moves, budget, rng or random.Random(0), on_best, concurrency)
    return await state.run(seeds)

"""The local search with the real tools: short budgets, results never worse than -Oz."""

from __future__ import annotations

import random

from lsp_server.search import local
from lsp_server.search.engine import oz_pipeline
from lsp_server.search.measure import Measurer
from lsp_server.search.space import Moves, flatten, vocabulary
from tests.support.data import CORPUS, EXAMPLES

TRIPLE = "x86_64-unknown-linux-gnu"


async def run(toolchain, ir: str, *, seconds=30.0, compilations=40, seed=0, on_best=None):
    measurer = Measurer(toolchain, ir, TRIPLE, concurrency=2, timeout=20)
    oz = await measurer.measure("default<Oz>")
    steps, weights = vocabulary()
    seeds = local.seed_candidates(flatten(await oz_pipeline(toolchain)))
    search = local.Search(
        measurer,
        Moves(steps, weights),
        local.Budget(seconds, compilations),
        random.Random(seed),
        on_best,
        2,
    )
    return oz, await search.run(seeds), measurer


async def test_the_best_is_never_larger_than_oz_and_measures_the_same_again(toolchain) -> None:
    ir = (CORPUS / "ir_ozfe" / "dev-brotli-0011.ll").read_text()
    bests = []
    oz, result, measurer = await run(toolchain, ir, on_best=bests.append)
    assert result.best is not None and result.best.size <= oz.size
    assert result.stopped == "compilations"
    # The budget holds to within the compilations that were already running.
    assert measurer.stats.compilations <= 40 + 3
    assert [b.size for b in bests] == sorted((b.size for b in bests), reverse=True)
    fresh = Measurer(toolchain, ir, TRIPLE, concurrency=1, timeout=20)
    assert (await fresh.measure(result.best.pipeline)).size == result.best.size


async def test_on_the_example_a_short_search_beats_oz(toolchain) -> None:
    # @crc32 of the example: -Oz rotates and unrolls its loops; promoting the allocas alone
    # is smaller, and that is one of the seeds.
    from lsp_server.llvm.extract import extract_function

    ir = await extract_function(toolchain, (EXAMPLES / "example.ll").read_text(), "crc32")
    oz, result, _ = await run(toolchain, ir, compilations=30)
    assert result.best is not None and result.best.size < oz.size
    assert result.origins["seed"] >= 1


async def test_a_time_budget_stops_the_search(toolchain) -> None:
    ir = (CORPUS / "ir_ozfe" / "dev-brotli-0001.ll").read_text()
    _, result, _ = await run(toolchain, ir, seconds=0.5, compilations=100000)
    assert result.stopped == "time"
    assert result.best is not None

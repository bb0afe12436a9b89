"""The local search on one function, as the passes task runs it (no model seeds).

This drives ``lsp_server.search`` (the suggest feature's search) with its own seeds and
vocabulary; the eval adds nothing to the search itself.
"""

from __future__ import annotations

import random
from typing import Any

from lsp_server.eval.tasks.base import EvalContext
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.size import size_after
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.search.local import Budget, search, seed_candidates
from lsp_server.search.measure import Measurer
from lsp_server.search.space import OZ, Moves, flatten, level_of, vocabulary


async def _oz_pipeline(toolchain: Toolchain) -> str:
    """The flattened pipeline ``default<Oz>`` stands for, as the local opt prints it."""
    result = await run_tool(
        [toolchain.path("opt"), f"-passes={OZ}", "-print-pipeline-passes", "-disable-output"],
        stdin="",
        timeout=toolchain.timeout,
    )
    if not result.ok:
        raise ToolError.from_result("opt could not print the -Oz pipeline", result)
    return result.out.strip()


async def run_local_search(context: EvalContext, ir: str, triple: str) -> dict[str, Any]:
    """Search within the run's budget; the record fields of the best found."""
    services = context.services
    toolchain = services.toolchain
    registry = await services.registry()
    kinds = {
        name: level
        for kind, names in registry.by_kind.items()
        if (level := level_of(kind)) is not None
        for name in names
    }
    seeds = seed_candidates(flatten(await _oz_pipeline(toolchain), kinds=kinds))
    steps, weights = vocabulary(registry.names)
    measurer = Measurer(
        toolchain,
        ir,
        triple,
        concurrency=context.tool_concurrency,
        timeout=toolchain.timeout,
    )
    result = await search(
        measurer,
        seeds,
        Moves(steps, weights),
        Budget(context.options.budget, context.options.max_compilations),
        rng=random.Random(context.options.seed),
        concurrency=context.tool_concurrency,
    )
    fields: dict[str, Any] = {
        "searchEvaluated": result.evaluated,
        "searchCompilations": measurer.stats.compilations,
        "searchSeconds": round(result.seconds, 3),
        "searchStopped": result.stopped,
        "searchPipeline": None,
        "searchSize": None,
    }
    if result.best is None:
        return fields
    fields["searchPipeline"] = result.best.pipeline
    fields["searchOrigin"] = result.best.origin
    # The search reads sizes from the ELF section table; the result is measured again with
    # the project's one definition, which is what the report compares.
    fields["searchSize"] = await size_after(toolchain, ir, result.best.pipeline, triple=triple)
    return fields

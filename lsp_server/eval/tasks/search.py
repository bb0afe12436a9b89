"""The local search on one function, as the passes task runs it: the suggest feature itself.

:func:`lsp_server.search.engine.suggest` runs with the run's budget and without a model, so
that the search is measured on its own and the model's list separately, on the same
functions. Its offer has already been checked by the feature (opt again, the verifier, the
size measured again with the project's one definition). The differential run of a
``main`` is switched off: an eval does not execute the corpus's programs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lsp_server.eval.tasks.base import EvalContext
from lsp_server.search.engine import options_from, suggest


async def run_local_search(context: EvalContext, ir: str) -> dict[str, Any]:
    """The record fields of the search's checked offer for ``ir``."""
    # Loaded first so that the copy without a model shares the registry.
    await context.services.registry()
    services = dataclasses.replace(context.services, backend=None)
    options = options_from(
        services.settings.suggest,
        context.options.budget,
        max_compilations=context.options.max_compilations,
        samples=0,
        temperature=0.0,
        concurrency=context.tool_concurrency,
        seed=context.options.seed,
        differential=False,
    )
    found = await suggest(ir, None, services, options)
    fields: dict[str, Any] = {
        "searchEvaluated": found.evaluated,
        "searchCompilations": int(found.stats.get("optRuns", 0)),
        "searchSeconds": round(found.seconds, 3),
        "searchStopped": found.stopped,
        "searchPipeline": None,
        "searchSize": None,
    }
    if found.error:
        fields["searchProblem"] = found.error
    offer = found.offer
    if offer is not None:
        fields["searchPipeline"] = offer.pipeline
        fields["searchSize"] = offer.size
        fields["searchOzSize"] = offer.oz_size
        fields["searchImproved"] = offer.improved
    return fields

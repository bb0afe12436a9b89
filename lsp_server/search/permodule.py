"""Whole modules, function by function: one search per function, the results spliced.

A module with thirteen functions searched as one module gets one pipeline for all thirteen;
searched function by function it gets thirteen searches' worth of gain. That is only sound
where the functions are independent: no defined function calls (or takes the address of)
another one, so inlining and the other interprocedural passes have nothing to decide, and
each function optimised alone in its extracted module is what it would be in the whole
module. Where they are not independent, the module-level search (one pipeline, IPO
included) is the answer, and :func:`independent` says why.

:func:`search_functions` runs the engine's own suggestion for each function in turn (baseline,
coreset, local search, the final checks of :mod:`lsp_server.search.verify`), splices every
checked result into the document, then measures the whole spliced document against ``-Oz`` of
the whole module with llvm-size (the project's definition). Only a strictly smaller result
is returned; the caller keeps whichever of it and the module-level offer is smaller.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsp_server.llvm import opt, size
from lsp_server.llvm.errors import ToolError
from lsp_server.syntax.ir import parse_module

if TYPE_CHECKING:
    from lsp_server.search.result import OnProgress, Options
    from lsp_server.services import Services

log = logging.getLogger(__name__)


@dataclass
class PerFunction:
    """The spliced document and what it is made of."""

    document: str
    size: int
    oz_size: int
    pipelines: dict[str, str]  # function -> the pipeline its text came from
    compilations: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def saving_percent(self) -> float:
        return 100.0 * (self.oz_size - self.size) / self.oz_size if self.oz_size else 0.0


def _bodies(text: str) -> dict[str, str]:
    lines = text.split("\n")
    return {
        f.name: "\n".join(lines[f.span.start.line : f.span.end.line + 1])
        for f in parse_module(text).functions
        if f.is_definition
    }


def independent(text: str) -> tuple[list[str], str | None]:
    """The defined functions, and why they cannot be searched one by one (None: they can)."""
    bodies = _bodies(text)
    names = list(bodies)
    if len(names) < 2:
        return names, "the module defines fewer than two functions"
    for name, body in bodies.items():
        # Skip the define line itself: a function may name itself there.
        inner = body.split("\n", 1)[1] if "\n" in body else ""
        for other in names:
            if other == name:
                continue  # recursion stays inside the function
            pattern = rf'@(?:"{re.escape(other)}"|{re.escape(other)})(?![-\w.$])'
            if re.search(pattern, inner):
                return names, f"@{name} refers to @{other}: inlining decides, so one pipeline"
    return names, None


async def search_functions(
    text: str,
    services: Services,
    options: Options,
    *,
    on_progress: OnProgress | None = None,
) -> tuple[PerFunction | None, str]:
    """Search each function alone and splice the results; (result or None, why)."""
    from lsp_server.search.engine import suggest

    names, why = independent(text)
    if why is not None:
        return None, why
    toolchain = services.toolchain
    try:
        oz_size = await size.size_after(toolchain, text, "default<Oz>")
    except ToolError as err:
        return None, f"the module does not compile with -Oz: {err}"
    started = time.monotonic()
    document = text
    pipelines: dict[str, str] = {}
    compilations = 0
    notes: list[str] = []
    for i, name in enumerate(names):
        # Each function gets an equal share of what is left of the budget.
        left = options.budget_seconds - (time.monotonic() - started)
        share = max(0.2, left / (len(names) - i))
        one = dataclasses.replace(options, budget_seconds=share, differential=False)
        result = await suggest(document, name, services, one, on_progress=on_progress)
        compilations += int(result.stats.get("optRuns", 0))
        offer = result.offer
        if offer is None:
            notes.append(f"@{name}: {result.error or 'no result'}; left as it was")
            continue
        document = offer.edit.document
        pipelines[name] = offer.pipeline
    if await opt.verify(toolchain, document) is not None:
        return None, "the spliced module fails the verifier"
    try:
        spliced = await size.binary_size(toolchain, document)
    except ToolError as err:
        return None, f"the spliced module does not compile: {err}"
    found = PerFunction(document, spliced, oz_size, pipelines, compilations, notes)
    if spliced >= oz_size:
        return None, f"function by function gives {spliced} bytes against -Oz's {oz_size}"
    return found, ""

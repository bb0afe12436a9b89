"""``irlens demo``: irlens at work on a bundled example, with no model and no GPU.

It runs the same feature functions the language server runs, on ``examples/example.ll``,
and prints what an editor would show, one step per feature.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from importlib import resources

from lsp_server.commands.common import services_from_args
from lsp_server.doctor import collect
from lsp_server.features import diagnostics, symbols
from lsp_server.services import Services

Step = Callable[[str, Services], Awaitable[str]]


def example_text(name: str = "example.ll") -> str:
    return resources.files("lsp_server").joinpath("examples", name).read_text()


async def _symbols_step(text: str, services: Services) -> str:
    found = symbols.document_symbols(text, "ir")
    listed = ", ".join(f"{s.name} ({s.detail})" for s in found)
    problems = await diagnostics.diagnose(text, "ir", services)
    verdict = "no problems" if not problems else f"{len(problems)} problems"
    return f"Symbols: {listed}\nDiagnostics (llvm-as {services.toolchain.version_text}): {verdict}"


async def _hover_step(text: str, services: Services) -> str:
    """Hover ``instcombine`` in the example's RUN line (LLVM-only mode)."""
    from lsp_server.preview.engine import PreviewState, hover_preview

    state = PreviewState()
    for number, line_text in enumerate(text.splitlines()):
        if "RUN:" in line_text and "instcombine" in line_text:
            col = line_text.index("instcombine") + 1
            found = await hover_preview(text, number, col, services, state)
            if found is not None:
                return found.markdown
    return "(no RUN line with instcombine in the example)"


async def _suggest_step(text: str, services: Services) -> str:
    """A 5-second local search on ``@crc32`` of the bundled example (no model needed)."""
    from lsp_server.features.suggest import describe
    from lsp_server.search.engine import options_from, suggest

    options = options_from(services.settings.suggest, 5.0, samples=0)
    result = await suggest(text, "crc32", services, options)
    return describe(result)


async def lift_step(text: str, services: Services) -> str:
    """Lifting: what it needs, and the round-trip check at work.

    ``text`` is ``examples/example.ll``. The bundled ``examples/example.s`` is its crc32
    compiled at -Oz by llc; checking it against that IR (standing in for a model's answer)
    shows an exact round trip, and against the unoptimised IR a similar one, with a score.
    With a model configured, the example is lifted for real.
    """
    from lsp_server.lift.engine import NEEDS_MODEL, LiftOptions, lift_assembly
    from lsp_server.lift.normalize import normalize_asm
    from lsp_server.lift.roundtrip import check_round_trip
    from lsp_server.lift.targets import choose_triple
    from lsp_server.llvm.extract import extract_function
    from lsp_server.llvm.opt import run_pipeline

    toolchain = services.toolchain
    asm = example_text("example.s")
    norm = normalize_asm(asm).text
    triple = choose_triple(asm, explicit=None, setting=services.settings.target.triple).triple
    crc32 = await extract_function(toolchain, text, "crc32")
    lines = []
    for label, ir in (
        (
            "crc32 at -Oz (what example.s was built from)",
            await run_pipeline(toolchain, crc32, "default<Oz>"),
        ),
        ("crc32 unoptimised (a plausible but wrong answer)", crc32),
    ):
        trip = await check_round_trip(toolchain, ir, norm, triple, functions=("crc32",))
        check = trip.functions[0].comparison if trip.functions else None
        if not trip.compiled or check is None:
            verdict = f"failed: {trip.problem}"
        elif check.exact:
            verdict = f"exact (llc -{trip.opt_level})"
        else:
            where = f"; crc32's {check.difference.describe()}" if check.difference else ""
            verdict = f"similar, BLEU {check.score:.3f} (llc -{trip.opt_level}){where}"
        lines.append(f"Round trip of example.s ({triple}) against {label}: {verdict}")
    if services.backend is None:
        lines.append(NEEDS_MODEL)
        lines.append(
            "With one, `irlens lift lsp_server/examples/example.s` writes example.lifted.ll "
            "and reports each function's round trip like the lines above."
        )
        return "\n".join(lines)
    result = await lift_assembly(asm, services, LiftOptions(source="example.s"))
    if not result.ok:
        lines.append(f"Lifting example.s with {services.backend.model_name}: {result.error}")
    else:
        for fn in result.functions:
            lines.append(f"Lifted by {result.model}: {fn.name}: {fn.summary()}")
    return "\n".join(lines)


#: The demo, one step per feature, each running the engine the language server runs.
STEPS: list[tuple[str, Step]] = [
    ("Outline and diagnostics", _symbols_step),
    (
        "Hover `instcombine` in the RUN line: the IR after the pass, from the real opt",
        _hover_step,
    ),
    ("Suggest passes for @crc32: a local search, proven against -Oz", _suggest_step),
    ("Lift to IR (needs a model; the round-trip check it runs is shown here)", lift_step),
]


async def _run(services: Services) -> int:
    report = await collect(services, check_model=services.backend is not None)
    out = sys.stdout
    out.write(f"irlens demo: LLVM {report.llvm_version} ({report.llvm_source}), ")
    out.write(f"model: {report.model.get('state')}\n")
    if not services.toolchain.has("opt", "llc", "llvm-as", "llvm-size"):
        out.write("\n" + report.to_text() + "\n")
        return 1
    text = example_text()
    out.write("Example: lsp_server/examples/example.ll (crc32, scale_samples, main)\n")
    for title, step in STEPS:
        out.write(f"\n== {title} ==\n")
        out.write(await step(text, services) + "\n")
    out.write(
        "\nIn an editor: run `irlens serve` as the language server for .ll and .s files "
        "(VS Code: install vscode-ext; Neovim: editors/nvim). See README.md.\n"
    )
    return 0


def run_demo(args: argparse.Namespace) -> int:
    services = services_from_args(args, with_cache=False)
    return asyncio.run(_run(services))

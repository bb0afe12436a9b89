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


def _steps() -> list[tuple[str, Step]]:
    # Imported here: the feature modules are only needed when the demo runs.
    from lsp_server.features import hover, lift, suggest

    return [
        ("Outline and diagnostics", _symbols_step),
        (
            "Hover `instcombine` in the RUN line: the IR after the pass, from the real opt",
            hover.demo_step,
        ),
        ("Suggest passes for @crc32: a local search, proven against -Oz", suggest.demo_step),
        ("Lift to IR (needs a model; the round-trip check it runs is shown here)", lift.demo_step),
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
    for title, step in _steps():
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

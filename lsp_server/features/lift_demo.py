"""Lifting in ``irlens demo``: what it needs, and the round-trip check at work."""

from __future__ import annotations

from importlib import resources

from lsp_server.features.lift import NEEDS_MODEL, LiftOptions, lift_assembly
from lsp_server.lift.normalize import normalize_asm
from lsp_server.lift.roundtrip import check_round_trip
from lsp_server.lift.targets import choose_triple
from lsp_server.llvm.extract import extract_function
from lsp_server.llvm.opt import run_pipeline
from lsp_server.services import Services


async def demo_step(text: str, services: Services) -> str:
    """Lifting in ``irlens demo``: what it needs, and the round-trip check at work.

    ``text`` is ``examples/example.ll``. The bundled ``examples/example.s`` is its crc32
    compiled at -Oz by llc; checking it against that IR (standing in for a model's answer)
    shows an exact round trip, and against the unoptimised IR a similar one, with a score.
    With a model configured, the example is lifted for real.
    """
    toolchain = services.toolchain
    asm = resources.files("lsp_server").joinpath("examples", "example.s").read_text()
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

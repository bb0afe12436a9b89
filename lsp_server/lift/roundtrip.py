"""The check of a lifted module: it parses, verifies, and compiles back to the same assembly.

Stages, each a value rather than an exception:

1. ``llvm-as`` parses it (with the verifier off, so that a parse error and a verifier
   error are told apart);
2. ``opt -passes=verify`` accepts it;
3. ``llc`` compiles it for the input's triple. The level the input was built at is
   unknown, so it is compiled at ``-O2`` (llc's default), ``-O3``, ``-O1`` and ``-O0`` in
   that order, stopping at an exact match, and the closest is kept;
4. the output, normalised as the input was, is compared with the input: as a whole and
   function by function (see :func:`lsp_server.lift.split.unit_text`), exact or BLEU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lsp_server.lift.bleu import Difference, bleu, first_difference
from lsp_server.lift.normalize import normalize_asm
from lsp_server.lift.split import layout, unit_text
from lsp_server.llvm import assembler, opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.llc import module_triple, to_assembly
from lsp_server.llvm.toolchain import Toolchain

#: llc levels in the order they are tried; O2 is llc's default and the corpus's level.
LEVELS: tuple[str, ...] = ("O2", "O3", "O1", "O0")


@dataclass(frozen=True)
class Comparison:
    """Round-tripped assembly against the input: exact, or a BLEU score and where it departs."""

    exact: bool
    score: float
    difference: Difference | None

    @classmethod
    def of(cls, expected: str, actual: str) -> Comparison:
        if expected == actual:
            return cls(True, 1.0, None)
        return cls(False, bleu(expected, actual), first_difference(expected, actual))


@dataclass(frozen=True)
class FunctionCheck:
    """One input function after the round trip; ``comparison`` is None when it is missing."""

    name: str
    comparison: Comparison | None


@dataclass(frozen=True)
class RoundTrip:
    """The outcome of checking one lifted module against the assembly it was lifted from.

    ``stage`` is the last stage reached: ``parse``, ``verify``, ``compile`` (these three
    with ``problem`` saying why it stopped) or ``compared``.
    """

    stage: str
    problem: str | None = None
    opt_level: str | None = None
    whole: Comparison | None = None
    functions: tuple[FunctionCheck, ...] = ()
    assembly: str | None = None
    ir_triple: str | None = None
    levels_tried: tuple[str, ...] = field(default=())

    @property
    def valid_ir(self) -> bool:
        """Whether the module parsed and verified (it can be joined with others)."""
        return self.stage in ("compile", "compared")

    @property
    def compiled(self) -> bool:
        return self.stage == "compared"


async def parse_problem(toolchain: Toolchain, ir: str) -> str | None:
    """None when ``llvm-as`` parses ``ir`` (verifier off), else its message."""
    result = await assembler.parse(toolchain, ir, verify=False)
    return None if result.ok else result.describe_failure()


def _score(trip: RoundTrip) -> tuple[bool, float, float]:
    """Higher is closer: every function exact, then their mean BLEU, then the whole text's."""
    whole = trip.whole.score if trip.whole is not None else 0.0
    if not trip.functions:
        return (_all_exact(trip), whole, whole)
    mean = sum(f.comparison.score for f in trip.functions if f.comparison is not None) / len(
        trip.functions
    )
    return (_all_exact(trip), mean, whole)


def _all_exact(trip: RoundTrip) -> bool:
    if trip.whole is not None and trip.whole.exact:
        return True
    return bool(trip.functions) and all(
        f.comparison is not None and f.comparison.exact for f in trip.functions
    )


async def check_round_trip(
    toolchain: Toolchain,
    ir: str,
    asm: str,
    triple: str,
    *,
    functions: Sequence[str] = (),
    levels: Sequence[str] = LEVELS,
) -> RoundTrip:
    """Check ``ir`` (lifted from the normalised assembly ``asm``) as the module docstring says.

    ``functions`` are the input functions to compare one by one. Raises only
    MissingToolError (a tool the check needs is not installed) and CancelledError.
    """
    ir_triple = module_triple(ir)
    problem = await parse_problem(toolchain, ir)
    if problem is not None:
        return RoundTrip("parse", f"the IR does not parse: {problem}", ir_triple=ir_triple)
    problem = await opt.verify(toolchain, ir)
    if problem is not None:
        return RoundTrip("verify", f"the IR fails the verifier: {problem}", ir_triple=ir_triple)
    expected_layout = layout(asm)
    expected_units = {name: unit_text(expected_layout, name) for name in functions}
    best: RoundTrip | None = None
    first_error: str | None = None
    tried: list[str] = []
    for level in levels:
        tried.append(level)
        try:
            out = await to_assembly(toolchain, ir, triple=triple, opt_level=level)
        except ToolError as err:
            first_error = first_error or f"{err} (at -{level})"
            continue
        actual = normalize_asm(out).text
        actual_layout = layout(actual)
        checks = []
        for name in functions:
            expected_unit = expected_units[name]
            actual_unit = unit_text(actual_layout, name)
            checks.append(
                FunctionCheck(
                    name,
                    Comparison.of(expected_unit, actual_unit)
                    if expected_unit is not None and actual_unit is not None
                    else None,
                )
            )
        trip = RoundTrip(
            "compared",
            opt_level=level,
            whole=Comparison.of(asm, actual),
            functions=tuple(checks),
            assembly=actual,
            ir_triple=ir_triple,
        )
        if best is None or _score(trip) > _score(best):
            best = trip
        if _all_exact(trip):
            break
    if best is None:
        return RoundTrip(
            "compile",
            f"the IR does not compile for {triple}: {first_error}",
            ir_triple=ir_triple,
            levels_tried=tuple(tried),
        )
    return RoundTrip(
        best.stage,
        opt_level=best.opt_level,
        whole=best.whole,
        functions=best.functions,
        assembly=best.assembly,
        ir_triple=ir_triple,
        levels_tried=tuple(tried),
    )

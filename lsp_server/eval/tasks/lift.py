"""``lift``: assembly to IR with the model, and the round trip back, as the paper scores it.

Each item is one assembly file, lifted by the lift feature itself
(:func:`lsp_server.lift.engine.lift_assembly`: normalisation, splitting to fit the
context, the prompt, the round-trip check). Per function of the file the record keeps
whether the round trip succeeded (the lifted IR parsed, verified and compiled back),
whether the result was exactly the input, and the BLEU score of the round-tripped
assembly against the input (1.0 when exact, 0 when the round trip failed).

A file, or a function of it, too long for the model's context is ``too_long``: the whole
file when no function of it could be asked about, otherwise it is counted per function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lsp_server.eval import plots
from lsp_server.eval.inputs import InputKind, Unit
from lsp_server.eval.records import ERROR, OK, TOO_LONG, Record
from lsp_server.eval.report import markdown_table
from lsp_server.eval.stats import fmt, mean, pct, rounded, share
from lsp_server.eval.tasks.base import EvalContext, EvalOptions, Item
from lsp_server.lift.budget import TokenBudget
from lsp_server.lift.engine import LiftOptions, lift_assembly
from lsp_server.lift.normalize import normalize_asm
from lsp_server.lift.report import EXACT, FAILED, LiftResult
from lsp_server.lift.split import layout, piece_text

#: How the lift feature words a piece that does not fit, and a model server failure.
_TOO_LARGE = "too large for the model"
_SERVER_FAILED = "the model server failed"


def _function_names(text: str) -> list[str]:
    return [fn.name for fn in layout(normalize_asm(text).text).functions]


def _too_long(budget: TokenBudget, text: str, functions: list[str]) -> list[str]:
    """The functions whose own piece does not fit the context (the feature's split)."""
    norm = normalize_asm(text).text
    if budget.fits(norm):
        return []
    lay = layout(norm)
    return [name for name in functions if not budget.fits(piece_text(lay, [name]))]


def _counted(per_function: list[dict[str, Any]], *, triple: str | None, too_long: int) -> Record:
    """A record with the per-function results and their counts."""
    return {
        "status": OK,
        "triple": triple,
        "functions": len(per_function),
        "roundTrips": sum(1 for f in per_function if f["status"] != FAILED),
        "exact": sum(1 for f in per_function if f["status"] == EXACT),
        "perFunction": per_function,
        "tooLongFunctions": too_long,
    }


class LiftTask:
    name: ClassVar[str] = "lift"
    input_kind: ClassVar[InputKind] = "asm"
    needs_model: ClassVar[bool] = True
    title: ClassVar[str] = "disassembly round trips"

    def fingerprint(self, options: EvalOptions) -> dict[str, Any]:
        return {}

    def problem(self, options: EvalOptions, has_model: bool) -> str | None:
        return None

    def items(self, unit: Unit, options: EvalOptions) -> list[Item]:
        return [Item(unit.id, unit)]

    async def run(self, item: Item, context: EvalContext) -> Record:
        unit = item.unit
        budget = TokenBudget(context=context.options.context_tokens)
        names = _function_names(unit.text)
        too_long = _too_long(budget, unit.text, names)
        if names and len(too_long) == len(names):
            return {"status": TOO_LONG, "functions": len(names), "note": budget.describe(unit.text)}
        result = await lift_assembly(
            unit.text,
            context.services,
            LiftOptions(source=unit.source, triple=unit.triple, budget=budget),
        )
        return self._record(result, names, too_long)

    def _record(self, result: LiftResult, names: list[str], too_long: list[str]) -> Record:
        if not result.ok:
            error = result.error or ""
            if _TOO_LARGE in error:
                return {"status": TOO_LONG, "functions": len(names), "note": error}
            if _SERVER_FAILED in error or not error.startswith("nothing was lifted"):
                return {"status": ERROR, "error": error}
            # The model answered, but nothing it said was usable: every round trip failed.
            per_function = [
                {"name": name, "status": FAILED, "bleu": 0.0, "detail": error} for name in names
            ]
            return _counted(per_function, triple=result.triple, too_long=0)
        server_failures = [
            p for p in result.pieces if p.problem and p.problem.startswith(_SERVER_FAILED)
        ]
        if server_failures and len(server_failures) == len(result.pieces):
            return {"status": ERROR, "error": server_failures[0].problem}
        per_function = [
            {
                "name": fn.name,
                "status": fn.status,
                "bleu": fn.score if fn.score is not None and fn.status != FAILED else 0.0,
                "detail": fn.detail,
                "optLevel": fn.opt_level,
            }
            for fn in result.functions
            if fn.name not in too_long
        ]
        record = _counted(per_function, triple=result.triple, too_long=len(too_long))
        record["model"] = result.model
        record["wholeFileExact"] = any(p.whole_file and p.exact for p in result.pieces)
        return record

    def summarise(self, records: list[Record], options: EvalOptions) -> dict[str, Any]:
        measured = [r for r in records if r.get("status") == OK]
        per_function = [f for r in measured for f in r["perFunction"]]
        functions = sum(r["functions"] for r in measured)
        round_trips = sum(r["roundTrips"] for r in measured)
        exact = sum(r["exact"] for r in measured)
        tripped = [f["bleu"] for f in per_function if f["status"] != FAILED]
        return {
            "files": len(measured),
            "functions": functions,
            "roundTrips": round_trips,
            "roundTripShare": rounded(share(round_trips, functions)),
            "exact": exact,
            "exactShare": rounded(share(exact, functions)),
            "bleu": rounded(mean(tripped)),
            "bleuAll": rounded(mean(f["bleu"] for f in per_function)),
            "tooLongFunctions": sum(r["tooLongFunctions"] for r in measured)
            + sum(r.get("functions", 0) for r in records if r.get("status") == TOO_LONG),
        }

    def table(self, summary: dict[str, Any], model: str | None) -> str:
        m = summary["metrics"]
        header = ["model", "functions", "round trips", "round-trip BLEU", "exact match"]
        row = [
            f"`{model}`" if model else "-",
            fmt(m["functions"]),
            f"{m['roundTrips']} ({pct(m['roundTripShare'], 1, signed=False)})",
            fmt(m["bleu"]),
            f"{m['exact']} ({pct(m['exactShare'], 1, signed=False)})",
        ]
        note = (
            "A round trip succeeds when the lifted IR parses, verifies and compiles back with "
            "llc; BLEU compares that assembly with the input (over successful round trips; "
            f"{fmt(m['bleuAll'])} counting failures as 0); exact is character for character "
            'after normalisation (.file "-", no .ident).'
        )
        return markdown_table(header, [row]) + "\n" + note + "\n"

    def plot(self, records: list[Record], summary: dict[str, Any], out: Path) -> list[Path]:
        scores = [f["bleu"] for r in records if r.get("status") == OK for f in r["perFunction"]]
        if not scores:
            return []
        path = plots.histogram(
            scores,
            out / "bleu.png",
            title="Round-trip BLEU per function (0: the round trip failed)",
            xlabel="BLEU of round-tripped assembly against the input",
        )
        return [path]

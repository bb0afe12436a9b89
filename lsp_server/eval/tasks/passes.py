"""``passes``: code size against -Oz, for the model's pass list and for the local search.

For each function (a module holding one function):

- ``ozSize``: the object size after ``default<Oz>``;
- with a model: the pass-list prompt, greedy (as the paper); the answer checked by the
  suggest feature's own :func:`~lsp_server.search.candidates.check_answer` (parsed
  leniently, passes the local opt does not know dropped, nothing usable rejected).
  ``modelSize`` is the list's size, None when it was rejected or crashes opt or llc
  (``modelValid`` false); ``modelAloneSize`` what a user of the list alone gets (the -Oz
  size when it is unusable, since nothing else could be used); ``modelBackupSize`` the
  smaller of the list's and -Oz's (the paper's "-Oz backup", two compilations);
- with ``--budget`` above 0: the local search of the suggest feature on the same function,
  without the model's candidates so that the two are compared, not combined;
  ``searchSize`` is its checked offer (-Oz when nothing beat it), ``searchBackupSize`` the
  smaller of that and -Oz.

Sizes are ``text + data`` of ``llc -filetype=obj`` (``lsp_server.llvm.size``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lsp_server.eval import plots
from lsp_server.eval.context import ask
from lsp_server.eval.inputs import InputKind, Unit
from lsp_server.eval.records import OK, TOO_LONG, Record
from lsp_server.eval.report import markdown_table
from lsp_server.eval.stats import change, fmt, mean, pct, rounded, share
from lsp_server.eval.tasks.base import EvalContext, EvalOptions, Item
from lsp_server.eval.tasks.search import run_local_search
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.size import size_after
from lsp_server.model.prompts import PASS_LIST_STOP, pass_list_prompt
from lsp_server.search.candidates import check_answer

OZ = "default<Oz>"
#: A pass list is a few hundred tokens at most; the stop strings end it sooner.
PASS_LIST_MAX_TOKENS = 512
PASS_LIST_ANSWER_TOKENS = 64

#: (summary key, record field, table label)
METHODS: tuple[tuple[str, str, str], ...] = (
    ("modelAlone", "modelAloneSize", "model's pass list alone"),
    ("modelBackup", "modelBackupSize", "model's pass list, -Oz backup"),
    ("search", "searchAloneSize", "local search"),
    ("searchBackup", "searchBackupSize", "local search, -Oz backup"),
)


class PassesTask:
    name: ClassVar[str] = "passes"
    input_kind: ClassVar[InputKind] = "ir"
    needs_model: ClassVar[bool] = False
    title: ClassVar[str] = "code size against -Oz"

    def fingerprint(self, options: EvalOptions) -> dict[str, Any]:
        return {
            "budget": options.budget,
            "maxCompilations": options.max_compilations,
            "seed": options.seed,
        }

    def problem(self, options: EvalOptions, has_model: bool) -> str | None:
        if has_model or options.budget > 0:
            return None
        return (
            "with no model and --budget 0 there is nothing to compare with -Oz: give the "
            "local search a budget (--budget SECONDS) or a model (--model-url URL)"
        )

    def items(self, unit: Unit, options: EvalOptions) -> list[Item]:
        return [Item(unit.id, unit)]

    async def run(self, item: Item, context: EvalContext) -> Record:
        services = context.services
        ir = item.unit.text
        triple = item.unit.triple or services.triple
        record: Record = {"status": OK, "triple": triple}
        if services.backend is not None:
            model = await self._model(ir, triple, context)
            record.update(model)
            if model.get("status") == TOO_LONG:
                return record
        oz = await size_after(services.toolchain, ir, OZ, triple=triple)
        record["ozSize"] = oz
        if services.backend is not None:
            size = record.get("modelSize")
            record["modelAloneSize"] = size if size is not None else oz
            record["modelBackupSize"] = min(size, oz) if size is not None else oz
        if context.options.budget > 0:
            found = await run_local_search(context, ir)
            record.update(found)
            searched = record.get("searchSize")
            # A search that measured nothing in its budget leaves the user with -Oz.
            record["searchAloneSize"] = searched if searched is not None else oz
            record["searchBackupSize"] = min(searched, oz) if searched is not None else oz
        return record

    async def _model(self, ir: str, triple: str, context: EvalContext) -> Record:
        services = context.services
        assert services.backend is not None
        answer = await ask(
            services.backend,
            pass_list_prompt(ir),
            answer_tokens=context.options.answer_cap(PASS_LIST_ANSWER_TOKENS),
            max_tokens=context.options.answer_cap(PASS_LIST_MAX_TOKENS),
            context_tokens=context.options.context_tokens,
            stop=PASS_LIST_STOP,
        )
        if answer.too_long:
            return {"status": TOO_LONG, "note": answer.note}
        registry = await services.registry()
        # The suggest feature's own check: parsed leniently, unknown passes dropped (and
        # said so), nothing usable rejected.
        candidate = check_answer(0, answer.text or "", answer.finish_reason, registry)
        fields: Record = {
            "modelSeconds": round(answer.seconds, 3),
            "promptTokens": answer.prompt_tokens,
            "completionTokens": answer.completion_tokens,
            "modelAnswer": candidate.answer,
            "modelProposed": candidate.proposed,
            "modelPipeline": candidate.pipeline,
            "modelStatus": candidate.status.value,
            "modelProblem": candidate.message or None,
            "modelSize": None,
            "modelValid": False,
        }
        if candidate.pipeline is None:
            return fields
        try:
            size = await size_after(services.toolchain, ir, candidate.pipeline, triple=triple)
        except ToolError as err:
            # A list that crashes opt or llc on this input is as unusable as no list.
            fields["modelProblem"] = str(err).splitlines()[0]
            return fields
        fields["modelSize"] = size
        fields["modelValid"] = True
        return fields

    def summarise(self, records: list[Record], options: EvalOptions) -> dict[str, Any]:
        measured = [r for r in records if r.get("status") == OK]
        oz_total = sum(r["ozSize"] for r in measured)
        methods: dict[str, Any] = {}
        for key, field, _label in METHODS:
            rows = [r for r in measured if r.get(field) is not None]
            if not rows:
                continue
            base = sum(r["ozSize"] for r in rows)
            total = sum(r[field] for r in rows)
            changes = [change(r[field], r["ozSize"]) for r in rows]
            known = [c for c in changes if c is not None]
            improved = sum(1 for r in rows if r[field] < r["ozSize"])
            worse = sum(1 for r in rows if r[field] > r["ozSize"])
            methods[key] = {
                "functions": len(rows),
                "size": total,
                "ozSize": base,
                "change": rounded(change(total, base)),
                "meanChange": rounded(mean(known)),
                "improved": improved,
                "same": len(rows) - improved - worse,
                "worse": worse,
                "improvedShare": rounded(share(improved, len(rows))),
                "worseShare": rounded(share(worse, len(rows))),
            }
        with_model = [r for r in measured if "modelValid" in r]
        summary: dict[str, Any] = {
            "functions": len(measured),
            "ozSize": oz_total,
            "methods": methods,
            "budgetSeconds": options.budget,
        }
        if with_model:
            invalid = sum(1 for r in with_model if not r["modelValid"])
            summary["modelLists"] = len(with_model)
            summary["repairedLists"] = sum(
                1 for r in with_model if r.get("modelStatus") == "repaired"
            )
            summary["invalidLists"] = invalid
            summary["invalidShare"] = rounded(share(invalid, len(with_model)))
        searched = [r for r in measured if r.get("searchEvaluated") is not None]
        if searched:
            summary["searchEvaluated"] = sum(r["searchEvaluated"] for r in searched)
            summary["searchCompilations"] = sum(r["searchCompilations"] for r in searched)
            summary["searchSeconds"] = round(sum(r["searchSeconds"] for r in searched), 3)
            summary["searchFoundNothing"] = sum(1 for r in searched if r["searchSize"] is None)
        return summary

    def table(self, summary: dict[str, Any], model: str | None) -> str:
        metrics = summary["metrics"]
        methods = metrics["methods"]
        header = [
            "method",
            "functions",
            "code size vs -Oz",
            "with -Oz backup",
            "functions improved",
            "functions worse",
            "invalid lists",
        ]
        rows = []
        if "modelAlone" in methods:
            alone, backup = methods["modelAlone"], methods.get("modelBackup", {})
            rows.append(
                [
                    f"LLM Compiler pass list (`{model}`)" if model else "model pass list",
                    fmt(alone["functions"]),
                    pct(alone["change"]),
                    pct(backup.get("change")),
                    f"{alone['improved']} ({pct(alone['improvedShare'], 1, signed=False)})",
                    f"{alone['worse']} ({pct(alone['worseShare'], 1, signed=False)})",
                    f"{metrics.get('invalidLists', 0)} ({pct(metrics.get('invalidShare'), 1, signed=False)})",
                ]
            )
        if "search" in methods:
            search, backup = methods["search"], methods.get("searchBackup", {})
            rows.append(
                [
                    f"local search, {metrics['budgetSeconds']:g} s a function",
                    fmt(search["functions"]),
                    pct(search["change"]),
                    pct(backup.get("change")),
                    f"{search['improved']} ({pct(search['improvedShare'], 1, signed=False)})",
                    f"{search['worse']} ({pct(search['worseShare'], 1, signed=False)})",
                    "-",
                ]
            )
        note = (
            "Code size is the total object `text + data` over the functions against the total "
            f"after `-Oz` ({fmt(metrics['ozSize'])} bytes); negative is smaller. The local "
            "search offers only results the suggest feature checked, -Oz when nothing beat it."
        )
        if "modelAlone" in methods:
            note += (
                " An invalid list (no pass list, or one that crashes opt or llc) counts as -Oz "
                "in the first column. As in the suggest feature, passes the local opt does not "
                f"know are dropped from a list ({metrics.get('repairedLists', 0)} lists "
                "repaired)."
            )
        return markdown_table(header, rows) + "\n" + note + "\n"

    def plot(self, records: list[Record], summary: dict[str, Any], out: Path) -> list[Path]:
        measured = [r for r in records if r.get("status") == OK]
        series: dict[str, list[float]] = {}
        for _key, field, label in METHODS:
            values = [
                c
                for r in measured
                if r.get(field) is not None and (c := change(r[field], r["ozSize"])) is not None
            ]
            if values and field != "searchBackupSize":
                series[label] = values
        if not series:
            return []
        path = plots.sorted_changes(
            series,
            out / "size-change.png",
            title="Code size against -Oz, per function",
            ylabel="size change vs -Oz (%)",
        )
        return [path]

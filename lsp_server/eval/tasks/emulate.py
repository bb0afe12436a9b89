"""``emulate``: how well the model predicts ``opt``'s output, per function and pipeline.

For each function and each pipeline: the truth is the local ``opt -passes=P`` on the
function's module; the model gets the emulation prompt with the input's instruction count
and -O0 binary size (as it was trained) and answers with predicted IR, instruction count
and binary size. The record keeps:

- ``exact``: the predicted module is opt's, line for line (the preview's own comparison,
  which ignores the ModuleID line and trailing blanks), and ``differingLines`` otherwise;
- ``valid``: the predicted IR passes the verifier; ``bleu``: BLEU of its tokens against
  opt's (the lift task's BLEU);
- ``instsError``: predicted minus real instruction count of opt's output (as the preview
  counts it: instructions in reachable blocks, the prompt's definition);
- ``sizeError``: predicted minus real binary size of opt's output, measured the way the
  prompt measures the input (``llc -O0``, text + data); ``sizeErrorRel`` relative to it.

The truth, the counts and the verdict are the preview feature's own
(:func:`~lsp_server.preview.run.run_stage`,
:func:`~lsp_server.preview.printed.compare_modules`); the eval asks the model itself
so that it can fit each request to the context and count what does not fit.

The answer needs room for opt's output: an input whose prompt and expected answer do not
fit the context is ``too_long``. An answer much longer than the truth is cut at twice its
length, since it cannot be exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from lsp_server.eval import plots
from lsp_server.eval.context import ask, estimate_tokens
from lsp_server.eval.inputs import InputKind, Unit
from lsp_server.eval.records import OK, TOO_LONG, Record
from lsp_server.eval.report import markdown_table
from lsp_server.eval.stats import fmt, mean, pct, rounded, share
from lsp_server.eval.tasks.base import EvalContext, EvalOptions, Item
from lsp_server.lift.bleu import bleu
from lsp_server.llvm import opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.size import binary_size, prompt_binary_size
from lsp_server.model.prompts import CODE_STOP, emulate_ir_prompt, parse_emulation
from lsp_server.preview.printed import compare_modules
from lsp_server.preview.run import Memo, run_stage

ALL = "all pipelines"


class EmulateTask:
    name: ClassVar[str] = "emulate"
    input_kind: ClassVar[InputKind] = "ir"
    needs_model: ClassVar[bool] = True
    title: ClassVar[str] = "emulating opt"

    def fingerprint(self, options: EvalOptions) -> dict[str, Any]:
        return {}

    def problem(self, options: EvalOptions, has_model: bool) -> str | None:
        return None

    def items(self, unit: Unit, options: EvalOptions) -> list[Item]:
        return [Item(f"{unit.id}|{p}", unit, p) for p in options.pipelines]

    async def run(self, item: Item, context: EvalContext) -> Record:
        services = context.services
        assert services.backend is not None and item.pipeline is not None
        toolchain = services.toolchain
        ir = item.unit.text
        triple = item.unit.triple or services.triple
        # The preview's truth: opt's module, its instruction counts and size.
        truth = await run_stage(services, ir, item.pipeline, (), Memo())
        if truth.ir is None:
            why = truth.failure.message if truth.failure else "no output"
            raise ToolError(f"opt could not run {item.pipeline} on this input: {why}")
        input_insts = await opt.instruction_count(toolchain, ir)
        input_size = await prompt_binary_size(toolchain, ir, triple=triple)
        record: Record = {"status": OK, "pipeline": item.pipeline}
        truth_tokens = estimate_tokens(truth.ir)
        answer = await ask(
            services.backend,
            emulate_ir_prompt(ir, item.pipeline, input_insts, input_size),
            answer_tokens=context.options.answer_cap(truth_tokens + 32),
            max_tokens=context.options.answer_cap(2 * truth_tokens + 256),
            context_tokens=context.options.context_tokens,
            stop=CODE_STOP,
        )
        if answer.too_long:
            return {**record, "status": TOO_LONG, "note": answer.note}
        true_insts = truth.instructions
        # The preview judges the predicted size against opt's output at -O0, the way the
        # prompt states the input's size.
        true_size = await binary_size(toolchain, truth.ir, triple=triple, opt_level="O0")
        parsed = parse_emulation(answer.text or "", finish_reason=answer.finish_reason)
        code = parsed.code
        record.update(
            {
                "inputInsts": input_insts,
                "inputSize": input_size,
                "trueInsts": true_insts,
                "trueSize": true_size,
                "predInsts": parsed.instruction_count,
                "predSize": parsed.binary_size,
                "complete": parsed.complete,
                "modelSeconds": round(answer.seconds, 3),
                "promptTokens": answer.prompt_tokens,
                "completionTokens": answer.completion_tokens,
            }
        )
        if parsed.instruction_count is not None:
            record["instsError"] = parsed.instruction_count - true_insts
        if parsed.binary_size is not None:
            record["sizeError"] = parsed.binary_size - true_size
            record["sizeErrorRel"] = rounded(
                (parsed.binary_size - true_size) / true_size if true_size else None
            )
        if code is None or not code.strip():
            record.update({"exact": False, "valid": False, "bleu": 0.0, "differingLines": None})
            return record
        # The preview's verdict: line for line, and only a finished answer can match.
        comparison = compare_modules(truth.ir, code)
        record.update(
            {
                "exact": comparison.exact and parsed.complete,
                "differingLines": comparison.differing_lines,
                "valid": await opt.verify(toolchain, code) is None,
                "bleu": rounded(bleu(truth.ir, code)),
            }
        )
        return record

    @staticmethod
    def _numbers(rows: list[Record]) -> dict[str, Any]:
        exact = sum(1 for r in rows if r["exact"])
        valid = sum(1 for r in rows if r["valid"])
        insts = [abs(r["instsError"]) for r in rows if r.get("instsError") is not None]
        sizes = [abs(r["sizeErrorRel"]) for r in rows if r.get("sizeErrorRel") is not None]
        size_bytes = [abs(r["sizeError"]) for r in rows if r.get("sizeError") is not None]
        return {
            "items": len(rows),
            "exact": exact,
            "exactShare": rounded(share(exact, len(rows))),
            "valid": valid,
            "validShare": rounded(share(valid, len(rows))),
            "bleu": rounded(mean(r["bleu"] for r in rows)),
            "instsAnswered": len(insts),
            "instsMeanAbsError": rounded(mean(insts)),
            "instsExact": sum(1 for e in insts if e == 0),
            "sizeAnswered": len(sizes),
            "sizeMeanAbsError": rounded(mean(size_bytes)),
            "sizeMeanAbsRelError": rounded(mean(sizes)),
        }

    def summarise(self, records: list[Record], options: EvalOptions) -> dict[str, Any]:
        measured = [r for r in records if r.get("status") == OK]
        pipelines: dict[str, Any] = {}
        seen = {r["pipeline"] for r in measured}
        ordered = [p for p in options.pipelines if p in seen] + sorted(
            seen - set(options.pipelines)
        )
        for pipeline in ordered:
            pipelines[pipeline] = self._numbers([r for r in measured if r["pipeline"] == pipeline])
        return {"all": self._numbers(measured), "pipelines": pipelines}

    def table(self, summary: dict[str, Any], model: str | None) -> str:
        metrics = summary["metrics"]
        header = [
            "pipeline",
            "items",
            "exact match",
            "valid IR",
            "BLEU",
            "inst. count error",
            "binary size error",
        ]
        rows = []
        named = [(f"`{p}`", n) for p, n in metrics["pipelines"].items()]
        for label, n in [*named, (ALL, metrics["all"])]:
            rows.append(
                [
                    label,
                    fmt(n["items"]),
                    f"{n['exact']} ({pct(n['exactShare'], 1, signed=False)})",
                    pct(n["validShare"], 1, signed=False),
                    fmt(n["bleu"]),
                    fmt(n["instsMeanAbsError"], 2),
                    pct(n["sizeMeanAbsRelError"], 1, signed=False),
                ]
            )
        note = (
            "Exact match: the predicted IR is opt's output line for line. Errors are mean "
            "absolute: instructions (reachable blocks, as the prompt counts) and binary size relative to "
            "opt's output compiled with llc -O0 (the prompt's definition), over the answers "
            "that stated them."
        )
        return markdown_table(header, rows) + "\n" + note + "\n"

    def plot(self, records: list[Record], summary: dict[str, Any], out: Path) -> list[Path]:
        measured = [r for r in records if r.get("status") == OK]
        if not measured:
            return []
        paths = [
            plots.histogram(
                [r["bleu"] for r in measured],
                out / "bleu.png",
                title="BLEU of the predicted IR against opt's, per item",
                xlabel="BLEU",
            )
        ]
        rates = {
            p: n["exactShare"]
            for p, n in summary["metrics"]["pipelines"].items()
            if n["exactShare"] is not None
        }
        if rates:
            paths.append(
                plots.bars(
                    rates,
                    out / "exact-match.png",
                    title="Exact match with opt, per pipeline",
                    ylabel="items exactly right (%)",
                )
            )
        return paths

"""The files a run ends with: ``summary.json``, ``report.md`` and the task's plots."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsp_server.eval.records import Record

if TYPE_CHECKING:
    from lsp_server.eval.tasks.base import Task

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table; the first column is left-aligned, the others right."""
    align = [":---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def _counts_paragraph(summary: dict[str, Any]) -> str:
    counts = summary["statusCounts"]
    parts = [f"{counts.get('ok', 0)} items measured"]
    if summary["tooLong"]:
        parts.append(
            f"{summary['tooLong']} too long for the model's "
            f"{summary['options']['contextTokens']}-token context (counted, not measured)"
        )
    if summary["errors"]:
        parts.append(f"{summary['errors']} failed (see `status: error` in items.jsonl)")
    if summary["inputErrors"]:
        parts.append(f"{summary['inputErrors']} input files gave no unit")
    return "; ".join(parts) + "."


def render_report(task: Task, summary: dict[str, Any], model: str | None) -> str:
    """The Markdown report: what ran, the paper-style table, and what was left out."""
    who = f"model `{model}`" if model else "LLVM only (no model)"
    lines = [
        f"# irlens eval {task.name}: {task.title}",
        "",
        f"{who}; LLVM {summary['llvm']}; corpus `{summary['corpus']}`.",
        "",
        task.table(summary, model),
        _counts_paragraph(summary),
        "",
    ]
    return "\n".join(lines)


def write_report(
    task: Task,
    records: list[Record],
    summary: dict[str, Any],
    out: Path,
    *,
    plots: bool,
    model: str | None,
) -> list[Path]:
    """Write the summary, the report and (when matplotlib is there) the plots."""
    summary_path = out / SUMMARY_FILE
    summary_path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    report_path = out / REPORT_FILE
    report_path.write_text(render_report(task, summary, model))
    files = [summary_path, report_path]
    if plots:
        from lsp_server.eval.plots import PlotsUnavailable

        try:
            files.extend(task.plot(records, summary, out))
        except PlotsUnavailable as err:
            log.warning("%s", err)
            summary["plots"] = str(err)
            summary_path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return files

"""The preview of a pass, as data and as Markdown: per-function diffs, counts and sizes.

:func:`build_preview` turns the real opt result (:class:`~.preview_run.Truth`) into the
functions it changed, the function nearest the cursor first and the others by size of
change; :func:`render_markdown` writes that within a length budget; :func:`preview_json`
is the same for the side panel and ``irlens preview --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsp_server.preview.model import Prediction, render_prediction
from lsp_server.preview.printed import (
    Diff,
    function_texts,
    module_level_text,
    unified_diff,
)
from lsp_server.preview.remarks import Remark, render_remarks
from lsp_server.preview.run import Truth

MODULE_LEVEL = "(module level)"
#: What the preview's binary size is, said wherever it is shown (the model's line uses
#: another measure, -O0, and names it too).
SIZE_MEASURE = "text+data of the object from `llc -filetype=obj` at its default -O2"


@dataclass(frozen=True)
class Change:
    """What happened to one function (or to the module outside functions)."""

    name: str
    status: str  # "changed", "unchanged", "removed", "added"
    diff: Diff
    before_count: int | None
    after_count: int | None

    @property
    def title(self) -> str:
        return self.name if self.name == MODULE_LEVEL else f"@{self.name}"


@dataclass(frozen=True)
class Preview:
    """A truth and its changes, ordered for display."""

    truth: Truth
    focus: str | None
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return any(change.status != "unchanged" for change in self.changes)

    @property
    def focus_change(self) -> Change | None:
        for change in self.changes:
            if change.name == self.focus:
                return change
        return None


def build_preview(truth: Truth) -> Preview:
    """Diff every function of the truth's two modules (CPU work: run it off the loop)."""
    focus = truth.target.function
    before_ir, after_ir = truth.before.ir, truth.after.ir
    if truth.error is not None or before_ir is None or after_ir is None:
        return Preview(truth, focus, ())
    old, new = function_texts(before_ir), function_texts(after_ir)
    counts_old, counts_new = truth.before.counts, truth.after.counts
    changes = []
    for name in [*old, *(n for n in new if n not in old)]:
        before, after = old.get(name, ""), new.get(name, "")
        if name in old and name not in new:
            status = "removed"
        elif name not in old:
            status = "added"
        else:
            status = "changed" if before != after else "unchanged"
        diff = unified_diff(before, after) if status == "changed" else Diff((), 0, 0, 0)
        if status == "added":
            diff = Diff((), len(after.splitlines()), 0, 0)
        elif status == "removed":
            diff = Diff((), 0, len(before.splitlines()), 0)
        changes.append(Change(name, status, diff, counts_old.get(name), counts_new.get(name)))
    module_diff = unified_diff(module_level_text(before_ir), module_level_text(after_ir))
    changes.append(
        Change(
            MODULE_LEVEL, "changed" if module_diff.changed else "unchanged", module_diff, None, None
        )
    )
    if focus not in old and focus not in new:
        focus = None

    def order(change: Change) -> tuple[int, int, str]:
        return (0 if change.name == focus else 1, -change.diff.size, change.name)

    return Preview(truth, focus, tuple(sorted(changes, key=order)))


def _signed(value: int, unit: str = "") -> str:
    if value == 0:
        return "±0"
    return f"{'+' if value > 0 else '-'}{abs(value)}{unit}"


def _percent(before: int, after: int) -> str:
    if before == 0:
        return ""
    return f" ({'+' if after >= before else '-'}{abs(after - before) / before * 100:.1f}%)"


def _number_row(label: str, before: int | None, after: int | None, unit: str = "") -> str:
    if before is None or after is None:
        shown_before = "n/a" if before is None else f"{before}{unit}"
        shown_after = "n/a" if after is None else f"{after}{unit}"
        return f"| {label} | {shown_before} | {shown_after} | |"
    change = _signed(after - before, unit) + (_percent(before, after) if unit else "")
    return f"| {label} | {before}{unit} | {after}{unit} | {change} |"


def _header(truth: Truth, focus: str | None) -> str:
    target = truth.target
    parts = [f"**{target.pass_text}**"]
    if target.kind == "pass" and target.pipeline != target.pass_text:
        parts.append(f"pass {target.leaf_index + 1} of {target.leaf_count} in `{target.pipeline}`")
    if focus is not None:
        parts.append(f"`@{focus}`")
    parts.append(f"opt {truth.llvm_version}")
    return " · ".join(parts)


def _table(preview: Preview) -> list[str]:
    truth = preview.truth
    before, after = truth.before, truth.after
    rows = ["| | before | after | change |", "| --- | --: | --: | --: |"]
    focus = preview.focus_change
    if focus is not None and focus.name != "(module level)":
        rows.append(
            _number_row(f"instructions in `@{focus.name}`", focus.before_count, focus.after_count)
        )
    rows.append(_number_row("instructions in the module", before.instructions, after.instructions))
    rows.append(_number_row("binary size (text+data)", before.size, after.size, " B"))
    return rows


def _diff_sections(preview: Preview, budget: int) -> list[str]:
    out: list[str] = []
    left = budget
    not_shown: list[str] = []
    for change in preview.changes:
        if change.status == "unchanged":
            if change.name == preview.focus:
                out.append(f"`@{change.name}`: no change.")
            continue
        summary = f"`{change.title}` (+{change.diff.added} -{change.diff.removed})"
        if left <= 0:
            not_shown.append(summary)
            continue
        if change.status == "removed":
            out.append(f"`@{change.name}` was removed ({change.diff.removed} lines).")
            left -= 1
            continue
        if change.status == "added":
            out.append(f"`@{change.name}` was added ({change.diff.added} lines).")
            left -= 1
            continue
        lines = list(change.diff.lines)
        shown = lines[:left]
        left -= len(shown)
        out.append(f"`{change.title}` (+{change.diff.added} -{change.diff.removed}):")
        out.append("```diff\n" + "\n".join(shown) + "\n```")
        if len(lines) > len(shown):
            out.append(f"… {len(lines) - len(shown)} more lines of this diff not shown")
        if change.diff.cut_input:
            out.append(
                f"… {change.diff.cut_input} lines of this very long function were left out "
                "of the comparison"
            )
    if not_shown:
        out.append("Also changed (not shown): " + ", ".join(not_shown))
    return out


def render_markdown(
    preview: Preview,
    max_diff_lines: int,
    prediction: Prediction | None = None,
    command: str | None = None,
    remarks: list[Remark] | str | None = None,
) -> str:
    """The hover text: header, counts and sizes, diffs within ``max_diff_lines``, model."""
    truth = preview.truth
    blocks = [_header(truth, preview.focus)]
    if truth.error is not None:
        blocks.append(f"**Cannot preview**: {truth.error}")
    elif not preview.changed:
        blocks.append(
            f"**No change**: `{truth.target.pass_text}` leaves this module exactly as it was."
        )
        blocks.append(
            f"{truth.after.instructions} instructions · binary size "
            + (f"{truth.after.size} B" if truth.after.size is not None else "n/a")
            + f" ({SIZE_MEASURE})"
        )
    else:
        blocks.append("\n".join(_table(preview)))
        blocks.append(f"_binary size: {SIZE_MEASURE}_")
        blocks.extend(_diff_sections(preview, max_diff_lines))
    if truth.error is None and truth.after.size_error:
        blocks.append(f"_binary size unavailable: {truth.after.size_error.splitlines()[0]}_")
    if isinstance(remarks, list):
        blocks.append(render_remarks(remarks, preview.focus))
    elif remarks is not None:
        blocks.append(f"_remarks unavailable: {remarks.splitlines()[0] if remarks else ''}_")
    if prediction is not None:
        blocks.append(render_prediction(prediction))
    if command is not None:
        blocks.append(f'The command (its output is the "after"):\n```sh\n{command}\n```')
    blocks.extend(f"_note: {note}_" for note in truth.notes)
    return "\n\n".join(blocks)


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "name": change.name,
        "status": change.status,
        "added": change.diff.added,
        "removed": change.diff.removed,
        "diff": "\n".join(change.diff.lines),
        "instructionsBefore": change.before_count,
        "instructionsAfter": change.after_count,
    }


def preview_json(
    preview: Preview,
    prediction: Prediction | None = None,
    command: str | None = None,
    remarks: list[Remark] | str | None = None,
) -> dict[str, Any]:
    """Structured preview for the side panel and ``--json`` (see docs/lsp-extensions.md)."""
    truth = preview.truth
    target = truth.target
    return {
        "kind": target.kind,
        "pass": target.pass_text,
        "pipeline": target.pipeline,
        "beforePipeline": target.before,
        "afterPipeline": target.after,
        "optArgs": list(target.args),
        "function": preview.focus,
        "llvmVersion": truth.llvm_version,
        "error": truth.error,
        "notes": list(truth.notes),
        "changed": preview.changed,
        "instructions": {"before": truth.before.instructions, "after": truth.after.instructions},
        "binarySize": {
            "before": truth.before.size,
            "after": truth.after.size,
            "measure": SIZE_MEASURE,
        },
        "functions": [_change_json(c) for c in preview.changes if c.status != "unchanged"],
        "optMessages": truth.after.messages,
        "command": command,
        "remarks": [r.to_json() for r in remarks] if isinstance(remarks, list) else None,
        "remarksError": remarks if isinstance(remarks, str) else None,
        "prediction": prediction.to_json() if prediction is not None else None,
    }

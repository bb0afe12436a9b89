"""The preview as the user reads it: order, budget, "no change", errors, model verdicts."""

from __future__ import annotations

from lsp_server.preview.model import Prediction, render_prediction
from lsp_server.preview.render import build_preview, preview_json, render_markdown
from lsp_server.preview.run import Stage, Truth
from lsp_server.preview.target import Target
from lsp_server.syntax.span import Pos, Span


def _function(name: str, body: list[str]) -> str:
    return "\n".join([f"define void @{name}() {{", *body, "}"])


def _module(*functions: str, extra: str = "") -> str:
    return "\n\n".join(["; ModuleID = '<stdin>'", extra, *functions]) + "\n"


def _target(focus: str | None = "a", kind: str = "pass") -> Target:
    return Target(
        kind=kind,
        pipeline="function(sroa,instcombine)",
        pass_text="instcombine",
        before="function(sroa)",
        after="function(sroa,instcombine)",
        model_passes="instcombine",
        args=(),
        function=focus,
        extract=False,
        span=Span(Pos(0, 10), Pos(0, 21)),
        leaf_index=1,
        leaf_count=2,
    )


def _truth(before: str, after: str, *, focus: str | None = "a", error: str | None = None) -> Truth:
    return Truth(
        target=_target(focus),
        llvm_version="19.1.7",
        input_text=before,
        before=Stage("function(sroa)", before, counts={"a": 3, "b": 4}, size=100),
        after=Stage("function(sroa,instcombine)", after, counts={"a": 2, "b": 1}, size=90),
        error=error,
    )


A_BEFORE = _function("a", ["  %x = add i32 1, 2", "  ret void"])
A_AFTER = _function("a", ["  ret void"])
B_BEFORE = _function("b", [f"  %v{i} = add i32 {i}, 1" for i in range(30)] + ["  ret void"])
B_AFTER = _function("b", ["  ret void"])


def test_the_function_at_the_cursor_comes_first_then_by_size_of_change() -> None:
    preview = build_preview(_truth(_module(A_BEFORE, B_BEFORE), _module(A_AFTER, B_AFTER)))
    names = [c.name for c in preview.changes if c.status != "unchanged"]
    assert names == ["a", "b"]
    preview = build_preview(
        _truth(_module(A_BEFORE, B_BEFORE), _module(A_AFTER, B_AFTER), focus=None)
    )
    assert [c.name for c in preview.changes if c.status != "unchanged"] == ["b", "a"]


def test_markdown_has_header_counts_sizes_and_diff() -> None:
    preview = build_preview(_truth(_module(A_BEFORE, B_BEFORE), _module(A_AFTER, B_AFTER)))
    text = render_markdown(preview, max_diff_lines=200)
    header = text.splitlines()[0]
    assert "**instcombine**" in header and "pass 2 of 2" in header
    assert "`@a`" in header and "opt 19.1.7" in header
    assert "| instructions in `@a` | 3 | 2 | -1 |" in text
    assert "| instructions in the module | 7 | 3 | -4 |" in text
    assert "| binary size (text+data) | 100 B | 90 B | -10 B (-10.0%) |" in text
    assert "```diff" in text and "-  %x = add i32 1, 2" in text
    assert text.index("`@a` (+0 -1)") < text.index("`@b` (+0 -30)")


def test_long_diffs_are_cut_with_a_count_of_what_is_left() -> None:
    preview = build_preview(_truth(_module(A_BEFORE, B_BEFORE), _module(A_AFTER, B_AFTER)))
    text = render_markdown(preview, max_diff_lines=10)
    diff_lines = [
        line
        for line in text.splitlines()
        if line.startswith(("+", "-", " ", "@@")) and "|" not in line
    ]
    assert len(diff_lines) == 10
    assert "more lines of this diff not shown" in text
    short = render_markdown(preview, max_diff_lines=4)
    assert "Also changed (not shown): `@b` (+0 -30)" in short


def test_no_change_is_said_plainly() -> None:
    same = _module(A_BEFORE, B_BEFORE)
    truth = Truth(
        target=_target(),
        llvm_version="19.1.7",
        input_text=same,
        before=Stage("function(sroa)", same, counts={"a": 3, "b": 4}, size=100),
        after=Stage("function(sroa,instcombine)", same, counts={"a": 3, "b": 4}, size=100),
    )
    preview = build_preview(truth)
    assert not preview.changed
    text = render_markdown(preview, max_diff_lines=80)
    assert "**No change**" in text and "```diff" not in text
    assert "7 instructions" in text and "100 B" in text
    assert preview_json(preview)["changed"] is False


def test_unchanged_focus_function_is_named_and_others_shown() -> None:
    preview = build_preview(_truth(_module(A_BEFORE, B_BEFORE), _module(A_BEFORE, B_AFTER)))
    text = render_markdown(preview, max_diff_lines=80)
    assert "`@a`: no change." in text
    assert "`@b` (+0 -30)" in text


def test_removed_added_and_module_level_changes() -> None:
    before = _module(A_BEFORE, B_BEFORE, extra="@g = internal global i32 0")
    after = _module(A_AFTER, _function("c", ["  ret void"]), extra="@g = internal constant i32 0")
    preview = build_preview(_truth(before, after))
    statuses = {c.name: c.status for c in preview.changes}
    assert statuses == {"a": "changed", "b": "removed", "c": "added", "(module level)": "changed"}
    text = render_markdown(preview, max_diff_lines=80)
    assert "`@b` was removed" in text and "`@c` was added" in text
    assert "+@g = internal constant i32 0" in text


def test_an_error_replaces_the_preview() -> None:
    truth = Truth(
        target=_target(),
        llvm_version="19.1.7",
        input_text="",
        before=Stage("", None),
        after=Stage("", None),
        error="unknown pass 'instcombin' (did you mean instcombine?)",
    )
    text = render_markdown(build_preview(truth), max_diff_lines=80)
    assert "**Cannot preview**: unknown pass 'instcombin' (did you mean instcombine?)" in text
    assert "```diff" not in text


def test_notes_are_shown_after_the_preview() -> None:
    truth = _truth(_module(A_BEFORE), _module(A_AFTER))
    noted = Truth(
        truth.target, "19.1.7", "", truth.before, truth.after, None, ("expects opt to fail",)
    )
    assert render_markdown(build_preview(noted), 80).endswith("_note: expects opt to fail_")


def _prediction(status: str, **fields: object) -> Prediction:
    return Prediction(status, "fake-llm-compiler", "instcombine", llvm_version="19.1.7", **fields)  # type: ignore[arg-type]


def test_model_verdicts_read_as_one_paragraph() -> None:
    match = render_prediction(
        _prediction("match", predicted_count=2, real_count=2, predicted_size=90, real_size=90)
    )
    assert "**exact match** with opt 19.1.7" in match and "fake-llm-compiler" in match
    assert "predicted instructions 2 (opt 2, ±0)" in match
    differs = render_prediction(
        _prediction(
            "differs",
            differing_lines=3,
            first_difference=(12, "  ret i32 %a", "  ret i32 %b"),
            predicted_count=5,
            real_count=4,
            predicted_size=None,
            real_size=80,
        )
    )
    assert "**differs** from opt 19.1.7 in 3 lines" in differs
    assert "first at line 12: opt `ret i32 %a`, model `ret i32 %b`" in differs
    assert "predicted instructions 5 (opt 4, +1)" in differs and "binary size not stated" in differs
    assert "still running" in render_prediction(_prediction("pending"))
    down = render_prediction(_prediction("error", message="connection refused"))
    assert "unavailable (connection refused)" in down and "opt's result only" in down
    assert "holds no IR" in render_prediction(
        _prediction("unusable", message="the answer holds no IR")
    )


def test_prediction_goes_into_markdown_and_json() -> None:
    preview = build_preview(_truth(_module(A_BEFORE), _module(A_AFTER)))
    prediction = _prediction("match", predicted_ir="x")
    text = render_markdown(preview, 80, prediction)
    assert "**exact match**" in text
    data = preview_json(preview, prediction)
    assert data["prediction"]["status"] == "match"
    assert Prediction.from_json(data["prediction"]) == prediction

"""The previewed pass's optimization remarks in the hover (issue 13): opt's own
``-pass-remarks-output`` YAML, parsed with PyYAML, for the function at the cursor."""

from __future__ import annotations

import subprocess

from lsp_server.config import Settings
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.preview.remarks import parse_remarks
from lsp_server.services import Services

TEXT = """\
; RUN: opt -passes='cgscc(inline),function(instcombine)' -inline-threshold=0 -S %s
define internal i32 @big(i32 %x) {
  %a = mul i32 %x, %x
  %b = mul i32 %a, %x
  %c = mul i32 %b, %a
  %d = add i32 %c, %b
  %e = mul i32 %d, %d
  %f = mul i32 %e, %c
  ret i32 %f
}
define i32 @f(i32 %x) {
  %r = call i32 @big(i32 %x)
  %s = call i32 @big(i32 %r)
  ret i32 %s
}
"""


def _opt_remark_lines(toolchain, passes: str) -> list[str]:
    """What opt itself prints for each remark on stderr."""
    result = subprocess.run(
        [
            toolchain.path("opt"),
            f"-passes={passes}",
            "-inline-threshold=0",
            "-disable-output",
            "-pass-remarks=.*",
            "-pass-remarks-missed=.*",
            "-pass-remarks-analysis=.*",
        ],
        input=TEXT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        line.split(": ", 2)[2] for line in result.stderr.splitlines() if line.startswith("remark: ")
    ]


async def test_the_hover_shows_the_pass_remarks_for_the_function(toolchain) -> None:
    services = Services(settings=Settings(), toolchain=toolchain)
    column = TEXT.splitlines()[0].index("inline),") + 2
    found = await hover_preview(TEXT, 0, column, services, PreviewState())
    assert found is not None and found.data["error"] is None
    remarks = found.data["remarks"]
    expected = _opt_remark_lines(toolchain, "cgscc(inline)")
    assert expected, "the example must make opt remark"
    assert [r["message"] for r in remarks] == expected
    assert {r["pass"] for r in remarks} == {"inline"}
    assert all(r["function"] == "f" for r in remarks)
    # The hover's function (@big, nearest the RUN line) has none: the module's are shown.
    passed = sum(r["kind"] == "passed" for r in remarks)
    assert f"**Remarks** in the module ({passed} passed, " in found.markdown
    assert f"- passed (inline): {remarks[0]['message']}" in found.markdown
    # On a define line the function's own remarks are shown.
    line = next(i for i, t in enumerate(TEXT.splitlines()) if t.startswith("define i32 @f"))
    found = await hover_preview(TEXT, line, 13, services, PreviewState())
    assert found is not None and "**Remarks** for `@f` (" in found.markdown


def test_remarks_yaml_with_locations_and_every_kind() -> None:
    text = (
        "--- !Missed\nPass: inline\nName: TooCostly\n"
        "DebugLoc: { File: a.c, Line: 3, Column: 10 }\nFunction: g\nArgs:\n"
        "  - Callee: f\n    DebugLoc: { File: a.c, Line: 1, Column: 0 }\n"
        "  - String: ' not inlined into '\n  - Caller: g\n  - String: ' because too costly'\n"
        "...\n--- !AnalysisFPCommute\nPass: loop-vectorize\nName: X\nFunction: g\nArgs:\n"
        "  - String: 'loop not vectorized: cannot reorder'\n...\n"
        "--- !Passed\nPass: licm\nName: Hoisted\nFunction: h\nArgs:\n  - String: hoisted\n...\n"
    )
    first, second, third = parse_remarks(text)
    assert (first.kind, first.message, first.location) == (
        "missed",
        "f not inlined into g because too costly",
        "a.c:3:10",
    )
    assert (second.kind, second.pass_name) == ("analysis", "loop-vectorize")
    assert (third.kind, third.function) == ("passed", "h")
    assert parse_remarks("--- !Missed\n: [") == []


async def test_each_step_carries_the_remarks_its_pass_made(toolchain) -> None:
    from lsp_server.preview.steps import pipeline_steps

    services = Services(settings=Settings(), toolchain=toolchain)
    pipeline = "cgscc(inline),function(instcombine)"
    steps = await pipeline_steps(TEXT, pipeline, None, services, ("-inline-threshold=0",))
    assert steps.error is None
    expected = _opt_remark_lines(toolchain, pipeline)
    assert expected
    made = [(s.pass_name, s.unit, r.message) for s in steps.steps for r in s.remarks]
    assert [m for _, _, m in made] == expected
    # opt prints each remark while the inliner runs on @f's SCC, before that step's dump.
    assert {(p, u) for p, u, _ in made} == {("InlinerPass", "(f)")}
    step = next(s for s in steps.steps if s.unit == "(f)" and s.pass_name == "InlinerPass")
    assert step.to_json()["remarksCount"] == len(expected)
    assert all(not s.remarks for s in steps.steps if s is not step)
    assert "remark:" not in (steps.initial or "") and all(
        "remark:" not in (s.ir or "") for s in steps.steps
    )


async def test_without_pyyaml_the_hover_says_why_there_are_no_remarks(
    toolchain, monkeypatch
) -> None:
    """The VS Code bundle carries no PyYAML: the hover says so instead of "none"."""
    from lsp_server.preview import remarks

    monkeypatch.setattr(remarks, "_remark_loader", lambda: None)
    services = Services(settings=Settings(), toolchain=toolchain)
    line = TEXT.splitlines()[0]
    found = await hover_preview(TEXT, 0, line.index("inline") + 1, services, PreviewState())
    assert found is not None
    assert "_remarks unavailable: reading opt's remarks needs PyYAML" in found.markdown
    assert found.data["remarksError"] == remarks.NO_PYYAML

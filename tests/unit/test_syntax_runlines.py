"""RUN lines and pipelines in comments: every LLVM regression test in tests/data, plus
the spellings those files do not use (legacy flags, -p, continuations, plain comments)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lsp_server.syntax import (
    PassRef,
    PipelineRef,
    RunLine,
    find_pipelines,
    parse_run_lines,
    pass_at,
    split_lines,
)

LLVM_TESTS = Path(__file__).parents[1] / "data" / "llvm-tests"
MANIFEST = [
    json.loads(line)
    for line in (LLVM_TESTS / "manifest.jsonl").read_text().splitlines()
    if line.strip()
]


def written(text: str, ref: PassRef) -> str:
    """The file text a pass's span covers (single-line spans only)."""
    assert ref.span.start.line == ref.span.end.line
    line = split_lines(text)[ref.span.start.line]
    return line[ref.span.start.col : ref.span.end.col]


def spelled(ref: PassRef) -> str:
    return ref.name if ref.params is None else f"{ref.name}<{ref.params}>"


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["path"] for entry in MANIFEST])
def test_llvm_regression_test_run_lines(entry: dict[str, Any]) -> None:
    text = (LLVM_TESTS / entry["path"]).read_text()
    run_lines = parse_run_lines(text)

    assert [run.command for run in run_lines] == entry["run_lines"]
    assert len(entry["pipelines"]) == len(run_lines)
    for run, expected in zip(run_lines, entry["pipelines"], strict=True):
        assert run.tool in ("opt", "not")
        if "passes" in expected:
            assert [p.text for p in run.pipelines if p.kind == "passes"] == expected["passes"]
        else:
            legacy = [p for p in run.pipelines if p.kind == "legacy"]
            assert [p.passes[0].name for p in legacy] == ["default"]
        for pipeline in run.pipelines:
            assert pipeline.error is None
            # Every pass's span points at the pass as written, so hover finds it.
            for ref in pipeline.passes:
                if pipeline.kind == "passes":
                    assert written(text, ref) == spelled(ref)
                found = pass_at(text, ref.span.start.line, ref.span.start.col)
                assert found is not None
                assert found[1] == ref

    multi_line = [run for run in run_lines if run.first_line != run.last_line]
    lines = split_lines(text)
    physical = [
        [line for line in lines[run.first_line : run.last_line + 1] if "RUN:" in line]
        for run in multi_line
    ]
    assert physical == entry.get("run_lines_physical", [])
    # find_pipelines sees the RUN lines' pipelines, and pipelines in prose comments
    # (LoopSimplify/single-backedge.ll says "the -passes=indvars pass").
    from_runs = [p for run in run_lines for p in run.pipelines]
    found = find_pipelines(text)
    assert [p for p in found if p.run_line is not None] == from_runs
    assert all(
        p.span.start.line not in run_line_numbers(run_lines) for p in found if p.run_line is None
    )


def run_line_numbers(run_lines: list[RunLine]) -> set[int]:
    return {n for run in run_lines for n in range(run.first_line, run.last_line + 1)}


def test_pipeline_in_a_prose_comment_of_a_real_file() -> None:
    text = (LLVM_TESTS / "LoopSimplify" / "single-backedge.ll").read_text()
    prose = [p for p in find_pipelines(text) if p.run_line is None]
    assert [(p.text, p.span.start.line) for p in prose] == [("indvars", 1)]


def test_run_line_facts_from_a_real_file() -> None:
    text = (LLVM_TESTS / "Other" / "function-simplification.ll").read_text()
    runs = parse_run_lines(text)
    assert [run.negated for run in runs] == [False, False, False, True]
    assert all(run.tool == "opt" for run in runs)
    assert [run.check_prefixes for run in runs] == [("O1",), ("O23",), ("O23",), ("O0",)]
    assert all(run.reads_stdin_file and not run.prints_ir and run.filecheck for run in runs)


def test_check_prefixes_and_printing() -> None:
    text = (LLVM_TESTS / "SROA" / "pr26972.ll").read_text()
    first = parse_run_lines(text)[0]
    assert first.check_prefixes == ("CHECK", "CHECK-preserve-cfg")
    assert first.prints_ir and first.reads_stdin_file

    text = (LLVM_TESTS / "GVN" / "2007-07-26-NonRedundant.ll").read_text()
    (run,) = parse_run_lines(text)
    assert not run.filecheck and run.check_prefixes == () and not run.prints_ir


SAMPLE = """\
; RUN: opt -S -instcombine -simplifycfg -o %t %s
; RUN: not opt -passes="function(sroa,instcombine)" -disable-output < %s 2>&1 | FileCheck --check-prefix=ERR %s
; RUN: opt -p 'sroa' %s -S | FileCheck %s -check-prefixes=A,B
; RUN: opt -passes='cgscc(inline),\\
; RUN: function(sroa)' -S < %s
; RUN: llc -O2 < %s | FileCheck %s
; RUN: opt -mtriple x86_64 -aa-pipeline basic-aa -verify-memoryssa -licm -Oz %s
; RUN: opt -o %t -p=gvn %s && opt --passes loop-rotate %t
; A plain comment: opt -p=gvn,dse, then -passes=adce and --passes='loop(indvars)'.
; don't forget -passes=sroa here
; this mentions opt and -p but holds no pipeline
define void @f() {
  ret void
}
"""


def by_line() -> dict[int, list[PipelineRef]]:
    found: dict[int, list[PipelineRef]] = {}
    for pipeline in find_pipelines(SAMPLE):
        found.setdefault(pipeline.span.start.line, []).append(pipeline)
    return found


def test_legacy_flags_become_a_pipeline_and_option_values_do_not() -> None:
    runs = parse_run_lines(SAMPLE)
    (legacy,) = runs[0].pipelines
    assert (legacy.kind, legacy.text) == ("legacy", "instcombine,simplifycfg")
    assert [written(SAMPLE, ref) for ref in legacy.passes] == ["-instcombine", "-simplifycfg"]
    assert runs[0].prints_ir and not runs[0].filecheck

    # -mtriple's and -aa-pipeline's values, -verify-* and AA names are not passes.
    (legacy,) = runs[5].pipelines
    assert legacy.text == "licm,default<Oz>"
    assert [(ref.name, ref.params) for ref in legacy.passes] == [("licm", None), ("default", "Oz")]


def test_negation_quotes_and_prefixes() -> None:
    runs = parse_run_lines(SAMPLE)
    assert runs[1].negated and runs[1].tool == "opt" and not runs[1].prints_ir
    assert runs[1].check_prefixes == ("ERR",)
    assert runs[1].pipelines[0].text == "function(sroa,instcombine)"
    assert runs[2].pipelines[0].text == "sroa"
    assert runs[2].check_prefixes == ("A", "B")
    # llc is not opt: its -O2 is not a pipeline.
    assert runs[4].tool == "llc" and runs[4].pipelines == ()
    # Both commands of a `&&` sequence count; `-o %t` does not become a pass.
    assert [p.text for p in runs[6].pipelines] == ["gvn", "loop-rotate"]


def test_continued_run_line_maps_passes_to_both_lines() -> None:
    run = parse_run_lines(SAMPLE)[3]
    assert (run.first_line, run.last_line) == (3, 4)
    (pipeline,) = run.pipelines
    # lit keeps the space after the second `RUN:`, and so does opt, which rejects it.
    assert pipeline.text == "cgscc(inline), function(sroa)"
    assert pipeline.error is not None and "whitespace" in pipeline.error
    inline, sroa = pipeline.passes
    assert (inline.span.start.line, sroa.span.start.line) == (3, 4)
    assert written(SAMPLE, inline) == "inline" and written(SAMPLE, sroa) == "sroa"
    assert pipeline.span.start.line == 3 and pipeline.span.end.line == 4


def test_pipelines_in_plain_comments() -> None:
    found = by_line()
    assert [p.text for p in found[8]] == ["gvn,dse", "adce", "loop(indvars)"]
    assert all(p.run_line is None for p in found[8])
    assert [p.text for p in found[9]] == ["sroa"]
    assert 10 not in found
    run_indexes = {p.run_line for line in range(8) for p in found.get(line, [])}
    assert run_indexes == {0, 1, 2, 3, 5, 6}


def test_pass_at_finds_the_pass_under_the_cursor() -> None:
    line = split_lines(SAMPLE)[1]
    col = line.index("instcombine")
    for cursor in (col, col + 5, col + len("instcombine")):
        found = pass_at(SAMPLE, 1, cursor)
        assert found is not None
        assert (found[1].name, found[1].leaf_index) == ("instcombine", 1)
        assert found[0].run_line == 1
    assert pass_at(SAMPLE, 1, line.index("FileCheck")) is None
    assert pass_at(SAMPLE, 12, 3) is None  # code, not a comment
    assert pass_at(SAMPLE, 999, 0) is None

    line = split_lines(SAMPLE)[8]
    found = pass_at(SAMPLE, 8, line.index("dse") + 1)
    assert found is not None and found[1].name == "dse" and found[0].run_line is None


def test_pass_params_are_part_of_the_pass() -> None:
    text = "; RUN: opt -passes='function(sroa<preserve-cfg>)' -S %s\n"
    col = text.index("preserve")
    found = pass_at(text, 0, col)
    assert found is not None
    assert (found[1].name, found[1].params) == ("sroa", "preserve-cfg")
    assert written(text, found[1]) == "sroa<preserve-cfg>"


def test_assembly_comment_run_lines() -> None:
    text = "# RUN: llvm-mc -triple=x86_64 %s | FileCheck %s\n// RUN: llc -O0 %s\n\tret\n"
    runs = parse_run_lines(text)
    assert [run.tool for run in runs] == ["llvm-mc", "llc"]
    assert runs[0].filecheck and runs[0].check_prefixes == ("CHECK",)


def test_broken_run_lines_give_results() -> None:
    text = "; RUN: opt -passes='function(sroa %s \\\n; RUN: | \\\n"
    (run,) = parse_run_lines(text)
    (pipeline,) = run.pipelines
    assert pipeline.error is not None
    assert [ref.name for ref in pipeline.passes] == ["sroa"]
    assert parse_run_lines("; RUN:")[0].tool is None


def test_prose_opt_p_needs_a_quoted_or_attached_value() -> None:
    text = (
        "; Reduced with opt -S -p 'sroa,gvn' from a larger test.\n"
        "; Or: opt-19 -p=instcombine.\n"
        "; Running opt with -p alone means nothing here.\n"
        "; See also (-passes=loop-rotate).\n"
    )
    found = [(p.text, p.span.start.line, p.error) for p in find_pipelines(text)]
    assert found == [
        ("sroa,gvn", 0, None),
        ("instcombine", 1, None),
        ("loop-rotate", 3, None),
    ]


def test_flags_inside_a_quoted_value_are_not_flags() -> None:
    text = "; opt -p 'sroa -passes=gvn' and -passes=dce\n; opt -p 'x" + " -passes=y" * 20000 + "\n"
    found = find_pipelines(text)
    assert [(p.text, p.span.start.line) for p in found[:2]] == [("sroa -passes=gvn", 0), ("dce", 0)]
    # The first unclosed quote runs to the end of the line, as in a shell.
    assert [p.span.start.line for p in found[2:]] == [1]

"""What a hover previews: the pass under the cursor as two pipelines, or a define line."""

from __future__ import annotations

from lsp_server.preview.runline import without_log_options
from lsp_server.preview.split import combined_pipeline
from lsp_server.preview.target import find_target, nearest_function, opt_arguments
from lsp_server.syntax.ir import parse_module
from lsp_server.syntax.runlines import parse_run_lines

BODY = """
define i32 @first(i32 %x) {
  ret i32 %x
}

define i32 @second(i32 %x) {
  %y = add i32 %x, 1
  ret i32 %y
}
"""


def _at(text: str, needle: str, line_hint: str | None = None) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines()):
        if needle in line and (line_hint is None or line_hint in line):
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def test_pass_in_a_run_line_becomes_the_pipelines_before_and_after_it() -> None:
    text = "; RUN: opt -passes='function(sroa,early-cse,instcombine)' -S %s | FileCheck %s\n"
    text += BODY
    target = find_target(text, *_at(text, "early-cse"), "default<Oz>")
    assert target is not None
    assert target.kind == "pass"
    assert target.pass_text == "early-cse"
    assert target.before == "function(sroa)"
    assert target.after == "function(sroa,early-cse)"
    assert target.model_passes == "early-cse"
    assert (target.leaf_index, target.leaf_count) == (1, 3)
    assert target.function == "first"  # the nearest function to a RUN line at the top
    assert target.args == ()
    assert target.notes == ()
    line, col = _at(text, "early-cse")
    assert target.span.start.line == line and target.span.start.col == col - 1


def test_first_pass_has_an_empty_before_pipeline() -> None:
    text = "; RUN: opt -passes=instcombine -S < %s\n" + BODY
    target = find_target(text, *_at(text, "instcombine"), "default<Oz>")
    assert target is not None
    assert (target.before, target.after) == ("", "instcombine")


def test_run_line_options_that_change_the_result_go_along() -> None:
    text = (
        "; RUN: opt < %s -passes=simplifycfg -simplifycfg-require-and-preserve-domtree=1 \\\n"
        "; RUN:   --mtriple x86_64-pc-linux-gnu -aa-pipeline=basic-aa -S -o - | FileCheck %s\n"
    ) + BODY
    target = find_target(text, *_at(text, "simplifycfg", "passes"), "default<Oz>")
    assert target is not None
    assert target.args == (
        "-simplifycfg-require-and-preserve-domtree=1",
        "--mtriple",
        "x86_64-pc-linux-gnu",
        "-aa-pipeline=basic-aa",
    )


def test_printing_output_and_plugin_options_are_not_taken_over() -> None:
    command = (
        "opt -passes=gvn -load-pass-plugin evil.so -load=x.so -debug-pass-manager "
        "-print-after-all -disable-output -o %t -stats -view-cfg %s"
    )
    pipeline = parse_run_lines("; RUN: " + command + "\n")[0].pipelines[0]
    args, notes = opt_arguments(command, pipeline)
    # -debug-pass-manager only writes opt's log to stderr, which a `2>&1` check reads: kept.
    assert args == ("-debug-pass-manager",)
    assert notes == ()


def test_options_that_only_write_to_stderr_are_kept_as_one_word() -> None:
    command = (
        "opt < %s -passes=inline -pass-remarks inline -pass-remarks-missed=inline "
        "-pass-remarks-with-hotness -pass-remarks-output=%t.yaml -S -mtriple x86_64"
    )
    pipeline = parse_run_lines("; RUN: " + command + "\n")[0].pipelines[0]
    args, _ = opt_arguments(command, pipeline)
    assert args == (
        "-pass-remarks=inline",
        "-pass-remarks-missed=inline",
        "-pass-remarks-with-hotness",
        "-mtriple",
        "x86_64",
    )
    assert without_log_options(args) == ("-mtriple", "x86_64")


def test_run_line_reading_another_file_and_not_are_noted() -> None:
    text = "; RUN: not opt -passes=instcombine -S %S/Inputs/other.ll 2>&1 | FileCheck %s\n" + BODY
    target = find_target(text, *_at(text, "instcombine"), "default<Oz>")
    assert target is not None
    assert any("`not`" in note for note in target.notes)
    assert any("Inputs/other.ll" in note for note in target.notes)


def test_legacy_flags_and_opt_levels_are_the_pipeline_not_options() -> None:
    text = "; RUN: opt -O2 -S %s | FileCheck %s\n" + BODY
    target = find_target(text, *_at(text, "O2"), "default<Oz>")
    assert target is not None
    assert target.after == "default<O2>"
    assert target.args == ()


def test_pipeline_in_a_plain_comment() -> None:
    text = "; Reproduce with: opt -p 'sroa,gvn' -S t.ll\n" + BODY
    target = find_target(text, *_at(text, "gvn"), "default<Oz>")
    assert target is not None
    assert (target.before, target.after) == ("sroa", "sroa,gvn")


def test_define_line_previews_the_default_pipeline_on_that_function() -> None:
    text = "; RUN: opt -passes=instcombine -S %s\n" + BODY
    line, _ = _at(text, "define i32 @second")
    target = find_target(text, line, 3, "default<Oz>")
    assert target is not None
    assert target.kind == "function"
    assert (target.function, target.extract) == ("second", True)
    assert (target.before, target.after, target.model_passes) == ("", "default<Oz>", "default<Oz>")
    assert target.label == "default<Oz> on @second"


def test_nothing_to_preview_elsewhere() -> None:
    text = "; RUN: opt -passes=instcombine -S %s\n" + BODY
    assert find_target(text, *_at(text, "%y = add"), "default<Oz>") is None
    assert find_target(text, 0, 2, "default<Oz>") is None  # on "RUN:", not on a pass
    assert find_target(text, 500, 0, "default<Oz>") is None
    assert find_target("", 0, 0, "default<Oz>") is None


def test_nearest_function_prefers_the_one_holding_the_line() -> None:
    module = parse_module(BODY)
    assert nearest_function(module, 7) == "second"
    assert nearest_function(module, 0) == "first"
    assert nearest_function(module, 100) == "second"
    assert nearest_function(parse_module("declare void @f()\n"), 0) is None


KINDS = {
    "module": frozenset({"globalopt", "print", "constmerge"}),
    "cgscc": frozenset({"inline"}),
    "function": frozenset({"sroa", "instcombine", "gvn", "print", "verify"}),
    "loop": frozenset({"licm", "indvars"}),
    "function-analyses": frozenset({"aa"}),
    "module-analyses": frozenset({"globals-aa"}),
}


def _combined(pipeline: str, leaf: str) -> str | None:
    text = f"; RUN: opt -passes='{pipeline}' -S %s\n" + BODY
    line = text.splitlines()[0]
    # The last occurrence, so "sroa" in "sroa,gvn,sroa" can be picked by its position.
    target = find_target(text, 0, line.rindex(leaf) + 1, "default<Oz>")
    assert target is not None
    return combined_pipeline(target, KINDS)


def test_one_run_prints_the_before_module_where_the_cut_is_exact() -> None:
    # Flat function passes: opt wraps them in function(); the wrap is made explicit.
    assert (
        _combined("sroa,instcombine,gvn", "gvn") == "function(sroa,instcombine),print,function(gvn)"
    )
    assert _combined("function(sroa,gvn)", "sroa") == "print,function(sroa)"
    assert _combined("cgscc(inline),globalopt", "globalopt") == "cgscc(inline),print,globalopt"
    assert _combined("globalopt,function(sroa,gvn)", "gvn") == (
        "globalopt,function(sroa),print,function(gvn)"
    )
    # The first pass needs no cut at all, whatever its level.
    assert _combined("inline,sroa", "inline") == "print,cgscc(inline)"


def test_no_single_run_where_a_cut_would_change_the_result() -> None:
    assert _combined("cgscc(inline,function(sroa))", "sroa") is None  # CGSCC interleaving
    assert _combined("function(loop(indvars,licm))", "licm") is None  # loop interleaving
    assert _combined("repeat<2>(sroa,gvn)", "gvn") is None
    assert _combined("inline,sroa", "sroa") is None  # a CGSCC pipeline
    assert _combined("sroa,print", "print") is None  # printers print to stderr themselves


def test_define_line_runs_once_with_the_default_pipeline() -> None:
    text = BODY
    line = next(i for i, t in enumerate(text.splitlines()) if "@second" in t)
    target = find_target(text, line, 3, "default<Oz>")
    assert target is not None
    assert combined_pipeline(target, KINDS) == "print,default<Oz>"

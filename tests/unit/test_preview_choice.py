"""The one choice of pipeline for a request: the CLI's flags and irlens/pipelineSteps."""

from __future__ import annotations

from lsp_server.preview.steps import resolve_request
from lsp_server.preview.target import Target, choose_target, find_target

TEXT = """\
; RUN: opt -passes='function(sroa,instcombine)' -simplifycfg-require-and-preserve-domtree=1 -S %s
; RUN: opt -passes=gvn -S %s
define i32 @first(i32 %a) {
  ret i32 %a
}

define i32 @second(i32 %b) {
  ret i32 %b
}
"""
ARGS = ("-simplifycfg-require-and-preserve-domtree=1",)


def _col(line: int, needle: str) -> tuple[int, int]:
    return line, TEXT.splitlines()[line].index(needle) + 1


def _target(**kwargs: object) -> Target:
    found = choose_target(TEXT, "default<Oz>", **kwargs)  # type: ignore[arg-type]
    assert isinstance(found, Target), found
    return found


def test_the_pass_under_the_cursor_is_the_hover_s_target_in_its_pipeline() -> None:
    position = _col(0, "instcombine")
    chosen = _target(position=position)
    hovered = find_target(TEXT, *position, "default<Oz>")
    assert chosen == hovered
    assert (chosen.pipeline, chosen.after, chosen.args) == (
        "function(sroa,instcombine)",
        "function(sroa,instcombine)",
        ARGS,
    )
    assert resolve_request(TEXT, None, None, position, "default<Oz>") == (
        "function(sroa,instcombine)",
        "first",
        ARGS,
    )
    # The second RUN line's pass gets that line's pipeline and (no) options.
    assert resolve_request(TEXT, None, "second", _col(1, "gvn"), "x") == ("gvn", "second", ())


def test_off_a_pass_the_first_run_line_then_the_default() -> None:
    on_define = (6, 12)
    assert resolve_request(TEXT, None, None, on_define, "default<Oz>") == (
        "function(sroa,instcombine)",
        "second",  # the function nearest the cursor
        ARGS,
    )
    # Neither a position nor a function: the whole module.
    assert resolve_request(TEXT, None, None, None, "default<Oz>")[1] is None
    bare = TEXT.split("\n", 2)[2]
    assert resolve_request(bare, None, None, None, "default<O2>") == ("default<O2>", None, ())
    cli = choose_target(bare, "default<O2>")
    assert isinstance(cli, Target) and (cli.after, cli.function) == ("default<O2>", "first")


def test_a_given_pipeline_takes_the_options_of_the_run_line_that_runs_it() -> None:
    assert resolve_request(TEXT, "function(sroa,instcombine)", None, None, "x") == (
        "function(sroa,instcombine)",
        None,
        ARGS,
    )
    assert _target(pipeline="gvn,dce").args == ()


def test_a_pass_name_is_cut_inside_the_run_line_holding_it() -> None:
    chosen = _target(pass_name="instcombine", function="second")
    assert (chosen.before, chosen.after, chosen.function, chosen.args) == (
        "function(sroa)",
        "function(sroa,instcombine)",
        "second",
        ARGS,
    )
    alone = _target(pass_name="licm")
    assert (alone.before, alone.after) == ("", "licm")
    missing = choose_target(TEXT, "default<Oz>", pipeline="sroa", pass_name="gvn")
    assert missing == "no pass 'gvn' in the pipeline 'sroa'"

"""The search space: rendering steps as opt pipelines, flattening pipelines, random moves."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from lsp_server.search.local import seed_candidates
from lsp_server.search.space import (
    CGSCC,
    FUNCTION,
    LOOP,
    LOOP_MSSA,
    MODULE,
    OZ,
    VOCABULARY,
    Moves,
    Step,
    flatten,
    render,
    vocabulary,
)
from lsp_server.syntax.pipeline import parse_pipeline

# What `opt-19 -passes='default<Oz>' -print-pipeline-passes` prints, shortened.
OZ_PRINTED = (
    "annotation2metadata,forceattrs,inferattrs,coro-early,function<eager-inv>(ee-instrument<>,"
    "lower-expect,sroa<modify-cfg>,early-cse<>),openmp-opt,ipsccp,globalopt,"
    "require<globals-aa>,function(invalidate<aa>),cgscc(devirt<4>(inline,function-attrs<"
    "skip-non-recursive-function-attrs>,function<eager-inv;no-rerun>(sroa<modify-cfg>,"
    "loop-mssa(licm<no-allowspeculation>,loop-rotate<no-header-duplication;no-prepare-for-lto>),"
    "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,loop(indvars,"
    "loop-deletion)),coro-split)),deadargelim,globaldce,function(annotation-remarks),verify"
)

steps = st.lists(st.sampled_from([step for step, _ in VOCABULARY]), max_size=20)


def test_flattening_keeps_the_passes_and_their_levels_and_drops_the_plumbing() -> None:
    flat = flatten(OZ_PRINTED)
    assert [(s.text, s.level) for s in flat] == [
        ("forceattrs", MODULE),
        ("inferattrs", MODULE),
        ("lower-expect", FUNCTION),
        ("sroa<modify-cfg>", FUNCTION),
        ("early-cse<>", FUNCTION),
        ("ipsccp", MODULE),
        ("globalopt", MODULE),
        ("inline", CGSCC),
        ("function-attrs<skip-non-recursive-function-attrs>", CGSCC),
        ("sroa<modify-cfg>", FUNCTION),
        ("licm<no-allowspeculation>", LOOP_MSSA),
        ("loop-rotate<no-header-duplication;no-prepare-for-lto>", LOOP_MSSA),
        ("instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>", FUNCTION),
        ("indvars", LOOP),
        ("loop-deletion", LOOP),
        ("deadargelim", MODULE),
        ("globaldce", MODULE),
    ]


def test_render_groups_consecutive_steps_into_the_adaptors_opt_needs() -> None:
    rendered = render(
        (
            Step("globalopt", MODULE),
            Step("sroa", FUNCTION),
            Step("licm", LOOP_MSSA),
            Step("indvars", LOOP),
            Step("loop-deletion", LOOP),
            Step("gvn", FUNCTION),
            Step("inline", CGSCC),
            Step("function-attrs", CGSCC),
            Step(OZ, MODULE),
        )
    )
    assert rendered == (
        "globalopt,function(sroa,loop-mssa(licm),loop(indvars,loop-deletion),gvn),"
        "cgscc(inline,function-attrs),default<Oz>"
    )


@given(steps)
def test_rendered_pipelines_parse_and_flatten_back_to_the_same_steps(found) -> None:
    text = render(found)
    _nodes, error = parse_pipeline(text)
    assert error is None or not found
    assert flatten(text) == tuple(found)


@given(steps, st.integers(min_value=0, max_value=2**32))
def test_moves_never_produce_an_empty_or_overlong_candidate(found, seed) -> None:
    vocab, weights = vocabulary()
    moves = Moves(vocab, weights, max_length=25)
    rng = random.Random(seed)
    child = moves.mutate(rng, tuple(found), edits=3)
    assert 1 <= len(child) <= 25
    assert set(child) <= set(vocab) | set(found)


def test_the_vocabulary_keeps_only_passes_the_local_opt_knows() -> None:
    kept, weights = vocabulary({"instcombine", "gvn", "licm"})
    assert {s.name for s in kept} == {"instcombine", "gvn", "licm", "default"}
    assert len(kept) == len(weights) and all(w > 0 for w in weights)


def test_seeds_start_with_oz_itself() -> None:
    seeds = seed_candidates(flatten(OZ_PRINTED))
    assert seeds[0] == ("-Oz", (Step(OZ, MODULE),))
    rendered = [render(s) for _, s in seeds]
    assert len(set(rendered)) == len(rendered)
    assert all(not s.name.startswith("loop-rotate") for s in seeds[2][1])


def test_top_level_passes_take_their_level_from_the_registry() -> None:
    kinds = {"instcombine": FUNCTION, "licm": LOOP, "indvars": LOOP, "inline": CGSCC}
    flat = flatten("instcombine,licm,indvars,inline,globaldce", kinds=kinds)
    assert [s.level for s in flat] == [FUNCTION, LOOP_MSSA, LOOP, CGSCC, MODULE]
    assert render(flat) == (
        "function(instcombine,loop-mssa(licm),loop(indvars)),cgscc(inline),globaldce"
    )

"""The learned coreset without tools: it loads, it ranks by neighbours, it re-validates."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from lsp_server.search import coreset, features, learned
from lsp_server.search.space import OZ, Step, flatten
from tests.support.data import EXAMPLES

EXAMPLE = (EXAMPLES / "example.ll").read_text()


def test_the_shipped_coreset_loads_with_provenance_and_a_matching_neighbour_table() -> None:
    shipped = coreset.shipped()
    assert shipped is not None
    assert 10 <= len(shipped.pipelines) <= 80
    assert len(set(shipped.pipelines)) == len(shipped.pipelines)
    assert shipped.major >= 14
    for key in ("script", "date", "corpus", "trainPackages", "sampled"):
        assert shipped.provenance[key], key
    assert len(shipped.rows) == len(shipped.gains) >= 20
    assert all(len(r) == len(features.NAMES) for r in shipped.rows)
    # Set cover: every chosen sequence improved at least one training function.
    raw = json.loads(resources.files("lsp_server.search").joinpath("data/coreset.json").read_text())
    assert all(s["improves"] >= 1 for s in raw["sequences"])


def _toy(rows: list[list[float]], gains: list[list[float]]) -> coreset.Coreset:
    n = len(features.NAMES)
    return coreset.Coreset(
        pipelines=("function(sroa)", "function(gvn)", "function(dse)"),
        llvm="19.1.7",
        provenance={},
        mean=(0.0,) * n,
        scale=(1.0,) * n,
        rows=tuple(tuple(r) for r in rows),
        gains=tuple(tuple(g) for g in gains),
    )


def test_ranking_follows_the_nearest_training_functions() -> None:
    x = features.features(EXAMPLE)
    far = [v + 50.0 for v in x]
    # The function itself (distance 0) liked the third sequence; far ones liked the first.
    toy = _toy([x] + [far] * 6, [[0.0, 0.0, 0.2]] + [[0.3, 0.0, 0.0]] * 6)
    assert coreset.ranked(toy, EXAMPLE)[0] == "function(dse)"
    # Without neighbours the set-cover order stands.
    blind = coreset.Coreset(toy.pipelines, "19.1.7", {})
    assert coreset.ranked(blind, EXAMPLE) == list(toy.pipelines)


def test_a_malformed_file_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        coreset.parse({"sequences": [{"pipe": 1}]})
    with pytest.raises(ValueError):
        coreset.parse(
            {
                "llvm": "19",
                "sequences": [{"pipeline": "function(sroa)"}],
                "neighbours": {"features": ["other"], "rows": [], "gains": []},
            }
        )


def test_passes_this_opt_lacks_are_dropped_and_reported() -> None:
    toy = coreset.Coreset(
        ("function(sroa,made-up-pass),globaldce", "function(made-up-pass)"), "99.0.0", {}
    )
    checked = coreset.validated(toy, frozenset({"sroa", "globaldce"}))
    assert checked.pipelines == ("function(sroa),globaldce", OZ)
    assert checked.dropped == {
        "function(sroa,made-up-pass),globaldce": ("made-up-pass",),
        "function(made-up-pass)": ("made-up-pass",),
    }
    line = learned.describe("19.1.7", 19, frozenset({"sroa"}))
    assert "learned pass sequences" in line and "LLVM" in line


def test_seeds_put_oz_first_then_the_coreset_then_the_hand_made_ones() -> None:
    shipped = coreset.shipped()
    assert shipped is not None
    oz = ("-Oz", (Step(OZ, "module"),))
    hand = [("seed", (Step("sroa", "function"),)), oz]
    known = frozenset(s.name for p in shipped.pipelines for s in flatten(p))
    order = learned.seeds(EXAMPLE, known, {}, hand)
    assert order[0] == oz
    assert order[-1] == hand[0]
    assert {o for o, _ in order[1:-1]} == {"coreset"}
    assert len(order) == 2 + len(shipped.pipelines)


def test_features_count_what_the_ir_holds() -> None:
    c = features.counts(EXAMPLE)
    assert c["functions"] == EXAMPLE.count("\ndefine ") + EXAMPLE.startswith("define ")
    assert c["insts"] > c["ret"] >= 1
    assert c["load"] == sum(" = load " in line for line in EXAMPLE.splitlines())

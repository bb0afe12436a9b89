"""The selection rule: nothing worse than -Oz is ever offered as an improvement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lsp_server.search.select import OZ_PIPELINE, Measured, Outcome, choose

pipelines = st.sampled_from(
    ["function(sroa)", "function(instcombine)", "gvn", "default<Oz>,function(gvn-sink)", "x"]
)
sizes = st.one_of(st.none(), st.integers(min_value=0, max_value=500))
candidates = st.lists(st.builds(Measured, pipelines, sizes), max_size=12)


@given(st.one_of(st.none(), st.integers(min_value=1, max_value=500)), candidates)
def test_never_offers_something_not_strictly_smaller_than_oz(oz, found) -> None:
    choice = choose(oz, found)
    if oz is None:
        assert choice.outcome is Outcome.FAILED
        return
    smaller = [c.size for c in found if c.size is not None and c.size < oz]
    if smaller:
        assert choice.outcome is Outcome.IMPROVED
        assert choice.size == min(smaller) and choice.size < oz
        assert choice.saving_percent > 0
    else:
        assert choice.outcome is Outcome.OZ_BEST
        assert choice.pipeline == OZ_PIPELINE and choice.size == oz
        assert choice.saving_percent == 0


def test_ties_prefer_the_shorter_pipeline_and_count_distinct_candidates() -> None:
    found = [
        Measured("function(sroa,instcombine)", 90),
        Measured("function(sroa)", 90),
        Measured("function(sroa)", 90),
        Measured("gvn", 120),
        Measured("broken", None),
    ]
    choice = choose(100, found)
    assert choice.outcome is Outcome.IMPROVED
    assert choice.pipeline == "function(sroa)"
    assert choice.verified_candidates == 4  # three distinct pipelines that compiled, and -Oz
    assert round(choice.saving_percent, 1) == 10.0


def test_equal_to_oz_is_not_an_improvement() -> None:
    choice = choose(100, [Measured("function(sroa)", 100), Measured(OZ_PIPELINE, 100)])
    assert choice.outcome is Outcome.OZ_BEST
    assert choice.verified_candidates == 2


def test_no_candidates_at_all_still_offers_oz() -> None:
    choice = choose(77, [])
    assert (choice.outcome, choice.pipeline, choice.size) == (Outcome.OZ_BEST, OZ_PIPELINE, 77)
    assert choice.verified_candidates == 1

"""Every test is in exactly one tier, and its tier marker is its folder's.

The tier's ``conftest.py`` applies the marker (``tests/support/tiers.py``), so ``-m clients``
selects exactly ``tests/clients`` and ``-m e2e`` exactly ``tests/e2e``. The check covers what
this session collected: the whole suite when the whole suite runs (``scripts/test.sh``).
"""

from __future__ import annotations

import pytest

from tests.support.data import ROOT
from tests.support.tiers import TIERS, mark_tier, tier_markers


def test_every_collected_test_has_exactly_one_tier_marker(request: pytest.FixtureRequest) -> None:
    items = request.session.items
    assert request.node in items
    wrong = []
    for item in items:
        folder = item.path.resolve().relative_to(ROOT / "tests").parts[0]
        if tier_markers(item) != [folder]:
            wrong.append(f"{item.nodeid}: {tier_markers(item)}, expected [{folder!r}]")
    assert wrong == []


def test_the_tiers_are_the_configured_testpaths_and_markers(
    pytestconfig: pytest.Config,
) -> None:
    assert pytestconfig.getini("testpaths") == [f"tests/{tier}" for tier in TIERS]
    markers = [line.split(":")[0] for line in pytestconfig.getini("markers")]
    assert markers[: len(TIERS)] == list(TIERS)


def test_a_folder_that_is_no_tier_is_refused(tmp_path) -> None:
    # A conftest in a new folder must name a tier that pyproject knows, not invent one.
    with pytest.raises(ValueError, match="is not a test tier"):
        mark_tier([], str(tmp_path / "benchmarks" / "conftest.py"))

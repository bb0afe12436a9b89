"""The test tiers and their markers: each tier's ``conftest.py`` marks the tests below it.

A tier is a folder under ``tests/`` and a marker of the same name, so ``-m clients`` runs what
``tests/clients`` holds and ``-m "not daemon"`` leaves out every test that loads a model.
Every test has exactly one tier marker (``tests/unit/test_tiers.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

#: The tiers, cheapest first: as in pyproject's ``testpaths`` and ``markers``.
TIERS = ("unit", "llvm", "daemon", "e2e", "clients", "stress")


def mark_tier(items: Iterable[pytest.Item], conftest: str) -> None:
    """Give every item below ``conftest``'s folder that folder's tier marker.

    pytest hands each conftest's ``pytest_collection_modifyitems`` every collected item, not
    only its folder's, hence the path test.
    """
    folder = Path(conftest).resolve().parent
    tier = folder.name
    if tier not in TIERS:
        raise ValueError(f"{folder} is not a test tier (tiers: {', '.join(TIERS)})")
    marker = getattr(pytest.mark, tier)
    for item in items:
        # A module that already says ``pytestmark = pytest.mark.<tier>`` keeps its one marker.
        if folder in item.path.resolve().parents and tier not in tier_markers(item):
            item.add_marker(marker)


def tier_markers(item: pytest.Item) -> list[str]:
    """The tier markers ``item`` carries, from any level (module, class, function)."""
    return [mark.name for mark in item.iter_markers() if mark.name in TIERS]

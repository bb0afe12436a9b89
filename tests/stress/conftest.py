"""The stress tier: a seeded fuzz and soak of the server (``tests/stress/harness.py``).

Every test below this folder gets the ``stress`` tier marker.
"""

from __future__ import annotations

import pytest

from tests.support.tiers import mark_tier


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, __file__)

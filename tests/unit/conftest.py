"""Marks every test below this folder with the ``unit`` tier marker."""

from __future__ import annotations

import pytest

from tests.support.tiers import mark_tier


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, __file__)

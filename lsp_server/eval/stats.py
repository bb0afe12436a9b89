"""Small, exact helpers for the summaries: means, shares and relative changes."""

from __future__ import annotations

from collections.abc import Iterable


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    items = list(values)
    return sum(items) / len(items) if items else None


def share(count: int, total: int) -> float | None:
    """``count / total``, or None when there is nothing to share."""
    return count / total if total else None


def change(value: float, base: float) -> float | None:
    """Relative change of ``value`` against ``base`` (-0.05 is 5% smaller); None for base 0."""
    return (value - base) / base if base else None


def rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def pct(value: float | None, digits: int = 2, *, signed: bool = True) -> str:
    """``-0.0477`` -> ``-4.77%``; None -> ``-``."""
    if value is None:
        return "-"
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.{digits}f}%"


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table cell; None -> ``-``."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"

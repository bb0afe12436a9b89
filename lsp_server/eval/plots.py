"""PNG plots of a run, drawn with matplotlib's Agg backend (no display needed).

matplotlib is in the ``dev`` extra and imported here only, when a plot is drawn, so the
language server and the rest of the CLI never load it. Without it the eval says so and
writes everything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class PlotsUnavailable(Exception):
    """matplotlib is not installed; the message says how to get the plots."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as err:
        raise PlotsUnavailable(
            "plots skipped: matplotlib is not installed (pip install 'irlens[dev]' "
            "or pip install matplotlib)"
        ) from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def sorted_changes(
    series: Mapping[str, Sequence[float]], path: Path, *, title: str, ylabel: str
) -> Path:
    """One line per series of per-function changes, each sorted, as a percentage.

    Sorting each series on its own shows the shape of the distribution (how many functions
    got smaller, by how much) the way the paper's per-benchmark plots do.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    for label, values in series.items():
        ordered = sorted(v * 100 for v in values)
        ax.plot(range(1, len(ordered) + 1), ordered, marker=".", linewidth=1.2, label=label)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.set_xlabel("functions, sorted by change")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if series:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def histogram(
    values: Sequence[float], path: Path, *, title: str, xlabel: str, bins: int = 20
) -> Path:
    """A histogram of values in [0, 1] (BLEU scores)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.hist(list(values), bins=bins, range=(0.0, 1.0), color="#4c72b0", edgecolor="white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("items")
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def bars(values: dict[str, float], path: Path, *, title: str, ylabel: str) -> Path:
    """A bar per label, for rates in [0, 1] shown as percentages."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    labels = list(values)
    ax.bar(labels, [values[k] * 100 for k in labels], color="#55a868")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, 100)
    ax.grid(True, axis="y", alpha=0.3)
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path

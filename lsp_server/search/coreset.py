"""The learned coreset: pass sequences chosen offline, ranked per module by its neighbours.

``data/coreset.json`` is made by ``scripts/corpus/train.py`` (see its provenance block): a few
dozen pipelines picked by greedy set cover of object-size gain over ``-Oz`` on a training
corpus, and, for nearest neighbours, each training function's features
(:mod:`lsp_server.search.features`) with the gain every coreset sequence gave it.

At request time :func:`ranked` orders the sequences for one module: the ones that did best on
the training functions nearest to it first, the set-cover order breaking ties. The engine
measures them right after ``-Oz`` and before anything else, so the learned sequences are what a
short budget spends its compilations on; the local search then starts from the best of them.

The file was made with one LLVM; :func:`validated` keeps each pipeline's passes that the local
opt knows and says what it dropped, so a different opt never gets a pass it would reject.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from lsp_server.search.features import NAMES, features
from lsp_server.search.space import OZ, Candidate, flatten, render

log = logging.getLogger(__name__)

#: How many training functions vote on a module's order.
NEIGHBOURS = 7
#: How much the set-cover order counts against the neighbours' votes (chosen by the
#: training script's leave-one-out check on the train split: k=7, 1.0).
_PRIOR = 1.0


@dataclass(frozen=True)
class Coreset:
    """The shipped sequences and what the ranking needs."""

    pipelines: tuple[str, ...]
    llvm: str
    provenance: dict[str, Any]
    mean: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()
    rows: tuple[tuple[float, ...], ...] = ()  # standardised training features
    gains: tuple[tuple[float, ...], ...] = ()  # per training row, per pipeline: fraction of -Oz
    dropped: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def major(self) -> int:
        head = self.llvm.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


def parse(data: dict[str, Any]) -> Coreset:
    """A :class:`Coreset` from the JSON the training script writes (ValueError when wrong)."""
    try:
        pipelines = tuple(str(s["pipeline"]) for s in data["sequences"])
        knn = data.get("neighbours") or {}
        if knn and tuple(knn["features"]) != NAMES:
            raise ValueError("the coreset's features are not this irlens' features")
        rows = tuple(tuple(float(v) for v in r) for r in knn.get("rows", ()))
        gains = tuple(tuple(float(v) for v in g) for g in knn.get("gains", ()))
        if len(rows) != len(gains) or any(len(g) != len(pipelines) for g in gains):
            raise ValueError("the coreset's neighbour table does not match its sequences")
        return Coreset(
            pipelines=pipelines,
            llvm=str(data["llvm"]),
            provenance=dict(data.get("provenance", {})),
            mean=tuple(float(v) for v in knn.get("mean", ())),
            scale=tuple(float(v) for v in knn.get("scale", ())),
            rows=rows,
            gains=gains,
        )
    except (KeyError, TypeError) as err:
        raise ValueError(f"the coreset file is malformed: {err!r}") from err


@functools.cache
def shipped() -> Coreset | None:
    """The coreset in the package, or None when it is missing or unreadable (logged)."""
    try:
        text = resources.files("lsp_server.search").joinpath("data/coreset.json").read_text()
        return parse(json.loads(text))
    except (OSError, ValueError) as err:
        log.warning("no learned pass sequences: %s", err)
        return None


def validated(coreset: Coreset, known: frozenset[str]) -> Coreset:
    """``coreset`` with every pass the local opt does not know dropped (sequences kept aligned).

    A sequence with nothing left becomes ``default<Oz>`` (measured anyway, so it costs nothing).
    """
    pipelines: list[str] = []
    dropped: dict[str, tuple[str, ...]] = {}
    for pipeline in coreset.pipelines:
        steps = flatten(pipeline)
        unknown = tuple(s.name for s in steps if s.text != OZ and s.name not in known)
        if not unknown:
            pipelines.append(pipeline)
            continue
        kept = tuple(s for s in steps if s.text == OZ or s.name in known)
        dropped[pipeline] = unknown
        pipelines.append(render(kept) if kept else OZ)
    return Coreset(
        tuple(pipelines),
        coreset.llvm,
        coreset.provenance,
        coreset.mean,
        coreset.scale,
        coreset.rows,
        coreset.gains,
        dropped,
    )


def ranked(coreset: Coreset, text: str) -> list[str]:
    """The coreset's pipelines in the order to try them on the module ``text``."""
    n = len(coreset.pipelines)
    # The set-cover order: the first pick covers the most, so it is the best blind guess.
    score = [_PRIOR * (n - i) / max(1, n) for i in range(n)]
    if coreset.rows and len(coreset.mean) == len(NAMES):
        x = [
            (v - m) / s if s > 0 else 0.0
            for v, m, s in zip(features(text), coreset.mean, coreset.scale, strict=True)
        ]
        distances = sorted((math.dist(x, row), i) for i, row in enumerate(coreset.rows))[
            :NEIGHBOURS
        ]
        weights = [1.0 / (0.5 + d) for d, _ in distances]
        total = sum(weights) or 1.0
        best = [max(coreset.gains[i]) or 1.0 for _, i in distances]
        for (_, i), w, top in zip(distances, weights, best, strict=True):
            gains = coreset.gains[i]
            for j in range(n):
                # Each neighbour votes with its gains scaled to its own best, so functions with
                # large savings do not drown the others.
                score[j] += (w / total) * max(0.0, gains[j]) / top
    order = sorted(range(n), key=lambda j: (-score[j], j))
    seen: set[str] = set()
    out: list[str] = []
    for j in order:
        if coreset.pipelines[j] not in seen:
            seen.add(coreset.pipelines[j])
            out.append(coreset.pipelines[j])
    return out


def seeds(
    text: str, known: frozenset[str], kinds: dict[str, str] | None = None
) -> tuple[list[tuple[str, Candidate, str]], Coreset | None]:
    """(origin, steps, pipeline) for each shipped sequence in ranked order, and the coreset."""
    coreset = shipped()
    if coreset is None:
        return [], None
    checked = validated(coreset, known)
    return [("coreset", flatten(p, kinds=kinds), p) for p in ranked(checked, text)], checked

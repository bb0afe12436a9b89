"""The order a suggestion measures its first candidates in: -Oz, the learned coreset, the rest.

The engine calls :func:`seeds` once per suggestion. ``-Oz`` comes first (the baseline every
offer is compared with), then the shipped coreset (:mod:`lsp_server.search.coreset`) ranked
for this module by its nearest training functions, then the hand-made seeds of
:mod:`lsp_server.search.local`. The local search then refines the best of all of them.

When the local opt is not the LLVM the coreset was learned with, its passes are checked
against the local registry and unknown ones dropped; the suggestion's notes say so (and
``irlens doctor`` does too, see :func:`describe`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsp_server.search import coreset
from lsp_server.search.space import OZ, Candidate

if TYPE_CHECKING:
    from lsp_server.search.result import Suggestion

log = logging.getLogger(__name__)

#: Benchmarks switch the coreset off to measure what it adds; the server never does.
ENABLED = True


def seeds(
    source: str,
    known: frozenset[str],
    kinds: dict[str, str],
    hand: list[tuple[str, Candidate]],
    result: Suggestion | None = None,
) -> list[tuple[str, Candidate]]:
    """-Oz, then the coreset ranked for ``source``, then ``hand`` (its -Oz entry moved first)."""
    first = [(o, s) for o, s in hand if o == "-Oz" or (len(s) == 1 and s[0].text == OZ)][:1]
    rest = [item for item in hand if item not in first]
    if not ENABLED:
        return first + rest
    learned, checked = coreset.seeds(source, known, kinds)
    if checked is not None and result is not None and checked.dropped:
        names = sorted({n for dropped in checked.dropped.values() for n in dropped})
        result.notes.append(
            f"the learned pass sequences were made with LLVM {checked.llvm}; this opt lacks "
            f"{', '.join(names)}, dropped from {len(checked.dropped)} of them"
        )
    return first + [(origin, steps) for origin, steps, _ in learned] + rest


def describe(version: str, major: int, known: frozenset[str] | None) -> str:
    """One line for ``irlens doctor``: the coreset, its LLVM, and whether it fits this opt."""
    shipped = coreset.shipped()
    if shipped is None:
        return "pass search: no learned pass sequences (the coreset file is missing)"
    head = f"pass search: {len(shipped.pipelines)} learned pass sequences (LLVM {shipped.llvm})"
    if shipped.major == major:
        return head + f"; this opt is LLVM {version}: same major version"
    if known is None:
        return head + f"; this opt is LLVM {version}: passes are re-checked against it"
    dropped = coreset.validated(shipped, known).dropped
    return head + (
        f"; this opt is LLVM {version}: re-validated, unknown passes dropped from "
        f"{len(dropped)} sequences"
        if dropped
        else f"; this opt is LLVM {version}: re-validated, every pass is known"
    )

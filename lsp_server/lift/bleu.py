"""How close a round trip came: BLEU over assembly tokens, and the first differing lines.

The LLM Compiler paper scores disassembly by compiling the lifted IR back and computing
BLEU between that assembly and the original. Here a token is a run of symbol characters
(``movq``, ``%rbp``, ``.LBB0_2``, ``-306674912``) or one punctuation character, and the
score is BLEU-4 (uniform weights, clipped n-gram precision, brevity penalty) with
Chen and Cherry's smoothing method 1 (a zero n-gram match count counts as 0.1) so that
short functions do not score 0 for lacking one 4-gram. Identical texts score 1.0.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z0-9_.$%@]+|[^\sA-Za-z0-9_.$%@]")
_MAX_ORDER = 4
_EPSILON = 0.1


def asm_tokens(text: str) -> list[str]:
    """The tokens BLEU counts (whitespace separates and is not a token)."""
    return _TOKEN.findall(text)


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu(reference: str, candidate: str) -> float:
    """BLEU-4 of ``candidate`` against ``reference``, in [0, 1] (see the module docstring)."""
    ref = asm_tokens(reference)
    cand = asm_tokens(candidate)
    if ref == cand:
        return 1.0
    if not ref or not cand:
        return 0.0
    log_sum = 0.0
    for n in range(1, _MAX_ORDER + 1):
        cand_ngrams = _ngrams(cand, n)
        total = sum(cand_ngrams.values())
        if total == 0:
            # The candidate is shorter than n tokens: nothing to match at this order.
            log_sum += math.log(_EPSILON / max(1, len(cand)))
            continue
        ref_ngrams = _ngrams(ref, n)
        matched = sum(min(count, ref_ngrams[gram]) for gram, count in cand_ngrams.items())
        log_sum += math.log((matched if matched else _EPSILON) / total)
    brevity = 1.0 if len(cand) >= len(ref) else math.exp(1 - len(ref) / len(cand))
    return min(1.0, brevity * math.exp(log_sum / _MAX_ORDER))


@dataclass(frozen=True)
class Difference:
    """Where two assembly texts first differ: a 0-based line of each, and the lines."""

    expected_line: int
    expected: str | None
    actual_line: int
    actual: str | None

    def describe(self) -> str:
        expected = self.expected.strip() if self.expected is not None else "(end of text)"
        actual = self.actual.strip() if self.actual is not None else "(end of text)"
        return f"line {self.expected_line + 1}: expected `{expected}`, got `{actual}`"


def first_difference(expected: str, actual: str) -> Difference | None:
    """The first line where ``actual`` departs from ``expected``; None when they agree."""
    left = expected.splitlines()
    right = actual.splitlines()
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, _i2, j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        return Difference(
            expected_line=i1,
            expected=left[i1] if i1 < len(left) else None,
            actual_line=j1,
            actual=right[j1] if j1 < len(right) else None,
        )
    return None

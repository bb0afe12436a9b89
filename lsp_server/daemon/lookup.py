"""Prompt-lookup drafts: guess the next tokens by finding the latest n-gram in the context.

LLM Compiler's emulation and lifting answers copy long spans of their input, so the
tokens that followed the last few tokens earlier in the context are often exactly what
comes next. The model checks a draft in one forward pass and keeps its longest correct
prefix (speculative decoding without a draft model). Pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence


def find_draft(
    ids: Sequence[int], *, max_ngram: int = 3, min_ngram: int = 1, num_tokens: int = 8
) -> list[int]:
    """Up to ``num_tokens`` tokens that followed the most recent earlier copy of the tail.

    Longer n-grams are tried first because their continuations are likelier to be right.
    Returns an empty list when nothing matches.
    """
    if num_tokens <= 0:
        return []
    length = len(ids)
    for n in range(min(max_ngram, length - 1), min_ngram - 1, -1):
        tail = list(ids[length - n :])
        first = tail[0]
        # Scan backwards so the most recent match wins: it is the likeliest continuation.
        for start in range(length - n - 1, -1, -1):
            if ids[start] == first and list(ids[start : start + n]) == tail:
                draft = list(ids[start + n : start + n + num_tokens])
                if draft:
                    return draft
    return []

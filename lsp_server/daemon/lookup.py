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


class DraftIndex:
    """:func:`find_draft` in O(1) per step: a map from each n-gram to its latest start.

    Scanning a 16k-token context for the tail on every step would cost milliseconds of
    Python; the index is built once per sequence and extended as tokens are generated.
    An n-gram is registered only once a token follows it, so the tail never finds itself.
    """

    def __init__(self, ids: Sequence[int], *, max_ngram: int = 3, min_ngram: int = 1) -> None:
        self.ids: list[int] = []
        self._sizes = range(max_ngram, min_ngram - 1, -1)
        self._latest: dict[tuple[int, ...], int] = {}
        self.extend(ids)

    def extend(self, tokens: Sequence[int]) -> None:
        """Append ``tokens`` to the context."""
        ids = self.ids
        for token in tokens:
            ids.append(token)
            end = len(ids) - 1  # the n-grams ending just before this token now have a successor
            for n in self._sizes:
                if end - n >= 0:
                    self._latest[tuple(ids[end - n : end])] = end - n

    def draft(self, num_tokens: int) -> list[int]:
        """Up to ``num_tokens`` tokens that followed the latest earlier copy of the tail."""
        if num_tokens <= 0:
            return []
        ids = self.ids
        for n in self._sizes:
            if len(ids) < n + 1:
                continue
            start = self._latest.get(tuple(ids[len(ids) - n :]))
            if start is not None:
                return ids[start + n : start + n + num_tokens]
        return []

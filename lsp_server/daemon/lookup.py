"""Prompt-lookup drafts: guess the next tokens by finding the tail's n-gram earlier in the context.

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
    """Up to ``num_tokens`` tokens that followed an earlier copy of the tail (a plain scan).

    Longer n-grams are tried first because their continuations are likelier to be right.
    The most recent copy wins, unless its continuation is shorter than ``num_tokens``
    and the first copy's is longer (repetitive text: the latest copy is just behind the
    tail). Returns an empty list when nothing matches.
    """
    if num_tokens <= 0:
        return []
    length = len(ids)
    for n in range(min(max_ngram, length - 1), min_ngram - 1, -1):
        tail = list(ids[length - n :])
        starts = [s for s in range(length - n) if list(ids[s : s + n]) == tail]
        if not starts:
            continue
        draft = list(ids[starts[-1] + n : starts[-1] + n + num_tokens])
        first = list(ids[starts[0] + n : starts[0] + n + num_tokens])
        return first if len(draft) < num_tokens and len(first) > len(draft) else draft
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
        self._first: dict[tuple[int, ...], int] = {}
        self.extend(ids)

    def extend(self, tokens: Sequence[int]) -> None:
        """Append ``tokens`` to the context."""
        ids = self.ids
        for token in tokens:
            ids.append(token)
            end = len(ids) - 1  # the n-grams ending just before this token now have a successor
            for n in self._sizes:
                if end - n >= 0:
                    gram = tuple(ids[end - n : end])
                    self._latest[gram] = end - n
                    self._first.setdefault(gram, end - n)

    def draft(self, num_tokens: int) -> list[int]:
        """Up to ``num_tokens`` tokens that followed an earlier copy of the tail.

        The latest copy is likeliest to continue the same way, but in repetitive text
        it lies just before the tail and has only a token or two after it; then the
        first copy, which has the longest continuation, drafts instead.
        """
        if num_tokens <= 0:
            return []
        ids = self.ids
        for n in self._sizes:
            if len(ids) < n + 1:
                continue
            gram = tuple(ids[len(ids) - n :])
            start = self._latest.get(gram)
            if start is None:
                continue
            draft = ids[start + n : start + n + num_tokens]
            if len(draft) < num_tokens:
                first = ids[self._first[gram] + n : self._first[gram] + n + num_tokens]
                if len(first) > len(draft):
                    draft = first
            return draft
        return []

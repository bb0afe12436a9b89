"""Prompt-lookup drafts: the continuation of the most recent earlier copy of the tail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lsp_server.daemon.lookup import DraftIndex, find_draft


def test_the_most_recent_match_of_the_longest_ngram_wins() -> None:
    ids = [1, 2, 3, 9, 9, 1, 2, 3, 7, 8, 5, 1, 2, 3]
    assert find_draft(ids, num_tokens=2) == [7, 8]


def test_a_shorter_ngram_is_tried_when_the_longer_has_no_match() -> None:
    assert find_draft([4, 5, 6, 0, 6], max_ngram=3, num_tokens=3) == [0, 6]


def test_no_match_no_draft() -> None:
    assert find_draft([1, 2, 3, 4]) == []
    assert find_draft([]) == []
    assert find_draft([1, 1], num_tokens=0) == []


def test_repetitive_text_drafts_from_the_first_copy_for_a_long_draft() -> None:
    # The latest copy of the tail [7] is just behind it, with one token after it.
    ids = [7] * 20
    assert find_draft(ids, num_tokens=8) == [7] * 8
    assert DraftIndex(ids).draft(8) == [7] * 8


def test_the_draft_is_at_most_num_tokens_long() -> None:
    ids = [*range(50), 0, 1, 2]
    assert find_draft(ids, num_tokens=4) == [3, 4, 5, 6]


@given(
    ids=st.lists(st.integers(0, 4), max_size=60),
    more=st.lists(st.integers(0, 4), max_size=20),
    num_tokens=st.integers(0, 6),
)
def test_the_index_drafts_exactly_what_the_scan_finds(
    ids: list[int], more: list[int], num_tokens: int
) -> None:
    index = DraftIndex(ids)
    assert index.draft(num_tokens) == find_draft(ids, num_tokens=num_tokens)
    index.extend(more)
    assert index.draft(num_tokens) == find_draft(ids + more, num_tokens=num_tokens)

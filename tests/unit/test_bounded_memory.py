"""Nothing the server remembers grows with every document seen (issue 18, item 5).

Each cache is bounded by bytes, a closed document's results go with it, and remembered
failures expire. ``bench/stress_bench.py --memory`` measures the server as a whole.
"""

from __future__ import annotations

from pathlib import Path

from lsp_server.features.suggest_state import SuggestState
from lsp_server.model.cache import ResultCache
from lsp_server.preview.engine import MAX_FAILURES, PreviewState
from lsp_server.preview.model import Prediction
from lsp_server.preview.run import Memo
from lsp_server.search.result import Suggestion


def test_the_memo_stays_within_its_byte_budget() -> None:
    memo = Memo(capacity=10_000, max_weight=1_000_000)
    for n in range(2_000):
        memo.put(("truth", n), "x" * 5_000, 5_000)
        assert memo.weight <= memo.max_weight
    assert 0 < len(memo) < 2_000


def test_an_entry_heavier_than_a_quarter_of_the_budget_is_not_kept() -> None:
    memo = Memo(max_weight=1_000_000)
    memo.put("small", "ir", 2)
    memo.put("huge", "x" * 400_000, 400_000)
    assert memo.get("huge") is None
    assert memo.get("small") == "ir", "a huge module does not push out everything else"


def test_remembered_model_failures_are_bounded() -> None:
    state = PreviewState()
    failure = Prediction("error", "m", "p", "the model server is down")
    for n in range(MAX_FAILURES * 4):
        state._remember_failure(f"key{n}", failure)
    assert len(state._failures) <= MAX_FAILURES
    assert f"key{MAX_FAILURES * 4 - 1}" in state._failures


def test_a_closed_documents_suggestions_are_forgotten() -> None:
    state = SuggestState()
    state.remember("file:///a.ll", "k", Suggestion(function="f", triple="x86_64"))
    state.remember("file:///b.ll", "k", Suggestion(function="g", triple="x86_64"))
    state.forget_document("file:///a.ll")
    assert [uri for uri, _, _ in state.results] == ["file:///b.ll"]


def test_suggestions_are_bounded_by_bytes() -> None:
    state = SuggestState(keep=100, keep_bytes=100_000)
    for n in range(20):
        result = Suggestion(function=f"f{n}", triple="x86_64", notes=["x" * 30_000])
        state.remember(f"file:///doc{n}.ll", "k", result)
    assert 1 <= len(state.results) <= 3


def test_the_result_cache_is_bounded_by_bytes(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "results.sqlite3", max_entries=10_000, max_bytes=200_000)
    for n in range(100):
        cache.put(f"key{n}", "v" * 10_000)
    assert len(cache) <= 20
    assert cache.get("key99") is not None, "the newest results stay"


def test_a_cache_in_memory_keeps_less() -> None:
    cache = ResultCache.memory()
    assert cache.max_bytes == ResultCache.MEMORY_BYTES

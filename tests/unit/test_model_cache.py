"""The result cache: content keys, persistence across restarts, and surviving a bad file."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from lsp_server.model.cache import ResultCache

BASE: dict[str, Any] = {
    "task": "emulate-ir",
    "model": "facebook/llm-compiler-7b-ftd",
    "llvm_version": "19.1.7",
    "input_text": "define void @f() {\n  ret void\n}\n",
    "options": {"passes": "default<Oz>", "max_tokens": 4096},
}


def test_put_get_and_len() -> None:
    cache = ResultCache.memory()
    assert len(cache) == 0
    assert cache.get("missing") is None
    cache.put("k", "value")
    cache.put("k", "newer value")
    cache.put("other", "")
    assert cache.get("k") == "newer value"
    assert cache.get("other") == ""
    assert len(cache) == 2
    assert cache.path is None


def test_key_is_a_sha256_that_ignores_option_order() -> None:
    key = ResultCache.key(**BASE)
    assert len(key) == 64
    assert int(key, 16) >= 0
    reordered = dict(BASE, options={"max_tokens": 4096, "passes": "default<Oz>"})
    assert ResultCache.key(**reordered) == key
    assert ResultCache.memory().key(**BASE) == key


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("task", "emulate-asm"),
        ("model", "facebook/llm-compiler-13b-ftd"),
        ("llvm_version", "17.0.6"),
        ("input_text", "define void @f() {\n  ret void\n}\n\n"),
        ("options", {"passes": "default<Os>", "max_tokens": 4096}),
        ("options", {"passes": "default<Oz>", "max_tokens": 4096, "n": 2}),
    ],
)
def test_key_changes_with_everything_that_determines_a_result(field: str, value: object) -> None:
    assert ResultCache.key(**dict(BASE, **{field: value})) != ResultCache.key(**BASE)


def test_key_accepts_values_that_are_not_json() -> None:
    key = ResultCache.key("t", "m", "19", "x", {"file": Path("/tmp/a.ll"), "seeds": (1, 2)})
    assert key == ResultCache.key("t", "m", "19", "x", {"file": "/tmp/a.ll", "seeds": [1, 2]})


def test_results_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "results.sqlite3"
    first = ResultCache(path)
    key = ResultCache.key(**BASE)
    first.put(key, "The LLVM-IR will have instruction count 1")
    first.close()
    second = ResultCache(path)
    assert second.path == path
    assert second.get(key) == "The LLVM-IR will have instruction count 1"
    assert len(second) == 1
    second.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_location_is_the_user_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def user_cache_dir(appname: str) -> str:
        asked.append(appname)
        return str(tmp_path / "user-cache" / appname)

    monkeypatch.setattr(platformdirs, "user_cache_dir", user_cache_dir)
    cache = ResultCache()
    cache.put("k", "v")
    assert asked == ["irlens"]
    assert cache.path == tmp_path / "user-cache" / "irlens" / "results.sqlite3"
    assert cache.path.is_file()
    cache.close()


def test_a_corrupt_file_falls_back_to_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "results.sqlite3"
    path.write_bytes(b"this is not a SQLite database, it is garbage" * 100)
    with caplog.at_level(logging.WARNING, logger="lsp_server.model.cache"):
        cache = ResultCache(path)
    assert cache.path is None
    assert "cannot be used" in caplog.text
    cache.put("k", "v")
    assert cache.get("k") == "v"
    assert path.read_bytes().startswith(b"this is not a SQLite database")


def test_an_unwritable_location_falls_back_to_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    with caplog.at_level(logging.WARNING, logger="lsp_server.model.cache"):
        cache = ResultCache(blocker / "results.sqlite3")
    assert cache.path is None
    assert "keeping results in memory" in caplog.text
    cache.put("k", "v")
    assert cache.get("k") == "v"
    assert len(cache) == 1


def test_a_file_that_fails_mid_session_falls_back_to_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ResultCache(tmp_path / "results.sqlite3")
    cache.put("before", "x")
    cache._conn.close()  # what a vanished or broken file looks like to SQLite
    with caplog.at_level(logging.WARNING, logger="lsp_server.model.cache"):
        assert cache.get("before") is None
    assert "failed" in caplog.text
    cache.put("after", "y")
    assert cache.get("after") == "y"
    assert cache.path is None


def test_old_entries_are_pruned() -> None:
    cache = ResultCache(Path(":memory:"), max_entries=10)
    for i in range(25):
        cache.put(f"k{i}", str(i))
    cache.put("k3", "rewritten")  # rewriting makes an entry new again
    assert len(cache) == 10
    assert cache.get("k24") == "24"
    assert cache.get("k3") == "rewritten"
    assert cache.get("k0") is None


def test_threads_can_share_one_cache(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "results.sqlite3")
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(50):
                cache.put(f"{worker}-{i}", f"value {worker} {i}")
                assert cache.get(f"{worker}-{i}") == f"value {worker} {i}"
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) == 400
    assert cache.path is not None  # no failure pushed it into memory

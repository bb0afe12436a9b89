"""A content-addressed cache of model results, in SQLite in the user's cache directory.

A result is keyed by everything that determines it: the task, the model, the LLVM version
and the input text, plus the task's options. Repeat hovers are then instant, across restarts.

The cache is an optimisation, never a reason to fail: a corrupt or unwritable file is
replaced by an in-memory cache with a logged warning. Calls are short synchronous SQLite
statements, cheap enough for the event loop; a lock makes them safe from worker threads too.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from lsp_server.textkey import text_key

log = logging.getLogger(__name__)

_SCHEMA_VERSION = 1
_MEMORY = ":memory:"


def default_path() -> Path:
    """``results.sqlite3`` in the platform's user cache directory for irlens."""
    return Path(platformdirs.user_cache_dir("irlens")) / "results.sqlite3"


class ResultCache:
    """Model results by content key. ``path=None`` uses :func:`default_path`.

    ``max_entries`` and ``max_bytes`` (of the stored values) bound it: every
    ``max_entries // 10`` writes, or once a tenth of ``max_bytes`` was written, the entries
    beyond the newest ``max_entries`` and beyond the newest ``max_bytes`` are dropped. A
    cache that fell back to memory keeps at most ``MEMORY_BYTES``.
    """

    #: The bytes a cache held in the server's memory (a fallback, or a test's) may keep.
    MEMORY_BYTES = 32 * 1024 * 1024

    def __init__(
        self,
        path: Path | None = None,
        *,
        max_entries: int = 50_000,
        max_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        self.max_entries = max_entries
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._requested = path if path is not None else default_path()
        self._puts_since_prune = 0
        self._bytes_since_prune = 0
        self._conn = self._open(self._requested)

    @property
    def max_bytes(self) -> int:
        """The bound on the stored values' bytes (smaller once the cache is in memory)."""
        return min(self._max_bytes, self.MEMORY_BYTES) if self._in_memory else self._max_bytes

    @classmethod
    def memory(cls) -> ResultCache:
        """A cache that lives only as long as the object (for tests)."""
        return cls(Path(_MEMORY))

    @property
    def path(self) -> Path | None:
        """The file in use, or None when the cache is in memory."""
        return None if self._in_memory else self._requested

    @staticmethod
    def key(
        task: str,
        model: str,
        llvm_version: str,
        input_text: str,
        options: Mapping[str, object],
    ) -> str:
        """The sha256 of a canonical JSON form of everything that determines a result.

        Options are serialised with sorted keys; values that are not JSON (a Path, a tuple's
        items) are written as their ``str``.
        """
        canonical = json.dumps(
            {
                "v": _SCHEMA_VERSION,
                "task": task,
                "model": model,
                "llvm": llvm_version,
                "input": input_text,
                "options": dict(options),
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )
        return text_key(canonical)

    def get(self, key: str) -> str | None:
        """The stored value, or None."""
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT value FROM results WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.Error as err:
                self._fall_back(err)
                return None
        return row[0] if row is not None else None

    def put(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        with self._lock:
            try:
                with self._conn:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO results (key, value, created) VALUES (?, ?, ?)",
                        (key, value, time.time()),
                    )
                self._puts_since_prune += 1
                self._bytes_since_prune += len(value)
                if self._puts_since_prune >= max(
                    1, self.max_entries // 10
                ) or self._bytes_since_prune >= max(1, self.max_bytes // 10):
                    self._prune()
            except sqlite3.Error as err:
                self._fall_back(err)
                with self._conn:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO results (key, value, created) VALUES (?, ?, ?)",
                        (key, value, time.time()),
                    )

    def __len__(self) -> int:
        with self._lock:
            try:
                row = self._conn.execute("SELECT COUNT(*) FROM results").fetchone()
            except sqlite3.Error as err:
                self._fall_back(err)
                return 0
        return int(row[0])

    def close(self) -> None:
        """Close the database; the object must not be used afterwards."""
        with self._lock:
            self._conn.close()

    # --- internals ----------------------------------------------------------------------

    def _prune(self) -> None:
        """Keep the newest ``max_entries`` rows, and of them the newest ``max_bytes``
        (called with the lock held).

        Rows are ordered by rowid, which REPLACE renews, so "newest" means last written.
        """
        self._puts_since_prune = 0
        self._bytes_since_prune = 0
        with self._conn:
            self._conn.execute(
                "DELETE FROM results WHERE rowid IN ("
                " SELECT rowid FROM results ORDER BY rowid DESC LIMIT -1 OFFSET ?)",
                (self.max_entries,),
            )
            self._conn.execute(
                "DELETE FROM results WHERE rowid IN (SELECT rowid FROM ("
                " SELECT rowid, SUM(LENGTH(CAST(value AS BLOB))) OVER (ORDER BY rowid DESC)"
                " AS total FROM results) WHERE total > ?)",
                (self.max_bytes,),
            )

    def _open(self, path: Path) -> sqlite3.Connection:
        self._in_memory = str(path) == _MEMORY
        if self._in_memory:
            return self._connect(_MEMORY)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect(str(path))
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # Reading the table proves the file is a database and not a corrupt one.
            conn.execute("SELECT COUNT(*) FROM results").fetchone()
            return conn
        except (OSError, sqlite3.Error) as err:
            log.warning(
                "result cache %s cannot be used (%s); keeping results in memory this session",
                path,
                err,
            )
            self._in_memory = True
            return self._connect(_MEMORY)

    @staticmethod
    def _connect(target: str) -> sqlite3.Connection:
        # check_same_thread=False: the lock serialises use, and features may run in threads.
        conn = sqlite3.connect(target, timeout=2.0, check_same_thread=False)
        try:
            with conn:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS results ("
                    " key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
                )
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _fall_back(self, err: sqlite3.Error) -> None:
        """Swap a failing file for memory (called with the lock held)."""
        if self._in_memory:
            raise err
        log.warning(
            "result cache %s failed (%s); keeping results in memory this session",
            self._requested,
            err,
        )
        try:
            self._conn.close()
        except sqlite3.Error:
            log.debug("closing the failed result cache failed too", exc_info=True)
        self._in_memory = True
        self._conn = self._connect(_MEMORY)

"""The per-item JSON lines file: written as each item finishes, read back to resume.

One JSON object a line, each with a ``key`` naming its item and a ``status``:

- ``ok``: the item ran; the task's fields say what it measured;
- ``too_long``: the input does not fit the model's context (counted, not dropped);
- ``error``: something failed that should not have (a tool crash on the input itself, a
  model server that went away); ``error`` says what;
- ``input_error``: an input file gave no unit (it did not compile, defines no function).

A run that is interrupted leaves complete lines behind (each is written and flushed in one
go); a torn last line, from a kill in mid-write, is dropped when the file is read again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

OK = "ok"
TOO_LONG = "too_long"
ERROR = "error"
INPUT_ERROR = "input_error"
STATUSES = (OK, TOO_LONG, ERROR, INPUT_ERROR)

Record = dict[str, Any]


class ResultLog:
    """The JSON lines file of one run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[Record]:
        """Every complete record in the file, in file order; repairs a torn tail."""
        if not self.path.exists():
            return []
        raw = self.path.read_text()
        records: list[Record] = []
        good_end = 0
        offset = 0
        for line in raw.splitlines(keepends=True):
            offset += len(line)
            if not line.endswith("\n"):
                break
            try:
                value = json.loads(line)
            except ValueError:
                log.warning("%s: skipping a line that is not JSON", self.path)
                good_end = offset
                continue
            if isinstance(value, dict) and isinstance(value.get("key"), str):
                records.append(value)
            good_end = offset
        if good_end < len(raw):
            # The last line was cut off by an interrupted write; appending after it would
            # glue the next record onto it.
            log.warning("%s: dropping an incomplete last line", self.path)
            self.path.write_text(raw[:good_end])
        return records

    def append(self, record: Record) -> None:
        """Add one record (one write, flushed, so an interrupt never tears a line)."""
        line = json.dumps(record, sort_keys=True, default=str) + "\n"
        with self.path.open("a") as handle:
            handle.write(line)
            handle.flush()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def latest(records: Iterable[Record]) -> list[Record]:
    """One record per key, the last one written (a retried item replaces its error)."""
    by_key: dict[str, Record] = {}
    for record in records:
        by_key.pop(record["key"], None)
        by_key[record["key"]] = record
    return list(by_key.values())


def done_keys(records: Iterable[Record], *, retry_errors: bool = False) -> set[str]:
    """Keys a resumed run skips: every recorded item, except errors when retrying them."""
    return {r["key"] for r in latest(records) if not (retry_errors and r.get("status") == ERROR)}

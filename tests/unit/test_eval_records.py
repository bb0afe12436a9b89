"""The eval's bookkeeping: the JSON lines file, the progress bar, the summary numbers."""

from __future__ import annotations

import io
import json
from pathlib import Path

from lsp_server.eval.progress import Progress, format_seconds
from lsp_server.eval.records import ERROR, OK, ResultLog, done_keys, latest
from lsp_server.eval.report import markdown_table
from lsp_server.eval.stats import change, fmt, mean, pct, share


def test_records_round_trip_in_order(tmp_path: Path) -> None:
    log = ResultLog(tmp_path / "items.jsonl")
    log.append({"key": "a", "status": OK, "size": 3})
    log.append({"key": "b", "status": ERROR, "error": "boom"})
    assert [r["key"] for r in log.read()] == ["a", "b"]
    assert log.read()[0]["size"] == 3


def test_a_torn_last_line_is_dropped_and_the_file_repaired(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    log = ResultLog(path)
    log.append({"key": "a", "status": OK})
    with path.open("a") as handle:
        handle.write('{"key": "b", "sta')  # killed in mid-write
    assert [r["key"] for r in log.read()] == ["a"]
    log.append({"key": "c", "status": OK})
    assert [r["key"] for r in log.read()] == ["a", "c"]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_a_retried_item_replaces_its_error() -> None:
    records = [
        {"key": "a", "status": ERROR},
        {"key": "b", "status": OK},
        {"key": "a", "status": OK, "size": 1},
    ]
    assert latest(records) == [{"key": "b", "status": OK}, {"key": "a", "status": OK, "size": 1}]


def test_resume_skips_done_items_and_retries_errors_only_when_asked() -> None:
    records = [{"key": "a", "status": OK}, {"key": "b", "status": ERROR}]
    assert done_keys(records) == {"a", "b"}
    assert done_keys(records, retry_errors=True) == {"a"}


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_eta_is_the_mean_item_time_times_items_left() -> None:
    clock = _Clock()
    out = io.StringIO()
    progress = Progress("eval passes", 4, out, clock=clock, interactive=False)
    assert progress.eta() is None
    clock.now += 10.0
    progress.advance()
    assert progress.eta() == 30.0
    assert "1/4" in out.getvalue() and "ETA 0:30" in out.getvalue()
    progress.advance("too_long")
    assert "1 too_long" in out.getvalue().splitlines()[-1]


def test_progress_off_a_terminal_prints_a_line_per_tenth() -> None:
    out = io.StringIO()
    progress = Progress("eval", 100, out, clock=_Clock(), interactive=False)
    progress.begin()
    for _ in range(100):
        progress.advance()
    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("eval 100/100")


def test_progress_on_a_terminal_redraws_in_place() -> None:
    out = io.StringIO()
    progress = Progress("eval", 2, out, clock=_Clock(), interactive=True)
    progress.advance()
    progress.advance()
    assert out.getvalue().count("\r") == 2
    assert out.getvalue().endswith("\n")


def test_format_seconds() -> None:
    assert format_seconds(75) == "1:15"
    assert format_seconds(3725) == "1:02:05"


def test_numbers_for_the_tables() -> None:
    assert change(95, 100) == -0.05
    assert change(5, 0) is None
    assert mean([]) is None and mean([1, 2]) == 1.5
    assert share(1, 4) == 0.25 and share(0, 0) is None
    assert pct(-0.0477) == "-4.77%" and pct(None) == "-"
    assert fmt(1234) == "1,234" and fmt(0.5) == "0.500" and fmt(None) == "-"


def test_markdown_table_shape() -> None:
    table = markdown_table(["a", "b"], [["x", "1"]])
    assert table.splitlines() == ["| a | b |", "| :--- | ---: |", "| x | 1 |"]

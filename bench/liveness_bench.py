"""Liveness beside one big document: a trivial request on a tiny document, timed every 50 ms,
while a 30 MB module is opened, edited and outlined (issue 18: p99 <= 100 ms).

    python bench/liveness_bench.py [--megabytes 30] [--edits 6] [--outlines 4]

The stress run (``bench/stress_bench.py``) measures the same probe under a flood of 32
requests at a time on thousands of documents; this one isolates what one big document costs
the rest, phase by phase: its ``didOpen``, one-line edits of it (``didChange``), and its
outline (``documentSymbol``, 20,000 symbols, asked again for the same version as editors
do). The probe is ``documentSymbol`` on a three-line document, sent from its own thread of
the stress harness's client (``tests/stress/harness.py``); the time includes the client's
own reading of the big answers that come before the probe's in the pipe.

Writes bench/results/liveness.json and bench/results/liveness.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stress.harness import TINY, Mutator, Session  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PROBE_URI = "file:///liveness/probe.ll"
BIG_URI = "file:///liveness/big.ll"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=30.0)
    parser.add_argument("--edits", type=int, default=6)
    parser.add_argument("--outlines", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS / "liveness.json")
    args = parser.parse_args(argv)
    big = Mutator(random.Random(0)).huge_module(args.megabytes)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="irlens-liveness-") as tmp:
        session = Session(Path(tmp), Path(tmp) / "server.log")
        session.initialize({})
        session.notify("initialized", {})
        probe_doc = {"uri": PROBE_URI, "languageId": "llvm", "version": 1, "text": TINY}
        session.notify("textDocument/didOpen", {"textDocument": probe_doc})
        ask = {"textDocument": {"uri": PROBE_URI}}
        session.call("textDocument/documentSymbol", ask)
        phase = ["idle"]
        probes: list[tuple[str, float]] = []
        stop = threading.Event()

        def probe() -> None:
            while not stop.wait(0.05):
                started = time.monotonic()
                if session.call("textDocument/documentSymbol", ask, timeout=60) is not None:
                    probes.append((phase[0], time.monotonic() - started))

        thread = threading.Thread(target=probe)
        thread.start()
        time.sleep(2)
        phase[0] = "open"
        big_doc = {"uri": BIG_URI, "languageId": "llvm", "version": 1, "text": big}
        session.notify("textDocument/didOpen", {"textDocument": big_doc})
        time.sleep(8)
        phase[0] = "edit"
        for version in range(2, 2 + args.edits):
            at = {"line": 10 + version, "character": 0}
            change = {"range": {"start": at, "end": at}, "text": "; edited\n"}
            session.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": BIG_URI, "version": version},
                    "contentChanges": [change],
                },
            )
            time.sleep(3)
        phase[0] = "outline"
        outline_seconds = []
        for _ in range(args.outlines):
            started = time.monotonic()
            session.call("textDocument/documentSymbol", {"textDocument": {"uri": BIG_URI}}, 120)
            outline_seconds.append(time.monotonic() - started)
            time.sleep(1)
        stop.set()
        thread.join()
        exit_code = session.close()
    result = {
        "megabytes": args.megabytes,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "cores": os.cpu_count(),
        "loadBefore": load_before,
        "loadAfter": os.getloadavg()[0],
        "exitCode": exit_code,
        "outlineSeconds": outline_seconds,
        "phases": {},
    }
    for name in ("idle", "open", "edit", "outline"):
        values = [seconds for where, seconds in probes if where == name]
        result["phases"][name] = {
            "probes": len(values),
            "p50": _percentile(values, 0.5),
            "p99": _percentile(values, 0.99),
            "max": max(values, default=float("nan")),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(_table(result))
    print(_table(result))
    return 0


def _table(result: dict) -> str:
    rows = [
        "# Liveness beside one big document",
        "",
        f"`python bench/liveness_bench.py`, {result['when']}, {result['cores']} cores, load "
        f"{result['loadBefore']:.1f} before and {result['loadAfter']:.1f} after; a "
        f"{result['megabytes']:g} MB module opened, edited one line at a time, then outlined; "
        "a trivial request (`documentSymbol` on a three-line document) every 50 ms.",
        "",
        "| phase | probes | p50 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, row in result["phases"].items():
        rows.append(
            f"| {name} | {row['probes']} | {row['p50'] * 1000:.0f} | {row['p99'] * 1000:.0f} | "
            f"{row['max'] * 1000:.0f} |"
        )
    outlines = ", ".join(f"{s:.2f}" for s in result["outlineSeconds"])
    rows += [
        "",
        f"Outline of the big module (answer received by the client), seconds: {outlines} "
        "(the first computes it; the next are the kept outline of that version).",
        "",
        "Target (issue 18): p99 <= 100 ms in every phase; symbols of a 30 MB module <= 2 s.",
        "",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())

"""The long stress run: ``tests/stress/harness.py`` for many minutes, as a busy editor and worse.

    python bench/stress_bench.py --minutes 30            # the figures in bench/results/stress.md
    python bench/stress_bench.py --minutes 2 --seed 7    # a short replayable run
    python bench/stress_bench.py --memory                # only the memory phase

Each session runs until its share of the time is spent (one per position encoding), with
30 MB modules and 1 MB lines among the documents. It writes ``bench/results/stress.json`` and
a Markdown table: requests, answers, internal errors, unanswered requests, tracebacks, the
probe's latency (a trivial request on a tiny document while everything else is processed:
target p99 <= 100 ms), resident memory after the first documents and at the end (target:
within 1.25x), files left in TMPDIR, and the machine's load. The memory phase
(``bench/stress_memory.py``: 1,000 documents opened, used and closed; RSS after 100 and
after 1,000, target within 1.25x) runs after the sessions, or alone with ``--memory``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stress_memory  # noqa: E402
from tests.stress.harness import Plan, run  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--huge-mb", type=float, default=30.0)
    parser.add_argument("--line-mb", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "stress.json")
    parser.add_argument(
        "--memory", action="store_true", help="run only the memory phase (1,000 documents)"
    )
    parser.add_argument("--memory-documents", type=int, default=1000)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    sessions = []
    share = args.minutes * 60 / 2
    previous = _previous(args.out)
    for i, encoding in enumerate(() if args.memory else ("utf-16", "utf-8")):
        plan = Plan(
            seed=args.seed + i,
            encoding=encoding,
            documents=10**9,
            seconds=share,
            huge_megabytes=args.huge_mb,
            long_line_megabytes=args.line_mb,
        )

        def progress(message: str, encoding: str = encoding) -> None:
            print(f"  {encoding}: {message}", flush=True)

        with tempfile.TemporaryDirectory(prefix="irlens-stress-") as workdir:
            report = run(plan, Path(workdir), on_progress=progress)
        row = report.to_json() | {"encoding": encoding, "failures": report.failures(0.1)}
        sessions.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "failures"}))
    with tempfile.TemporaryDirectory(prefix="irlens-stress-") as workdir:
        memory = stress_memory.measure(
            Path(workdir),
            documents=args.memory_documents,
            seed=args.seed,
            progress=lambda message: print(f"  memory: {message}", flush=True),
        )
    memory["when"] = time.strftime("%Y-%m-%d %H:%M")
    print(json.dumps(memory))
    if args.memory:  # the sessions' figures stay those of the last full run
        sessions = previous.get("sessions", [])
    result = {
        "minutes": args.minutes,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "loadBefore": load_before,
        "loadAfter": os.getloadavg()[0],
        "cores": os.cpu_count(),
        "sessions": sessions,
        "memory": memory,
    }
    if args.memory:
        for key in ("minutes", "when", "loadBefore", "loadAfter"):
            result[key] = previous.get(key, result[key])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(_table(result))
    print(_table(result))
    return 0


def _previous(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _table(result: dict) -> str:
    rows = [
        "# Stress run",
        "",
        f"`python bench/stress_bench.py --minutes {result['minutes']:g}`, {result['when']}, "
        f"{result['cores']} cores, load {result['loadBefore']:.1f} before and "
        f"{result['loadAfter']:.1f} after.",
        "",
        "| encoding | documents | requests | internal errors | unanswered | tracebacks "
        "| probe p50 ms | probe p99 ms | probe max ms | RSS first / last MB | files left |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in result["sessions"]:
        first = s["rssFirstMb"] or float("nan")
        last = s["rssLastMb"] or float("nan")
        rows.append(
            f"| {s['encoding']} | {s['documents']} | {s['requests']} | {s['internalErrors']} "
            f"| {s['unanswered']} | {s['tracebacks']} | {s['probeP50'] * 1000:.0f} "
            f"| {s['probeP99'] * 1000:.0f} | {s['probeMax'] * 1000:.0f} "
            f"| {first:.0f} / {last:.0f} | {s['leftoverFiles']} |"
        )
    rows += [
        "",
        "Targets: probe p99 <= 100 ms; last RSS within 1.25x of the first; zero of the rest.",
        "",
    ]
    memory = result.get("memory")
    if memory:
        ratio = memory["ratio"]
        rows += [
            "## Memory: documents opened, used and closed",
            "",
            f"`python bench/stress_bench.py --memory`, {memory.get('when', '')}: each document "
            "opened, asked for symbols, a hover on its first function and a definition, then "
            "closed (ten open at a time).",
            "",
            "| documents | RSS after first MB | RSS after all MB | ratio | hovers with content "
            "| unanswered | files left | seconds |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {memory['first']} / {memory['documents']} | {memory['rssFirstMb']:.0f} "
            f"| {memory['rssLastMb']:.0f} | {ratio:.2f}x | {memory['hoversWithContent']} "
            f"| {memory['unanswered']} | {len(memory['leftoverFiles'])} "
            f"| {memory['seconds']:.0f} |",
            "",
            "Target: the RSS after all documents within 1.25x of that after the first 100.",
            "",
        ]
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())

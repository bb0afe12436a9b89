"""Server start, diagnostics latency and memory (issue 2's targets).

    python bench/server_bench.py [--runs 15] [--changes 60]

Writes bench/results/server.json and bench/results/server.md. Targets on a 2-core machine:
initialize at most 1.3x a minimal pygls server measured in the same run, diagnostics
p95 < 150 ms on a 2,000-line module, resident memory < 80 MB (no torch loaded).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

from lsp_client import RawClient

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CORPUS = Path("/work/shared/corpus")
if not CORPUS.exists():
    CORPUS = ROOT / "tests" / "data" / "corpus"

IRLENS = [sys.executable, "-m", "lsp_server", "serve", "--no-cache"]
MINIMAL = [sys.executable, str(ROOT / "bench" / "minimal_server.py")]


def big_module(lines: int = 2000) -> str:
    """Concatenate corpus modules (renaming clashes away) until the module has ``lines`` lines."""
    import re

    parts, total = [], 0
    header = ""
    for n, path in enumerate(sorted((CORPUS / "ir").glob("*.ll")), start=1):
        text = path.read_text()
        body = [
            line
            for line in text.splitlines()
            if not line.startswith(
                ("target ", "source_filename", "; ModuleID", "!", "attributes #")
            )
        ]
        if not header:
            header = "\n".join(line for line in text.splitlines() if line.startswith("target "))
        chunk = "\n".join(body)
        # Give every module's symbols and metadata a unique suffix so they do not clash.
        chunk = re.sub(r"@([\w.$]+)", rf"@\1.m{n}", chunk)
        chunk = re.sub(r"%(struct|union)\.([\w.]+)", rf"%\1.\2.m{n}", chunk)
        chunk = re.sub(r"![\w.]+", "", chunk)
        chunk = re.sub(r"#\d+", "", chunk)
        chunk = re.sub(r",\s*(?=\n|$)", "", chunk)
        parts.append(chunk)
        total += chunk.count("\n") + 1
        if total >= lines:
            break
    return header + "\n" + "\n".join(parts) + "\n"


def measure_initialize(runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"irlens": [], "minimal": []}
    for _ in range(runs):
        for name, argv in (("minimal", MINIMAL), ("irlens", IRLENS)):
            client = RawClient(argv)
            times[name].append(client.initialize())
            client.close()
    return times


def measure_diagnostics(text: str, changes: int) -> tuple[list[float], float, bool]:
    client = RawClient(IRLENS)
    client.initialize({"diagnostics": {"debounceMs": 0}})
    uri = "file:///tmp/irlens-bench/big.ll"
    is_diag = lambda m: m.get("method") == "textDocument/publishDiagnostics"  # noqa: E731
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "llvm", "version": 1, "text": text}},
    )
    _, first = client.wait(is_diag, timeout=60)
    valid = first["params"]["diagnostics"] == []
    latencies = []
    lines = text.splitlines()
    for version in range(2, changes + 2):
        broken = version % 2 == 0
        edited = list(lines)
        if broken:
            edited[len(edited) // 2] += " garbage"
        sent = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": "\n".join(edited) + "\n"}],
            },
        )
        at, message = client.wait(
            lambda m, v=version: is_diag(m) and m["params"].get("version") == v
        )
        assert bool(message["params"]["diagnostics"]) == broken
        latencies.append(at - sent)
    rss = client.rss_mb()
    client.close()
    return latencies, rss, valid


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--changes", type=int, default=60)
    args = parser.parse_args()

    init = measure_initialize(args.runs)
    text = big_module()
    latencies, rss, valid = measure_diagnostics(text, args.changes)
    irlens_ms = statistics.median(init["irlens"]) * 1000
    minimal_ms = statistics.median(init["minimal"]) * 1000
    ratio = irlens_ms / minimal_ms
    p50 = percentile(latencies, 0.5) * 1000
    p95 = percentile(latencies, 0.95) * 1000
    result = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "initialize_ms": {
            "irlens_median": irlens_ms,
            "minimal_median": minimal_ms,
            "ratio": ratio,
            "irlens_all": [t * 1000 for t in init["irlens"]],
            "minimal_all": [t * 1000 for t in init["minimal"]],
        },
        "diagnostics_ms": {
            "module_lines": text.count("\n"),
            "module_valid": valid,
            "p50": p50,
            "p95": p95,
            "n": len(latencies),
        },
        "rss_mb": rss,
        "targets": {"initialize_ratio": 1.3, "diagnostics_p95_ms": 150, "rss_mb": 80},
        "pass": {"initialize": ratio <= 1.3, "diagnostics": p95 < 150, "memory": rss < 80},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server.json").write_text(json.dumps(result, indent=2) + "\n")
    ok = lambda b: "yes" if b else "NO"  # noqa: E731
    table = f"""# Server benchmark

`python bench/server_bench.py --runs {args.runs} --changes {args.changes}`

| measure | result | target | met |
| --- | --- | --- | --- |
| start to `initialize` reply, irlens (median of {args.runs}) | {irlens_ms:.0f} ms | | |
| start to `initialize` reply, minimal pygls server | {minimal_ms:.0f} ms | | |
| ratio | {ratio:.2f}x | <= 1.3x | {ok(result["pass"]["initialize"])} |
| diagnostics after a change, {text.count(chr(10))}-line module, p50 | {p50:.0f} ms | | |
| diagnostics after a change, p95 ({len(latencies)} changes) | {p95:.0f} ms | < 150 ms | {ok(result["pass"]["diagnostics"])} |
| resident memory after the run | {rss:.0f} MB | < 80 MB | {ok(result["pass"]["memory"])} |
"""
    (RESULTS / "server.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

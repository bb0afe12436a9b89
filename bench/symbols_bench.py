"""Document symbols of a big module through ``irlens serve``, and another document meanwhile.

    python bench/symbols_bench.py                 # a 30 MB module (issue 18's target: <= 2 s)
    python bench/symbols_bench.py --megabytes 10

It opens a module of ``--megabytes`` MB (the stress harness' generated functions) and a tiny
document, asks for the big one's outline, and while it is computed asks ``documentSymbol``
of the tiny one over and over: the outline's wall time and the other document's latencies
(target p99 <= 100 ms). Writes ``bench/results/symbols.json`` and ``symbols.md`` with the
machine's load, since the figures depend on it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lsp_client import RawClient  # noqa: E402
from tests.stress.harness import TINY, Mutator  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _open(client: RawClient, uri: str, text: str) -> None:
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "llvm", "version": 1, "text": text}},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    import random

    text = Mutator(random.Random(0)).huge_module(args.megabytes)
    load = os.getloadavg()[0]
    client = RawClient([sys.executable, "-m", "lsp_server", "serve", "--no-cache"])
    outline_seconds: list[float] = []
    probes: list[float] = []
    symbols = 0
    try:
        client.initialize({"diagnostics": {"enabled": False}})
        _open(client, "file:///bench/tiny.ll", TINY)
        for run in range(args.runs):
            uri = f"file:///bench/big{run}.ll"
            _open(client, uri, text)
            started = time.perf_counter()
            big = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
            done = None
            while done is None:
                probe_started = time.perf_counter()
                rid = client.request(
                    "textDocument/documentSymbol",
                    {"textDocument": {"uri": "file:///bench/tiny.ll"}},
                )
                while True:
                    at, message = client.wait(
                        lambda m, ids=(rid, big): m.get("id") in ids, timeout=120
                    )
                    if message["id"] == big:
                        done = at
                        symbols = len(message.get("result") or [])
                        continue
                    probes.append(at - probe_started)
                    break
            outline_seconds.append(done - started)
            client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    finally:
        client.close()
    probes.sort()
    result = {
        "megabytes": args.megabytes,
        "symbolsAnswered": symbols,
        "outlineSeconds": outline_seconds,
        "probes": len(probes),
        "probeP50Ms": 1000 * probes[len(probes) // 2] if probes else None,
        "probeP99Ms": 1000 * probes[min(len(probes) - 1, int(0.99 * len(probes)))]
        if probes
        else None,
        "probeMaxMs": 1000 * probes[-1] if probes else None,
        "loadAverage": load,
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "symbols.json").write_text(json.dumps(result, indent=2) + "\n")
    table = [
        "# Document symbols of a big module (bench/symbols_bench.py)",
        "",
        f"`python bench/symbols_bench.py --megabytes {args.megabytes:g} --runs {args.runs}`; "
        f"load average {load:.1f} on {os.cpu_count()} CPUs when it started.",
        "",
        "| module | symbols answered | outline (s), each run | other document p50 / p99 / max (ms) |",
        "| --- | --- | --- | --- |",
        f"| {args.megabytes:g} MB | {symbols} | "
        + ", ".join(f"{s:.2f}" for s in outline_seconds)
        + f" | {result['probeP50Ms']:.0f} / {result['probeP99Ms']:.0f} / {result['probeMaxMs']:.0f} |",
        "",
    ]
    (RESULTS / "symbols.md").write_text("\n".join(table))
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

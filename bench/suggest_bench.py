"""Suggest passes for code size: how much smaller than -Oz, at what cost (issue 5).

    python bench/suggest_bench.py [--budget 5] [--limit N | --stratified N] [--model-url URL]

On the corpus' single-function modules, in the form the models saw
(``ir_ozfe/``: ``clang -Oz -Xclang -disable-llvm-passes``), one suggestion per function
exactly as the code action runs it (``lsp_server.search.engine.suggest``: -Oz baseline,
model candidates when a backend is configured, the local search within the budget, the
final checks), and reports:

- size against -Oz: the total over all functions and the mean of per-function savings
  (an offer is never larger than -Oz, so a function without improvement counts 0%);
- the share of functions improved;
- compilations (opt runs) and seconds per function, and what they were spent on: opt and
  llc runs, answers from the identical-module cache, failures, and which origin (seed,
  search, model) found the improvements;
- with ``--model-url``: each function's model candidates alone (the greedy list, and the
  best of the samples), with and without the -Oz backup, and the model plus the search.

``--stratified N`` takes N functions spread over the packages and over -Oz sizes, for
budgets where all 120 would take too long (30 s x 120 = 1 hour). The machine's load is
recorded: on a shared machine, fewer compilations fit in the same seconds.

Each run is stored under its own key in bench/results/suggest.json (``local-5s-all``,
``local-30s-strat20``, ...) and bench/results/suggest.md is rewritten from all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.config import from_dict  # noqa: E402
from lsp_server.search.engine import Options, Suggestion, options_from, suggest  # noqa: E402
from lsp_server.services import build_services  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SHARED = ROOT.parent / "shared" / "corpus"
FALLBACK = ROOT / "tests" / "data" / "corpus"

PAPER = (
    "Anchors: the paper's 7B/13B FTD models are 4.77%/4.88% smaller than -Oz on MiBench "
    "(5.24%/5.26% with -Oz backup); an hour of random search per program gets about 6% in "
    "CompilerGym."
)


def corpus_dir() -> Path:
    return SHARED if (SHARED / "manifest.jsonl").is_file() else FALLBACK


def functions(corpus: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    return [r for r in rows if r.get("kind") == "function" and r.get("ozfe")]


def stratified(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """``n`` functions spread over packages (in proportion) and, within each, over sizes."""
    by_package: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_package.setdefault(row["package"], []).append(row)
    quota = {p: max(1, round(n * len(v) / len(rows))) for p, v in sorted(by_package.items())}
    while sum(quota.values()) > n:
        quota[max(quota, key=lambda p: quota[p])] -= 1
    picked = []
    for package, members in sorted(by_package.items()):
        members = sorted(members, key=lambda r: r["ozfe"]["size_Oz"])
        k = quota[package]
        picked.extend(members[int((i + 0.5) * len(members) / k)] for i in range(k))
    return picked


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in records if r.get("ozSize")]
    oz_total = sum(r["ozSize"] for r in ok)
    best_total = sum(r["size"] for r in ok)
    savings = [r["savingPercent"] for r in ok]
    spent: Counter[str] = Counter()
    origins: Counter[str] = Counter()
    found_by: Counter[str] = Counter()
    for r in ok:
        for key in ("optRuns", "llcRuns", "irCacheHits", "pipelineCacheHits", "failures"):
            spent[key] += r["search"].get(key, 0)
        origins.update(r["search"].get("improvementsBy", {}))
        if r.get("foundBy"):
            found_by[r["foundBy"]] += 1
    n = max(1, len(ok))
    summary: dict[str, Any] = {
        "functions": len(records),
        "measured": len(ok),
        "errors": len(records) - len(ok),
        "ozBytes": oz_total,
        "bestBytes": best_total,
        "totalSavingPercent": round(100 * (oz_total - best_total) / oz_total, 2)
        if oz_total
        else 0.0,
        "meanSavingPercent": round(statistics.fmean(savings), 2) if savings else 0.0,
        "medianSavingPercent": round(statistics.median(savings), 2) if savings else 0.0,
        "improvedShare": round(sum(1 for s in savings if s > 0) / n, 3),
        "compilationsPerFunction": round(spent["optRuns"] / n, 1),
        "searchSecondsPerFunction": round(statistics.fmean(r["searchSeconds"] for r in ok), 2)
        if ok
        else 0.0,
        "totalSecondsPerFunction": round(statistics.fmean(r["seconds"] for r in ok), 2)
        if ok
        else 0.0,
        "spent": {
            "optRuns": spent["optRuns"],
            "llcRuns": spent["llcRuns"],
            "irCacheHits": spent["irCacheHits"],
            "pipelineCacheHits": spent["pipelineCacheHits"],
            "failures": spent["failures"],
            "improvementsBy": dict(origins),
            "bestFoundBy": dict(found_by),
        },
    }
    model = [r["model"] for r in ok if r.get("model")]
    if model:
        summary["model"] = _model_summary(ok)
    return summary


def _model_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The model's lists on their own: greedy, best of all samples, each with -Oz backup."""

    def saving(size: int | None, oz: int, backup: bool) -> float:
        if size is None:
            return 0.0 if backup else -100.0
        if backup:
            size = min(size, oz)
        return 100.0 * (oz - size) / oz

    greedy, greedy_backup, best, best_backup = [], [], [], []
    for r in records:
        oz = r["ozSize"]
        sizes = [c.get("size") for c in r["model"]["candidates"]]
        first = sizes[0] if sizes else None
        smallest = min((s for s in sizes if s is not None), default=None)
        greedy.append(saving(first, oz, False))
        greedy_backup.append(saving(first, oz, True))
        best.append(saving(smallest, oz, False))
        best_backup.append(saving(smallest, oz, True))
    return {
        "greedyMeanSavingPercent": round(statistics.fmean(greedy), 2),
        "greedyWithOzBackupPercent": round(statistics.fmean(greedy_backup), 2),
        "bestSampleMeanSavingPercent": round(statistics.fmean(best), 2),
        "bestSampleWithOzBackupPercent": round(statistics.fmean(best_backup), 2),
    }


async def run_one(
    row: dict[str, Any], corpus: Path, services: Any, options: Options
) -> dict[str, Any]:
    text = (corpus / row["ozfe"]["ir"]).read_text()
    start = time.monotonic()
    result: Suggestion = await suggest(text, None, services, options)
    seconds = time.monotonic() - start
    data = result.to_json()
    offer = result.offer
    record: dict[str, Any] = {
        "id": row["id"],
        "package": row["package"],
        "function": row["function"],
        "ozSize": offer.oz_size if offer else None,
        "size": offer.size if offer else None,
        "savingPercent": round(offer.saving_percent, 2) if offer and offer.improved else 0.0,
        "pipeline": offer.pipeline if offer else None,
        "outcome": data["outcome"],
        "error": result.error,
        "seconds": round(seconds, 2),
        "searchSeconds": data["search"]["searchSeconds"],
        "foundBy": data["foundBy"] if offer and offer.improved else None,
        "search": data["search"],
    }
    if data.get("model"):
        record["model"] = data["model"]
    return record


def render_markdown(runs: dict[str, Any]) -> str:
    lines = [
        "# Suggest passes: code size against -Oz",
        "",
        "Written by `bench/suggest_bench.py`. Every number is `text + data` of the object",
        "`llc -filetype=obj` makes for x86_64, measured by the local LLVM; an offer is never",
        "larger than -Oz (a function without improvement counts 0%). Inputs: the corpus'",
        "single-function modules as the models saw them (`ir_ozfe/`).",
        "",
        PAPER,
        "",
        "| run | functions | budget | total vs -Oz | mean per function | median | improved "
        "| compilations / function | search s / function | total s / function | load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, run in sorted(runs.items()):
        s = run["summary"]
        lines.append(
            f"| {key} | {s['measured']} | {run['budgetSeconds']} s | "
            f"-{s['totalSavingPercent']}% | -{s['meanSavingPercent']}% | "
            f"-{s['medianSavingPercent']}% | {100 * s['improvedShare']:.0f}% | "
            f"{s['compilationsPerFunction']} | {s['searchSecondsPerFunction']} | "
            f"{s['totalSecondsPerFunction']} | {run['machine']['loadBefore']:.1f} |"
        )
    lines += ["", "## What the compilations were spent on", ""]
    lines += [
        "| run | opt runs | llc runs | same module as before (llc skipped) | failed "
        "| new bests found by | offered result found by |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for key, run in sorted(runs.items()):
        spent = run["summary"]["spent"]
        origins = ", ".join(f"{k} {v}" for k, v in sorted(spent["improvementsBy"].items()))
        found = ", ".join(f"{k} {v}" for k, v in sorted(spent.get("bestFoundBy", {}).items()))
        lines.append(
            f"| {key} | {spent['optRuns']} | {spent['llcRuns']} | {spent['irCacheHits']} | "
            f"{spent['failures']} | {origins} | {found} |"
        )
    models = {k: r for k, r in runs.items() if "model" in r["summary"]}
    if models:
        lines += ["", "## Model candidates", ""]
        lines += [
            "| run | model | greedy alone | greedy + -Oz backup | best sample | "
            "best sample + -Oz backup | model + search |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key, run in sorted(models.items()):
            m = run["summary"]["model"]
            lines.append(
                f"| {key} | {run.get('modelName') or ''} | {-m['greedyMeanSavingPercent']}% | "
                f"{-m['greedyWithOzBackupPercent']}% | {-m['bestSampleMeanSavingPercent']}% | "
                f"{-m['bestSampleWithOzBackupPercent']}% | "
                f"-{run['summary']['meanSavingPercent']}% |"
            )
    lines += ["", "## Notes", ""]
    for key, run in sorted(runs.items()):
        m = run["machine"]
        lines.append(
            f"- {key}: {run['selection']}; {m['cpus']} CPUs, load average "
            f"{m['loadBefore']:.1f} before and {m['loadAfter']:.1f} after; LLVM "
            f"{run['llvm']}; {run['date']}."
        )
    lines.extend(_same_functions(runs))
    best = max(
        (r for run in runs.values() for r in run["records"] if r.get("ozSize")),
        key=lambda r: r["savingPercent"],
        default=None,
    )
    if best:
        lines.append(
            f"- Largest saving: {best['id']} ({best['function']}), {best['ozSize']} -> "
            f"{best['size']} bytes with `{best['pipeline']}`."
        )
    return "\n".join(lines) + "\n"


def _same_functions(runs: dict[str, Any]) -> list[str]:
    """For each run on a subset, what a run over all functions found on the same ones."""
    notes = []
    full = {k: r for k, r in runs.items() if r["selection"].startswith("all ")}
    for key, run in sorted(runs.items()):
        if key in full:
            continue
        ids = {r["id"] for r in run["records"]}
        for other_key, other in sorted(full.items()):
            same = [r["savingPercent"] for r in other["records"] if r["id"] in ids]
            if len(same) == len(ids):
                notes.append(
                    f"- On the {len(ids)} functions of {key}, {other_key} saved "
                    f"-{statistics.fmean(same):.2f}% per function (against "
                    f"-{run['summary']['meanSavingPercent']}% with {run['budgetSeconds']:g} s)."
                )
    return notes


async def main_async(args: argparse.Namespace) -> int:
    corpus = corpus_dir()
    rows = functions(corpus)
    selection = f"all {len(rows)} functions"
    if args.stratified:
        rows = stratified(rows, args.stratified)
        selection = f"{len(rows)} functions stratified by package and -Oz size"
    elif args.limit:
        rows = rows[: args.limit]
        selection = f"the first {len(rows)} functions"
    data: dict[str, Any] = {"target": {"triple": "x86_64-unknown-linux-gnu"}}
    if args.model_url:
        data["model"] = {"url": args.model_url}
        if args.model_name:
            data["model"]["name"] = args.model_name
    settings, problems = from_dict(data)
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    services = build_services(settings, with_cache=False)
    options = options_from(
        settings.suggest,
        args.budget,
        max_compilations=args.max_compilations,
        samples=args.samples,
        seed=args.seed,
        differential=False,
    )
    load_before = os.getloadavg()[0]
    records = []
    for i, row in enumerate(rows, 1):
        record = await run_one(row, corpus, services, options)
        records.append(record)
        sys.stdout.write(
            f"[{i}/{len(rows)}] {row['id']:22s} -Oz {record['ozSize']} -> {record['size']} "
            f"(-{record['savingPercent']}%) {record['search']['optRuns']} compilations "
            f"{record['seconds']} s  {str(record['pipeline'])[:70]}\n"
        )
        sys.stdout.flush()
    summary = summarise(records)
    suffix = (
        "all"
        if not (args.stratified or args.limit)
        else (f"strat{args.stratified}" if args.stratified else f"first{args.limit}")
    )
    key = args.key or (f"{'model' if args.model_url else 'local'}-{args.budget:g}s-{suffix}")
    run = {
        "budgetSeconds": args.budget,
        "maxCompilations": args.max_compilations,
        "selection": selection,
        "seed": args.seed,
        "llvm": services.toolchain.version_text,
        "modelName": services.backend.model_name if services.backend else None,
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "loadBefore": load_before,
            "loadAfter": os.getloadavg()[0],
        },
        "summary": summary,
        "records": records,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "suggest.json"
    runs = json.loads(path.read_text())["runs"] if path.is_file() else {}
    runs[key] = run
    path.write_text(json.dumps({"runs": runs}, indent=1) + "\n")
    (RESULTS / "suggest.md").write_text(render_markdown(runs))
    sys.stdout.write(json.dumps({key: summary}, indent=1) + "\n")
    return 0


def rewrite_markdown() -> None:
    """Regenerate suggest.md from suggest.json (no runs)."""
    runs = json.loads((RESULTS / "suggest.json").read_text())["runs"]
    (RESULTS / "suggest.md").write_text(render_markdown(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=5.0, help="search seconds per function")
    parser.add_argument("--max-compilations", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=0, help="only the first N functions")
    parser.add_argument("--stratified", type=int, default=0, help="N functions, stratified")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-url", default="", help="a model server for the model rows")
    parser.add_argument("--model-name", default="")
    parser.add_argument("--samples", type=int, default=4, help="model samples beside greedy")
    parser.add_argument("--key", default="", help="the run's key in suggest.json")
    parser.add_argument(
        "--markdown-only", action="store_true", help="only rewrite suggest.md from suggest.json"
    )
    args = parser.parse_args()
    if args.markdown_only:
        rewrite_markdown()
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

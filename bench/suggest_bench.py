"""Suggest passes for code size: how much smaller than -Oz, at what cost (issues 5, 14).

    python bench/suggest_bench.py [--set project|heldout] [--budgets 2,10,30]
        [--limit N | --stratified N] [--random | --no-coreset | --modules] [--key PREFIX]
        [--model-url URL]

Two sets: ``project`` is ../shared/corpus's single-function modules in the form the models
saw (``ir_ozfe/``: ``clang -Oz -Xclang -disable-llvm-passes``); ``heldout`` is the held-out
packages of the training corpus scripts/corpus/build.py makes (``.corpus/``), code bases the
coreset was never trained or tuned on. One suggestion per function exactly as the code action
runs it (``lsp_server.search.engine.suggest``: -Oz baseline, model candidates when a backend is
configured, the learned coreset, the local search within the budget, the final checks), or,
with ``--random``, plain random pass lists at the same budget (the baseline), or with
``--no-coreset`` the search without the learned sequences. ``--modules`` runs the held-out
whole translation units, half the budget for one module pipeline and half function by
function (lsp_server.search.permodule), keeping the smaller. It reports:

- size against -Oz: the total over all functions and the mean of per-function savings
  (an offer is never larger than -Oz, so a function without improvement counts 0%);
- improved and unchanged counts; compilations (opt runs) and seconds per function, and what
  they were spent on, and which origin (coreset, seed, search, model) found the improvements;
- the best found so far at 1, 2, 5, 10 and 30 s (from the progress events), a ceiling run's
  share (runs keyed ``ceiling-...``), and a plot (bench/results/suggest.png);
- with ``--model-url``: each function's model candidates alone (the greedy list, and the
  best of the samples), with and without the -Oz backup, and the model plus the search.

``--stratified N`` takes N functions spread over the packages and over -Oz sizes. The
machine's load is recorded: on a shared machine, fewer compilations fit in the same seconds.

Each run is stored under its own key in bench/results/suggest.json (``heldout-coreset-10s-
strat24``, ...) and bench/results/suggest.md is rewritten from all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.config import from_dict  # noqa: E402
from lsp_server.search import learned, permodule  # noqa: E402
from lsp_server.search.engine import ProgressEvent, Suggestion, options_from, suggest  # noqa: E402
from lsp_server.search.measure import Measurer  # noqa: E402
from lsp_server.search.result import Options  # noqa: E402
from lsp_server.search.space import OZ, render, vocabulary  # noqa: E402
from lsp_server.services import build_services  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import suggest_report as report  # noqa: E402

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


def functions(corpus: Path, kind: str = "function") -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    out = [r for r in rows if r.get("kind") == kind and r.get("ozfe")]
    for r in out:
        r["path"] = str(corpus / r["ozfe"]["ir"])
        r["ozGuess"] = r["ozfe"]["size_Oz"]
    return out


def heldout(corpus: Path, kind: str = "function") -> list[dict[str, Any]]:
    """The held-out packages of the training corpus (scripts/corpus/build.py)."""
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    out = [r for r in rows if r["split"] == "heldout" and r["kind"] == kind]
    for r in out:
        r["path"] = str(corpus / r["ir"])
        r["ozGuess"] = r["oz_size"]
    return out


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
        members = sorted(members, key=lambda r: r["ozGuess"])
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
    row: dict[str, Any], services: Any, options: Options, per_function: bool = False
) -> dict[str, Any]:
    text = Path(row["path"]).read_text()
    start = time.monotonic()
    curve: list[tuple[float, int]] = []

    def on_progress(event: ProgressEvent) -> None:
        if event.best_size is not None and event.phase == "search":
            curve.append((round(time.monotonic() - start, 3), event.best_size))

    wanted = per_function
    dependent = permodule.independent(text)[1] if per_function else None
    if dependent is not None:
        per_function = False  # the functions depend on each other: one module pipeline
    if per_function:
        # Half the budget for one module-level pipeline, half for the functions one by one.
        options = dataclasses.replace(options, budget_seconds=options.budget_seconds / 2)
    result: Suggestion = await suggest(text, None, services, options, on_progress=on_progress)
    spliced, why = None, ""
    if per_function and result.offer is not None:
        spliced, why = await permodule.search_functions(text, services, options)
    seconds = time.monotonic() - start
    data = result.to_json()
    offer = result.offer
    if spliced is not None and offer is not None and spliced.size < offer.size:
        return {
            "id": row["id"],
            "package": row["package"],
            "function": None,
            "ozSize": spliced.oz_size,
            "size": spliced.size,
            "savingPercent": round(spliced.saving_percent, 2),
            "pipeline": f"per function ({len(spliced.pipelines)})",
            "outcome": "improved",
            "error": None,
            "seconds": round(seconds, 2),
            "searchSeconds": round(seconds, 2),
            "foundBy": "per-function",
            "search": {
                **data["search"],
                "optRuns": data["search"]["optRuns"] + spliced.compilations,
            },
            "curve": curve,
        }
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
        "curve": curve,
    }
    if data.get("model"):
        record["model"] = data["model"]
    if wanted:
        record["perFunction"] = dependent or why or "the module-level pipeline was smaller"
    return record


def render_markdown(runs: dict[str, Any]) -> str:
    lines = [
        "# Suggest passes: code size against -Oz",
        "",
        "Written by `bench/suggest_bench.py`. Every number is `text + data` of the object",
        "`llc -filetype=obj` makes for x86_64, measured by the local LLVM; an offer is never",
        "larger than -Oz (a function without improvement counts 0%). Inputs: the project",
        "corpus' single-function modules as the models saw them (`ir_ozfe/`), and (runs",
        "`heldout-*`, `ceiling-*`) the held-out packages of scripts/corpus/build.py.",
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


async def random_one(
    row: dict[str, Any], services: Any, budget: float, seed: int
) -> dict[str, Any]:
    """The baseline: plain random pass lists (uniform over the vocabulary, 1 to 24 passes)."""
    text = Path(row["path"]).read_text()
    toolchain = services.toolchain
    registry = await services.registry()
    steps, _ = vocabulary(registry.names)
    start = time.monotonic()
    measurer = Measurer(
        toolchain, text, "x86_64-unknown-linux-gnu", concurrency=2, timeout=toolchain.timeout
    )
    base = await measurer.measure(OZ)
    rng = random.Random(seed)
    best: list[Any] = [base.size, OZ]
    curve: list[tuple[float, int]] = []
    deadline = time.monotonic() + budget

    async def worker() -> None:
        while time.monotonic() < deadline:
            cand = tuple(rng.choice(steps) for _ in range(rng.randint(1, 24)))
            m = await measurer.measure(render(cand))
            if m.size is not None and best[0] is not None and m.size < best[0]:
                best[0], best[1] = m.size, m.pipeline
                curve.append((round(time.monotonic() - start, 3), m.size))

    if base.size is not None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(3))), budget + 1)
    seconds = time.monotonic() - start
    oz = base.size
    saving = 100.0 * (oz - best[0]) / oz if oz and best[0] is not None else 0.0
    return {
        "id": row["id"],
        "package": row["package"],
        "function": row.get("function"),
        "ozSize": oz,
        "size": best[0],
        "savingPercent": round(saving, 2),
        "pipeline": best[1],
        "outcome": "improved" if saving > 0 else "oz-best",
        "error": base.error,
        "seconds": round(seconds, 2),
        "searchSeconds": round(seconds, 2),
        "foundBy": "random" if saving > 0 else None,
        "search": measurer.stats.to_json(),
        "curve": curve,
    }


def select_rows(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str, str]:
    if args.set == "heldout":
        rows = heldout(args.corpus, "module" if args.modules else "function")
        name = "held-out packages" + (" (whole modules)" if args.modules else "")
    else:
        rows = functions(corpus_dir(), "module" if args.modules else "function")
        name = "project corpus" + (" (whole modules)" if args.modules else "")
    selection = f"all {len(rows)} functions of the {name}"
    suffix = "all"
    if args.stratified:
        rows = stratified(rows, args.stratified)
        selection = f"{len(rows)} functions of the {name}, stratified by package and -Oz size"
        suffix = f"strat{args.stratified}"
    elif args.limit:
        rows = rows[: args.limit]
        selection = f"the first {len(rows)} functions of the {name}"
        suffix = f"first{args.limit}"
    return rows, selection, suffix


async def main_async(args: argparse.Namespace) -> int:
    rows, selection, suffix = select_rows(args)
    data: dict[str, Any] = {"target": {"triple": "x86_64-unknown-linux-gnu"}}
    if args.model_url:
        data["model"] = {"url": args.model_url}
        if args.model_name:
            data["model"]["name"] = args.model_name
    settings, problems = from_dict(data)
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    services = build_services(settings, with_cache=False)
    learned.ENABLED = not args.no_coreset
    method = "random" if args.random else ("local" if args.no_coreset else "coreset")
    if args.modules:
        method += "-modules"
    if args.model_url:
        method = "model-" + method
    for budget in [float(b) for b in args.budgets.split(",")]:
        options = options_from(
            settings.suggest,
            budget,
            max_compilations=args.max_compilations,
            samples=args.samples,
            seed=args.seed,
            differential=False,
        )
        load_before = os.getloadavg()[0]
        records = []
        for i, row in enumerate(rows, 1):
            if args.random:
                record = await random_one(row, services, budget, args.seed)
            else:
                record = await run_one(row, services, options, args.modules)
            records.append(record)
            sys.stdout.write(
                f"[{i}/{len(rows)}] {row['id']:22s} -Oz {record['ozSize']} -> {record['size']} "
                f"(-{record['savingPercent']}%) {record['search'].get('optRuns')} compilations "
                f"{record['seconds']} s  {str(record['pipeline'])[:70]}\n"
            )
            sys.stdout.flush()
        summary = summarise(records)
        key = f"{args.key or args.set}-{method}-{budget:g}s-{suffix}"
        run = {
            "set": args.set,
            "method": method,
            "budgetSeconds": budget,
            "maxCompilations": args.max_compilations,
            "selection": selection,
            "seed": args.seed,
            "llvm": services.toolchain.version_text,
            "modelName": services.backend.model_name if services.backend else None,
            "date": time.strftime("%Y-%m-%d %H:%M"),
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
        write_outputs(runs)
        sys.stdout.write(json.dumps({key: summary}, indent=1) + "\n")
    return 0


def write_outputs(runs: dict[str, Any]) -> None:
    (RESULTS / "suggest.md").write_text(render_markdown(runs) + report.extra_markdown(runs))
    report.plot(runs, RESULTS / "suggest.png")


def rewrite_markdown() -> None:
    """Regenerate suggest.md and suggest.png from suggest.json (no runs)."""
    write_outputs(json.loads((RESULTS / "suggest.json").read_text())["runs"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("project", "heldout"), default="project")
    parser.add_argument("--corpus", type=Path, default=ROOT / ".corpus", help="for --set heldout")
    parser.add_argument("--budgets", default="5", help="search seconds per function, e.g. 2,10")
    parser.add_argument("--max-compilations", type=int, default=1_000_000)
    parser.add_argument("--limit", type=int, default=0, help="only the first N functions")
    parser.add_argument("--stratified", type=int, default=0, help="N functions, stratified")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random", action="store_true", help="plain random search baseline")
    parser.add_argument("--no-coreset", action="store_true", help="the search without it")
    parser.add_argument(
        "--modules", action="store_true", help="whole modules: module-level and per function"
    )
    parser.add_argument("--model-url", default="", help="a model server for the model rows")
    parser.add_argument("--model-name", default="")
    parser.add_argument("--samples", type=int, default=4, help="model samples beside greedy")
    parser.add_argument("--key", default="", help="prefix of the run's key in suggest.json")
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

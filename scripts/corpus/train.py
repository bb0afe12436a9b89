"""Learn the pass search's coreset offline: lsp_server/search/data/coreset.json.

    nice -n 10 python scripts/corpus/train.py [--corpus .corpus] [--gen 100 --gen-seconds 3]
        [--eval 160] [--candidates 260] [--size 48]

On the *train* split of the corpus scripts/corpus/build.py made (held-out packages are never
read here):

1. Candidates. Hand-made parameterised sequences (simplifycfg option sets, loop-rotate with and
   without header duplication, -Oz with parts removed or a cleanup tail, short
   promote/combine/simplify pipelines), plus the best distinct pipelines of the product's own
   local search (lsp_server.search.local, ``--gen-seconds`` each) on ``--gen`` sampled functions.
   The inliner's threshold is an opt command-line option, not a pipeline parameter, so it cannot
   be part of a ``-passes=`` sequence and is not searched.
2. A gain matrix: every candidate measured on ``--eval`` sampled functions (object size
   ``text + data`` of ``llc -filetype=obj``, lsp_server.search.measure, the product's measurer),
   gain = max(0, (Oz - size) / Oz).
3. Greedy set cover: ``--size`` sequences, each time the one with the largest marginal gain
   (sum over functions of how much it improves on the best already chosen).
4. The file: the sequences in that order, each function's features and its gains for the
   chosen sequences (the nearest-neighbour table of lsp_server.search.coreset), and provenance
   (corpus, sample sizes, LLVM version, date, the command).

The samples are seeded and drawn round-robin over the training packages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.config import from_dict  # noqa: E402
from lsp_server.search import local  # noqa: E402
from lsp_server.search.engine import oz_pipeline  # noqa: E402
from lsp_server.search.features import NAMES, features  # noqa: E402
from lsp_server.search.measure import Measurer  # noqa: E402
from lsp_server.search.space import (  # noqa: E402
    INSTCOMBINE,
    OZ,
    SIMPLIFYCFG_OZ,
    Moves,
    Step,
    flatten,
    render,
    vocabulary,
)
from lsp_server.services import build_services  # noqa: E402

OUT = ROOT / "lsp_server" / "search" / "data" / "coreset.json"
TRIPLE = "x86_64-unknown-linux-gnu"

SIMPLIFYCFG = (
    SIMPLIFYCFG_OZ,
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;"
    "switch-to-lookup;keep-loops;hoist-common-insts;sink-common-insts;speculate-blocks;"
    "simplify-cond-branch>",
    "simplifycfg<bonus-inst-threshold=0;no-forward-switch-cond;switch-range-to-icmp;"
    "no-switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts;"
    "no-speculate-blocks;simplify-cond-branch>",
    "simplifycfg<bonus-inst-threshold=2;forward-switch-cond;switch-range-to-icmp;"
    "no-switch-to-lookup;keep-loops;hoist-common-insts;sink-common-insts;speculate-blocks;"
    "simplify-cond-branch>",
    "simplifycfg<hoist-common-insts;sink-common-insts>",
)


def handmade(oz_steps: tuple[Step, ...]) -> list[tuple[Step, ...]]:
    """Parameterised variations of -Oz and of short pipelines (see the module docstring)."""
    f = "function"
    out: list[tuple[Step, ...]] = []
    oz = (Step(OZ, "module"),)
    for sc in SIMPLIFYCFG:
        s = Step(sc, f)
        c = Step(INSTCOMBINE, f)
        sroa = Step("sroa<modify-cfg>", f)
        out += [
            (sroa, c, s),
            (sroa, Step("early-cse<memssa>", f), c, s, Step("gvn", f), Step("dse", f), c, s),
            (Step("mem2reg", f), Step("gvn-sink", f), c, s),
            (*oz, c, s),
            (*oz, Step("gvn-sink", f), s),
            (*oz, s),
            tuple(Step(sc, f) if x.name == "simplifycfg" else x for x in oz_steps),
        ]
    for rotate in ("header-duplication", "no-header-duplication"):
        out.append(
            tuple(
                Step(f"loop-rotate<{rotate};no-prepare-for-lto>", x.level)
                if x.name == "loop-rotate"
                else x
                for x in oz_steps
            )
        )
    drops: tuple[tuple[str, ...], ...] = (
        ("loop-rotate",),
        ("licm",),
        ("loop-unroll", "loop-unroll-full"),
        ("inline",),
        ("loop-rotate", "licm", "indvars", "loop-idiom", "loop-deletion", "simple-loop-unswitch"),
        ("jump-threading",),
        ("gvn",),
        ("sccp", "ipsccp"),
    )
    for names in drops:
        out.append(tuple(x for x in oz_steps if x.name not in names))
    return [c for c in out if c]


def stratified(rows: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` rows drawn round-robin over packages (seeded), so small code bases count too."""
    by_package: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_package.setdefault(row["package"], []).append(row)
    rng = random.Random(seed)
    queues = []
    for _, members in sorted(by_package.items()):
        members = list(members)
        rng.shuffle(members)
        queues.append(members)
    picked: list[dict[str, Any]] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop())
    return picked


async def generate(
    rows: list[dict[str, Any]],
    corpus: Path,
    services: Any,
    oz_steps: tuple[Step, ...],
    seeds: list[tuple[Step, ...]],
    seconds: float,
) -> Counter[str]:
    """Pipelines the local search found better than -Oz, counted over functions."""
    registry = await services.registry()
    steps, weights = vocabulary(registry.names)
    found: Counter[str] = Counter()
    for i, row in enumerate(rows):
        text = (corpus / row["ir"]).read_text()
        measurer = Measurer(services.toolchain, text, TRIPLE, concurrency=2, timeout=20)
        base = await measurer.measure(OZ)
        if base.size is None:
            continue
        search = local.Search(
            measurer,
            Moves(steps, weights),
            local.Budget(seconds, 100_000),
            random.Random(i),
            None,
            2,
        )
        start = [("-Oz", (Step(OZ, "module"),)), *local.seed_candidates(oz_steps)]
        start += [("seed", s) for s in seeds]
        await search.run(start)
        better = sorted(
            (m for m in measurer.results() if m.size is not None and m.size < base.size),
            key=lambda m: (m.size, len(m.pipeline)),
        )
        for m in better[:4]:
            found[m.pipeline] += 1
        sys.stderr.write(
            f"gen [{i + 1}/{len(rows)}] {row['id']} -Oz {base.size} best "
            f"{better[0].size if better else base.size} ({measurer.stats.compilations} runs)\n"
        )
    return found


async def matrix(
    rows: list[dict[str, Any]], corpus: Path, services: Any, pipelines: list[str]
) -> list[list[float]]:
    """gain[i][j]: how much smaller than -Oz pipeline j made function i (0 when not smaller)."""
    out: list[list[float]] = []
    for i, row in enumerate(rows):
        text = (corpus / row["ir"]).read_text()
        measurer = Measurer(services.toolchain, text, TRIPLE, concurrency=2, timeout=20)
        base = await measurer.measure(OZ)
        sizes = await asyncio.gather(*(measurer.measure(p) for p in pipelines))
        oz = base.size or 0
        out.append(
            [max(0.0, (oz - m.size) / oz) if oz and m.size is not None else 0.0 for m in sizes]
        )
        if (i + 1) % 10 == 0:
            sys.stderr.write(f"matrix [{i + 1}/{len(rows)}]\n")
    return out


def cover(gains: list[list[float]], k: int) -> list[int]:
    """Greedy set cover: each pick maximises the summed improvement over the best so far."""
    n = len(gains[0]) if gains else 0
    best = [0.0] * len(gains)
    chosen: list[int] = []
    for _ in range(min(k, n)):
        scores = [
            sum(max(0.0, g[j] - b) for g, b in zip(gains, best, strict=True))
            if j not in chosen
            else -1.0
            for j in range(n)
        ]
        j = max(range(n), key=lambda x: scores[x])
        if scores[j] <= 0:
            break
        chosen.append(j)
        best = [max(b, g[j]) for g, b in zip(gains, best, strict=True)]
    return chosen


async def main_async(args: argparse.Namespace) -> int:
    started = time.time()
    rows = [json.loads(line) for line in (args.corpus / "manifest.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["split"] == "train" and r["kind"] == "function"]
    settings, _ = from_dict({"target": {"triple": TRIPLE}})
    services = build_services(settings, with_cache=False)
    toolchain = services.toolchain
    oz_steps = flatten(await oz_pipeline(toolchain))
    hand = handmade(oz_steps)
    gen_rows = stratified(train, args.gen, args.seed)
    found = await generate(gen_rows, args.corpus, services, oz_steps, hand, args.gen_seconds)
    candidates = [render(c) for c in hand]
    if args.extra and args.extra.is_file():
        # The sequences of an earlier coreset compete again, so a retrain never loses them.
        for item in json.loads(args.extra.read_text())["sequences"]:
            if item["pipeline"] not in candidates:
                candidates.append(item["pipeline"])
    for pipeline, _ in found.most_common():
        if len(candidates) >= args.candidates:
            break
        if pipeline not in candidates:
            candidates.append(pipeline)
    eval_rows = stratified(train, args.eval, args.seed + 1)
    gains = await matrix(eval_rows, args.corpus, services, candidates)
    chosen = cover(gains, args.size)
    per_fn_best = [max(g) for g in gains]
    covered = [max((g[j] for j in chosen), default=0.0) for g in gains]
    x = [features((args.corpus / r["ir"]).read_text()) for r in eval_rows]
    mean = [statistics.fmean(col) for col in zip(*x, strict=True)]
    scale = [statistics.pstdev(col) or 1.0 for col in zip(*x, strict=True)]
    standard = [[round((v - m) / s, 3) for v, m, s in zip(r, mean, scale, strict=True)] for r in x]
    data = {
        "format": 1,
        "llvm": toolchain.version_text,
        "provenance": {
            "script": "scripts/corpus/train.py",
            "command": " ".join(sys.argv),
            "date": time.strftime("%Y-%m-%d"),
            "corpus": "scripts/corpus/build.py over scripts/corpus/packages.json (train split)",
            "trainPackages": sorted({r["package"] for r in train}),
            "trainFunctions": len(train),
            "sampled": {
                "searchFunctions": len(gen_rows),
                "searchSecondsEach": args.gen_seconds,
                "matrixFunctions": len(eval_rows),
                "candidates": len(candidates),
                "handmade": len(hand),
            },
            "triple": TRIPLE,
            "meanGainBestCandidate": round(100 * statistics.fmean(per_fn_best), 2),
            "meanGainCoreset": round(100 * statistics.fmean(covered), 2),
            "seconds": round(time.time() - started),
        },
        "sequences": [
            {
                "pipeline": candidates[j],
                "meanGainAlone": round(100 * statistics.fmean(g[j] for g in gains), 3),
                "improves": sum(1 for g in gains if g[j] > 0),
            }
            for j in chosen
        ],
        "neighbours": {
            "features": list(NAMES),
            "mean": [round(v, 4) for v in mean],
            "scale": [round(v, 4) for v in scale],
            "rows": standard,
            "gains": [[round(g[j], 4) for j in chosen] for g in gains],
            "ids": [r["id"] for r in eval_rows],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=0) + "\n")
    data["provenance"]["leaveOneOut"] = leave_one_out(args.out, args.corpus)
    args.out.write_text(json.dumps(data, indent=0) + "\n")
    sys.stderr.write(json.dumps(data["provenance"], indent=1) + "\n")
    return 0


def leave_one_out(path: Path, corpus: Path, ks: tuple[int, ...] = (4, 8, 16)) -> dict[str, Any]:
    """How well the neighbour ranking orders the coreset, each training row ranked by the others.

    For each k: the mean over rows of the best gain among the first k sequences tried, with
    the neighbour ranking and with the plain set-cover order (the blind baseline).
    """
    from lsp_server.search import coreset as cs

    data = json.loads(path.read_text())
    full = cs.parse(data)
    ids = data["neighbours"]["ids"]
    by_id = {
        r["id"]: r for r in map(json.loads, (corpus / "manifest.jsonl").read_text().splitlines())
    }
    out: dict[str, Any] = {}
    ranked_best: dict[int, list[float]] = {k: [] for k in ks}
    blind_best: dict[int, list[float]] = {k: [] for k in ks}
    for i, ident in enumerate(ids):
        others = cs.Coreset(
            full.pipelines,
            full.llvm,
            {},
            full.mean,
            full.scale,
            full.rows[:i] + full.rows[i + 1 :],
            full.gains[:i] + full.gains[i + 1 :],
        )
        order = cs.ranked(others, (corpus / by_id[ident]["ir"]).read_text())
        index = {p: j for j, p in enumerate(full.pipelines)}
        gains = full.gains[i]
        for k in ks:
            ranked_best[k].append(max(gains[index[p]] for p in order[:k]))
            blind_best[k].append(max(gains[:k]))
    for k in ks:
        out[f"top{k}"] = {
            "ranked": round(100 * statistics.fmean(ranked_best[k]), 2),
            "setCoverOrder": round(100 * statistics.fmean(blind_best[k]), 2),
        }
    out["all"] = round(100 * statistics.fmean(max(g) for g in full.gains), 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / ".corpus")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--gen", type=int, default=100)
    parser.add_argument("--gen-seconds", type=float, default=3.0)
    parser.add_argument("--eval", type=int, default=160)
    parser.add_argument("--candidates", type=int, default=260)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", type=Path, default=None, help="an earlier coreset.json")
    parser.add_argument(
        "--evaluate-only", action="store_true", help="leave-one-out check of --out's ranking"
    )
    args = parser.parse_args()
    if args.evaluate_only:
        sys.stdout.write(json.dumps(leave_one_out(args.out, args.corpus), indent=1) + "\n")
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

"""The parts of bench/suggest_bench.py's report about budgets: anytime gains, ceiling, plot.

Every run record keeps ``curve``: (seconds since the suggestion started, best size so far) as
the progress events reported it, so one run at 30 s also says what it had at 1, 2, 5 and 10 s.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

TIMES = (1.0, 2.0, 5.0, 10.0, 30.0)


def gain_at(record: dict[str, Any], t: float) -> float:
    """Percent smaller than -Oz that the run had found ``t`` seconds in (0 when nothing)."""
    oz = record.get("ozSize")
    if not oz:
        return 0.0
    sizes = [size for at, size in record.get("curve", ()) if at <= t]
    best = min(sizes, default=oz)
    if t >= record.get("seconds", 0.0) and record.get("size") is not None:
        best = min(best, record["size"])
    return max(0.0, 100.0 * (oz - best) / oz)


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 2) if values else 0.0


def _runs(runs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(k, r) for k, r in sorted(runs.items()) if "method" in r]


def extra_markdown(runs: dict[str, Any]) -> str:
    lines = ["", "## Budgets, baseline and ceiling", ""]
    lines += [
        "Runs of this benchmark's current form (set, method, budget). `coreset` is the product "
        "(learned sequences first, then the local search); `random` is plain random pass lists "
        "at the same budget in the same session; `ceiling` runs are long searches on a small "
        "sample. Gains at 1-30 s are read from each run's progress events (the best found so "
        "far at that moment).",
        "",
        "| run | modules | mean | total | improved | unchanged | compilations / module "
        "| at 1 s | 2 s | 5 s | 10 s | 30 s | load before / after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for key, run in _runs(runs):
        s = run["summary"]
        recs = [r for r in run["records"] if r.get("ozSize")]
        improved = sum(1 for r in recs if r["savingPercent"] > 0)
        at = [
            f"-{_mean([gain_at(r, t) for r in recs])}%" if t <= run["budgetSeconds"] else ""
            for t in TIMES
        ]
        m = run["machine"]
        lines.append(
            f"| {key} | {len(recs)} | -{s['meanSavingPercent']}% | -{s['totalSavingPercent']}% "
            f"| {improved} | {len(recs) - improved} | {s['compilationsPerFunction']} | "
            + " | ".join(at)
            + f" | {m['loadBefore']:.1f} / {m['loadAfter']:.1f} |"
        )
    ceilings = [(k, r) for k, r in _runs(runs) if k.startswith("ceiling")]
    if ceilings:
        lines += ["", "### Share of the ceiling", ""]
        lines += [
            "| ceiling run | compilations / module | run on the same modules | its mean there "
            "| ceiling mean | share |",
            "| --- | ---: | --- | ---: | ---: | ---: |",
        ]
        for ckey, ceiling in ceilings:
            best = {r["id"]: r["savingPercent"] for r in ceiling["records"] if r.get("ozSize")}
            for key, run in _runs(runs):
                if key.startswith("ceiling") or run.get("set") != ceiling.get("set"):
                    continue
                same = {r["id"]: r["savingPercent"] for r in run["records"] if r["id"] in best}
                if not same:
                    continue
                mine = _mean(list(same.values()))
                ceil = _mean([best[i] for i in same])
                share = f"{100 * mine / ceil:.0f}%" if ceil else ""
                lines.append(
                    f"| {ckey} | {ceiling['summary']['compilationsPerFunction']} | {key} "
                    f"({len(same)} modules) | -{mine}% | -{ceil}% | {share} |"
                )
    return "\n".join(lines) + "\n"


def plot(runs: dict[str, Any], path: Path) -> None:
    """Mean gain against seconds (anytime curves) and against the budget, per set and method."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return
    current = _runs(runs)
    if not current:
        return
    plt.rcParams["axes.prop_cycle"] = plt.cycler(color=plt.cm.tab20.colors)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5))
    longest: dict[tuple[str, str, int], dict[str, Any]] = {}
    by_budget: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for key, run in current:
        # One line per set, method and sample: means over different samples do not compare.
        method = "ceiling" if key.startswith("ceiling") else run["method"]
        group = (run["set"], method, len(run["records"]))
        if group not in longest or run["budgetSeconds"] > longest[group]["budgetSeconds"]:
            longest[group] = run
        by_budget.setdefault(group, []).append(
            (run["budgetSeconds"], run["summary"]["meanSavingPercent"])
        )
    for (set_name, method, _), run in sorted(longest.items()):
        recs = [r for r in run["records"] if r.get("ozSize")]
        ts = [t / 4 for t in range(1, int(4 * run["budgetSeconds"]) + 1)]
        left.plot(
            ts,
            [statistics.fmean(gain_at(r, t) for r in recs) for t in ts],
            label=f"{set_name} {method} ({len(recs)})",
        )
    left.set_xscale("log")
    left.set_xlabel("seconds")
    left.set_ylabel("mean % smaller than -Oz (best so far)")
    left.set_title("Anytime: best found so far")
    left.legend(fontsize=7, loc="upper left")
    for (set_name, method, n), points in sorted(by_budget.items()):
        points.sort()
        right.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            marker="o",
            label=f"{set_name} {method} ({n})",
        )
    right.axhline(5.3, color="grey", linestyle=":", linewidth=1)
    right.set_xscale("log")
    for axis in (left, right):
        axis.set_xticks([1, 2, 5, 10, 30, 120])
        axis.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.minorticks_off()
    right.set_xlabel("budget (s)")
    right.set_ylabel("mean % smaller than -Oz (offered)")
    right.set_title("Offered result by budget")
    right.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)

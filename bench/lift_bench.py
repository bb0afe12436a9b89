"""Lift to IR on the corpus assembly: round trips, exact matches, BLEU, seconds per function.

    python bench/lift_bench.py --model-url http://127.0.0.1:8787/v1 [--label NAME]
    python bench/lift_bench.py            # no model here: the FAKE backends only

Every ``asm/{x86_64,aarch64}/ID.s`` of the corpus (``../shared/corpus``, else
``tests/data/corpus``; 50 functions x 2 architectures) is lifted with
:func:`lsp_server.lift.engine.lift_assembly`, exactly as ``irlens lift`` does, and
scored as the LLM Compiler paper scores disassembly:

- round trip: the lifted IR parses, verifies and compiles back with llc;
- exact: the compiled assembly equals the input after normalisation;
- BLEU: BLEU-4 over assembly tokens of the round-tripped assembly against the input, mean
  over successful round trips (as the paper), and over all files counting failures as 0;
- seconds per function: wall time of one lift (model answer plus the LLVM checks).

The paper's 13B FTD on MiBench: 45% round trips, BLEU 0.960, 13.8% exact.

Without ``--model-url`` the backends are FAKES, named as such in the results, which show
that the harness works and what it costs apart from the model:

- ``FAKE source IR``: answers with the IR each file was compiled from (an upper bound:
  everything must round-trip exactly);
- ``FAKE unoptimised IR``: answers with the function's -O0 IR (``ir/ID.ll``), a plausible
  but wrong lift: it compiles back to different assembly;
- ``FAKE broken IR``: answers with IR that does not parse (nothing may round-trip).

Results go to bench/results/lift.json (runs keyed by label, so a real model's run is kept
next to the fakes') and bench/results/lift.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server import config  # noqa: E402
from lsp_server.lift.engine import LiftOptions, lift_assembly  # noqa: E402
from lsp_server.lift.normalize import normalize_asm  # noqa: E402
from lsp_server.model.client import OpenAIClient  # noqa: E402
from lsp_server.services import Services, make_toolchain  # noqa: E402
from tests.support.openai_fake import FakeOpenAIServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SHARED = ROOT.parent / "shared" / "corpus"
PAPER = {
    "label": "paper: LLM Compiler 13B FTD on MiBench",
    "round_trip": 0.45,
    "bleu": 0.960,
    "exact": 0.138,
}
GPU_COMMAND = """\
# On a machine with a GPU and the gated weights (accept Meta's license, `huggingface-cli login`):
irlens daemon --model facebook/llm-compiler-13b-ftd --port 8787
#   or: vllm serve facebook/llm-compiler-13b-ftd --port 8787
python bench/lift_bench.py --model-url http://127.0.0.1:8787/v1 --label llm-compiler-13b-ftd"""


def corpus_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    return SHARED if (SHARED / "asm").is_dir() else ROOT / "tests" / "data" / "corpus"


def _code(prompt: str) -> str:
    return prompt.split("<code>", 1)[1].rsplit("</code>", 1)[0]


def fake_responders(corpus: Path) -> dict[str, Callable[[str, dict[str, Any]], str]]:
    """The fake backends, by label, each answering from the corpus files."""
    by_asm: dict[str, Path] = {
        normalize_asm(path.read_text()).text: path for path in (corpus / "asm").glob("*/*.s")
    }

    def source(prompt: str, body: dict[str, Any]) -> str:
        path = by_asm.get(_code(prompt))
        return f"<code>{path.with_suffix('.ll').read_text()}</code>" if path else "?"

    def unoptimised(prompt: str, body: dict[str, Any]) -> str:
        path = by_asm.get(_code(prompt))
        return f"<code>{(corpus / 'ir' / (path.stem + '.ll')).read_text()}</code>" if path else "?"

    def broken(prompt: str, body: dict[str, Any]) -> str:
        return "<code>define i32 @f(ptr %0 {\n  ret i32 0\n</code>"

    return {
        "FAKE source IR": source,
        "FAKE unoptimised IR": unoptimised,
        "FAKE broken IR": broken,
    }


async def run_backend(
    label: str, url: str, files: list[Path], args: argparse.Namespace
) -> dict[str, Any]:
    settings, problems = config.from_dict(
        {"model": {"url": url, "name": args.model_name or "", "apiKey": args.api_key or ""}}
    )
    if problems:
        raise SystemExit("; ".join(problems))
    toolchain = make_toolchain(settings)
    backend = OpenAIClient(
        url,
        model=settings.model.name,
        api_key=settings.model.api_key,
        timeout=args.timeout,
        max_concurrent=args.concurrency,
    )
    services = Services(settings=settings, toolchain=toolchain, backend=backend, cache=None)
    semaphore = asyncio.Semaphore(args.concurrency)
    rows: list[dict[str, Any]] = []

    async def one(path: Path) -> None:
        async with semaphore:
            start = time.perf_counter()
            result = await lift_assembly(path.read_text(), services, LiftOptions(source=path.name))
            seconds = time.perf_counter() - start
        piece = result.pieces[0] if result.pieces else None
        compiled = bool(piece and piece.score is not None)
        rows.append(
            {
                "id": path.stem,
                "arch": path.parent.name,
                "round_trip": compiled,
                "exact": bool(piece and piece.exact),
                "bleu": piece.score if piece and piece.score is not None else 0.0,
                "opt_level": piece.opt_level if piece else None,
                "seconds": seconds,
                "problem": result.error or (piece.problem if piece else None),
            }
        )
        if args.verbose:
            print(f"{label}: {path.parent.name}/{path.stem}: {rows[-1]['problem'] or 'ok'}")

    await asyncio.gather(*(one(path) for path in files))
    await backend.aclose()
    rows.sort(key=lambda r: (r["arch"], r["id"]))
    return {
        "label": label,
        "fake": label.startswith("FAKE"),
        "model": backend.model_name,
        "summary": summarise(rows),
        "by_arch": {
            arch: summarise([r for r in rows if r["arch"] == arch])
            for arch in sorted({r["arch"] for r in rows})
        },
        "files": rows,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    ok = [r for r in rows if r["round_trip"]]
    seconds = [r["seconds"] for r in rows]
    return {
        "functions": n,
        "round_trips": len(ok),
        "round_trip_rate": len(ok) / n if n else 0.0,
        "exact": sum(r["exact"] for r in rows),
        "exact_rate": sum(r["exact"] for r in rows) / n if n else 0.0,
        "bleu_round_trips": statistics.fmean(r["bleu"] for r in ok) if ok else None,
        "bleu_all": statistics.fmean(r["bleu"] for r in rows) if rows else None,
        "seconds_per_function_mean": statistics.fmean(seconds) if seconds else None,
        "seconds_per_function_median": statistics.median(seconds) if seconds else None,
    }


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def write_markdown(data: dict[str, Any], path: Path) -> None:
    lines = [
        "# Lift to IR benchmark",
        "",
        f"Corpus: `{data['corpus']}` ({data['functions']} functions: 50 x86_64 + 50 aarch64 "
        "`.s` files, one function each). LLVM "
        f"{data['llvm']}; {data['machine']}.",
        "",
        "Round trip: the lifted IR parses, verifies and compiles back with llc. Exact: the "
        "assembly equals the input after normalisation. BLEU: BLEU-4 over assembly tokens, "
        "mean over round trips (as the paper) and over all files (failures count 0). "
        "Seconds: wall time per function, model answer plus the LLVM checks.",
        "",
        "Rows marked FAKE are not a model: they are fake backends that show the harness and "
        "the cost of the checks (see bench/lift_bench.py).",
        "",
        "| backend | round trips | exact | BLEU (round trips) | BLEU (all) | s/function (mean) | s/function (median) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in data["runs"].values():
        s = run["summary"]
        lines.append(
            f"| {run['label']} | {s['round_trips']}/{s['functions']} ({s['round_trip_rate']:.0%}) "
            f"| {s['exact']} ({s['exact_rate']:.1%}) | {_fmt(s['bleu_round_trips'], '.3f')} "
            f"| {_fmt(s['bleu_all'], '.3f')} | {_fmt(s['seconds_per_function_mean'], '.3f')} "
            f"| {_fmt(s['seconds_per_function_median'], '.3f')} |"
        )
    paper = data["paper"]
    lines.append(
        f"| {paper['label']} (the anchor) | {paper['round_trip']:.0%} | {paper['exact']:.1%} "
        f"| {paper['bleu']:.3f} | - | - | - |"
    )
    lines += [
        "",
        "By architecture:",
        "",
        "| backend | arch | round trips | exact | BLEU (round trips) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for run in data["runs"].values():
        for arch, s in run["by_arch"].items():
            lines.append(
                f"| {run['label']} | {arch} | {s['round_trips']}/{s['functions']} | {s['exact']} "
                f"| {_fmt(s['bleu_round_trips'], '.3f')} |"
            )
    lines += [
        "",
        (
            "Rows not marked FAKE come from the model server named in their label."
            if any(not run["fake"] for run in data["runs"].values())
            else "No real model was run for these results (no GPU or weights here)."
        )
        + " To run it with the real weights on a GPU:",
        "",
        "```",
        GPU_COMMAND,
        "```",
        "",
        f"Written {data['date']} by `{('python bench/lift_bench.py ' + data['argv']).strip()}`.",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-url", help="OpenAI-compatible base URL of a real model server")
    parser.add_argument("--model-name", default="", help="model id to ask for")
    parser.add_argument("--api-key", default="", help="bearer token")
    parser.add_argument("--label", help="name of the run (default: the model's name)")
    parser.add_argument("--corpus", help="corpus directory (default: ../shared/corpus)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files per arch")
    parser.add_argument("--concurrency", type=int, default=1, help="lifts in flight at once")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per model request")
    parser.add_argument("--verbose", action="store_true", help="one line per file")
    args = parser.parse_args(argv)

    corpus = corpus_dir(args.corpus)
    files = []
    for arch in ("x86_64", "aarch64"):
        found = sorted((corpus / "asm" / arch).glob("*.s"))
        files += found[: args.limit] if args.limit else found
    results_path = RESULTS / "lift.json"
    previous = json.loads(results_path.read_text()) if results_path.is_file() else {}
    runs: dict[str, Any] = dict(previous.get("runs", {}))

    async def go() -> None:
        if args.model_url:
            label = args.label or args.model_name or args.model_url
            runs[label] = await run_backend(label, args.model_url, files, args)
            return
        for label, responder in fake_responders(corpus).items():
            with FakeOpenAIServer(responder, model=label.lower().replace(" ", "-")) as fake:
                runs[label] = await run_backend(label, fake.url, files, args)

    asyncio.run(go())
    toolchain = make_toolchain(config.Settings())
    data = {
        "corpus": str(
            corpus.relative_to(ROOT.parent) if corpus.is_relative_to(ROOT.parent) else corpus
        ),
        "functions": len(files),
        "llvm": toolchain.version_text,
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "date": datetime.date.today().isoformat(),
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
        "paper": PAPER,
        "gpu_command": GPU_COMMAND,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(data, indent=2) + "\n")
    write_markdown(data, RESULTS / "lift.md")
    for run in runs.values():
        s = run["summary"]
        print(
            f"{run['label']}: {s['round_trips']}/{s['functions']} round trips, {s['exact']} exact, "
            f"BLEU {_fmt(s['bleu_round_trips'], '.3f')}, {_fmt(s['seconds_per_function_mean'], '.3f')} s/function"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

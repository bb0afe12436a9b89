"""``irlens eval TASK CORPUS``: measure a model (or the local search) on your own code.

The work is in :mod:`lsp_server.eval`; this module only reads the flags. It imports the
eval package when the command runs, so building the CLI's parser stays cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

TASKS = ("emulate", "passes", "lift")

EPILOG = """\
examples:
  irlens eval passes tests/data/corpus --budget 5 --limit 20          # LLVM-only search
  irlens eval passes CORPUS --model-url http://127.0.0.1:8787 --budget 10
  irlens eval emulate CORPUS --model-url URL --pipeline instcombine --pipeline 'default<Oz>'
  irlens eval lift CORPUS --model-url URL --arch x86_64

An interrupted run resumes when run again with the same --out. See docs/eval.md.
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text}")
    return value


def add_parser(
    subparsers: Any, add_common_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="measure a model (or the local search) on a corpus, as the LLM Compiler paper does",
        description="Run one of the paper's evaluations on a directory of .ll, .c or .s "
        "files and write per-item JSON lines, a summary, a Markdown table and plots.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("task", choices=TASKS, help="what to measure")
    parser.add_argument("corpus", type=Path, help="a file, a directory, or an irlens corpus")
    parser.add_argument("--out", type=Path, help="output directory (default irlens-eval/TASK)")
    parser.add_argument("--limit", type=_positive_int, help="measure only the first N functions")
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        help="items measured at once (default: 4, or the number of cores if fewer)",
    )
    parser.add_argument(
        "--budget",
        type=_seconds,
        default=None,
        help="passes: local search seconds per function, 0 for none (default suggest.budgetSeconds, 10)",
    )
    parser.add_argument(
        "--max-compilations",
        type=_positive_int,
        default=2000,
        help="passes: local search compilations per function (default 2000)",
    )
    parser.add_argument(
        "--pipeline",
        action="append",
        default=[],
        help="emulate: a pipeline to emulate (repeatable; default a few single passes and default<Oz>)",
    )
    parser.add_argument(
        "--pipelines-file", type=Path, help="emulate: a file with one pipeline per line"
    )
    parser.add_argument(
        "--variant",
        choices=("ozfe", "O0"),
        default="ozfe",
        help="irlens corpus layout: ir_ozfe/ (the models' training form, default) or ir/",
    )
    parser.add_argument(
        "--arch",
        choices=("x86_64", "aarch64", "all"),
        default="all",
        help="lift, irlens corpus layout: which assembly",
    )
    parser.add_argument(
        "--whole-modules",
        action="store_true",
        help="keep multi-function modules whole instead of one unit per function",
    )
    parser.add_argument(
        "--clang-flag",
        action="append",
        default=[],
        help="extra clang flag for .c inputs (repeatable, e.g. --clang-flag=-Iinclude)",
    )
    parser.add_argument(
        "--context-tokens",
        type=_positive_int,
        default=16384,
        help="the model's context; longer inputs are counted as too long (default 16384)",
    )
    parser.add_argument(
        "--max-tokens",
        type=_positive_int,
        default=None,
        help="emulate, passes: cap on one answer's tokens (default: what the task needs)",
    )
    parser.add_argument(
        "--model-timeout", type=_seconds, default=600.0, help="seconds one model answer may take"
    )
    parser.add_argument("--seed", type=int, default=0, help="local search seed")
    parser.add_argument("--fresh", action="store_true", help="discard earlier results in --out")
    parser.add_argument(
        "--retry-errors", action="store_true", help="on resume, measure failed items again"
    )
    parser.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    add_common_flags(parser)


def _pipelines(args: argparse.Namespace) -> tuple[str, ...]:
    pipelines = list(args.pipeline)
    if args.pipelines_file:
        for line in args.pipelines_file.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                pipelines.append(line)
    return tuple(pipelines)


def run(args: argparse.Namespace) -> int:
    from lsp_server.commands.common import print_json, settings_from_args
    from lsp_server.eval.harness import EvalError, run_eval
    from lsp_server.eval.inputs import InputOptions
    from lsp_server.eval.tasks.base import DEFAULT_PIPELINES, EvalOptions
    from lsp_server.services import build_services

    jobs = args.jobs or min(4, os.cpu_count() or 1)
    settings = settings_from_args(args)
    # --jobs items at once should mean that many requests in flight (a vLLM server batches
    # them), within the client's own bound.
    settings = dataclasses.replace(
        settings,
        model=dataclasses.replace(
            settings.model,
            timeout_seconds=args.model_timeout,
            max_concurrent=min(64, max(jobs, settings.model.max_concurrent)),
        ),
    )
    try:
        pipelines = _pipelines(args) or DEFAULT_PIPELINES
    except OSError as err:
        sys.stderr.write(f"irlens eval: {err}\n")
        return 2
    options = EvalOptions(
        task=args.task,
        corpus=args.corpus,
        out=args.out or Path("irlens-eval") / args.task,
        limit=args.limit,
        jobs=jobs,
        budget=settings.suggest.budget_seconds if args.budget is None else args.budget,
        max_compilations=args.max_compilations,
        pipelines=pipelines,
        context_tokens=args.context_tokens,
        max_tokens=args.max_tokens,
        retry_errors=args.retry_errors,
        fresh=args.fresh,
        plots=not args.no_plots,
        seed=args.seed,
        inputs=InputOptions(
            variant=args.variant,
            arch=args.arch,
            clang_flags=tuple(args.clang_flag),
            split=not args.whole_modules,
            triple=settings.target.triple or None,
        ),
    )
    services = build_services(settings, with_cache=False)

    async def main() -> Any:
        try:
            return await run_eval(options, services)
        finally:
            if services.backend is not None:
                await services.backend.aclose()

    try:
        result = asyncio.run(main())
    except EvalError as err:
        sys.stderr.write(f"irlens eval: {err}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(
            f"\nirlens eval: interrupted; finished items are in {options.out}/items.jsonl, "
            "and the same command resumes from there\n"
        )
        return 130
    if args.json:
        print_json(result.summary)
    else:
        sys.stdout.write((options.out / "report.md").read_text())
        written = ", ".join(str(p) for p in result.files)
        sys.stdout.write(
            f"\n{result.ran} items measured, {result.skipped} already done; wrote {written}\n"
        )
    return 0

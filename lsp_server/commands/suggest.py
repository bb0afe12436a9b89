"""``irlens suggest FILE.ll``: a pass list that makes the code smaller than -Oz, checked.

With ``--function F`` the search is for ``@F`` on its own (extracted with llvm-extract, as
the code action does); without, for the whole module. With a model configured
(``--model-url``), its pass lists seed the local search. ``--write`` replaces the file's
function (or module) with the result; the default only reports. Exit status: 0 with an
offer (an improvement or -Oz), 1 when nothing could be offered, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsp_server.commands.common import print_json, services_from_args
from lsp_server.features.suggest import describe
from lsp_server.search.engine import ProgressEvent, options_from, suggest


def add_parser(
    subparsers: Any, add_common_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "suggest",
        help="find a pass list smaller than -Oz, proven by the local opt and llc",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="an LLVM IR file (.ll)")
    parser.add_argument("--function", help="the function to optimise (without @)")
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="local search budget (suggest.budgetSeconds, default 10)",
    )
    parser.add_argument(
        "--max-compilations",
        type=int,
        default=None,
        help="local search budget in compilations (suggest.maxCompilations)",
    )
    parser.add_argument("--samples", type=int, default=None, help="model samples beside greedy")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the search")
    parser.add_argument(
        "--no-differential", action="store_true", help="skip running the program to compare"
    )
    parser.add_argument(
        "--write", action="store_true", help="apply the offer to FILE (default: report only)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_common_flags(parser)


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text()
    except OSError as err:
        sys.stderr.write(f"irlens suggest: cannot read {args.file}: {err}\n")
        return 2
    if args.budget is not None and args.budget < 0:
        sys.stderr.write("irlens suggest: --budget must not be negative\n")
        return 2
    services = services_from_args(args, with_cache=False)
    s = services.settings.suggest
    options = options_from(
        s,
        args.budget,
        max_compilations=args.max_compilations or s.max_compilations,
        samples=s.samples if args.samples is None else args.samples,
        seed=args.seed,
        differential=not args.no_differential,
    )

    def on_progress(event: ProgressEvent) -> None:
        if not args.quiet and not args.json and event.phase in ("search", "verify"):
            sys.stderr.write(f"[{event.percent:3d}%] {event.message}\n")

    result = asyncio.run(suggest(text, args.function, services, options, on_progress=on_progress))
    if args.write and result.offer is not None:
        args.file.write_text(result.offer.edit.document)
    if args.json:
        print_json(
            {
                "file": str(args.file),
                "written": bool(args.write and result.offer),
                **result.to_json(),
            }
        )
    else:
        sys.stdout.write(describe(result) + "\n")
        if result.offer is not None:
            sys.stdout.write(f"pipeline: {result.offer.pipeline}\n")
    return 0 if result.offer is not None else 1

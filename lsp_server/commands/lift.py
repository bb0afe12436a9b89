"""``irlens lift FILE.s``: lift assembly to LLVM IR with a model and check the round trip.

Writes ``FILE.lifted.ll`` beside the input (``FILE.lifted.2.ll`` and so on when that
exists; ``-o`` names the output and may replace a file, but never the input and never through
a symbolic link; ``-o -`` prints it). The file is written whole or not at all. Exit status:
0 when every function round-tripped (exact or similar), 1 when some failed, 2 when
nothing was lifted (no model, not assembly, a missing target, the model server failed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from lsp_server.commands.common import print_json, services_from_args
from lsp_server.lift.engine import LiftOptions, lift_assembly
from lsp_server.lift.output import UnsafeOutput, check_output, write_lifted
from lsp_server.lift.report import LiftResult


def add_parser(subparsers: Any, add_common_flags: Any) -> None:
    parser = subparsers.add_parser(
        "lift",
        help="lift x86_64/aarch64 assembly to LLVM IR (needs an -ftd model) and check it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="the assembly file (.s)")
    parser.add_argument("--function", default=None, help="lift only this function")
    parser.add_argument("-o", "--output", default=None, help="where to write the IR (- for stdout)")
    add_common_flags(parser)


def _progress(done: int, total: int, message: str) -> None:
    sys.stderr.write(f"irlens lift: [{done}/{total}] {message}\n")


def _write(result: LiftResult, output: str | None, source: Path) -> str:
    document = result.document or ""
    if output == "-":
        sys.stdout.write(document)
        return "-"
    return str(write_lifted(document, source, Path(output) if output else None))


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        sys.stderr.write(f"irlens lift: cannot read {args.file}: {err}\n")
        return 2
    if args.output not in (None, "-"):
        try:  # refused before the model is asked, so no work is lost
            check_output(Path(args.output), args.file)
        except UnsafeOutput as err:
            sys.stderr.write(f"irlens lift: {err}\n")
            return 2
    services = services_from_args(args)
    options = LiftOptions(source=args.file.name, function=args.function, triple=args.triple)
    quiet = args.json or args.output == "-"
    result = asyncio.run(lift_assembly(text, services, options, None if quiet else _progress))
    if not result.ok:
        if args.json:
            print_json(result.to_json())
        sys.stderr.write(f"irlens lift: {result.error}\n")
        return 2
    try:
        written = _write(result, args.output, args.file)
    except (UnsafeOutput, OSError) as err:
        sys.stderr.write(f"irlens lift: cannot write the lifted IR: {err}\n")
        return 2
    counts = result.counts()
    if args.json:
        print_json({**result.to_json(), "output": written})
    elif written != "-":
        out = sys.stdout
        out.write(
            f"Lifted {args.file} ({result.triple}, model {result.model}) to {written}: "
            f"{counts['exact']} exact, {counts['similar']} similar, {counts['failed']} failed\n"
        )
        for fn in result.functions:
            out.write(f"  {fn.name}: {fn.summary()}\n")
    return 1 if counts["failed"] else 0

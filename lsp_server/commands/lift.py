"""``irlens lift FILE.s``: lift assembly to LLVM IR with a model and check the round trip.

Writes ``FILE.lifted.ll`` beside the input (``FILE.lifted.2.ll`` and so on when that
exists; ``-o`` names the output and may replace a file, ``-o -`` prints it). Exit status:
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


def _default_output(source: Path) -> Path:
    stem = source.name
    for suffix in (".s", ".S", ".asm"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    number = 1
    while True:
        name = f"{stem}.lifted.ll" if number == 1 else f"{stem}.lifted.{number}.ll"
        candidate = source.with_name(name)
        if not candidate.exists():
            return candidate
        number += 1


def _progress(done: int, total: int, message: str) -> None:
    sys.stderr.write(f"irlens lift: [{done}/{total}] {message}\n")


def _write(result: LiftResult, output: str | None, source: Path) -> str:
    document = result.document or ""
    if output == "-":
        sys.stdout.write(document)
        return "-"
    path = Path(output) if output else _default_output(source)
    path.write_text(document, encoding="utf-8")
    return str(path)


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        sys.stderr.write(f"irlens lift: cannot read {args.file}: {err}\n")
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
    written = _write(result, args.output, args.file)
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

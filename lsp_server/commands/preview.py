"""``irlens preview FILE.ll``: the IR after a pass, as the hover shows it.

``--pass P`` previews P: inside the first RUN-line pipeline that holds it (the passes
before it run first, as in the hover, with that RUN line's opt options), inside
``--pipeline`` when given, else alone. ``--pipeline PL`` alone previews the whole pipeline;
with neither, the file's first RUN-line pipeline (or ``preview.defaultPipeline``).
``--run-line N`` takes RUN line N (0-based) instead of searching. ``--function F`` puts F
first.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsp_server.commands.common import print_json, services_from_args
from lsp_server.llvm.toolchain import MissingToolError
from lsp_server.preview.command import shell_command
from lsp_server.preview.engine import preview_text
from lsp_server.preview.render import preview_json, render_markdown
from lsp_server.preview.target import choose_target


def add_parser(
    subparsers: Any, add_common_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="show the IR after a pass (diff, counts, sizes), verified by the local opt",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="an LLVM IR file (.ll)")
    parser.add_argument("--pass", dest="pass_name", help="the pass to preview, e.g. instcombine")
    parser.add_argument("--pipeline", help="the pipeline, e.g. 'function(sroa,instcombine)'")
    parser.add_argument("--function", help="the function to show first (without @)")
    parser.add_argument(
        "--run-line",
        type=int,
        default=None,
        help="the RUN line (0-based) whose pipeline and opt options to use",
    )
    parser.add_argument(
        "--max-diff-lines", type=int, default=None, help="longest diff shown (preview.maxDiffLines)"
    )
    add_common_flags(parser)


async def _run(args: argparse.Namespace) -> int:
    services = services_from_args(args)
    if args.max_diff_lines is not None:
        settings = services.settings
        limit = max(1, args.max_diff_lines)
        preview_settings = dataclasses.replace(settings.preview, max_diff_lines=limit)
        services.settings = dataclasses.replace(settings, preview=preview_settings)
    try:
        text = args.file.read_text()
    except OSError as err:
        sys.stderr.write(f"irlens preview: {err}\n")
        return 2
    problem = services.toolchain.problem_for("preview")
    if problem is not None:
        sys.stderr.write(f"irlens preview: {problem}\n")
        return 2
    target = choose_target(
        text,
        services.settings.preview.default_pipeline,
        pass_name=args.pass_name,
        pipeline=args.pipeline,
        function=args.function,
        run_line=args.run_line,
        options=await services.opt_options(),
    )
    if isinstance(target, str):
        sys.stderr.write(f"irlens preview: {target}\n")
        return 2
    try:
        preview, prediction = await preview_text(text, target, services)
    finally:
        if services.backend is not None:
            await services.backend.aclose()
    command = shell_command(services.toolchain, target, str(args.file))
    if args.json:
        print_json(preview_json(preview, prediction, command))
    else:
        limit = services.settings.preview.max_diff_lines
        sys.stdout.write(render_markdown(preview, limit, prediction, command) + "\n")
    return 1 if preview.truth.error is not None else 0


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except MissingToolError as err:
        sys.stderr.write(f"irlens preview: {err}\n")
        return 2

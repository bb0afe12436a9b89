"""``irlens cfg FILE.ll --function F --format text|dot|svg|json``: a function's control flow.

The blocks with their successors (edges labelled ``T``/``F``, switch cases, ``normal`` /
``unwind``), predecessors and loops, from the module index (the same edges LLVM's
``opt -passes=dot-cfg`` draws; the tests compare them). ``svg`` runs Graphviz's ``dot``
on the dot text. Without ``--function``: the module's only function, else a list of them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsp_server.ide.cfg_view import cfg_view, function_names, to_dot, to_text
from lsp_server.syntax.index import build_index

_DOT_TIMEOUT_S = 30


def add_parser(
    subparsers: Any, add_common_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "cfg",
        help="print a function's control-flow graph (text, dot, svg or json)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="an LLVM IR file (.ll)")
    parser.add_argument("--function", help="the function (with or without @)")
    parser.add_argument(
        "--format", choices=("text", "dot", "svg", "json"), default="text", help="output format"
    )


def run(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        _error(f"irlens cfg: cannot read {args.file}: {err.strerror}")
        return 2
    index = build_index(text)
    names = function_names(index)
    name = args.function
    if name is None:
        if len(names) != 1:
            listed = ", ".join("@" + n for n in names[:20]) or "none"
            _error(f"irlens cfg: choose one with --function; functions defined: {listed}")
            return 2
        name = names[0]
    view = cfg_view(index, name=name)
    if view is None:
        _error(f"irlens cfg: no function {name} is defined in {args.file}")
        return 2
    if args.format == "text":
        sys.stdout.write(to_text(view))
    elif args.format == "dot":
        sys.stdout.write(to_dot(view))
    elif args.format == "json":
        sys.stdout.write(json.dumps(view.as_json(), indent=2) + "\n")
    else:
        return _svg(to_dot(view))
    return 0


def _error(message: str) -> None:
    sys.stderr.write(message + "\n")


def _svg(dot_text: str) -> int:
    dot = shutil.which("dot")
    if dot is None:
        _error(
            "irlens cfg: --format svg needs Graphviz's dot (apt-get install graphviz); "
            "--format dot prints the graph for any Graphviz viewer"
        )
        return 2
    try:
        done = subprocess.run(
            [dot, "-Tsvg"],
            input=dot_text,
            capture_output=True,
            text=True,
            timeout=_DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _error(f"irlens cfg: dot took more than {_DOT_TIMEOUT_S} s")
        return 2
    if done.returncode != 0:
        _error(f"irlens cfg: dot failed: {done.stderr.strip()}")
        return 2
    sys.stdout.write(done.stdout)
    return 0

"""Joining modules lifted piece by piece into one, with ``llvm-link``.

Each piece's IR defines the function it was lifted for, and declares (or, when the model
got carried away, also defines) the functions and globals it uses. ``llvm-link`` merges
declarations, attribute groups, metadata and types. Two things would make it fail or pick
the wrong body, and are dealt with first:

- a function defined by a piece that was not lifted for it is turned into a declaration
  when another piece owns it, so every function's body comes from its own piece;
- a global that several pieces define (a table two functions read) is linked with
  ``--override``, so one definition wins (the last piece's) instead of a
  "symbol multiply defined" error.

``llvm-link`` is not one of the tools the toolchain discovers; it is taken from next to
``llc`` so that it is the same LLVM.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsp_server.llvm import opt
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.syntax.ir import parse_module
from lsp_server.syntax.span import split_lines

_LOCAL_DEFINE = re.compile(r"\s*define\s+(?:internal|private)\b")
_DEFINE = re.compile(r"^(\s*)define\b")
_ATTACHMENT = re.compile(r"\s+![A-Za-z_][\w.]*\s+!\d+")


@dataclass(frozen=True)
class LiftedPart:
    """A piece's lifted module and the functions (IR names, no ``@``) it was lifted for."""

    ir: str
    owns: tuple[str, ...]


@dataclass(frozen=True)
class Joined:
    """The joined module, or why there is none."""

    ir: str | None
    problem: str | None = None


def llvm_link_path(toolchain: Toolchain) -> str | None:
    """``llvm-link`` from the directory of the toolchain's ``llc``, with the same suffix."""
    tool = toolchain.tools.get("llc")
    if tool is None:
        return None
    llc = Path(tool.path)
    candidate = llc.with_name(llc.name.replace("llc", "llvm-link", 1))
    return str(candidate) if candidate.is_file() else None


def declare_instead(ir: str, names: set[str]) -> str:
    """``ir`` with the external definitions of ``names`` turned into declarations.

    Local (internal, private) definitions stay: they cannot clash when linked. A
    definition whose header does not end its line with ``{`` stays as it is.
    """
    if not names:
        return ir
    lines = split_lines(ir)
    module = parse_module(ir)
    for fn in sorted(module.functions, key=lambda f: f.span.start.line, reverse=True):
        if not fn.is_definition or fn.name not in names:
            continue
        first, last = fn.span.start.line, fn.span.end.line
        header = lines[first].rstrip()
        if _LOCAL_DEFINE.match(header) or not header.endswith("{") or last <= first:
            continue
        header = _ATTACHMENT.sub("", header[:-1].rstrip())
        lines[first : last + 1] = [_DEFINE.sub(r"\1declare", header, count=1)]
    return "\n".join(lines)


async def join_modules(toolchain: Toolchain, parts: Sequence[LiftedPart]) -> Joined:
    """One module from the parts (each one already parsed and verified), verified again."""
    if not parts:
        return Joined(None, "no piece was lifted to valid IR")
    if len(parts) == 1:
        return Joined(parts[0].ir)
    link = llvm_link_path(toolchain)
    if link is None:
        return Joined(None, "llvm-link was not found next to llc, so the pieces stay apart")
    owner = {name: index for index, part in enumerate(parts) for name in part.owns}
    files: dict[str, str] = {}
    argv = [link, "-S", "-o", "-"]
    for index, part in enumerate(parts):
        foreign = {name for name, at in owner.items() if at != index}
        text = declare_instead(part.ir, foreign)
        if text != part.ir and await opt.verify(toolchain, text) is not None:
            text = part.ir  # the rewrite broke it; let --override decide instead
        files[f"part{index}.ll"] = text
        argv.extend(["--override", f"part{index}.ll"] if index else [f"part{index}.ll"])
    result = await run_tool(argv, files=files, timeout=toolchain.timeout)
    if not result.ok:
        return Joined(None, f"the pieces could not be joined: {result.describe_failure()}")
    problem = await opt.verify(toolchain, result.out)
    if problem is not None:
        return Joined(None, f"the joined module fails the verifier: {problem}")
    return Joined(result.out)

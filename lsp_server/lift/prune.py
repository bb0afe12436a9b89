"""Keeping only what was verified in a lifted module.

A lifted file is reported function by function; its module must not hold more than the
report vouches for:

- a function whose round trip failed keeps no body: its definition becomes a declaration,
  and the piece's module-level ``asm`` goes too (a model can answer with the assembly
  itself as ``module asm``, which llc prints back verbatim, so it would pass for the
  function while no IR of it was checked);
- declarations the model wrote that nothing in the module uses are dropped, as LLVM's own
  ``strip-dead-prototypes`` pass finds them. Only those lines are removed, so the
  model's text is otherwise kept as it was checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lsp_server.llvm import opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.syntax.ir import IrModule, parse_module
from lsp_server.syntax.span import split_lines

_MODULE_ASM = re.compile(r"^\s*module\s+asm\b")
_DEFINE = re.compile(r"^(\s*)define\b")
_LOCAL_LINKAGE = re.compile(r"\b(?:internal|private)\s+")
# What a declaration may not carry: a comdat, metadata attachments, a personality.
_NOT_ON_DECLARATIONS = re.compile(
    r"\s+comdat(?:\(\$[^)]*\))?|\s+![A-Za-z_][\w.]*\s+!\d+|\s+personality\s+ptr\s+@[-\w.$]+"
)
_EXTERNAL_GLOBAL = re.compile(r"=\s*(?:[\w()\"]+\s+)*?(?:external|extern_weak)\b")


def has_module_asm(ir: str) -> bool:
    return any(_MODULE_ASM.match(line) for line in split_lines(ir))


def withdraw(ir: str, failed: Collection[str]) -> str:
    """``ir`` with the definitions of ``failed`` (IR names, no ``@``) turned into
    declarations, and, when any is given, without its module-level ``asm``."""
    if not failed:
        return ir
    lines = split_lines(ir)
    module = parse_module(ir)
    for fn in sorted(module.functions, key=lambda f: f.span.start.line, reverse=True):
        if not fn.is_definition or fn.name not in failed:
            continue
        first, last = fn.span.start.line, fn.span.end.line
        opening = next((i for i in range(first, last + 1) if lines[i].rstrip().endswith("{")), None)
        if opening is None or last <= opening:
            continue
        header = " ".join(part.strip() for part in lines[first : opening + 1])
        header = _NOT_ON_DECLARATIONS.sub("", header.rstrip()[:-1].rstrip())
        header = _LOCAL_LINKAGE.sub("", _DEFINE.sub("declare", header, count=1), count=1)
        lines[first : last + 1] = [header]
    return "\n".join(line for line in lines if not _MODULE_ASM.match(line))


def declared(module: IrModule, lines: list[str]) -> dict[str, int]:
    """The functions and globals ``module`` declares without defining, with their lines."""
    found = {fn.name: fn.span.start.line for fn in module.functions if not fn.is_definition}
    for glob in module.globals:
        line = glob.span.start.line
        if line < len(lines) and _EXTERNAL_GLOBAL.search(lines[line]):
            found[glob.name] = line
    return found


async def strip_dead_declarations(toolchain: Toolchain, ir: str) -> tuple[str, list[str]]:
    """``ir`` without the declarations nothing uses, and their names (sorted).

    ``opt -passes=strip-dead-prototypes`` says which they are; they are removed from
    ``ir``'s own text. When opt cannot run, ``ir`` is returned as it is.
    """
    lines = split_lines(ir)
    before = declared(parse_module(ir), lines)
    if not before:
        return ir, []
    try:
        stripped = await opt.run_pipeline(toolchain, ir, "strip-dead-prototypes")
    except ToolError:
        return ir, []
    after = declared(parse_module(stripped), split_lines(stripped))
    dead = {name: line for name, line in before.items() if name not in after}
    if not dead:
        return ir, []
    drop = set(dead.values())
    kept = [line for number, line in enumerate(lines) if number not in drop]
    return "\n".join(kept), sorted(dead)

"""Joining modules lifted piece by piece into one, with ``llvm-link``.

Each piece's IR defines the function it was lifted for, and declares (or, when the model
got carried away, also defines) the functions and globals it uses. ``llvm-link`` merges
declarations, attribute groups, metadata and types. Two things would make it fail or pick
the wrong body, and are dealt with first:

- a function defined by a piece that was not lifted for it is turned into a declaration
  when another piece owns it, so every function's body comes from its own piece;
- a global that several pieces define (a table two functions read) is linked with
  ``--override``, so one definition wins (the last piece's) instead of a
  "symbol multiply defined" error;
- a local symbol (``internal``, ``private``: a ``static`` function or variable) that
  another piece uses too is given ``hidden`` linkage instead, since local symbols of two
  modules never link to each other; the assembly symbol was one object, so the module
  keeps one.

``llvm-link`` is found like every other tool (:mod:`lsp_server.llvm.toolchain`), so it is
the same LLVM as the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lsp_server.llvm import link, opt
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.syntax.ir import parse_module
from lsp_server.syntax.span import split_lines

_LOCAL_DEFINE = re.compile(r"\s*define\s+(?:internal|private)\b")
_DEFINE = re.compile(r"^(\s*)define\b")
_ATTACHMENT = re.compile(r"\s+![A-Za-z_][\w.]*\s+!\d+")
_LOCAL_LINKAGE = re.compile(r"\b(?:internal|private)\b")


@dataclass(frozen=True)
class LiftedPart:
    """A piece's lifted module and the functions (IR names, no ``@``) it was lifted for."""

    ir: str
    owns: tuple[str, ...]


@dataclass(frozen=True)
class Joined:
    """The joined module, or why there is none; ``promoted`` names the local symbols that
    were made hidden so that the pieces share them."""

    ir: str | None
    problem: str | None = None
    promoted: tuple[str, ...] = ()


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


def _mentions(ir: str, name: str) -> bool:
    return re.search(r"@" + re.escape(name) + r"(?![-\w.$])", ir) is not None


def _local_definitions(ir: str) -> dict[str, int]:
    """Names of the locally linked functions and globals ``ir`` defines, with their lines."""
    lines = split_lines(ir)
    module = parse_module(ir)
    found: dict[str, int] = {}
    for fn in module.functions:
        if fn.is_definition and _LOCAL_DEFINE.match(lines[fn.span.start.line]):
            found[fn.name] = fn.span.start.line
    for glob in module.globals:
        line = lines[glob.span.start.line]
        head = line.split("=", 1)[1] if "=" in line else ""
        if _LOCAL_LINKAGE.match(head.strip()):
            found[glob.name] = glob.span.start.line
    return found


def promote_shared_locals(irs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Give ``hidden`` linkage to local symbols that another module also names.

    Returns the rewritten modules and the promoted names, sorted.
    """
    locals_ = [_local_definitions(ir) for ir in irs]
    shared = {
        name
        for index, defined in enumerate(locals_)
        for name in defined
        if any(_mentions(other, name) for at, other in enumerate(irs) if at != index)
    }
    rewritten = []
    for ir, defined in zip(irs, locals_, strict=True):
        lines = split_lines(ir)
        for name, line in defined.items():
            if name in shared:
                lines[line] = _LOCAL_LINKAGE.sub("hidden", lines[line], count=1)
        rewritten.append("\n".join(lines))
    return rewritten, sorted(shared)


async def join_modules(toolchain: Toolchain, parts: Sequence[LiftedPart]) -> Joined:
    """One module from the parts (each one already parsed and verified), verified again."""
    if not parts:
        return Joined(None, "no piece was lifted to valid IR")
    if len(parts) == 1:
        return Joined(parts[0].ir)
    if not toolchain.has("llvm-link"):
        return Joined(None, "llvm-link is not installed, so the pieces stay apart")
    owner = {name: index for index, part in enumerate(parts) for name in part.owns}
    texts = [part.ir for part in parts]
    promoted_texts, promoted = promote_shared_locals(texts)
    for index, (before, after) in enumerate(zip(texts, promoted_texts, strict=True)):
        if after != before and await opt.verify(toolchain, after) is None:
            texts[index] = after
    for index, text in enumerate(texts):
        foreign = {name for name, at in owner.items() if at != index}
        declared = declare_instead(text, foreign)
        # A rewrite that breaks the module is dropped; --override decides instead.
        if declared != text and await opt.verify(toolchain, declared) is None:
            texts[index] = declared
    result = await link.link(toolchain, texts)
    if not result.ok:
        return Joined(None, f"the pieces could not be joined: {result.describe_failure()}")
    problem = await opt.verify(toolchain, result.out)
    if problem is not None:
        return Joined(None, f"the joined module fails the verifier: {problem}")
    return Joined(result.out, promoted=tuple(promoted))

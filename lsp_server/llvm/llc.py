"""llc: IR to object files and assembly; every llc command line irlens runs is built here."""

from __future__ import annotations

import re
from typing import Literal

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.textkey import text_bytes

_TRIPLE = re.compile(rb'^target triple\s*=\s*"([^"]*)"', re.MULTILINE)
#: Where llc writes an object file inside the run's private directory.
OBJECT_FILE = "out.o"


def module_triple(ir: str | bytes) -> str | None:
    """The ``target triple`` a textual module names, or None (bitcode: None)."""
    data = text_bytes(ir) if isinstance(ir, str) else ir
    m = _TRIPLE.search(data)
    return m[1].decode() if m else None


def triple_args(toolchain: Toolchain, ir: str | bytes | None, triple: str | None) -> list[str]:
    """``-mtriple=`` for ``ir``: an explicit triple wins; otherwise the module's own, and the
    setting only fills in for textual IR that names none (bitcode carries its triple where
    we cannot cheaply see it; with ``ir`` None, a file, only an explicit triple is given)."""
    is_bitcode = isinstance(ir, bytes) and ir[:4] == b"BC\xc0\xde"
    fallback = None if ir is None or is_bitcode or module_triple(ir) else toolchain.default_triple
    chosen = triple or fallback
    return [f"-mtriple={chosen}"] if chosen else []


def compile_argv(
    toolchain: Toolchain,
    ir: str | bytes | None = None,
    *,
    filetype: Literal["obj", "asm"] = "obj",
    output: str = OBJECT_FILE,
    source: str = "-",
    triple: str | None = None,
    opt_level: str | None = None,
    relocation_model: str | None = None,
) -> list[str]:
    """llc's argv: compile ``source`` (stdin by default, holding ``ir``) to ``output``
    (``-`` for stdout), for the triple :func:`triple_args` picks, at ``opt_level``
    (``O0``..``O3``; llc's default -O2 when None)."""
    argv = [toolchain.path("llc")]
    if filetype == "obj":
        argv.append("-filetype=obj")
    if relocation_model:
        argv.append(f"-relocation-model={relocation_model}")
    argv += ["-o", output, source]
    if opt_level:
        argv.append(f"-{opt_level}")
    argv.extend(triple_args(toolchain, ir, triple))
    return argv


async def compile_object(
    toolchain: Toolchain,
    ir: str | bytes,
    *,
    triple: str | None = None,
    opt_level: str | None = None,
) -> bytes:
    """The object file ``llc -filetype=obj`` makes of ``ir`` (text or bitcode)."""
    argv = compile_argv(toolchain, ir, triple=triple, opt_level=opt_level)
    result = await run_tool(
        argv, stdin=ir, timeout=toolchain.timeout, collect=(OBJECT_FILE,), limits=toolchain.limits
    )
    if not result.ok or OBJECT_FILE not in result.files:
        raise ToolError.from_result("llc could not compile this module", result)
    return result.files[OBJECT_FILE]


async def to_assembly(
    toolchain: Toolchain,
    ir: str | bytes,
    *,
    triple: str | None = None,
    opt_level: str | None = None,
) -> str:
    """The assembly ``llc`` prints for ``ir``."""
    argv = compile_argv(
        toolchain, ir, filetype="asm", output="-", triple=triple, opt_level=opt_level
    )
    result = await run_tool(argv, stdin=ir, timeout=toolchain.timeout, limits=toolchain.limits)
    if not result.ok:
        raise ToolError.from_result("llc could not compile this module", result)
    return result.out

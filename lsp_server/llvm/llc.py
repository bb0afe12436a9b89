"""llc: IR to object files and assembly."""

from __future__ import annotations

import re

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain

_TRIPLE = re.compile(rb'^target triple\s*=\s*"([^"]*)"', re.MULTILINE)


def module_triple(ir: str | bytes) -> str | None:
    """The ``target triple`` a textual module names, or None (bitcode: None)."""
    data = ir.encode() if isinstance(ir, str) else ir
    m = _TRIPLE.search(data)
    return m[1].decode() if m else None


def _triple_args(toolchain: Toolchain, ir: str | bytes, triple: str | None) -> list[str]:
    # An explicit triple wins; otherwise the module's own, and the setting only fills in for
    # textual IR that names none (bitcode carries its triple where we cannot cheaply see it).
    is_bitcode = isinstance(ir, bytes) and ir[:4] == b"BC\xc0\xde"
    fallback = None if is_bitcode or module_triple(ir) else toolchain.default_triple
    chosen = triple or fallback
    return [f"-mtriple={chosen}"] if chosen else []


async def compile_object(
    toolchain: Toolchain,
    ir: str | bytes,
    *,
    triple: str | None = None,
    opt_level: str | None = None,
) -> bytes:
    """The object file ``llc -filetype=obj`` makes of ``ir`` (text or bitcode)."""
    argv = [toolchain.path("llc"), "-filetype=obj", "-o", "out.o", "-"]
    if opt_level:
        argv.append(f"-{opt_level}")
    argv.extend(_triple_args(toolchain, ir, triple))
    result = await run_tool(argv, stdin=ir, timeout=toolchain.timeout, collect=("out.o",))
    if not result.ok or "out.o" not in result.files:
        raise ToolError.from_result("llc could not compile this module", result)
    return result.files["out.o"]


async def to_assembly(
    toolchain: Toolchain,
    ir: str | bytes,
    *,
    triple: str | None = None,
    opt_level: str | None = None,
) -> str:
    """The assembly ``llc`` prints for ``ir``."""
    argv = [toolchain.path("llc"), "-o", "-", "-"]
    if opt_level:
        argv.append(f"-{opt_level}")
    argv.extend(_triple_args(toolchain, ir, triple))
    result = await run_tool(argv, stdin=ir, timeout=toolchain.timeout)
    if not result.ok:
        raise ToolError.from_result("llc could not compile this module", result)
    return result.out

"""llvm-as: parsing textual IR (the LLVM assembler; the module cannot be named ``as``)."""

from __future__ import annotations

from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.toolchain import Toolchain


def parse_argv(toolchain: Toolchain, *, verify: bool = True) -> list[str]:
    """``llvm-as`` reading stdin and writing nothing: only its messages matter. Without
    ``verify`` the verifier does not run, so only a parse error fails it."""
    argv = [toolchain.path("llvm-as")]
    if not verify:
        argv.append("-disable-verify")
    return [*argv, "-", "-o", "/dev/null"]


async def parse(
    toolchain: Toolchain, text: str, *, verify: bool = True, timeout: float | None = None
) -> ToolResult:
    """Run llvm-as on ``text``; the raw result (``ok`` when it parses)."""
    return await run_tool(
        parse_argv(toolchain, verify=verify),
        stdin=text,
        timeout=timeout or toolchain.timeout,
        limits=toolchain.limits,
    )

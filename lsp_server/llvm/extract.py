"""llvm-extract: one function as a self-contained module."""

from __future__ import annotations

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain


def extract_argv(toolchain: Toolchain, name: str) -> list[str]:
    """``llvm-extract --func=<name>``: the module on stdin, textual IR on stdout."""
    return [toolchain.path("llvm-extract"), f"--func={name}", "-S", "-o", "-", "-"]


async def extract_function(toolchain: Toolchain, ir: str, name: str) -> str:
    """The module holding only ``@name``'s body and the declarations it needs.

    llvm-extract keeps globals, metadata and attributes the function uses, and turns other
    functions into declarations.
    """
    result = await run_tool(
        extract_argv(toolchain, name), stdin=ir, timeout=toolchain.timeout, limits=toolchain.limits
    )
    if not result.ok:
        raise ToolError.from_result(f"llvm-extract could not extract @{name}", result)
    return result.out

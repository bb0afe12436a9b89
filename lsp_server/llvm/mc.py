"""llvm-mc: assembling .s files."""

from __future__ import annotations

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.toolchain import Toolchain


async def run_assembler(
    toolchain: Toolchain, text: str, triple: str, *, timeout: float | None = None
) -> ToolResult:
    """Run llvm-mc on ``text``, producing an object; the raw result."""
    return await run_tool(
        [
            toolchain.path("llvm-mc"),
            f"-triple={triple}",
            "-filetype=obj",
            "-o",
            "out.o",
            "-",
        ],
        stdin=text,
        timeout=timeout or toolchain.timeout,
        collect=("out.o",),
    )


async def assemble(toolchain: Toolchain, text: str, triple: str) -> bytes:
    """The object file llvm-mc makes of ``text``; raises ToolError when it does not assemble."""
    result = await run_assembler(toolchain, text, triple)
    if not result.ok or "out.o" not in result.files:
        raise ToolError.from_result(f"llvm-mc could not assemble this for {triple}", result)
    return result.files["out.o"]

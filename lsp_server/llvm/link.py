"""llvm-link: joining modules into one."""

from __future__ import annotations

from collections.abc import Sequence

from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.toolchain import Toolchain


def link_argv(toolchain: Toolchain, paths: Sequence[str]) -> list[str]:
    """``llvm-link -S -o - first --override second ...``: textual IR on stdout. Every module
    after the first may override the definitions before it (so a global two modules define
    links to the last one's instead of failing as "multiply defined")."""
    argv = [toolchain.path("llvm-link"), "-S", "-o", "-"]
    for index, path in enumerate(paths):
        argv.extend(["--override", path] if index else [path])
    return argv


async def link(toolchain: Toolchain, modules: Sequence[str]) -> ToolResult:
    """Link the textual ``modules`` (written to files in the run's private directory) as
    :func:`link_argv` says; the raw result, the joined module in ``out``."""
    files = {f"part{index}.ll": text for index, text in enumerate(modules)}
    return await run_tool(
        link_argv(toolchain, list(files)),
        files=files,
        timeout=toolchain.timeout,
        limits=toolchain.limits,
    )

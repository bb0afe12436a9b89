"""opt: running pass pipelines, counting instructions, verifying."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain

_FUNC_PROPS = re.compile(
    r"Printing analysis results of CFA for function '(?P<name>[^']*)':(?P<body>.*?)(?=Printing analysis|\Z)",
    re.DOTALL,
)
_TOTAL = re.compile(r"TotalInstructionCount:\s*(\d+)")


async def run_pipeline(
    toolchain: Toolchain,
    ir: str,
    passes: str,
    *,
    extra_args: Sequence[str] = (),
    timeout: float | None = None,
) -> str:
    """The textual IR after ``opt -passes=<passes>``; raises ToolError on failure.

    An empty pipeline returns the module as opt prints it (parsed and re-printed), so a
    "before" and an "after" always come out of the same printer.
    """
    argv = [toolchain.path("opt"), "-S", "-o", "-"]
    if passes:
        argv.append(f"-passes={passes}")
    argv.extend(extra_args)
    result = await run_tool(argv, stdin=ir, timeout=timeout or toolchain.timeout)
    if not result.ok:
        raise ToolError.from_result(f"opt -passes='{passes}' failed", result)
    return result.out


async def run_pipeline_bitcode(
    toolchain: Toolchain, ir: str | bytes, passes: str, *, timeout: float | None = None
) -> bytes:
    """Like run_pipeline, but the result is bitcode (cheaper to hand on to llc)."""
    argv = [toolchain.path("opt"), "-o", "-"]
    if passes:
        argv.append(f"-passes={passes}")
    result = await run_tool(argv, stdin=ir, timeout=timeout or toolchain.timeout)
    if not result.ok:
        raise ToolError.from_result(f"opt -passes='{passes}' failed", result)
    return result.stdout


async def instruction_counts(toolchain: Toolchain, ir: str | bytes) -> dict[str, int]:
    """``TotalInstructionCount`` per defined function, from ``print<func-properties>``.

    This is the count LLM Compiler's prompts use (it counts reachable blocks only).
    """
    result = await run_tool(
        [toolchain.path("opt"), "-passes=print<func-properties>", "-disable-output"],
        stdin=ir,
        timeout=toolchain.timeout,
    )
    if not result.ok:
        raise ToolError.from_result("opt could not count instructions", result)
    counts = {}
    for m in _FUNC_PROPS.finditer(result.err + result.out):
        total = _TOTAL.search(m["body"])
        if total:
            counts[m["name"]] = int(total[1])
    return counts


async def instruction_count(toolchain: Toolchain, ir: str | bytes) -> int:
    """The module's instruction count: the sum over its functions."""
    return sum((await instruction_counts(toolchain, ir)).values())


async def verify(toolchain: Toolchain, ir: str | bytes) -> str | None:
    """None when the module passes ``opt -passes=verify``, else the verifier's message."""
    result = await run_tool(
        [toolchain.path("opt"), "-passes=verify", "-disable-output"],
        stdin=ir,
        timeout=toolchain.timeout,
    )
    return None if result.ok else result.describe_failure()

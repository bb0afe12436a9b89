"""opt: the arguments irlens runs it with, and what it prints.

Every opt command line in irlens is built here (the preview, its steps, the pass search,
the pass registry, the lift's checks), as Compiler Explorer's ``opt.ts`` does: callers say
what they want (a pipeline, the output form, extra options) and get an argv; the runners
below and the callers' own runs (the warm spares, the search's measurer) all use it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.toolchain import Toolchain

#: What opt writes: textual IR on stdout, bitcode on stdout, or nothing (an analysis, a
#: check, or dumps on stderr).
Output = Literal["text", "bitcode", "none"]

_OUTPUT_ARGS: dict[str, tuple[str, ...]] = {
    "text": ("-S", "-o", "-"),
    "bitcode": ("-o", "-"),
    "none": ("-disable-output",),
}

_FUNC_PROPS = re.compile(
    r"Printing analysis results of CFA for function '(?P<name>[^']*)':(?P<body>.*?)(?=Printing analysis|\Z)",
    re.DOTALL,
)
_TOTAL = re.compile(r"TotalInstructionCount:\s*(\d+)")


def pipeline_args(passes: str, *, output: Output = "text", extra: Sequence[str] = ()) -> list[str]:
    """opt's options (without the program) to run ``passes`` on stdin.

    An empty pipeline runs no pass: the module comes out as opt prints it. ``extra`` goes
    last (a RUN line's options, printing flags).
    """
    args = list(_OUTPUT_ARGS[output])
    if passes:
        args.append(f"-passes={passes}")
    args.extend(extra)
    return args


def pipeline_argv(
    toolchain: Toolchain, passes: str, *, output: Output = "text", extra: Sequence[str] = ()
) -> list[str]:
    """The full argv of :func:`pipeline_args`."""
    return [toolchain.path("opt"), *pipeline_args(passes, output=output, extra=extra)]


def print_changed_argv(
    toolchain: Toolchain, passes: str, function: str | None, extra: Sequence[str] = ()
) -> list[str]:
    """``-print-changed -print-module-scope``: the module at the start and after every pass
    that changed it, on stderr (only ``function``'s passes when given)."""
    printing = ["-print-changed", "-print-module-scope"]
    if function is not None:
        printing.append(f"-filter-print-funcs={function}")
    return pipeline_argv(toolchain, passes, output="none", extra=[*printing, *extra])


def print_passes_argv(toolchain: Toolchain) -> list[str]:
    """``opt --print-passes``: the pass registry, parsed by :mod:`lsp_server.llvm.passes`."""
    return [toolchain.path("opt"), "--print-passes"]


def _pipeline_failed(passes: str, result: ToolResult) -> ToolError:
    """The error for a failed pipeline run."""
    return ToolError.from_result(f"opt -passes='{passes}' failed", result)


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
    argv = pipeline_argv(toolchain, passes, extra=extra_args)
    result = await run_tool(
        argv, stdin=ir, timeout=timeout or toolchain.timeout, limits=toolchain.limits
    )
    if not result.ok:
        raise _pipeline_failed(passes, result)
    return result.out


async def run_pipeline_bitcode(
    toolchain: Toolchain, ir: str | bytes, passes: str, *, timeout: float | None = None
) -> bytes:
    """Like run_pipeline, but the result is bitcode (cheaper to hand on to llc)."""
    argv = pipeline_argv(toolchain, passes, output="bitcode")
    result = await run_tool(
        argv, stdin=ir, timeout=timeout or toolchain.timeout, limits=toolchain.limits
    )
    if not result.ok:
        raise _pipeline_failed(passes, result)
    return result.stdout


async def print_pipeline(toolchain: Toolchain, passes: str) -> str:
    """``passes`` spelled out pass by pass, as the local opt prints it
    (``-print-pipeline-passes``); raises ToolError."""
    argv = pipeline_argv(toolchain, passes, output="none", extra=["-print-pipeline-passes"])
    result = await run_tool(argv, stdin="", timeout=toolchain.timeout, limits=toolchain.limits)
    if not result.ok:
        raise ToolError.from_result(f"opt could not print the pipeline {passes}", result)
    return result.out.strip()


def parse_instruction_counts(output: str) -> dict[str, int]:
    """``TotalInstructionCount`` per function from ``print<func-properties>``'s output."""
    counts = {}
    for m in _FUNC_PROPS.finditer(output):
        total = _TOTAL.search(m["body"])
        if total:
            counts[m["name"]] = int(total[1])
    return counts


async def instruction_counts(toolchain: Toolchain, ir: str | bytes) -> dict[str, int]:
    """``TotalInstructionCount`` per defined function, from ``print<func-properties>``.

    This is the count LLM Compiler's prompts use (it counts reachable blocks only).
    """
    result = await run_tool(
        pipeline_argv(toolchain, "print<func-properties>", output="none"),
        stdin=ir,
        timeout=toolchain.timeout,
        limits=toolchain.limits,
    )
    if not result.ok:
        raise ToolError.from_result("opt could not count instructions", result)
    return parse_instruction_counts(result.err + result.out)


async def instruction_count(toolchain: Toolchain, ir: str | bytes) -> int:
    """The module's instruction count: the sum over its functions."""
    return sum((await instruction_counts(toolchain, ir)).values())


async def verify(toolchain: Toolchain, ir: str | bytes) -> str | None:
    """None when the module passes ``opt -passes=verify``, else the verifier's message."""
    result = await run_tool(
        pipeline_argv(toolchain, "verify", output="none"),
        stdin=ir,
        timeout=toolchain.timeout,
        limits=toolchain.limits,
    )
    return None if result.ok else result.describe_failure()

"""Error locations from llvm-as and llvm-mc, as plain values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsp_server.llvm import assembler, mc
from lsp_server.llvm.toolchain import Toolchain

# "llvm-as-19: <stdin>:3:3: error: expected instruction opcode"
_LOCATED = re.compile(
    r"^(?:[^:\s]+: )?(?:<stdin>|-|[^:]*\.(?:ll|s|S)):(\d+):(\d+): (error|warning|note): (.*)$"
)
# Messages that usually mean the IR was written by a newer LLVM than the local one.
_NEWER_LLVM = re.compile(
    r"unknown attribute|invalid (?:field|record|value)|expected (?:type|'\w+'|attribute)|unknown token|"
    r"use of undefined metadata|invalid DI",
    re.IGNORECASE,
)


_WRITER = re.compile(r"(?:clang|LLVM) version (\d+)\.")


def _newer_llvm_hint(text: str, message: str, toolchain: Toolchain) -> str:
    """A note for an error in IR that a newer LLVM probably wrote, or "" when nothing says so."""
    local = toolchain.major
    m = _WRITER.search(text[-20000:]) or _WRITER.search(text[:20000])
    if m and local and int(m[1]) > local:
        return (
            f" (this IR was written by LLVM {m[1]}; the local LLVM {toolchain.version_text} "
            "cannot read some newer syntax: upgrade it or set llvm.binDir)"
        )
    if _NEWER_LLVM.search(message):
        return f" (this IR may come from a newer LLVM than the local {toolchain.version_text})"
    return ""


@dataclass(frozen=True)
class ToolDiagnostic:
    """One message from a tool; line and col are 0-based."""

    line: int
    col: int
    severity: str  # "error" | "warning"
    message: str


def parse_tool_messages(stderr: str) -> list[ToolDiagnostic]:
    """The located messages in a tool's stderr; notes attach to the message before them."""
    found: list[ToolDiagnostic] = []
    for raw in stderr.splitlines():
        m = _LOCATED.match(raw.strip())
        if not m:
            continue
        line, col, severity, message = int(m[1]) - 1, int(m[2]) - 1, m[3], m[4]
        if severity == "note":
            if found:
                prev = found[-1]
                found[-1] = ToolDiagnostic(
                    prev.line, prev.col, prev.severity, f"{prev.message} (note: {message})"
                )
            continue
        found.append(ToolDiagnostic(max(line, 0), max(col, 0), severity, message))
    return found


async def check_ir(
    toolchain: Toolchain, text: str, *, timeout: float | None = None
) -> list[ToolDiagnostic]:
    """Parse ``text`` with llvm-as; an empty list means it is valid IR."""
    result = await assembler.parse(toolchain, text, timeout=timeout)
    if result.ok:
        return []
    found = parse_tool_messages(result.err)
    found = [
        ToolDiagnostic(
            d.line, d.col, d.severity, d.message + _newer_llvm_hint(text, d.message, toolchain)
        )
        for d in found
    ]
    if not found:
        found = [ToolDiagnostic(0, 0, "error", result.describe_failure())]
    return found


async def check_asm(
    toolchain: Toolchain,
    text: str,
    triple: str,
    *,
    roots: Sequence[str | Path] = (),
    timeout: float | None = None,
) -> list[ToolDiagnostic]:
    """Assemble ``text`` for ``triple`` with llvm-mc; every error and warning it reports.

    An ``.incbin`` or ``.include`` of a device or of a file outside ``roots`` (the
    workspace) is reported and blanked out before llvm-mc runs; an object larger than the
    toolchain's output limit is reported as such.
    """
    limit = toolchain.limits.output_mb
    refused = mc.refused_includes(text, roots, max_bytes=limit * 1024 * 1024)
    found = [ToolDiagnostic(r.line, r.col, "error", r.message) for r in refused]
    too_big = (
        f"the object would exceed {limit} MiB, the most one tool run may write "
        "(setting irlens.llvm.maxOutputMb)"
    )
    # Space reserved by literal sizes is counted first: llvm-mc builds such an object in
    # memory, so it would take seconds and gigabytes before the file limit stopped it.
    reserved = mc.reserved_bytes(text) if limit else {}
    blank: list[int] = []
    if sum(reserved.values()) > limit * 1024 * 1024:
        found.append(ToolDiagnostic(max(reserved, key=reserved.__getitem__), 0, "error", too_big))
        blank = list(reserved)
    result = await mc.run_assembler(
        toolchain, mc.without(text, refused, blank), triple, timeout=timeout, keep_object=False
    )
    found += parse_tool_messages(result.err)
    if result.over_output_limit:
        line = max(reserved, key=reserved.__getitem__) if reserved else 0
        found.append(ToolDiagnostic(line, 0, "error", too_big))
    elif not result.ok and not any(d.severity == "error" for d in found):
        found.append(ToolDiagnostic(0, 0, "error", result.describe_failure()))
    return found

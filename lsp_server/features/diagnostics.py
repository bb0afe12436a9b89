"""Diagnostics: llvm-as errors for IR, llvm-mc errors for assembly."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from lsprotocol import types
from pygls import uris

from lsp_server.features.positions import Lines
from lsp_server.llvm import diagnostics as tool_diagnostics
from lsp_server.llvm.toolchain import MissingToolError
from lsp_server.offload import run_sized
from lsp_server.services import Services
from lsp_server.syntax.asm import guess_target

SOURCE = "irlens"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
}


def document_kind(uri: str, language_id: str | None = None) -> str | None:
    """ "ir", "asm" or None, from the file name first and the language id second."""
    lowered = uri.lower()
    if lowered.endswith(".ll"):
        return "ir"
    if lowered.endswith((".s", ".asm")):
        return "asm"
    if language_id in ("llvm", "llvm-ir", "llvm_ir", "ll"):
        return "ir"
    if language_id in ("asm", "gas", "assembly", "arm64", "x86_64-asm"):
        return "asm"
    return None


def include_roots(uri: str, folder_uris: Iterable[str]) -> list[str]:
    """The directories an assembly document may ``.incbin`` or ``.include`` from: the
    workspace folders, and the document's own directory when it lies in none of them."""
    roots = [uris.to_fs_path(folder) for folder in folder_uris if folder]
    found = [root for root in roots if root]
    path = uris.to_fs_path(uri) if uri.startswith("file:") else None
    if path:
        directory = os.path.dirname(path)
        if not any(os.path.commonpath([directory, root]) == root for root in found):
            found.append(directory)
    return found


async def diagnose(
    text: str,
    kind: str,
    services: Services,
    encoding: str = "utf-16",
    *,
    roots: Sequence[str] = (),
) -> list[types.Diagnostic]:
    """The problems in a document, as the local LLVM sees them. ``roots``: the directories
    an assembly file may include from (:func:`include_roots`).

    Raises MissingToolError when the tool for this kind of file is not installed; the
    caller tells the user once.
    """
    toolchain = services.toolchain
    if kind == "ir":
        found = await tool_diagnostics.check_ir(toolchain, text)
        tool = f"llvm-as {toolchain.version_text}"
    elif kind == "asm":
        triple = guess_target(text).triple or services.triple
        found = await tool_diagnostics.check_asm(toolchain, text, triple, roots=roots)
        tool = f"llvm-mc {toolchain.version_text}, {triple}"
    else:
        return []
    if not found:
        return []
    # Splitting a 30 MB module into lines takes tens of ms: not on the event loop.
    lines = await run_sized(len(text), Lines, text, encoding)
    return [
        types.Diagnostic(
            range=lines.token_range(d.line, d.col),
            message=d.message,
            severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
            source=f"{SOURCE} ({tool})",
        )
        for d in found
    ]


def missing_tool_message(kind: str, err: MissingToolError) -> str:
    what = "IR" if kind == "ir" else "assembly"
    return f"irlens: no diagnostics for {what} files. {err}"

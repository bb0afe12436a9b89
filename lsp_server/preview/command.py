"""The exact command a preview ran, as one copyable shell line.

A preview's "after" is ``opt -S -passes=<pipeline up to the pass> <the RUN line's options>``
on the file (or on the function alone, through ``llvm-extract``); the line says exactly that,
with the argv :mod:`lsp_server.llvm` builds, quoted for a POSIX shell, so it can be pasted
into a terminal to see the same module.
"""

from __future__ import annotations

import shlex
from urllib.parse import unquote, urlparse

from lsp_server.llvm import extract, opt
from lsp_server.llvm.toolchain import MissingToolError, Toolchain
from lsp_server.preview.target import Target


def source_name(document: str) -> str:
    """The file a document URI names (``file:`` URIs), else a placeholder name."""
    parsed = urlparse(document)
    if parsed.scheme == "file" and parsed.path:
        return unquote(parsed.path)
    return "input.ll"


def shell_command(toolchain: Toolchain, target: Target, source: str) -> str | None:
    """The shell line that prints the preview's "after" module, with the argv irlens runs
    (lsp_server.llvm's builders) reading ``source`` on stdin; None without opt."""
    try:
        run = shlex.join(opt.pipeline_argv(toolchain, target.after, extra=target.args))
        if target.extract and target.function is not None:
            cut = shlex.join(extract.extract_argv(toolchain, target.function))
            return f"{cut} < {shlex.quote(source)} | {run}"
    except MissingToolError:
        return None
    return f"{run} < {shlex.quote(source)}"

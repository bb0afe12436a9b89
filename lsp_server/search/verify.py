"""The last checks before a result is offered: the edit, the verifier, a second measurement.

A search result is a pipeline and a size from the fast measuring path. Before it is offered:

1. opt runs the pipeline again, printing IR, and the edit is built from that output (the whole
   module, or the one function put back into the document);
2. the edited document must pass ``opt -passes=verify``;
3. the edited document is measured again with :mod:`lsp_server.llvm.size` (llvm-size, the
   project's one definition), and so is ``-Oz``; an improvement must still be strictly
   smaller;
4. when the module has a ``main`` that takes no arguments, or ``(argc, argv)`` (it is run with
   none: argc 1), the program built at ``-O0`` and the program built from the edited document
   are run, bounded, and must print the same and exit the same (a differential check; skipped
   with a reason when it cannot run).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from lsp_server.llvm import extract, llc, opt, scratch, size
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import MissingToolError, Toolchain
from lsp_server.search.splice import SpliceError, apply_splice, splice_function
from lsp_server.syntax.span import split_lines

log = logging.getLogger(__name__)

# main() or main(int argc, char **argv), with any parameter attributes and names.
_MAIN = re.compile(
    r"^define\b[^@\n]*@main\(\s*(?:i32\b[^,()]*,\s*(?:ptr|i8\s*\*\s*\*)[^,()]*)?\)",
    re.MULTILINE,
)
_PROGRAM_TIMEOUT = 5.0
_PROGRAM_OUTPUT_CAP = 1 << 20


@dataclass(frozen=True)
class Edited:
    """The document after applying a pipeline, and the edit that makes it."""

    document: str  # the whole document after the edit
    first_line: int  # the edit replaces lines [first_line, last_line] with ``text`` ...
    last_line: int
    text: str
    appended: str  # ... and appends this at the end ("" for a module edit)


@dataclass(frozen=True)
class Check:
    """Whether a result passed the checks, with the re-measured sizes."""

    ok: bool
    size: int | None
    oz_size: int | None
    message: str  # why it failed; empty when ok
    differential: str  # "passed", "failed: ...", or "skipped: ..."


def _leading_comments(document: str) -> list[str]:
    lines = []
    for line in split_lines(document):
        if line.startswith(";") and not line.startswith("; ModuleID"):
            lines.append(line)
        elif line.strip() == "" and lines:
            continue
        else:
            break
    return lines


async def build_edit(
    toolchain: Toolchain,
    document: str,
    pipeline: str,
    *,
    function: str | None,
    function_module: str | None = None,
) -> Edited:
    """Run ``pipeline`` and build the edit; ToolError or SpliceError when that fails.

    A module edit replaces the whole document with opt's output, keeping the document's
    leading comments (RUN lines, notes). A function edit runs the pipeline on the function's
    own module (``function_module``, from llvm-extract) and splices the function back.
    """
    if function is None:
        optimised = await opt.run_pipeline(toolchain, document, pipeline)
        body = [line for line in split_lines(optimised) if not line.startswith("; ModuleID")]
        head = _leading_comments(document)
        text = "\n".join([*head, *body]).rstrip("\n") + "\n"
        last = len(split_lines(document)) - 1
        return Edited(text, 0, last, text, "")
    source = function_module or await extract.extract_function(toolchain, document, function)
    optimised = await opt.run_pipeline(toolchain, source, pipeline)
    splice = splice_function(document, optimised, function)
    return Edited(
        apply_splice(document, splice),
        splice.first_line,
        splice.last_line,
        splice.text,
        splice.appended,
    )


async def measure_document(
    toolchain: Toolchain, document: str, function: str | None, triple: str
) -> int:
    """The size the edited document gives: the module, or the function on its own."""
    ir = document
    if function is not None:
        ir = await extract.extract_function(toolchain, document, function)
    return await size.binary_size(toolchain, ir, triple=triple)


async def check(
    toolchain: Toolchain,
    original: str,
    edited: Edited,
    *,
    function: str | None,
    function_module: str | None,
    triple: str,
    improvement: bool,
    differential: bool = True,
) -> Check:
    """Run checks 2 to 4 of the module docstring on an edit built by :func:`build_edit`."""
    problem = await opt.verify(toolchain, edited.document)
    if problem is not None:
        return Check(False, None, None, f"the edited document fails the verifier: {problem}", "")
    try:
        new_size = await measure_document(toolchain, edited.document, function, triple)
        oz_input = function_module if function is not None else original
        assert oz_input is not None
        oz_size = await size.size_after(toolchain, oz_input, "default<Oz>", triple=triple)
    except ToolError as err:
        return Check(False, None, None, f"measuring again failed: {err}", "")
    if improvement and new_size >= oz_size:
        return Check(
            False,
            new_size,
            oz_size,
            f"measured again, the result is {new_size} bytes against -Oz's {oz_size}",
            "",
        )
    outcome = "skipped: not requested"
    if differential:
        outcome = await differential_check(toolchain, original, edited.document, triple)
        if outcome.startswith("failed"):
            return Check(False, new_size, oz_size, f"differential check {outcome}", outcome)
    return Check(True, new_size, oz_size, "", outcome)


def has_runnable_main(document: str) -> bool:
    """Whether the module defines ``main()`` or ``main(argc, argv)``: either runs without
    input (the second with no arguments, argc 1)."""
    return _MAIN.search(document) is not None


async def differential_check(toolchain: Toolchain, original: str, edited: str, triple: str) -> str:
    """Build and run the -O0 program and the edited one; compare stdout and exit code."""
    if not has_runnable_main(original):
        return "skipped: no main() or main(argc, argv)"
    try:
        clang = toolchain.path("clang")
        toolchain.path("llc")  # it builds the edited program
    except MissingToolError:
        return "skipped: clang is not installed"
    # A scratch directory like the tools' own: named after the server, so that one a killed
    # server left is swept by the next.
    with scratch.run_dir("run") as workdir:
        base = Path(workdir)
        # surrogatepass: text that reaches here is cleaned at the document boundary, but a
        # lone surrogate must never cost the check its answer.
        (base / "original.ll").write_text(original, encoding="utf-8", errors="surrogatepass")
        (base / "edited.ll").write_text(edited, encoding="utf-8", errors="surrogatepass")
        target = f"--target={triple}"
        builds = [
            [clang, target, "-O0", "-w", str(base / "original.ll"), "-o", str(base / "before")],
            llc.compile_argv(
                toolchain,
                source=str(base / "edited.ll"),
                output=str(base / "edited.o"),
                triple=triple,
                relocation_model="pic",
            ),
            [clang, target, "-w", str(base / "edited.o"), "-o", str(base / "after")],
        ]
        for argv in builds:
            result = await run_tool(argv, timeout=toolchain.timeout, limits=toolchain.limits)
            if not result.ok:
                return f"skipped: the program does not build ({result.describe_failure()})"
        runs = []
        for name in ("before", "after"):
            # No arguments: a main(argc, argv) sees argc 1 and argv[0] only.
            result = await run_tool(
                [str(base / name)],
                timeout=_PROGRAM_TIMEOUT,
                output_cap=_PROGRAM_OUTPUT_CAP,
                limits=toolchain.limits,
            )
            if result.timed_out:
                return f"skipped: the {name} program ran longer than {_PROGRAM_TIMEOUT:.0f} s"
            runs.append(result)
    before, after = runs
    if before.returncode != after.returncode:
        return (
            f"failed: exit code {after.returncode} after the pipeline, {before.returncode} at -O0"
        )
    if before.stdout != after.stdout:
        return "failed: the program prints something else after the pipeline than at -O0"
    return f"passed (same output, exit code {before.returncode})"


def splice_failure(err: SpliceError | ToolError) -> str:
    return f"the edit could not be built: {err}"

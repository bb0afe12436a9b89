"""Reading the IR that opt prints: functions, instruction counts, diffs, comparisons.

Everything here works on text that LLVM's own printer wrote (``opt -S``, ``llvm-extract
-S``), which is regular enough to read line by line: instructions are indented by two
spaces, block labels start a line, a function body ends with ``}`` in column 0. The preview
runs these on every hover, so they are plain functions without subprocesses; the tests
check them against opt on the whole corpus.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lsp_server.syntax.ir import parse_module
from lsp_server.syntax.span import split_lines

# A block label as opt prints it: `entry:`, `12:`, `"a b":`, followed by spaces and an
# optional `; preds = ...` comment.
_LABEL = re.compile(r'^(?:"((?:[^"\\]|\\.)*)"|([-a-zA-Z$._0-9]+)):(?:\s|$)')
_SUCCESSOR = re.compile(r'\blabel %(?:"((?:[^"\\]|\\.)*)"|([-a-zA-Z$._0-9]+))')
# Calls that BasicBlock::sizeWithoutDebug() skips: debug intrinsics and pseudo probes.
_DEBUG_CALL = re.compile(
    r"\bcall\b[^@]*@llvm\.(?:dbg\.(?:declare|value|assign|label)|pseudoprobe)\("
)
_ENTRY = "\0entry"


@dataclass(frozen=True)
class _Block:
    name: str
    instructions: int
    successors: tuple[str, ...]


def _blocks(body: list[str]) -> list[_Block]:
    """The basic blocks of a function body (the lines between the braces)."""
    blocks: list[_Block] = []
    name = _ENTRY
    count = 0
    terminator: list[str] = []
    for line in body:
        label = _LABEL.match(line)
        if label is not None:
            if count or blocks or name != _ENTRY:
                blocks.append(_Block(name, count, _successors(terminator)))
            name = label.group(1) if label.group(1) is not None else label.group(2)
            count = 0
            terminator = []
            continue
        if line.startswith("  ") and not line.startswith("   "):
            head = line[2:3]
            if head in (";", "]", "") or line.startswith("  uselistorder"):
                terminator.append(line)
                continue
            if _DEBUG_CALL.search(line) is None:
                count += 1
            terminator = [line]
        elif line.startswith("   "):
            # Switch cases and debug records continue the instruction above them.
            terminator.append(line)
    blocks.append(_Block(name, count, _successors(terminator)))
    return blocks


def _successors(lines: list[str]) -> tuple[str, ...]:
    found = []
    for line in lines:
        for match in _SUCCESSOR.finditer(line):
            found.append(match.group(1) if match.group(1) is not None else match.group(2))
    return tuple(found)


def _reachable_count(blocks: list[_Block]) -> int:
    """Instructions in the blocks reachable from the entry block, as opt counts them."""
    if not blocks:
        return 0
    by_name = {block.name: block for block in blocks}
    seen = {blocks[0].name}
    stack = [blocks[0]]
    total = 0
    while stack:
        block = stack.pop()
        total += block.instructions
        for name in block.successors:
            successor = by_name.get(name)
            if successor is not None and name not in seen:
                seen.add(name)
                stack.append(successor)
    return total


def function_texts(ir: str) -> dict[str, str]:
    """Each defined function's text, from its ``define`` line to its closing brace."""
    lines = split_lines(ir)
    texts = {}
    for function in parse_module(ir).functions:
        if function.is_definition:
            first, last = function.span.start.line, function.span.end.line
            texts[function.name] = "\n".join(lines[first : last + 1])
    return texts


def module_level_text(ir: str) -> str:
    """The module without its function bodies: globals, declarations, attributes, metadata.

    The ``; ModuleID`` line is dropped (it only names the input) and so are the
    ``; Function Attrs`` comments, which belong to the functions.
    """
    lines = split_lines(ir)
    keep = [True] * len(lines)
    for function in parse_module(ir).functions:
        if function.is_definition:
            for number in range(function.span.start.line, function.span.end.line + 1):
                keep[number] = False
            if function.span.start.line > 0 and lines[function.span.start.line - 1].startswith(
                "; Function Attrs:"
            ):
                keep[function.span.start.line - 1] = False
    kept = [
        line for line, wanted in zip(lines, keep, strict=True) if wanted and not _is_module_id(line)
    ]
    return "\n".join(kept).strip("\n")


def _is_module_id(line: str) -> bool:
    return line.startswith("; ModuleID = ")


def count_instructions(ir: str) -> dict[str, int]:
    """``TotalInstructionCount`` per defined function, computed from opt's printed IR.

    The same number as ``opt -passes=print<func-properties>`` (instructions in blocks
    reachable from the entry, debug intrinsics and pseudo probes left out), without a
    process: the preview needs it for two modules on every hover.
    """
    counts = {}
    for name, text in function_texts(ir).items():
        body = split_lines(text)[1:-1]
        # A header that runs over several lines ends at the line with the opening brace.
        for index, line in enumerate(body):
            if line.endswith("{") and not line.startswith(" "):
                body = body[index + 1 :]
                break
        counts[name] = _reachable_count(_blocks(body))
    return counts


# --- diffs and comparisons ------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    """A unified diff of one function (or the module level) before and after."""

    lines: tuple[str, ...]
    added: int
    removed: int
    cut_input: int  # lines left out of the comparison because the text was too long

    @property
    def changed(self) -> bool:
        return self.added > 0 or self.removed > 0

    @property
    def size(self) -> int:
        return self.added + self.removed


#: Longest text (in lines) compared line by line; longer functions are cut, and the
#: preview says so, because difflib's cost grows faster than linearly.
MAX_DIFF_INPUT_LINES = 4000


def unified_diff(before: str, after: str, context: int = 2) -> Diff:
    """The hunks of a unified diff (no file headers) with added/removed line counts."""
    old = split_lines(before) if before else []
    new = split_lines(after) if after else []
    cut = max(len(old) - MAX_DIFF_INPUT_LINES, 0) + max(len(new) - MAX_DIFF_INPUT_LINES, 0)
    old, new = old[:MAX_DIFF_INPUT_LINES], new[:MAX_DIFF_INPUT_LINES]
    lines = list(difflib.unified_diff(old, new, n=context, lineterm=""))[2:]
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    return Diff(tuple(lines), added, removed, cut)


@dataclass(frozen=True)
class Comparison:
    """How a predicted module compares with opt's, line by line.

    ``first`` is the first difference: its 1-based line in opt's output, opt's line and
    the predicted line (either may be None where one side has no line).
    """

    exact: bool
    differing_lines: int
    first: tuple[int, str | None, str | None] | None


def normalize_module(ir: str) -> list[str]:
    """Lines of a module as compared: no ModuleID, no trailing spaces or blank tail."""
    lines = [line.rstrip() for line in split_lines(ir) if not _is_module_id(line)]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def compare_modules(expected: str, predicted: str) -> Comparison:
    """Compare opt's module with a predicted one (see :class:`Comparison`)."""
    old, new = normalize_module(expected), normalize_module(predicted)
    if old == new:
        return Comparison(True, 0, None)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    differing = 0
    first: tuple[int, str | None, str | None] | None = None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        differing += max(i2 - i1, j2 - j1)
        if first is None:
            first = (
                i1 + 1,
                old[i1] if i1 < i2 else None,
                new[j1] if j1 < j2 else None,
            )
    return Comparison(False, differing, first)

"""The outline of an assembly file (GNU as syntax): functions, labels, directives, target.

Written for what ``llc`` and ``clang -S`` print for x86_64 (AT&T or Intel syntax) and
aarch64, and tolerant of hand-written files. Lifting splits a file by function, so a
function's span takes the directives that introduce it (``.globl``, ``.type``,
``.p2align`` just before its label, or from ``llc``'s ``-- Begin function`` comment,
which precedes its constant pool) through its ``.size``, ``.cfi_endproc`` or the
``-- End function`` comment ``llc`` writes after any jump tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.syntax.asm_lex import (
    SYMBOL,
    Statement,
    neutral_statements,
    statement_of,
    strip_comment,
    unquote,
)
from lsp_server.syntax.asm_target import (
    TargetGuess,
    guess_from_statements,
    guess_target,
    looks_like_asm,
)
from lsp_server.syntax.span import Pos, Span, split_lines

__all__ = [
    "AsmDirective",
    "AsmFile",
    "AsmFunction",
    "AsmLabel",
    "TargetGuess",
    "guess_target",
    "looks_like_asm",
    "parse_asm",
]

_TYPE_FUNCTION = re.compile(r"\s*\.type\s+(" + SYMBOL + r")\s*,\s*[@%#]?\"?(?:function|STT_FUNC)\b")
_SIZE = re.compile(r"\s*\.size\s+(" + SYMBOL + r")\s*,")
_GLOBL = re.compile(r"\s*\.glob(?:a)?l\s+(" + SYMBOL + r")")
_BEGIN_MARKER = "-- Begin function "
_END_MARKER = "-- End function"

# Directives that introduce a function when they sit right before its label.
_ALIGN_DIRECTIVES = frozenset({".p2align", ".p2alignw", ".p2alignl", ".align", ".balign"})
_SYMBOL_DIRECTIVES = frozenset(
    {".globl", ".global", ".hidden", ".weak", ".local", ".protected", ".internal", ".type"}
)


@dataclass(frozen=True)
class AsmFunction:
    """A function: its span (introducing directives through its end) and its label's line."""

    name: str
    span: Span
    label_line: int


@dataclass(frozen=True)
class AsmLabel:
    """A label definition (``name:``), local ones (``.LBB0_2``) included."""

    name: str
    line: int


@dataclass(frozen=True)
class AsmDirective:
    """A directive: its name with the dot (``.globl``) and its arguments, comments removed."""

    name: str
    args: str
    line: int


@dataclass(frozen=True)
class AsmFile:
    """The outline of an assembly file."""

    functions: tuple[AsmFunction, ...]
    labels: tuple[AsmLabel, ...]
    directives: tuple[AsmDirective, ...]
    target: TargetGuess


def _function_names(statements: list[Statement], label_lines: dict[str, int]) -> set[str]:
    """Which labels start functions.

    In order of trust: ``.type NAME,@function``; a label right before
    ``.cfi_startproc`` (Mach-O has no ``.type``); ``.globl`` labels; and, for a bare
    snippet, any non-local label followed by an instruction.
    """
    typed: set[str] = set()
    for statement in statements:
        if statement.directive is not None and statement.directive[0] == ".type":
            match = _TYPE_FUNCTION.match(".type " + statement.directive[1])
            if match is not None:
                typed.add(unquote(match.group(1)))
    names = {name for name in typed if name in label_lines}
    pending: list[str] = []
    for statement in statements:
        if statement.labels:
            pending = list(statement.labels)
        if statement.directive is not None:
            if statement.directive[0] == ".cfi_startproc":
                names.update(name for name in pending if not name.startswith((".L", "L")))
                pending = []
            elif statement.directive[0] not in _ALIGN_DIRECTIVES:
                pending = []
        elif statement.instruction is not None:
            pending = []
    if names:
        return names
    for statement in statements:
        if statement.directive is not None and statement.directive[0] in (".globl", ".global"):
            match = _GLOBL.match(" ".join(statement.directive))
            if match is not None and unquote(match.group(1)) in label_lines:
                names.add(unquote(match.group(1)))
    if names:
        return names
    previous_labels: tuple[str, ...] = ()
    for statement in statements:
        if statement.instruction is not None:
            names.update(
                name
                for name in previous_labels
                if not name.startswith((".L", "L")) and not name.isdigit()
            )
        if statement.labels or statement.instruction is not None or statement.directive is not None:
            previous_labels = statement.labels
    return names


def _introduces(statement: Statement, name: str) -> bool:
    """Whether the statement is one of the directives that open function ``name``."""
    if statement.labels or statement.directive is None:
        return False
    directive, args = statement.directive
    if directive in _ALIGN_DIRECTIVES:
        return True
    if directive in _SYMBOL_DIRECTIVES:
        first = args.split(",", 1)[0].strip()
        return unquote(first) == name
    return False


def parse_asm(text: str) -> AsmFile:
    """Outline an assembly text. Never raises; anything unrecognised is ignored."""
    lines = split_lines(text)
    statements = neutral_statements(lines)
    target = guess_from_statements(statements)
    # Only lines with a comment character can read differently once the architecture
    # (and so its comment syntax) is known.
    for number, line in enumerate(lines):
        if "#" in line or ";" in line:
            statements[number] = statement_of(strip_comment(line, target.arch))
    labels: list[AsmLabel] = []
    directives: list[AsmDirective] = []
    label_lines: dict[str, int] = {}
    for number, statement in enumerate(statements):
        for name in statement.labels:
            labels.append(AsmLabel(name, number))
            label_lines.setdefault(name, number)
        if statement.directive is not None:
            directives.append(AsmDirective(statement.directive[0], statement.directive[1], number))
    names = _function_names(statements, label_lines)
    # One function per line: `a: b:` declares two names for the same code.
    by_line: dict[int, str] = {}
    for name, label_line in sorted(label_lines.items(), key=lambda item: item[1]):
        if name in names:
            by_line.setdefault(label_line, name)
    starts = sorted(by_line.items())
    functions: list[AsmFunction] = []
    firsts: list[int] = []
    floor = 0
    for label_line, name in starts:
        firsts.append(_function_start(lines, statements, name, label_line, floor))
        floor = label_line + 1
    for index, (label_line, name) in enumerate(starts):
        limit = firsts[index + 1] - 1 if index + 1 < len(starts) else len(lines) - 1
        last = _function_end(lines, statements, name, label_line, limit)
        span = Span(Pos(firsts[index], 0), Pos(last, len(lines[last])))
        functions.append(AsmFunction(name, span, label_line))
    return AsmFile(tuple(functions), tuple(labels), tuple(directives), target)


def _function_start(
    lines: list[str], statements: list[Statement], name: str, label_line: int, floor: int
) -> int:
    """The first line of the function labelled at ``label_line``, at least ``floor``.

    The directives right before the label that introduce it belong to it; so, in
    ``llc`` output, does everything from its ``-- Begin function NAME`` comment, which
    comes before the constant pool (``.LCPI0_0``) the function loads from, together
    with the ``.section`` line that places that pool.
    """
    first = label_line
    while first - 1 >= floor and _introduces(statements[first - 1], name):
        first -= 1
    marker = _BEGIN_MARKER + name
    for number in range(first - 1, floor - 1, -1):
        if lines[number].rstrip().endswith(marker):
            first = number
            while first - 1 >= floor and _is_section(statements[first - 1]):
                first -= 1
            break
    return first


def _is_section(statement: Statement) -> bool:
    return (
        not statement.labels
        and statement.directive is not None
        and statement.directive[0] in (".section", ".text", ".data", ".rodata", ".bss")
    )


def _function_end(
    lines: list[str], statements: list[Statement], name: str, label_line: int, limit: int
) -> int:
    """The last line of the function labelled at ``label_line``, at most ``limit``."""
    size_line = endproc_line = marker_line = -1
    for number in range(label_line, limit + 1):
        directive = statements[number].directive
        if directive is not None:
            if directive[0] == ".size" and size_line < 0:
                match = _SIZE.match(".size " + directive[1])
                if match is not None and unquote(match.group(1)) == name:
                    size_line = number
            elif directive[0] == ".cfi_endproc" and endproc_line < 0:
                endproc_line = number
        if _END_MARKER in lines[number] and marker_line < 0 and number > label_line:
            marker_line = number
            break
    last = max(size_line, endproc_line, marker_line)
    if last >= 0:
        return last
    last = max(limit, label_line)
    while last > label_line and not lines[last].strip():
        last -= 1
    return last

"""An assembly file as units (functions and data objects) and pieces built from them.

A file too large for the model's context is lifted one function at a time. Each piece is
a small file of its own: the file's leading directives (``.text``, ``.file``), the function,
the data objects it refers to (constant pools, strings, tables, transitively), the section
switches they need, and the trailing directives about those symbols (``.hidden sym``,
``.section .note.GNU-stack``). Its local labels are renumbered as if the function were the
first of its file (``.LBB3_2`` becomes ``.LBB0_2``), which is what ``llc`` prints for a
one-function module, the shape the model was trained on.

The round trip compares a function by the same recipe on both sides: its lines plus the
data objects it refers to, renumbered, so the comparison does not depend on where in the
file the function was or on how the rest of the file was lifted.

Pure text processing on top of :func:`lsp_server.syntax.asm.parse_asm`; never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lsp_server.lift.statements import (
    ALIGN_DIRECTIVES,
    DATA_DIRECTIVES,
    DEFINING_DIRECTIVES,
    FILE_DIRECTIVES,
    SECTION_DIRECTIVES,
    SYMBOL_DIRECTIVES,
    Line,
    Sections,
    first_arg,
    parse_line,
    references,
)
from lsp_server.syntax.asm import parse_asm
from lsp_server.syntax.span import split_lines

# Local labels that carry the function's index in the file: .LBB3_2, .Lfunc_end3, .LCPI3_0,
# .LJTI3_0, .Lexception3 (Mach-O drops the dot), and "BB3_2" in llc's loop comments.
_NUMBERED = re.compile(
    r"(?<![\w.])((?:\.L|L)(?:BB|func_end|func_begin|CPI|JTI|exception)|BB)(\d+)(?!\d)"
)
_FUNC_INDEX = re.compile(r"(?<![\w.])\.?Lfunc_end(\d+)(?!\d)|(?<![\w.])\.?LBB(\d+)_")


@dataclass(frozen=True)
class AsmUnit:
    """A function or a data object: its lines (inclusive) and the symbols around it.

    ``section_before`` is the section directive in effect where the unit starts, as its
    line reads; ``section_after`` where it ends (a data object often switches section).
    """

    kind: str  # "function" | "data"
    name: str
    start: int
    end: int
    defines: frozenset[str]
    references: frozenset[str]
    section_before: str | None
    section_after: str | None


@dataclass(frozen=True)
class AsmLayout:
    """A file's lines cut into units; the lines of no unit are ``loose``."""

    lines: tuple[str, ...]
    units: tuple[AsmUnit, ...]
    loose: tuple[int, ...]
    arch: str | None

    @property
    def functions(self) -> tuple[AsmUnit, ...]:
        return tuple(unit for unit in self.units if unit.kind == "function")

    def function(self, name: str) -> AsmUnit | None:
        return next((u for u in self.units if u.kind == "function" and u.name == name), None)

    def data_closure(self, roots: Iterable[AsmUnit]) -> list[AsmUnit]:
        """The data units the roots refer to, directly or through other data, in file order."""
        by_symbol: dict[str, AsmUnit] = {}
        for unit in self.units:
            if unit.kind == "data":
                for symbol in unit.defines:
                    by_symbol.setdefault(symbol, unit)
        chosen: dict[int, AsmUnit] = {}
        pending = list(roots)
        while pending:
            unit = pending.pop()
            for symbol in unit.references:
                target = by_symbol.get(symbol)
                if target is not None and target.start not in chosen:
                    chosen[target.start] = target
                    pending.append(target)
        return [chosen[start] for start in sorted(chosen)]


def layout(text: str) -> AsmLayout:
    """Cut an (ideally normalised) assembly text into functions and data objects."""
    outline = parse_asm(text)
    arch = outline.target.arch
    raw_lines = split_lines(text)
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    parsed = [parse_line(raw, arch) for raw in raw_lines]
    owner: dict[int, int] = {}
    spans: list[tuple[int, int, str, str]] = []  # start, end, kind, name
    for fn in outline.functions:
        end = min(fn.span.end.line, len(parsed) - 1)
        spans.append((fn.span.start.line, end, "function", fn.name))
        for number in range(fn.span.start.line, end + 1):
            owner[number] = len(spans) - 1
    for number, line in enumerate(parsed):
        if number in owner:
            continue
        defining = line.directive in DEFINING_DIRECTIVES
        if not line.labels and not defining:
            continue
        name = line.labels[0] if line.labels else first_arg(line.args)
        start = _walk_back(parsed, owner, number, name)
        end = _walk_forward(parsed, owner, number, name)
        spans.append((start, end, "data", name))
        for line_number in range(start, end + 1):
            owner[line_number] = len(spans) - 1
    spans.sort()
    sections = Sections()
    before: dict[int, str | None] = {}
    after: dict[int, str | None] = {}
    starts = {start: index for index, (start, _, _, _) in enumerate(spans)}
    ends = {end: index for index, (_, end, _, _) in enumerate(spans)}
    for number, line in enumerate(parsed):
        if number in starts:
            before[starts[number]] = sections.current
        sections.feed(line, raw_lines[number])
        if number in ends:
            after[ends[number]] = sections.current
    units = []
    for index, (start, end, kind, name) in enumerate(spans):
        body = parsed[start : end + 1]
        defines = {label for line in body for label in line.labels}
        defines.update(
            first_arg(line.args) for line in body if line.directive in DEFINING_DIRECTIVES
        )
        units.append(
            AsmUnit(
                kind=kind,
                name=name,
                start=start,
                end=end,
                defines=frozenset(defines),
                references=references(body) - {name},
                section_before=before.get(index),
                section_after=after.get(index),
            )
        )
    covered = {n for unit in units for n in range(unit.start, unit.end + 1)}
    loose = tuple(n for n in range(len(parsed)) if n not in covered)
    return AsmLayout(tuple(raw_lines), tuple(units), loose, arch)


def _walk_back(parsed: list[Line], owner: dict[int, int], number: int, name: str) -> int:
    """The first line of the data object labelled at ``number``: its introducing directives."""
    start = number
    while start - 1 >= 0 and start - 1 not in owner:
        line = parsed[start - 1]
        if line.blank or line.labels or line.instruction is not None or line.directive is None:
            break
        placing = line.directive in SECTION_DIRECTIVES or line.directive in ALIGN_DIRECTIVES
        naming = line.directive in SYMBOL_DIRECTIVES and first_arg(line.args) == name
        if not (placing or naming):
            break
        start -= 1
    # A section switch right before the object belongs to it only if something of the
    # object's own (its .type, alignment) lies between; a bare leading `.text` does not.
    while start < number and parsed[start].directive in (".text",):
        start += 1
    return start


def _walk_forward(parsed: list[Line], owner: dict[int, int], number: int, name: str) -> int:
    """The last line of the data object labelled at ``number``: its data and ``.size``."""
    end = number
    while end + 1 < len(parsed) and end + 1 not in owner:
        line = parsed[end + 1]
        if line.blank or line.labels or line.instruction is not None:
            break
        if line.directive is None:
            break  # a comment line ends the object; the next one starts after it
        if line.directive == ".size":
            if first_arg(line.args) == name:
                end += 1
            break
        if line.directive in DATA_DIRECTIVES or line.directive in ALIGN_DIRECTIVES:
            end += 1
        else:
            break
    return end


def function_index(text: str) -> int | None:
    """The index ``llc`` gave a function, read from its ``.Lfunc_endN``/``.LBBN_M`` labels."""
    match = _FUNC_INDEX.search(text)
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def renumber(text: str, old: int, new: int = 0) -> str:
    """Local labels of function ``old`` renamed as function ``new``'s."""
    if old == new:
        return text

    def swap(match: re.Match[str]) -> str:
        if int(match.group(2)) != old:
            return match.group()
        return f"{match.group(1)}{new}"

    return _NUMBERED.sub(swap, text)


def unit_lines(layout_: AsmLayout, name: str) -> list[int] | None:
    """The line numbers :func:`unit_text` joins for function ``name``; None if absent."""
    function = layout_.function(name)
    if function is None:
        return None
    units = sorted([function, *layout_.data_closure([function])], key=lambda u: u.start)
    return [number for unit in units for number in range(unit.start, unit.end + 1)]


def unit_text(layout_: AsmLayout, name: str) -> str | None:
    """Function ``name`` with the data it refers to, renumbered as function 0; None if absent.

    This is what the round trip compares for one function.
    """
    numbers = unit_lines(layout_, name)
    function = layout_.function(name)
    if numbers is None or function is None:
        return None
    body = "\n".join(layout_.lines[n] for n in numbers) + "\n"
    index = function_index("\n".join(layout_.lines[function.start : function.end + 1]))
    return renumber(body, index) if index is not None else body


def _enters_own_section(lines: list[Line]) -> bool:
    """Whether a unit switches section itself before its first label or content."""
    for line in lines:
        if line.labels or line.instruction is not None:
            return False
        if line.directive in SECTION_DIRECTIVES:
            return True
        if line.directive in DATA_DIRECTIVES:
            return False
    return False


def _trailer_keeps(line: Line, raw: str, symbols: frozenset[str]) -> bool:
    if line.directive in FILE_DIRECTIVES:
        return True
    if line.directive == ".section":
        section = first_arg(line.args)
        return section.startswith(".note")
    if line.directive in SYMBOL_DIRECTIVES:
        return first_arg(line.args) in symbols
    return False


def piece_text(layout_: AsmLayout, names: Iterable[str]) -> str:
    """A file of its own for the functions ``names`` (see the module docstring)."""
    wanted = set(names)
    functions = [u for u in layout_.functions if u.name in wanted]
    units = sorted([*functions, *layout_.data_closure(functions)], key=lambda u: u.start)
    if not units:
        return ""
    parsed = {n: parse_line(layout_.lines[n], layout_.arch) for n in layout_.loose}
    first = min(u.start for u in layout_.units)
    out: list[str] = []
    sections = Sections()
    for number in layout_.loose:
        if number < first:
            out.append(layout_.lines[number])
            sections.feed(parsed[number], layout_.lines[number])
    current = sections.current
    symbols: set[str] = set()
    for unit in units:
        body = layout_.lines[unit.start : unit.end + 1]
        if (
            unit.section_before is not None
            and unit.section_before != current
            and not _enters_own_section([parse_line(line, layout_.arch) for line in body])
        ):
            out.append(unit.section_before)
        out.extend(body)
        current = unit.section_after
        symbols.update(unit.defines | unit.references)
    for number in layout_.loose:
        if number > first and _trailer_keeps(
            parsed[number], layout_.lines[number], frozenset(symbols)
        ):
            out.append(layout_.lines[number])
    text = "\n".join(out) + "\n"
    if len(functions) == 1:
        index = function_index("\n".join(layout_.lines[functions[0].start : functions[0].end + 1]))
        if index is not None:
            text = renumber(text, index)
    return text

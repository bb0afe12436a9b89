"""Folding ranges of IR and assembly: functions, runs of metadata and attribute groups,
multi-line instructions, and comment runs of three lines or more."""

from __future__ import annotations

from typing import NamedTuple

from lsp_server.syntax.asm import parse_asm
from lsp_server.syntax.index import ModuleIndex
from lsp_server.syntax.span import split_lines

_MIN_COMMENT_RUN = 3


class Fold(NamedTuple):
    """Lines ``start`` to ``end`` fold; ``kind`` is ``region`` or ``comment``."""

    start: int
    end: int
    kind: str


def _runs(lines: list[str], test: object, kind: str, minimum: int) -> list[Fold]:
    out: list[Fold] = []
    start = -1
    for number, line in enumerate([*lines, ""]):
        if test(line):  # type: ignore[operator]
            if start < 0:
                start = number
        else:
            if start >= 0 and number - start >= minimum:
                out.append(Fold(start, number - 1, kind))
            start = -1
    return out


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(";")


def ir_folds(index: ModuleIndex) -> list[Fold]:
    """Folds of an IR module."""
    lines = index.lines
    out = [Fold(e.start, e.end, "region") for e in index.functions if e.end > e.start]
    for entry in index.functions:
        for inst in entry.fi.insts:
            if inst.end_line > inst.line:
                out.append(Fold(inst.line + entry.start, inst.end_line + entry.start, "region"))
    out += _runs(lines, lambda line: line.startswith("!"), "region", 2)
    out += _runs(lines, lambda line: line.startswith("attributes #"), "region", 2)
    out += _runs(lines, _is_comment, "comment", _MIN_COMMENT_RUN)
    for glob in index.outline.globals:
        if glob.span.end.line > glob.span.start.line:
            out.append(Fold(glob.span.start.line, glob.span.end.line, "region"))
    out.sort()
    return out


def asm_folds(text: str) -> list[Fold]:
    """Folds of an assembly file: its functions and comment runs."""
    lines = split_lines(text)
    out = [
        Fold(fn.span.start.line, fn.span.end.line, "region")
        for fn in parse_asm(text).functions
        if fn.span.end.line > fn.span.start.line
    ]
    out += _runs(
        lines,
        lambda line: line.lstrip().startswith(("#", "//", ";", "@")),
        "comment",
        _MIN_COMMENT_RUN,
    )
    out.sort()
    return out

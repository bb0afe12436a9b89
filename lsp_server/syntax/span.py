"""Positions and ranges in a text, and the one definition of what a line is.

Every parser in ``syntax/`` reports 0-based lines and 0-based columns counted in
Python ``str`` indices (code points). The server converts them to LSP positions
(UTF-16 by default); nothing here knows about LSP.

Lines are separated by ``"\\r\\n"``, ``"\\r"`` or ``"\\n"``, the three breaks the LSP
specification recognises; :func:`split_lines` is the definition every parser uses so
that their line numbers agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, order=True)
class Pos:
    """A position: 0-based line, 0-based column in ``str`` indices."""

    line: int
    col: int


@dataclass(frozen=True)
class Span:
    """A range of text from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: Pos
    end: Pos

    def contains(self, line: int, col: int) -> bool:
        """Whether the position ``(line, col)`` lies in ``[start, end)``."""
        return self.start <= Pos(line, col) < self.end

    def contains_line(self, line: int) -> bool:
        """Whether any part of ``line`` is covered by the span."""
        return self.start.line <= line <= self.end.line


def split_lines(text: str) -> list[str]:
    """Split ``text`` into lines without their breaks.

    A text with ``n`` line breaks has ``n + 1`` lines (the last may be empty), so a
    position just after a final newline is still a valid ``(line, 0)``.
    """
    if "\r" not in text:
        # The common case; str.split is several times faster than the regex.
        return text.split("\n")
    return _LINE_BREAK.split(text)


def line_span(line: int, start_col: int, end_col: int) -> Span:
    """A span inside one line."""
    return Span(Pos(line, start_col), Pos(line, end_col))

"""Converting between tool/syntax positions (0-based line, str index) and LSP positions.

LSP columns count code units of the negotiated position encoding (UTF-16 unless the client
offered UTF-8 or UTF-32); LLVM tools report byte columns. IR is nearly always ASCII, where
all of these agree; :class:`Lines` keeps non-ASCII lines right too.
"""

from __future__ import annotations

import re

from lsprotocol import types

from lsp_server.syntax.span import Span, split_lines

_TOKEN_END = re.compile(r"[^\s,()\[\]{}<>]*")


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-8":
        # surrogatepass: a lone surrogate is 3 bytes, as U+FFFD, which it becomes at the
        # document boundary (features/documents.py); never an error.
        return len(ch.encode("utf-8", errors="surrogatepass"))
    if encoding == "utf-32":
        return 1
    return 2 if ord(ch) > 0xFFFF else 1


def index_in_line(text: str, character: int, encoding: str) -> int:
    """The str index in the line ``text`` (no line break) of ``character`` code units of
    ``encoding``; past the end of the line is its end."""
    if text.isascii():
        return min(max(character, 0), len(text))
    units = 0
    for i, ch in enumerate(text):
        if units >= character:
            return i
        units += _units(ch, encoding)
    return len(text)


class Lines:
    """A document's lines with conversions for one position encoding."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        # The syntax package's line breaks (LSP's: \\r\\n, \\r, \\n), so spans line up.
        self.lines = split_lines(text)
        self.encoding = str(encoding)

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def column(self, line: int, index: int) -> int:
        """Code units before str index ``index`` on ``line``."""
        prefix = self.line(line)[:index]
        if prefix.isascii():
            return len(prefix)
        return sum(_units(ch, self.encoding) for ch in prefix)

    def clamp(self, position: types.Position) -> types.Position:
        """``position`` moved into the document, as LSP asks: a line past the end is the end
        of the last line; a character past the end of its line is the line's end."""
        if position.line < len(self.lines):
            return position
        last = max(len(self.lines) - 1, 0)
        return self.position(last, len(self.line(last)))

    def index(self, position: types.Position) -> int:
        """The str index of an LSP position on its line."""
        return index_in_line(self.line(position.line), position.character, self.encoding)

    def position(self, line: int, index: int) -> types.Position:
        return types.Position(line=line, character=self.column(line, index))

    def range(self, span: Span) -> types.Range:
        return types.Range(
            start=self.position(span.start.line, span.start.col),
            end=self.position(span.end.line, span.end.col),
        )

    def token_range(self, line: int, byte_col: int) -> types.Range:
        """From a tool's byte column to the end of the token there (at least one character)."""
        text = self.line(line)
        start = len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        start = min(start, len(text))
        m = _TOKEN_END.match(text, start)
        end = m.end() if m and m.end() > start else min(start + 1, len(text))
        if end == start:  # an empty or past-the-end line: mark the whole line
            start, end = 0, len(text)
        return types.Range(start=self.position(line, start), end=self.position(line, end))

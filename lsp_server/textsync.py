"""Incremental document sync that costs the size of the edit, not of the document.

pygls applies an incremental change by splitting the whole document into lines and writing
every one of them again, on the event loop: on a 30 MB module each keystroke stalled every
other request for about 300 ms (the stress run's probe). Here a change finds its two offsets
by counting line breaks in C (``str.count`` and ``str.find``, in chunks) and splices the
text once. Lines break where LSP says they do (``\\n``, ``\\r\\n``, ``\\r``: what the rest
of irlens counts, see ``syntax/span.py``), not at every break ``str.splitlines`` knows; a
position past the end of its line is the line's end and a line past the end of the
document is the document's end, as LSP asks.

Architecture invariant: pure functions of text and positions; the protocol applies them.
"""

from __future__ import annotations

from lsprotocol import types

from lsp_server.features.positions import index_in_line
from lsp_server.syntax.span import split_lines

#: Characters counted at once while looking for a line's start.
_CHUNK = 1 << 16


def _line_start(text: str, line: int) -> int:
    """The offset where ``line`` starts in a text whose only line break is ``\\n`` (a
    ``\\r\\n`` ends at its ``\\n``), or -1 when the text has fewer lines."""
    if line <= 0:
        return 0
    seen, pos, size = 0, 0, len(text)
    while pos < size:
        end = min(pos + _CHUNK, size)
        count = text.count("\n", pos, end)
        if seen + count < line:
            seen, pos = seen + count, end
            continue
        while True:
            found = text.find("\n", pos, end)
            seen += 1
            if seen == line:
                return found + 1
            pos = found + 1
    return -1


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    """The str offset in ``text`` of the LSP ``position`` (clamped into the text)."""
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return _offset_by_lines(text, position, encoding)  # a lone \\r breaks lines too
    start = _line_start(text, position.line)
    if start < 0:
        return len(text)
    end = text.find("\n", start)
    if end < 0:
        end = len(text)
    elif end > start and text[end - 1] == "\r":
        end -= 1
    return start + index_in_line(text[start:end], position.character, encoding)


def _offset_by_lines(text: str, position: types.Position, encoding: str) -> int:
    """:func:`offset_of` for a text with lone ``\\r`` breaks: split it (slower, and rare)."""
    lines = split_lines(text)
    if position.line >= len(lines):
        return len(text)
    offset = 0
    for number in range(position.line):
        offset += len(lines[number])
        offset += 2 if text.startswith("\r\n", offset) else 1
    return offset + index_in_line(lines[position.line], position.character, encoding)


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, encoding: str) -> str:
    """``text`` after one ``didChange`` content change: a range edit or the whole text. A
    range whose end comes before its start inserts at the start."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text
    start = offset_of(text, change.range.start, encoding)
    end = max(start, offset_of(text, change.range.end, encoding))
    return text[:start] + change.text + text[end:]

"""Incremental sync (``lsp_server/textsync.py``) against a plain reference: the document split
into LSP lines, the position read on its line, the text spliced. Hypothesis draws texts with
every kind of line break and characters of every UTF-8 / UTF-16 width."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from lsp_server.features.positions import Lines
from lsp_server.textsync import _CHUNK, apply_change, offset_of

_PIECES = st.sampled_from(["a", "%x = add", "\n", "\r\n", "\r", "é", "😋", "\u2028", "\x0c", " "])
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)
_ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-32"])
_POSITIONS = st.builds(types.Position, line=st.integers(0, 12), character=st.integers(0, 12))


def _reference_offset(text: str, position: types.Position, encoding: str) -> int:
    """Where LSP puts ``position``: after the ``position.line``-th break (``\\r\\n``,
    ``\\r`` or ``\\n``), then ``position.character`` code units, within that line."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    return start + Lines(text, encoding).index(position)


@settings(max_examples=400, deadline=None)
@given(_TEXTS, _POSITIONS, _ENCODINGS)
def test_offsets_are_where_lsp_puts_them(text: str, position: types.Position, encoding: str):
    assert offset_of(text, position, encoding) == _reference_offset(text, position, encoding)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, _POSITIONS, _POSITIONS, st.text(max_size=5), _ENCODINGS)
def test_a_change_splices_the_range(text, start, end, new, encoding) -> None:
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=start, end=end), text=new
    )
    a = _reference_offset(text, start, encoding)
    b = max(a, _reference_offset(text, end, encoding))
    assert apply_change(text, change, encoding) == text[:a] + new + text[b:]


def test_lines_far_into_a_big_document_and_past_its_end() -> None:
    line = "  %v = add i32 %a, %b ; é\n"
    text = line * (3 * _CHUNK // len(line) + 7)
    count = text.count("\n")
    for number in (0, 1, count // 2, count - 1, count):
        at = types.Position(line=number, character=2)
        expected = min(number * len(line) + 2, len(text))
        assert offset_of(text, at, "utf-16") == expected
    assert offset_of(text, types.Position(line=count + 5, character=0), "utf-8") == len(text)
    # Past the end of a line is its end, before the break.
    assert offset_of(text, types.Position(line=1, character=999), "utf-16") == 2 * len(line) - 1
    crlf = text.replace("\n", "\r\n")
    assert (
        offset_of(crlf, types.Position(line=1, character=999), "utf-16") == 2 * (len(line) + 1) - 2
    )


def test_a_whole_text_change_replaces_the_text() -> None:
    change = types.TextDocumentContentChangeWholeDocument(text="new")
    assert apply_change("old", change, "utf-16") == "new"

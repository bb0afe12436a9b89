"""A small lexer for the shell commands in lit RUN lines.

It follows the subset lit's internal shell accepts: words with ``'...'``, ``"..."`` and
backslash quoting, pipes, ``&&``/``||``/``;`` sequences and redirections such as
``< %s``, ``> %t`` and ``2>&1``. Every character of a word's value remembers its offset
in the command, so a pass inside ``-passes='sroa,adce'`` can be mapped back to the
file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPERATOR_CHARS = "|&;<>"
# Redirections whose target is the next word.
_NEEDS_TARGET = frozenset({"<", ">", ">>", "&>", ">&", "<<"})
_SEPARATORS = frozenset({";", "&&", "||", "&"})
# A run of characters that need no quote handling.
_PLAIN = re.compile(r"[^\s|&;<>'\"\\]+")


@dataclass
class Word:
    """A shell word: its value after quote removal, and where each value char came from."""

    value: str
    offsets: list[int]
    start: int
    end: int

    def span_of(self, first: int, last: int) -> tuple[int, int]:
        """Command offsets covering ``value[first:last]`` (end exclusive)."""
        if not self.offsets:
            return self.end, self.end
        first = min(max(first, 0), len(self.offsets) - 1)
        if last <= first:
            return self.offsets[first], self.offsets[first]
        last = min(last, len(self.offsets))
        return self.offsets[first], self.offsets[last - 1] + 1


@dataclass
class Operator:
    """A pipe, sequence operator or redirection."""

    text: str
    start: int
    end: int


@dataclass
class Stage:
    """One command of a pipeline: its argument words and its redirections."""

    words: list[Word] = field(default_factory=list)
    redirects: list[tuple[str, Word | None]] = field(default_factory=list)


def _read_word(text: str, pos: int) -> tuple[Word, int]:
    """Read one word starting at ``pos``; return it and the offset after it."""
    start = pos
    chars: list[str] = []
    offsets: list[int] = []
    length = len(text)
    while pos < length:
        char = text[pos]
        if char.isspace() or char in _OPERATOR_CHARS:
            break
        if char == "'":
            close = text.find("'", pos + 1, length)
            if close < 0:
                close = length
            chars.append(text[pos + 1 : close])
            offsets.extend(range(pos + 1, close))
            pos = close + 1
        elif char == '"':
            pos += 1
            while pos < length and text[pos] != '"':
                if text[pos] == "\\" and pos + 1 < length and text[pos + 1] in '"\\$`':
                    pos += 1
                chars.append(text[pos])
                offsets.append(pos)
                pos += 1
            pos += 1
        elif char == "\\" and pos + 1 < length:
            chars.append(text[pos + 1])
            offsets.append(pos + 1)
            pos += 2
        else:
            plain = _PLAIN.match(text, pos)
            end = plain.end() if plain is not None else pos + 1
            chars.append(text[pos:end])
            offsets.extend(range(pos, end))
            pos = end
    pos = min(pos, length)
    return Word("".join(chars), offsets, start, pos), pos


def _read_operator(text: str, pos: int) -> tuple[Operator, int]:
    start = pos
    length = len(text)
    # An IO number: `2>`, `2>&1`, `1>>`.
    while pos < length and text[pos].isdigit():
        pos += 1
    two = text[pos : pos + 2]
    if two in ("||", "&&", ">>", "&>", ">&", "<<"):
        pos += 2
    else:
        pos += 1
    if text[pos - 1] == "&" and text[start:pos] != "&&" and pos < length and text[pos].isdigit():
        # `2>&1`, `>&2`: duplicating a descriptor needs no target word.
        while pos < length and text[pos].isdigit():
            pos += 1
        return Operator(text[start:pos], start, pos), pos
    return Operator(text[start:pos], start, pos), pos


def tokenize(text: str, pos: int = 0) -> list[Word | Operator]:
    """Split ``text[pos:]`` into words and operators. Never raises."""
    tokens: list[Word | Operator] = []
    length = len(text)
    while pos < length:
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char in _OPERATOR_CHARS:
            operator, pos = _read_operator(text, pos)
            tokens.append(operator)
            continue
        if char.isdigit():
            end = pos
            while end < length and text[end].isdigit():
                end += 1
            if end < length and text[end] in "<>":
                operator, pos = _read_operator(text, pos)
                tokens.append(operator)
                continue
        word, pos = _read_word(text, pos)
        tokens.append(word)
    return tokens


def read_word(text: str, pos: int) -> Word:
    """The single word starting at ``pos`` (for a flag found by a regex in prose)."""
    word, _ = _read_word(text, pos)
    return word


def _redirect_kind(operator: str) -> str:
    """``2>`` -> ``>``: the redirection without its IO number."""
    return operator.lstrip("0123456789")


def split_commands(tokens: list[Word | Operator]) -> list[list[Stage]]:
    """Group tokens into sequences (``;``, ``&&``, ``||``) of pipelines of stages (``|``)."""
    sequences: list[list[Stage]] = [[Stage()]]
    pending: str | None = None
    for token in tokens:
        stage = sequences[-1][-1]
        if isinstance(token, Word):
            if pending is not None:
                stage.redirects.append((pending, token))
                pending = None
            else:
                stage.words.append(token)
            continue
        if pending is not None:
            stage.redirects.append((pending, None))
            pending = None
        text = token.text
        if text == "|":
            sequences[-1].append(Stage())
        elif text in _SEPARATORS:
            sequences.append([Stage()])
        elif _redirect_kind(text) in _NEEDS_TARGET:
            pending = _redirect_kind(text)
        else:
            stage.redirects.append((_redirect_kind(text), None))
    if pending is not None:
        sequences[-1][-1].redirects.append((pending, None))
    return sequences

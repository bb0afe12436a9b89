"""Labels and symbols of an assembly file: where each is defined and used.

A name is defined by a label (``f:``, ``.LBB0_2:``) and used wherever it appears as a word
outside comments and strings: in operands (``jmp .LBB0_2``, ``call f``) and directives
(``.globl f``, ``.size f, .-f``). Never raises.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lsp_server.syntax.asm_lex import strip_comment
from lsp_server.syntax.asm_target import guess_target
from lsp_server.syntax.span import Pos, Span, split_lines

_LABEL = re.compile(r'\s*("[^"]*"|[A-Za-z_.$][\w.$@]*|\d+):(?!:)')
_WORD = re.compile(r'"(?:[^"\\]|\\.)*"?|[A-Za-z_.$][\w.$]*')


class AsmOccurrence(NamedTuple):
    """A name written at ``span``; ``is_def`` for its label."""

    span: Span
    is_def: bool


class AsmIndex(NamedTuple):
    """Every label's occurrences, by name."""

    names: dict[str, list[AsmOccurrence]]
    by_line: dict[int, list[tuple[int, int, str]]]


def build_asm_index(text: str) -> AsmIndex:
    """Index the labels of ``text`` and the words that name them."""
    arch = guess_target(text).arch
    lines = split_lines(text)
    defined: set[str] = set()
    pending: list[tuple[int, int, int, str, bool]] = []
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        code = raw
        if "/*" in code:
            code = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group()), code)
        if "#" in code or ";" in code or "/" in code:
            code = strip_comment(code, arch)
        pos = 0
        while True:
            label = _LABEL.match(code, pos)
            if label is None:
                break
            name = label.group(1)
            defined.add(name.strip('"'))
            pending.append((number, label.start(1), label.end(1), name.strip('"'), True))
            pos = label.end()
        for word in _WORD.finditer(code, pos):
            token = word.group()
            if token.startswith('"') and not token.endswith('"'):
                continue
            pending.append((number, word.start(), word.end(), token.strip('"'), False))
    names: dict[str, list[AsmOccurrence]] = {}
    by_line: dict[int, list[tuple[int, int, str]]] = {}
    for line, start, end, name, is_def in pending:
        if name not in defined:
            continue
        names.setdefault(name, []).append(
            AsmOccurrence(Span(Pos(line, start), Pos(line, end)), is_def)
        )
        by_line.setdefault(line, []).append((start, end, name))
    return AsmIndex(names, by_line)


def asm_name_at(index: AsmIndex, line: int, col: int) -> str | None:
    """The label name under (``line``, ``col``), the position just after it included."""
    for start, end, name in index.by_line.get(line, ()):
        if start <= col <= end:
            return name
    return None

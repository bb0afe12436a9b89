"""Labels and symbols of an assembly file: where each is defined and used.

A name is defined by a label (``f:``, ``.LBB0_2:``), an assignment (``.set f, g``,
``.equ f, 4``, ``f = 4``) or a common symbol (``.comm f, 8``), and used wherever it appears
as a word outside comments and strings: in operands (``jmp .LBB0_2``, ``call f@PLT``,
``movl $f, %eax``, ``adrp x8, :got:f``) and directives (``.globl f``, ``.size f, .-f``).
The mnemonic and the directive's own name are not uses. Words that name nothing defined
here (``memcpy``, ``eq``, ``lsl``) are kept too, so that a rename can tell a collision.
Never raises.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lsp_server.syntax.asm_lex import strip_comment
from lsp_server.syntax.asm_target import TargetGuess, guess_target
from lsp_server.syntax.span import Pos, Span, split_lines

_LABEL = re.compile(r'\s*("[^"]*"|[A-Za-z_.$][\w.$@]*|\d+):(?!:)')
# A word never starts inside a number (`0x1f`), after `@` (`f@PLT`'s relocation
# specifier) or `%` (an AT&T register); `$` marks an x86 immediate (`$f`), so it may
# only continue a word.
_WORD = re.compile(r'(?<![\w@%])(?:"(?:[^"\\]|\\.)*"?|[A-Za-z_.][\w.$]*)')
_FIRST = re.compile(r"\s*([A-Za-z_.][\w.$]*)")
_ASSIGN = re.compile(r'\s*("[^"]*"|[A-Za-z_.][\w.$]*)\s*=(?!=)')
# Directives whose first operand is the symbol they define.
_DEFINING = frozenset({".set", ".equ", ".equiv", ".eqv", ".comm", ".lcomm"})
# Directives whose quoted operands are strings or section names, never symbols.
_STRINGS = frozenset(
    {
        ".ascii",
        ".asciz",
        ".string",
        ".file",
        ".ident",
        ".section",
        ".pushsection",
        ".incbin",
        ".include",
        ".loc",
        ".cv_file",
    }
)


class AsmOccurrence(NamedTuple):
    """A name written at ``span``; ``is_def`` for its label or assignment."""

    span: Span
    is_def: bool


class AsmIndex(NamedTuple):
    """Every defined name's occurrences, by name, and what else the file's words are."""

    names: dict[str, list[AsmOccurrence]]
    by_line: dict[int, list[tuple[int, int, str]]]
    #: Every word of the code that may name a symbol, defined here or not: its first line.
    words: dict[str, int]
    #: Per line, the mnemonic or directive name: (start, end, word, "mnemonic"|"directive").
    heads: dict[int, tuple[int, int, str, str]]
    lines: list[str]
    target: TargetGuess


def code_of(line: str, arch: str | None) -> str:
    """``line`` with its comments blanked out, columns kept."""
    code = line
    if "/*" in code:
        code = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group()), code)
    if "#" in code or ";" in code or "/" in code:
        code = strip_comment(code, arch)
    return code


def build_asm_index(text: str) -> AsmIndex:
    """Index the labels and symbols of ``text`` and the words that name them."""
    target = guess_target(text)
    lines = split_lines(text)
    defined: set[str] = set()
    words: dict[str, int] = {}
    heads: dict[int, tuple[int, int, str, str]] = {}
    pending: list[tuple[int, int, int, str, bool]] = []
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        code = code_of(raw, target.arch)
        pos = 0
        while True:
            label = _LABEL.match(code, pos)
            if label is None:
                break
            name = label.group(1).strip('"')
            defined.add(name)
            words.setdefault(name, number)
            pending.append((number, label.start(1), label.end(1), name, True))
            pos = label.end()
        quoted = True
        assign = _ASSIGN.match(code, pos)
        head = _FIRST.match(code, pos)
        if assign is not None:
            name = assign.group(1).strip('"')
            defined.add(name)
            words.setdefault(name, number)
            pending.append((number, assign.start(1), assign.end(1), name, True))
            pos = assign.end()
        elif head is not None:
            word = head.group(1)
            kind = "directive" if word.startswith(".") else "mnemonic"
            heads[number] = (head.start(1), head.end(1), word, kind)
            pos = head.end()
            lowered = word.lower()
            quoted = lowered not in _STRINGS
            if lowered in _DEFINING:
                first = _WORD.search(code, pos)
                token = first.group() if first is not None else ""
                if first is not None and _complete(token):
                    name = token.strip('"')
                    defined.add(name)
                    words.setdefault(name, number)
                    pending.append((number, first.start(), first.end(), name, True))
                    pos = first.end()
        for match in _WORD.finditer(code, pos):
            token = match.group()
            if token.startswith('"') and not (quoted and _complete(token)):
                continue
            name = token.strip('"')
            words.setdefault(name, number)
            pending.append((number, match.start(), match.end(), name, False))
    names: dict[str, list[AsmOccurrence]] = {}
    by_line: dict[int, list[tuple[int, int, str]]] = {}
    for line, start, end, name, is_def in pending:
        if name not in defined:
            continue
        names.setdefault(name, []).append(
            AsmOccurrence(Span(Pos(line, start), Pos(line, end)), is_def)
        )
        by_line.setdefault(line, []).append((start, end, name))
    return AsmIndex(names, by_line, words, heads, lines, target)


def _complete(token: str) -> bool:
    """Whether a word is plain or a closed quoted name (``"a b"``, not ``"a b``)."""
    return not token.startswith('"') or (len(token) >= 2 and token.endswith('"'))


def asm_name_at(index: AsmIndex, line: int, col: int) -> str | None:
    """The label name under (``line``, ``col``), the position just after it included."""
    for start, end, name in index.by_line.get(line, ()):
        if start <= col <= end:
            return name
    return None

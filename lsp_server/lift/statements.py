"""One assembly line as a statement, the directive families, and the section in effect.

The small reader lifting's splitter needs: labels, a directive and its arguments, or an
instruction, with comments removed by the architecture's rules; which directives place,
name, align or hold data; and which section a line is in (``.text``, ``.section``,
``.pushsection``/``.popsection``, ``.previous``). Never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LABEL = re.compile(r'\s*("[^"]*"|[A-Za-z_.$][\w.$@]*|\d+)\s*:(?!:)')
_DIRECTIVE = re.compile(r"\s*(\.[A-Za-z_][\w.]*)\b\s*(.*)")
# A symbol operand; a leading `$` is x86's immediate marker (`movl $main.msg, %edi`).
_SYMBOL = re.compile(r'"[^"]*"|[A-Za-z_.][\w.$@]*')

SECTION_DIRECTIVES = frozenset(
    {".text", ".data", ".bss", ".section", ".pushsection", ".popsection", ".previous"}
)
SYMBOL_DIRECTIVES = frozenset(
    {
        ".globl",
        ".global",
        ".hidden",
        ".weak",
        ".local",
        ".protected",
        ".internal",
        ".type",
        ".private_extern",
        ".weak_definition",
        ".no_dead_strip",
        ".addrsig_sym",
    }
)
ALIGN_DIRECTIVES = frozenset(
    {".p2align", ".p2alignw", ".p2alignl", ".align", ".balign", ".balignw", ".balignl"}
)
DATA_DIRECTIVES = frozenset(
    {
        ".byte",
        ".short",
        ".hword",
        ".2byte",
        ".value",
        ".long",
        ".int",
        ".word",
        ".4byte",
        ".quad",
        ".xword",
        ".8byte",
        ".dword",
        ".octa",
        ".ascii",
        ".asciz",
        ".string",
        ".zero",
        ".space",
        ".skip",
        ".fill",
        ".float",
        ".single",
        ".double",
        ".reloc",
        ".uleb128",
        ".sleb128",
    }
)
# Directives that define a symbol without a label line.
DEFINING_DIRECTIVES = frozenset({".comm", ".lcomm", ".set", ".equ", ".equiv", ".zerofill"})
# Trailing directives about the whole file that every piece keeps.
FILE_DIRECTIVES = frozenset({".addrsig", ".subsections_via_symbols"})


@dataclass(frozen=True)
class Line:
    """One line's statement, comments removed."""

    labels: tuple[str, ...]
    directive: str | None
    args: str
    instruction: str | None
    blank: bool
    code: str


def strip_comment(line: str, arch: str | None) -> str:
    """``line`` without its comment: ``//`` always, ``#`` on x86 (aarch64 immediates keep it)."""
    cut = line.find("//")
    if cut >= 0:
        line = line[:cut]
    if arch != "aarch64":
        cut = line.find("#")
        # aarch64 writes immediates as #16; x86 comments start with #.
        if cut >= 0 and (arch == "x86_64" or not line[cut + 1 : cut + 2].isdigit()):
            line = line[:cut]
    elif line.lstrip().startswith(";"):
        return ""
    return line


def unquote(symbol: str) -> str:
    """``"a b"`` -> ``a b``; unquoted symbols are returned as they are."""
    return symbol[1:-1] if len(symbol) >= 2 and symbol[0] == symbol[-1] == '"' else symbol


def parse_line(raw: str, arch: str | None) -> Line:
    """The statement on one line: labels, then a directive or an instruction."""
    code = strip_comment(raw, arch)
    labels: list[str] = []
    pos = 0
    while (match := _LABEL.match(code, pos)) is not None:
        labels.append(unquote(match.group(1)))
        pos = match.end()
    rest = code[pos:].strip()
    directive = _DIRECTIVE.fullmatch(rest) if rest.startswith(".") else None
    return Line(
        labels=tuple(labels),
        directive=directive.group(1) if directive else None,
        args=directive.group(2).strip() if directive else "",
        instruction=rest if rest and directive is None else None,
        blank=not raw.strip(),
        code=code,
    )


def first_arg(args: str) -> str:
    """The first comma-separated argument of a directive, unquoted."""
    return unquote(args.split(",", 1)[0].strip())


class Sections:
    """The section in effect, following .text/.data/.section/.pushsection/.previous."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.previous: str | None = None
        self.stack: list[tuple[str | None, str | None]] = []

    def feed(self, line: Line, raw: str) -> None:
        name = line.directive
        if name not in SECTION_DIRECTIVES:
            return
        if name == ".previous":
            self.current, self.previous = self.previous, self.current
        elif name == ".popsection":
            if self.stack:
                self.current, self.previous = self.stack.pop()
        else:
            if name == ".pushsection":
                self.stack.append((self.current, self.previous))
            self.previous, self.current = self.current, section_line(raw, name)


def section_line(raw: str, name: str) -> str:
    """The directive that re-enters a section, from the line that entered it."""
    if name == ".pushsection":
        indent = raw[: len(raw) - len(raw.lstrip())]
        return indent + ".section" + raw.lstrip()[len(".pushsection") :].rstrip()
    return raw.rstrip()


def references(lines: Iterable[Line]) -> frozenset[str]:
    """Every symbol-like operand of the lines' directives and instructions."""
    found: set[str] = set()
    for line in lines:
        text = line.args if line.directive is not None else (line.instruction or "")
        found.update(unquote(m.group()) for m in _SYMBOL.finditer(text))
    return frozenset(found)

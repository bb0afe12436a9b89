"""Statements of GNU as assembly: each line's labels, then a directive or an instruction.

Shared by the outline (``asm.py``) and the target guess (``asm_target.py``). Comment
syntax depends on the architecture (``#`` is a comment on x86 and an immediate on
aarch64), so :func:`strip_comment` takes the architecture when it is known.
"""

from __future__ import annotations

import re
from typing import NamedTuple

SYMBOL = r'(?:"[^"]*"|[A-Za-z_.$][\w.$@]*|\d+)'
_LABEL = re.compile(r"\s*(" + SYMBOL + r")\s*:(?!:)")
_DIRECTIVE = re.compile(r"\s*(\.[A-Za-z_][\w.]*)\b\s*(.*)")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/")
# In x86 assembly `#` starts a comment anywhere; in aarch64 it marks an immediate
# (`#16`, `#-32`, `#:lo12:sym`). Treat it as a comment unless it looks like one.
_HASH_COMMENT = re.compile(r"#(?![-+:0-9(]|0x)")


def strip_comment(line: str, arch: str | None) -> str:
    """``line`` without its comment, for the comment syntax of ``arch``."""
    if "/*" in line:
        line = _BLOCK_COMMENT.sub(" ", line)
    cut = line.find("//")
    if cut >= 0:
        line = line[:cut]
    if "#" in line:
        if arch == "x86_64":
            line = line[: line.find("#")]
        elif arch == "aarch64":
            if line.lstrip().startswith("#"):
                return ""
        else:
            match = _HASH_COMMENT.search(line)
            if match is not None:
                line = line[: match.start()]
    if ";" in line and arch == "aarch64":
        # Darwin arm64 assembly uses `;` for comments.
        line = line[: line.find(";")]
    return line


def unquote(symbol: str) -> str:
    """``"a b"`` -> ``a b``; other symbols as they are."""
    return symbol[1:-1] if len(symbol) >= 2 and symbol[0] == '"' and symbol[-1] == '"' else symbol


class Statement(NamedTuple):
    """A line's content, comments removed: its labels, then a directive or instruction."""

    labels: tuple[str, ...]
    directive: tuple[str, str] | None
    instruction: str | None


def statement_of(code: str) -> Statement:
    """The statement in ``code`` (a line with its comment already removed)."""
    labels: list[str] = []
    pos = 0
    while True:
        match = _LABEL.match(code, pos)
        if match is None:
            break
        labels.append(unquote(match.group(1)))
        pos = match.end()
    rest = code[pos:].strip()
    if not rest:
        return Statement(tuple(labels), None, None)
    directive = _DIRECTIVE.fullmatch(rest)
    if directive is not None and rest.startswith("."):
        return Statement(tuple(labels), (directive.group(1), directive.group(2).strip()), None)
    return Statement(tuple(labels), None, rest)


def split_instruction(instruction: str) -> tuple[str, str]:
    """``"movq\\t%rsp, %rbp"`` -> ``("movq", "%rsp, %rbp")``; the mnemonic lowercased."""
    parts = instruction.split(None, 1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


#: The statement of a blank or comment-only line.
EMPTY = Statement((), None, None)


def neutral_statements(lines: list[str]) -> list[Statement]:
    """Statements read with the comment rules that hold for every architecture."""
    return [statement_of(strip_comment(line, None)) if line.strip() else EMPTY for line in lines]

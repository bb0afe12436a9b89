"""Rename a label or symbol of an assembly file, keeping what it assembles to.

The renamed file must assemble (``llvm-mc -filetype=obj``) to the same object with only that
name changed in the symbol table (tests check it over the corpus, x86_64 and aarch64). So a
rename is refused when the new name is not a plain assembler symbol, is already a word of
the file (a label, a symbol defined elsewhere such as ``memcpy``, an operand keyword such as
``eq``), would read as a register of the file's target, or would move the name in or out of
the assembler-local ``.L`` names (which never reach the symbol table). Names this file does
not define are refused too: renaming ``memcpy`` would call another function.
"""

from __future__ import annotations

import re

from lsp_server.ide.rename import Edit, Refusal, Target
from lsp_server.syntax.asm_index import AsmIndex, asm_name_at, code_of
from lsp_server.syntax.span import Span

# What GNU as and llvm-mc read as one plain symbol, less `$` first (an x86 immediate) and
# `.` first outside `.L` (where directives and section names live).
_PLAIN = re.compile(r"[A-Za-z_][\w.$]*|\.L[\w.$]+")
_X86_REGISTER = re.compile(
    r"[re]?(?:ax|bx|cx|dx|si|di|bp|sp|ip)|[abcd][lh]|(?:si|di|bp|sp)l|r(?:[89]|1[0-5])[dwb]?"
    r"|[xyz]mm(?:[12]?\d|3[01])|k[0-7]|mm[0-7]|st|[cdefgs]s|cr(?:1[0-5]|\d)|dr[0-7]|tmm[0-7]",
    re.IGNORECASE,
)
_A64_REGISTER = re.compile(
    r"[xw](?:[12]?\d|30)|[xw]zr|w?sp|lr|fp|ip[01]|[vzqdshb](?:[12]?\d|3[01])|p(?:1[0-5]|\d)"
    r"|za|zt0|nzcv|fpcr|fpsr",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[%$#]?[\w.$]+")
_NUMBER = re.compile(r"[#$]?[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')
_NUMERIC_LABEL = re.compile(r"\d+[bf]")


def is_register(name: str, arch: str | None) -> bool:
    """Whether ``name`` reads as a register of ``arch`` (either target's when unknown)."""
    if arch != "aarch64" and _X86_REGISTER.fullmatch(name):
        return True
    return arch != "x86_64" and _A64_REGISTER.fullmatch(name) is not None


def _is_local(name: str, triple: str | None) -> bool:
    """Whether ``name`` is assembler-local: never written to the object's symbol table."""
    if triple is not None and "apple" in triple:
        return name.startswith(("L", "l"))
    return name.startswith(".L")


def _refuse_old(name: str) -> Refusal | None:
    if name.isdigit():
        return Refusal(
            f"{name}: is a numeric local label (used as {name}b or {name}f); "
            "numeric labels are not renamed"
        )
    if name.startswith("$"):
        return Refusal(f"{name} starts with $, which x86 reads as an immediate; not renamed")
    return None


def _occurrence_span(index: AsmIndex, name: str, line: int, col: int) -> Target:
    for occ in index.names[name]:
        if occ.span.start.line == line and occ.span.start.col <= col <= occ.span.end.col:
            return Target(occ.span, name)
    first = index.names[name][0]
    return Target(first.span, name)


def _renamable_at(index: AsmIndex, line: int, col: int) -> str | Refusal:
    """The label or symbol under the cursor when it may be renamed, else why not."""
    name = asm_name_at(index, line, col)
    if name is None:
        return Refusal(what_is_at(index, line, col))
    refusal = _refuse_old(name)
    return refusal if refusal is not None else name


def prepare_asm_rename(index: AsmIndex, line: int, col: int) -> Target | Refusal:
    """The label or symbol under the cursor when it can be renamed, else why not."""
    name = _renamable_at(index, line, col)
    if isinstance(name, Refusal):
        return name
    return _occurrence_span(index, name, line, col)


def what_is_at(index: AsmIndex, line: int, col: int) -> str:
    """Why the cursor is on nothing to rename: what is there instead, for the user."""
    raw = index.lines[line] if 0 <= line < len(index.lines) else ""
    code = code_of(raw, index.target.arch)
    end = len(code.rstrip())
    blanked = col < len(code) and code[col] != raw[col]
    if blanked or (col >= end and raw[end:].strip() and col < len(raw)):
        return "this is a comment: only labels and symbols can be renamed"
    head = index.heads.get(line)
    if head is not None and head[0] <= col <= head[1]:
        what = "a directive" if head[3] == "directive" else "an instruction mnemonic"
        return f"{head[2]} is {what}: only labels and symbols can be renamed"
    string = next((m for m in _STRING.finditer(code) if m.start() < col < m.end()), None)
    if string is not None:
        return "this is inside a string: only labels and symbols can be renamed"
    token = next((m for m in _TOKEN.finditer(code) if m.start() <= col <= m.end()), None)
    if token is None:
        return "there is no label or symbol here to rename"
    text = token.group()
    if text.startswith("%") or is_register(text.lstrip("#"), index.target.arch):
        return f"{text} is a register: only labels and symbols can be renamed"
    if _NUMERIC_LABEL.fullmatch(text):
        return f"{text} refers to a numeric local label; numeric labels are not renamed"
    if _NUMBER.fullmatch(text):
        return f"{text} is a number: only labels and symbols can be renamed"
    if token.start() > 0 and code[token.start() - 1] == "@":
        return f"@{text} is a relocation specifier: only labels and symbols can be renamed"
    if text in index.words:
        return (
            f"{text} is not defined in this file (an external symbol or an operand keyword): "
            "renaming it here would make it name something else"
        )
    return "there is no label or symbol here to rename"


def _refuse_new(index: AsmIndex, old: str, new: str) -> Refusal | None:
    if not new:
        return Refusal("the new name is empty")
    if new.startswith('"'):
        return Refusal(f"{new}: quoted symbol names are not supported; choose a plain name")
    if new[0].isdigit():
        return Refusal(f"{new} starts with a digit: the assembler reads it as a number")
    if _PLAIN.fullmatch(new) is None:
        return Refusal(
            f"{new} is not a plain assembler symbol: letters, digits and _.$, starting with "
            "a letter or _ (or .L for an assembler-local label)"
        )
    arch = index.target.arch
    if is_register(new, arch):
        where = f"on {arch}" if arch else "on x86_64 or aarch64 (the target is not known)"
        return Refusal(f"{new} is a register {where}: it would not read as a symbol")
    defined = index.names.get(new)
    if defined is not None:
        at = next((o for o in defined if o.is_def), defined[0]).span.start.line + 1
        return Refusal(f"{new} is already defined in this file (line {at})")
    if new in index.words:
        at = index.words[new] + 1
        return Refusal(f"{new} is already used in this file (line {at}); choose another name")
    triple = index.target.triple
    if _is_local(old, triple) != _is_local(new, triple):
        local = ".L" if triple is None or "apple" not in triple else "L"
        if _is_local(old, triple):
            return Refusal(
                f"{old} is assembler-local ({local}...), {new} is not: it would become a "
                f"symbol of the object file; keep the {local} prefix"
            )
        return Refusal(
            f"{new} is assembler-local ({local}...): {old} would leave the object's symbol "
            "table; choose a name without that prefix"
        )
    return None


def asm_rename(index: AsmIndex, line: int, col: int, new_name: str) -> list[Edit] | Refusal:
    """The edits that rename the label or symbol under the cursor to ``new_name``."""
    name = _renamable_at(index, line, col)
    if isinstance(name, Refusal):
        return name
    new = new_name.strip()
    if new == name:
        return []
    refusal = _refuse_new(index, name, new)
    if refusal is not None:
        return refusal
    return [Edit(occ.span, _spelled(index, occ.span, new)) for occ in index.names[name]]


def _spelled(index: AsmIndex, span: Span, new: str) -> str:
    """``new`` as the occurrence at ``span`` writes its name: quoted where it was quoted."""
    text = index.lines[span.start.line] if span.start.line < len(index.lines) else ""
    return f'"{new}"' if text[span.start.col : span.start.col + 1] == '"' else new

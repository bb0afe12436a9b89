"""The type of a value, read from the text of its definition.

Not a type checker: it reads what the instruction writes (``add i32``, ``load ptr``,
``zext i8 %x to i64``, ``icmp`` -> ``i1``), which covers what the hover shows. ``None``
where the text does not say (an ``extractvalue``'s element, for one).
"""

from __future__ import annotations

import re

_BINARY = frozenset(
    [
        "add",
        "sub",
        "mul",
        "udiv",
        "sdiv",
        "urem",
        "srem",
        "shl",
        "lshr",
        "ashr",
        "and",
        "or",
        "xor",
        "fadd",
        "fsub",
        "fmul",
        "fdiv",
        "frem",
        "fneg",
        "freeze",
    ]
)
_CASTS = frozenset(
    [
        "trunc",
        "zext",
        "sext",
        "fptrunc",
        "fpext",
        "fptoui",
        "fptosi",
        "uitofp",
        "sitofp",
        "ptrtoint",
        "inttoptr",
        "bitcast",
        "addrspacecast",
    ]
)
_FLAGS = frozenset(
    [
        "nuw",
        "nsw",
        "exact",
        "disjoint",
        "nneg",
        "fast",
        "nnan",
        "ninf",
        "nsz",
        "arcp",
        "contract",
        "afn",
        "reassoc",
        "samesign",
        "volatile",
        "atomic",
        "inbounds",
        "inrange",
        "tail",
        "musttail",
        "notail",
    ]
)
_WORD = re.compile(r"[A-Za-z_][\w.]*|%(?:\"[^\"]*\"|[-\w$.]+)|\S")
_SIMPLE = re.compile(r"(?:[A-Za-z_][\w.]*|%(?:\"[^\"]*\"|[-\w$.]+))")


def read_type(text: str, pos: int) -> tuple[str, int]:
    """The type written at ``text[pos:]`` (leading blanks skipped) and where it ends."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    start = pos
    if pos >= len(text):
        return "", pos
    ch = text[pos]
    if ch in "{[<":
        pos = _balanced(text, pos)
    else:
        match = _SIMPLE.match(text, pos)
        if match is None:
            return "", pos
        pos = match.end()
    # Suffixes: `addrspace(N)`, `*`, and a function type's parameter list.
    while True:
        rest = text[pos:]
        stripped = rest.lstrip()
        skip = len(rest) - len(stripped)
        if stripped.startswith("addrspace("):
            pos = _balanced(text, pos + skip + len("addrspace"))
        elif stripped.startswith("*"):
            pos += skip + 1
        elif stripped.startswith("(") and text[start:pos].strip() not in ("",):
            # `i32 (i32)*` is a type only when followed by `*`; a call's argument list is not.
            end = _balanced(text, pos + skip)
            if text[end:].lstrip().startswith("*"):
                pos = end
            else:
                break
        else:
            break
    return text[start:pos].strip(), pos


def _balanced(text: str, pos: int) -> int:
    """The index just after the bracket group opening at ``pos``."""
    opening = "{[<("
    closing = "}]>)"
    depth = 0
    index = pos
    while index < len(text):
        ch = text[index]
        if ch in opening:
            depth += 1
        elif ch in closing:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def _after_flags(text: str, pos: int) -> int:
    while True:
        match = re.compile(r"\s*([a-z_]+)\b").match(text, pos)
        if match is None or match.group(1) not in _FLAGS:
            return pos
        pos = match.end()


def result_type(text: str, opcode: str) -> str | None:
    """The type of the value the instruction ``text`` (``%x = ...`` or bare) defines."""
    body = re.sub(r'^\s*%(?:"[^"]*"|[-\w$.]+)\s*=\s*', "", text)
    word = re.match(r"\s*[A-Za-z_][\w.]*", body)
    if word is None:
        return None
    pos = word.end()
    if opcode in ("tail", "musttail", "notail") or opcode == "call":
        call = re.search(r"\bcall\b", body)
        pos = call.end() if call else pos
        opcode = "call"
    if opcode in _BINARY or opcode in ("phi", "load", "atomicrmw", "landingpad", "select"):
        pos = _after_flags(body, pos)
        if opcode == "atomicrmw":
            op = re.match(r"\s*\w+", body[pos:])
            pos += op.end() if op else 0
            _ptr, pos = read_type(body, pos)
            comma = body.find(",", pos)
            return read_type(body, comma + 1)[0] if comma >= 0 else None
        if opcode == "select":
            comma = _top_comma(body, pos)
            return read_type(body, comma + 1)[0] if comma >= 0 else None
        if opcode in _BINARY and opcode == "fneg":
            return read_type(body, pos)[0] or None
        return read_type(body, pos)[0] or None
    if opcode in _CASTS:
        to = body.rfind(" to ")
        return read_type(body, to + 4)[0] if to >= 0 else None
    if opcode in ("icmp", "fcmp"):
        pos = _after_flags(body, pos)
        pred = re.match(r"\s*\w+", body[pos:])
        pos += pred.end() if pred else 0
        operand, _ = read_type(body, pos)
        vector = re.match(r"<\s*(vscale\s+x\s+)?(\d+)\s*x", operand)
        if vector is not None:
            return f"<{vector.group(1) or ''}{vector.group(2)} x i1>"
        return "i1"
    if opcode in ("alloca",):
        space = re.search(r"addrspace\((\d+)\)\s*$", body)
        return f"ptr addrspace({space.group(1)})" if space else "ptr"
    if opcode == "getelementptr":
        return "ptr"
    if opcode in ("call", "invoke", "callbr"):
        pos = _skip_call_prefix(body, pos)
        found, _end = read_type(body, pos)
        return found or None
    if opcode == "va_arg":
        comma = _top_comma(body, pos)
        return read_type(body, comma + 1)[0] if comma >= 0 else None
    if opcode in ("insertelement", "insertvalue", "shufflevector"):
        found = read_type(body, pos)[0]
        if opcode == "shufflevector":
            mask = re.search(r",\s*<\s*(\d+)\s*x\s*i32\s*>", body)
            element = re.match(r"<\s*(?:vscale\s+x\s+)?\d+\s*x\s*(.+)>", found)
            if mask and element:
                return f"<{mask.group(1)} x {element.group(1).strip()}>"
        return found or None
    if opcode == "extractelement":
        found = read_type(body, pos)[0]
        element = re.match(r"<\s*(?:vscale\s+x\s+)?\d+\s*x\s*(.+)>", found)
        return element.group(1).strip() if element else None
    if opcode == "cmpxchg":
        comma = _top_comma(body, pos)
        value = read_type(body, comma + 1)[0] if comma >= 0 else ""
        return f"{{ {value}, i1 }}" if value else None
    if opcode in ("catchpad", "cleanuppad", "catchswitch"):
        return "token"
    return None


_CALL_WORDS = re.compile(
    r"\s*(?:fast|nnan|ninf|nsz|arcp|contract|afn|reassoc|zeroext|signext|inreg|noalias|nonnull|"
    r"noundef|[a-z_0-9]*cc|cc\s+\d+|dereferenceable(?:_or_null)?\(\d+\)|align\s+\d+|"
    r"range\([^)]*\)|nofpclass\([^)]*\)|addrspace\(\d+\))\b"
)


def _skip_call_prefix(text: str, pos: int) -> int:
    while True:
        match = _CALL_WORDS.match(text, pos)
        if match is None or match.end() == pos:
            return pos
        pos = match.end()


def _top_comma(text: str, pos: int) -> int:
    depth = 0
    for index in range(pos, len(text)):
        ch = text[index]
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            return index
    return -1

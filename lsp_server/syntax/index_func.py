"""Index one function definition: its parameters, blocks, instructions, names and uses.

Reads what LLVM's parser would: the implicit numbering of unnamed parameters, blocks and
values (``%0``, ``%1``, ... in order), blocks ending at their terminator, and the operands
of ``phi``. It never rejects text; what LLVM would reject is recorded as a problem.
"""

from __future__ import annotations

import re

from lsp_server.syntax.index_lex import (
    CALL_OPCODES,
    LABEL_DEF,
    NAME_TOKEN,
    RESULT,
    TERMINATORS,
    VOID_OPCODES,
    WORD,
    bracket_delta,
    call_returns_void,
    code_part,
    name_of,
    unquote_name,
)
from lsp_server.syntax.index_model import (
    Arg,
    Block,
    Def,
    FunctionIndex,
    Inst,
    LocalUse,
    Problem,
    Ref,
)

# A line that cannot start an instruction continues the one before (`invoke`'s
# `to label %a unwind label %b` is often on its own line).
_CONTINUATION = re.compile(r"\s*(?:(?:to|unwind)\b|[\[\]),])")
# NamedTuple's own constructor is a Python function; tuple.__new__ is several times faster
# and gives the same value.
_new = tuple.__new__
_LOCAL = r'%(?:"[^"]*"|[-a-zA-Z$._0-9]+)'
# A phi operand pair whose value is a local: `[ %v, %bb ]`.
_PHI_PAIR = re.compile(r"\[\s*(" + _LOCAL + r")\s*,\s*(" + _LOCAL + r")\s*\]")
_BLOCKADDRESS = re.compile(r"\bblockaddress\s*\(")


def _key_of(token: str) -> str:
    """The key of a sigiled token (``#0`` stays as it is)."""
    if token[0] == "#":
        return token
    return token[0] + name_of(token)


class _Builder:
    """State while reading one function."""

    def __init__(self, name: str, n_lines: int) -> None:
        self.name = name
        self.n_lines = n_lines
        self.refs: list[Ref] = []
        self.by_key: dict[str, list[int]] = {}
        self.defs: dict[str, Def] = {}
        self.args: list[Arg] = []
        self.blocks: list[Block] = []
        self.insts: list[Inst] = []
        self.uses: list[LocalUse] = []
        self.problems: list[Problem] = []
        self.counter = 0
        self.block_open = False
        self.numbered: list[tuple[str, bool]] = []

    def add_ref(self, key: str, line: int, start: int, end: int, is_def: bool) -> int:
        index = len(self.refs)
        self.refs.append(_new(Ref, (key, line, start, end, is_def)))
        found = self.by_key.get(key)
        if found is None:
            self.by_key[key] = [index]
        else:
            found.append(index)
        return index

    def define(self, key: str, kind: str, where: int, ref: int | None) -> None:
        """Record a local definition; a second one is a problem, the first one wins."""
        if key in self.defs:
            if ref is not None:
                found = self.refs[ref]
                self.problems.append(
                    Problem(
                        "duplicate-definition",
                        f"{key} is already defined in @{self.name}",
                        found.line,
                        found.start,
                        found.end,
                    )
                )
            return
        self.defs[key] = _new(Def, (kind, where, ref))

    def number(self, key: str, ref: int | None, line: int, col: int) -> None:
        """Take the next number for ``key``: implicit, or an explicit one, which LLVM
        (since 19) accepts when it is at least the next number."""
        name = key[1:]
        if not name.isdigit():
            return
        value = int(name)
        self.numbered.append((key, ref is not None))
        if value < self.counter:
            found = self.refs[ref] if ref is not None else Ref(key, line, col, col, True)
            self.problems.append(
                Problem(
                    "numbering",
                    f"{key} is out of order: unnamed values are numbered in order, "
                    f"and the next one must be %{self.counter} or greater",
                    found.line,
                    found.start,
                    found.end,
                )
            )
            return
        self.counter = value + 1

    def scan_names(
        self, code: str, line: int, offset: int, inst: int, skip: int = -1
    ) -> list[tuple[str, int]]:
        """Record every name in ``code`` (a part of line ``line`` starting at column
        ``offset``) as a use; returns the local uses as (key, ref index)."""
        # The hot loop of the indexer: refs are built with tuple.__new__ and the key of
        # an unquoted token is the token itself.
        locals_: list[tuple[str, int]] = []
        refs = self.refs
        by_key = self.by_key
        for match in NAME_TOKEN.finditer(code):
            token = match.group()
            first = token[0]
            if first == '"' or first == "c":
                continue
            if first == ";":
                break
            start = match.start()
            if start == skip:
                continue
            end = match.end()
            if first == "#":
                if not token[1:].isdigit():
                    continue
                key = token
            elif token[1:2] == '"':
                if first == "!":
                    continue  # a metadata string
                key = first + name_of(token)
            elif first == "!" and code[end : end + 1] == "(":
                continue  # a specialized node such as !DILocation(
            else:
                key = token
            index = len(refs)
            refs.append(_new(Ref, (key, line, offset + start, offset + end, False)))
            found = by_key.get(key)
            if found is None:
                by_key[key] = [index]
            else:
                found.append(index)
            if first == "%":
                locals_.append((key, index))
        return locals_


def split_params(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each top-level comma-separated part of ``text``."""
    parts: list[tuple[int, int]] = []
    depth = 0
    start = 0
    in_string = False
    for index, ch in enumerate(text):
        if ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append((start, index))
            start = index + 1
    parts.append((start, len(text)))
    return parts


def matching_paren(text: str, open_index: int) -> int:
    """The index of the ``)`` closing the ``(`` at ``open_index``, or ``len(text)``."""
    depth = 0
    in_string = False
    for index in range(open_index, len(text)):
        ch = text[index]
        if ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(text)


class _Text:
    """Several lines' code joined by newlines, with a way back to (line, column)."""

    def __init__(self, lines: list[str], first: int, last: int, first_col: int) -> None:
        parts: list[str] = []
        self.starts: list[int] = []
        self.first = first
        pos = 0
        for line in range(first, last + 1):
            code = code_part(lines[line])
            if line == first:
                code = " " * first_col + code[first_col:]
            self.starts.append(pos)
            parts.append(code)
            pos += len(code) + 1
        self.text = "\n".join(parts)

    def where(self, index: int) -> tuple[int, int]:
        """The (relative line, column) of ``index`` in the joined text."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return self.first + lo, index - self.starts[lo]


def _header(b: _Builder, lines: list[str], name_line: int, name_end: int, body_line: int) -> None:
    """Names of the header: the function's own (its definition), parameters, and the rest."""
    header = _Text(lines, name_line, body_line, name_end)
    text = header.text
    # The body's `{` is the last one of the header text outside brackets; names after it
    # belong to the body.
    brace = _body_brace(text)
    if brace >= 0:
        text = text[:brace]
    open_index = text.find("(")
    close = matching_paren(text, open_index) if open_index >= 0 else -1
    params: list[tuple[int, int]] = []
    if open_index >= 0:
        inner = text[open_index + 1 : close]
        params = [(open_index + 1 + s, open_index + 1 + e) for s, e in split_params(inner)]
    arg_starts: set[int] = set()
    for start, end in params:
        part = text[start:end]
        stripped = part.strip()
        if not stripped or stripped == "...":
            continue
        # The parameter's name is its last top-level token when that is a `%` name and
        # not its only token (a lone `%T` is a type).
        tokens = [m for m in NAME_TOKEN.finditer(part) if m.group()[0] == "%"]
        last = tokens[-1] if tokens else None
        ref: int | None = None
        if (
            last is not None
            and part[last.end() :].strip() == ""
            and part[: last.start()].strip() != ""
            and _depth_at(part, last.start()) == 0
        ):
            key = "%" + name_of(last.group())
            line, col = header.where(start + last.start())
            ref = b.add_ref(key, line, col, col + len(last.group()), True)
            arg_starts.add(start + last.start())
            type_text = part[: last.start()].strip()
        else:
            key = f"%{b.counter}"
            type_text = stripped
        line, col = header.where(start + len(part.rstrip()))
        b.number(key, ref, line, col)
        index = len(b.args)
        b.args.append(Arg(key, type_text, ref, line, col))
        b.define(key, "arg", index, ref)
    for match in NAME_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in '";c' or (first == "#" and not token[1:].isdigit()):
            continue
        if first == "!" and (token[1:2] == '"' or text[match.end() : match.end() + 1] == "("):
            continue
        if first == "%":
            if match.start() in arg_starts:
                continue
            key = "T" + name_of(token)  # any other `%` name in a header is a type
        else:
            key = _key_of(token)
        line, col = header.where(match.start())
        b.add_ref(key, line, col, col + len(token), False)


def _body_brace(text: str) -> int:
    """The index of the ``{`` that opens the body in a header's text, or -1."""
    depth = 0
    in_string = False
    for index, ch in enumerate(text):
        if ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch in "([<":
            depth += 1
        elif ch in ")]>":
            depth -= 1
        elif ch == "{" and depth == 0:
            return index
    return -1


def _depth_at(text: str, index: int) -> int:
    depth = 0
    for ch in text[:index]:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
    return depth


def index_function(
    lines: list[str], name: str, name_start: int, name_line: int, name_end: int, last_line: int
) -> FunctionIndex:
    """Index the function whose lines are ``lines`` (relative: line 0 is ``define``).

    ``name_line``, ``name_start`` and ``name_end`` locate its ``@name``; ``last_line`` is
    the line holding the ``}`` that closes the body.
    """
    b = _Builder(name, len(lines))
    b.add_ref("@" + name, name_line, name_start, name_end, True)
    body_line, brace_col = _find_body_line(lines, name_line, name_end, last_line)
    _header(b, lines, name_line, name_end, body_line)
    # Names before `@name` on the define line (return type, attributes) are uses.
    for line in range(0, name_line + 1):
        code = code_part(lines[line])[: name_start if line == name_line else None]
        for match in NAME_TOKEN.finditer(code):
            token = match.group()
            if token[0] in '";c' or (token[0] == "#" and not token[1:].isdigit()):
                continue
            key = "T" + name_of(token) if token[0] == "%" else _key_of(token)
            b.add_ref(key, line, match.start(), match.end(), False)
    _body(b, lines, body_line, brace_col, last_line)
    return FunctionIndex(
        name=name,
        n_lines=len(lines),
        args=b.args,
        blocks=b.blocks,
        insts=b.insts,
        refs=b.refs,
        by_key=b.by_key,
        defs=b.defs,
        uses=b.uses,
        problems=b.problems,
        body_line=body_line,
        numbered=b.numbered,
    )


def _find_body_line(
    lines: list[str], name_line: int, name_end: int, last_line: int
) -> tuple[int, int]:
    """The line and column of the ``{`` that opens the body (end of ``last_line`` if none)."""
    stop = min(last_line, len(lines) - 1, name_line + 32)
    header = _Text(lines, name_line, stop, name_end)
    brace = _body_brace(header.text)
    if brace < 0:
        return last_line, len(lines[last_line]) if last_line < len(lines) else 0
    return header.where(brace)


def _start_block(b: _Builder, key: str, label_ref: int | None, line: int) -> None:
    b.blocks.append(Block(key, label_ref, line, line, len(b.insts), len(b.insts)))
    b.define(key, "block", len(b.blocks) - 1, label_ref)
    b.block_open = True


def _body(b: _Builder, lines: list[str], body_line: int, brace_col: int, last_line: int) -> None:
    """Blocks and instructions from the ``{`` at (``body_line``, ``brace_col``) through
    ``last_line``."""
    pending: Inst | None = None
    depth = 0
    for line in range(body_line, min(last_line, len(lines) - 1) + 1):
        raw = lines[line]
        offset = 0
        if line == body_line:
            offset = brace_col + 1
            code = code_part(raw[offset:])
        else:
            code = code_part(raw)
        if line == last_line:
            close = code.rfind("}")
            if close >= 0:
                code = code[:close]
        if not code or code.isspace():
            continue
        if pending is not None and (depth > 0 or _CONTINUATION.match(code) is not None):
            # A continuation line of a multi-line instruction (a `switch` table).
            _operands(b, pending, code, line, offset, len(b.insts) - 1)
            pending.text += "\n" + code.strip()
            pending.end_line = line
            b.blocks[-1].end_line = line
            depth += bracket_delta(code)
            if depth <= 0 and pending.opcode in TERMINATORS:
                b.block_open = False
            continue
        pending = None
        stripped = code.lstrip()
        first = stripped[:1]
        if first != "%" and first != "#":
            label = LABEL_DEF.match(code)
            if label is not None:
                if label.group(1) is not None:
                    key = "%" + label.group(1)
                    start, end = label.start(1), label.end(1)
                else:
                    key = "%" + unquote_name(label.group(2))
                    start, end = label.start(2) - 1, label.end(2) + 1
                ref = b.add_ref(key, line, offset + start, offset + end, True)
                b.number(key, ref, line, offset + start)
                _start_block(b, key, ref, line)
                rest = code[label.end() :]
                if not rest or rest.isspace():
                    continue
                offset += label.end()
                code = rest
                stripped = code.lstrip()
        if stripped.startswith("#dbg_"):
            for _key, ref in b.scan_names(code, line, offset, -1):
                b.uses.append(LocalUse(ref, max(len(b.insts) - 1, 0), None, True))
            continue
        if not b.block_open:
            # An instruction after a terminator with no label: an unnamed block.
            key = f"%{b.counter}"
            b.number(key, None, line, offset)
            _start_block(b, key, None, line)
        pending = _instruction(b, code, line, offset)
        depth = bracket_delta(code)
        if depth <= 0 and pending.opcode in TERMINATORS:
            b.block_open = False


def _instruction(b: _Builder, code: str, line: int, offset: int) -> Inst:
    """Record the instruction starting in ``code``; returns it for continuation lines."""
    result = RESULT.match(code)
    body_start = result.end() if result is not None else len(code) - len(code.lstrip())
    word = WORD.match(code, body_start)
    opcode = word.group() if word is not None else ""
    if opcode in ("tail", "musttail", "notail"):
        opcode = "call"
    inst_index = len(b.insts)
    result_key: str | None = None
    result_ref: int | None = None
    if result is not None:
        if result.group(1) is not None:
            result_key = "%" + result.group(1)
            start, end = result.start(1) - 1, result.end(1)
        else:
            result_key = "%" + unquote_name(result.group(2))
            start, end = result.start(2) - 2, result.end(2) + 1
        result_ref = b.add_ref(result_key, line, offset + start, offset + end, True)
        b.number(result_key, result_ref, line, offset + start)
    elif (
        opcode
        and opcode not in VOID_OPCODES
        and not (opcode in CALL_OPCODES and call_returns_void(code))
    ):
        # An unnamed value: LLVM gives it the next number.
        result_key = f"%{b.counter}"
        b.number(result_key, None, line, offset + body_start)
    inst = Inst(
        line,
        line,
        offset + body_start,
        len(b.blocks) - 1,
        opcode,
        result_key,
        result_ref,
        code.strip(),
    )
    b.insts.append(inst)
    block = b.blocks[-1]
    block.end_inst = inst_index + 1
    block.end_line = line
    if result_key is not None:
        b.define(result_key, "value", inst_index, result_ref)
    _operands(b, inst, code[body_start:], line, offset + body_start, inst_index)
    return inst


def _operands(b: _Builder, inst: Inst, code: str, line: int, offset: int, inst_index: int) -> None:
    """Record the names in an instruction's operand text as uses."""
    locals_ = b.scan_names(code, line, offset, inst_index)
    if not locals_:
        return
    if inst.opcode == "phi":
        incoming: dict[int, str] = {}
        for pair in _PHI_PAIR.finditer(code):
            block_key = "%" + name_of(pair.group(2))
            incoming[offset + pair.start(1)] = block_key
        refs = b.refs
        for _key, ref in locals_:
            incoming_key = incoming.get(refs[ref].start)
            if incoming_key is not None:
                b.uses.append(LocalUse(ref, inst_index, incoming_key, False))
            else:
                b.uses.append(LocalUse(ref, inst_index, "", False))
        return
    meta = "metadata" in code
    blockaddress = "blockaddress" in code and _BLOCKADDRESS.search(code) is not None
    if not meta and not blockaddress:
        b.uses.extend([_new(LocalUse, (ref, inst_index, None, False)) for _key, ref in locals_])
        return
    for key, ref in locals_:
        is_meta = meta and _after_metadata(code, b.refs[ref].start - offset)
        if blockaddress and _in_blockaddress(code, b.refs[ref].start - offset):
            # A block of the function named in blockaddress(@f, %bb): not a local use.
            b.refs[ref] = b.refs[ref]._replace(key="B" + key[1:])
            b.by_key[key].remove(ref)
            b.by_key.setdefault("B" + key[1:], []).append(ref)
            continue
        b.uses.append(_new(LocalUse, (ref, inst_index, None, is_meta)))


def _after_metadata(code: str, index: int) -> bool:
    before = code[:index].rstrip()
    # `metadata ptr %x`: the operand is wrapped as metadata.
    head = before.rsplit("metadata", 1)
    return len(head) == 2 and "," not in head[1] and "(" not in head[1]


def _in_blockaddress(code: str, index: int) -> bool:
    start = code.rfind("blockaddress", 0, index)
    return start >= 0 and ")" not in code[start:index]

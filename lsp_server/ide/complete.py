"""Completion candidates at a cursor, from the module index.

After ``%`` inside a function: the values whose definition dominates the cursor (so the
completed IR stays valid), the parameters, and named types; after ``label %``: the blocks.
After ``@``: globals and declared intrinsics; after ``#``: attribute groups; after ``!``:
metadata nodes. At the start of an instruction: opcodes. Each with its type.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lsp_server.ide.hover import value_type
from lsp_server.ide.opcodes import OPCODES
from lsp_server.syntax.cfg import build_cfg
from lsp_server.syntax.index import Entity, FunctionEntry, ModuleIndex
from lsp_server.syntax.index_lex import spell
from lsp_server.syntax.index_model import display
from lsp_server.syntax.span import Pos, Span

_PREFIX = re.compile(r'([%@#!$])("[^"]*|[-a-zA-Z$._0-9]*)$')
_OPCODE_START = re.compile(r"\s*(?:%(?:\"[^\"]*\"|[-\w$.]+)\s*=\s*)?([a-z_]*)$")
_GLOBAL_TYPE = re.compile(r"\b(?:global|constant)\s+(.*?)(?:,|$)")
_MAX = 2000


class Candidate(NamedTuple):
    """One completion: the text to insert, its kind, and a detail (its type)."""

    label: str
    kind: str
    detail: str


class Completion(NamedTuple):
    """The candidates and the range the chosen one replaces (the prefix typed so far)."""

    items: list[Candidate]
    span: Span


def complete(index: ModuleIndex, line: int, col: int) -> Completion:
    """Candidates for the cursor at (``line``, ``col``)."""
    text = index.lines[line] if 0 <= line < len(index.lines) else ""
    col = max(0, min(col, len(text)))
    before = text[:col]
    prefix = _PREFIX.search(before)
    if prefix is None:
        opcode = _OPCODE_START.fullmatch(before)
        if opcode is not None and index.function_at(line) is not None:
            start = col - len(opcode.group(1))
            opcodes = [Candidate(op, "opcode", meaning) for op, meaning in OPCODES.items()]
            return Completion(opcodes, Span(Pos(line, start), Pos(line, col)))
        return Completion([], Span(Pos(line, col), Pos(line, col)))
    sigil = prefix.group(1)
    span = Span(Pos(line, prefix.start()), Pos(line, col))
    position = index.function_at(line)
    items: list[Candidate]
    if sigil == "%":
        if position is not None and re.search(r"\blabel\s*$", before[: prefix.start()]):
            items = _blocks(index.functions[position])
        elif position is not None:
            items = _values(index, position, line) + _types(index)
        else:
            items = _types(index)
    elif sigil == "@":
        items = _globals(index)
    elif sigil == "#":
        items = [
            Candidate(key, "attributes", _line_of(index, key))
            for key in index.defs
            if key[0] == "#"
        ]
    elif sigil == "!":
        items = [
            Candidate(display(key), "metadata", _line_of(index, key))
            for key in index.defs
            if key[0] == "!"
        ]
    else:
        items = [Candidate(key, "comdat", "") for key in index.defs if key[0] == "$"]
    return Completion(items[:_MAX], span)


def _line_of(index: ModuleIndex, key: str) -> str:
    defs = index.defs.get(key)
    if not defs:
        return ""
    span = index.def_span(*defs[0])
    text = index.lines[span.start.line].strip()
    return text if len(text) <= 120 else text[:117] + "..."


def _blocks(entry: FunctionEntry) -> list[Candidate]:
    return [Candidate(spell("%", b.key[1:]), "block", "label") for b in entry.fi.blocks]


def _values(index: ModuleIndex, position: int, line: int) -> list[Candidate]:
    """Parameters and the values whose definition dominates ``line``."""
    entry = index.functions[position]
    fi = entry.fi
    rel = line - entry.start
    cfg = build_cfg(fi) if fi.blocks else None
    here = fi.inst_at_line(rel)
    block = fi.insts[here].block if here is not None else fi.block_of_line(rel)
    in_phi = here is not None and fi.insts[here].opcode == "phi"
    if here is None and block is not None:
        # A line being typed between instructions: after those before it in the block.
        b = fi.blocks[block]
        here = b.first_inst
        while here < b.end_inst and fi.insts[here].line < rel:
            here += 1
    out: list[Candidate] = []
    for key, found in fi.defs.items():
        if found.kind == "block":
            continue
        if found.kind == "value" and not in_phi:
            if block is None or cfg is None or here is None:
                continue
            def_inst = found.where
            def_block = fi.insts[def_inst].block
            if def_block == block:
                if def_inst >= here:
                    continue
            elif not cfg.dominates(def_block, block):
                continue
        kind = "parameter" if found.kind == "arg" else "value"
        detail = value_type(index, Entity(key, position)) or ""
        out.append(Candidate(spell("%", key[1:]), kind, detail))
    return out


def _types(index: ModuleIndex) -> list[Candidate]:
    return [
        Candidate(spell("%", key[1:]), "type", _line_of(index, key).split("=", 1)[-1].strip())
        for key in index.defs
        if key[0] == "T"
    ]


def _globals(index: ModuleIndex) -> list[Candidate]:
    out: list[Candidate] = []
    for key in index.defs:
        if key[0] != "@":
            continue
        line = _line_of(index, key)
        if line.startswith(("define", "declare")):
            kind = "intrinsic" if key.startswith("@llvm.") else "function"
            detail = re.sub(r"^(define|declare)\s+", "", line).rstrip("{ ")
        else:
            kind = "global"
            found = _GLOBAL_TYPE.search(line)
            detail = found.group(1) if found else line
        out.append(Candidate(spell("@", key[1:]), kind, detail))
    return out

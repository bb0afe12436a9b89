"""Rename any name the index knows, keeping the module valid and its meaning the same.

A renamed module must pass ``llvm-as`` and print (``opt -S``) as the original with only
that name changed (tests check both over the corpus). So a rename is refused when the new
name is not an LLVM identifier, is already taken, or touches an intrinsic; and renaming a
numbered value (``%5``) shifts the implicit numbers after it: an unnamed value, parameter or
block that followed takes a lower number, and its uses are rewritten to match.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lsp_server.ide.navigation import entity_at
from lsp_server.syntax.index import Entity, ModuleIndex, key_at, occurrences
from lsp_server.syntax.index_lex import IDENTIFIER, code_part, spell
from lsp_server.syntax.index_model import Def, FunctionIndex, display
from lsp_server.syntax.span import Pos, Span

_NUMERIC = re.compile(r"[0-9]+")
_BARE_COMDAT = re.compile(r"\bcomdat\b(?!\s*\()")


class Edit(NamedTuple):
    """Replace ``span`` (empty for an insertion) with ``new_text``."""

    span: Span
    new_text: str


class Refusal(NamedTuple):
    """Why a rename cannot be done, for the user."""

    message: str


class Target(NamedTuple):
    """What ``prepareRename`` answers: the range to edit and the current name."""

    span: Span
    placeholder: str


_SIGIL = {"@": "@", "%": "%", "T": "%", "!": "!", "#": "#", "$": "$"}
_WHAT = {
    "@": "global",
    "%": "local value",
    "T": "named type",
    "!": "metadata node",
    "#": "attribute group",
    "$": "comdat",
}


def prepare_rename(index: ModuleIndex, line: int, col: int) -> Target | Refusal | None:
    """The name under the cursor when it can be renamed, a refusal when it cannot, or
    ``None`` when no name is there."""
    found = key_at(index, line, col)
    entity = entity_at(index, line, col)
    if found is None or entity is None:
        return None
    refusal = _refuse_entity(index, entity)
    if refusal is not None:
        return refusal
    function, ref_index = found
    if function is None:
        ref = index.refs[ref_index]
        span = ref.span()
    else:
        entry = index.functions[function]
        span = entry.fi.refs[ref_index].span(entry.start)
    return Target(span, display(entity.key))


def _refuse_entity(index: ModuleIndex, entity: Entity) -> Refusal | None:
    key = entity.key
    name = key[1:]
    if key[0] == "@" and name.startswith("llvm."):
        return Refusal(f"{display(key)} is an intrinsic: its name is what it means")
    if key[0] == "!" and not name.isdigit():
        if key not in index.defs:
            return Refusal(f"{display(key)} is a metadata kind LLVM knows by name")
        if name.startswith("llvm."):
            return Refusal(f"{display(key)} is named metadata LLVM reads by name")
    if entity.function is not None:
        if entity.key not in index.functions[entity.function].fi.defs:
            return Refusal(f"{display(key)} is not defined in its function")
        return None
    if key not in index.defs:
        return Refusal(f"{display(key)} is not defined in this module")
    if key[0] == "@" and key[1:].isdigit():
        return Refusal(f"{display(key)} is a numbered global; give it a name in its definition")
    if key[0] == "T" and key[1:].isdigit():
        return Refusal(f"{display(key)} is a numbered type; numbered types must stay in order")
    return None


def _new_key(entity: Entity, new_name: str) -> str | Refusal:
    """The key the new name spells, or why it is not acceptable."""
    kind = entity.key[0]
    sigil = _SIGIL[kind]
    text = new_name.strip()
    if text.startswith(sigil):
        text = text[1:]
    elif text[:1] in "@%!#$":
        return Refusal(f"a {_WHAT[kind]} is written with {sigil}, not {text[0]}")
    numeric_kind = kind == "#" or (kind == "!" and entity.key[1:].isdigit())
    if numeric_kind:
        if _NUMERIC.fullmatch(text) is None:
            return Refusal(f"a {_WHAT[kind]} is named by a number, as in {sigil}7")
        return kind + str(int(text))
    if _NUMERIC.fullmatch(text):
        return Refusal(
            f"numbers are given by position; choose a name such as {sigil}value instead of {sigil}{text}"
        )
    if IDENTIFIER.fullmatch(text) is None:
        return Refusal(
            f"{sigil}{text} is not an LLVM identifier (letters, digits and -$._, not starting with a digit)"
        )
    if kind == "@" and text.startswith("llvm."):
        return Refusal("names starting with llvm. are reserved for intrinsics")
    return kind + text


def rename(index: ModuleIndex, line: int, col: int, new_name: str) -> list[Edit] | Refusal:
    """The edits that rename the name under the cursor to ``new_name``."""
    entity = entity_at(index, line, col)
    if entity is None:
        return Refusal("there is no name to rename here")
    refusal = _refuse_entity(index, entity)
    if refusal is not None:
        return refusal
    new_key = _new_key(entity, new_name)
    if isinstance(new_key, Refusal):
        return new_key
    if new_key == entity.key:
        return []
    if entity.function is not None:
        return _rename_local(index, entity, new_key)
    if new_key in index.defs:
        return Refusal(f"{display(new_key)} is already defined in this module")
    text = spell(_SIGIL[entity.key[0]], new_key[1:])
    edits = [Edit(occ.span, text) for occ in occurrences(index, entity)]
    if entity.key[0] == "@":
        edits.extend(_keep_comdat(index, entity))
    return edits


def _keep_comdat(index: ModuleIndex, entity: Entity) -> list[Edit]:
    """A bare ``comdat`` means the comdat named like the global: keep it by naming it."""
    out: list[Edit] = []
    for function, ref_index in index.defs.get(entity.key, ()):
        span = index.def_span(function, ref_index)
        line = span.start.line
        code = code_part(index.lines[line])
        match = _BARE_COMDAT.search(code, span.end.col)
        if match is not None:
            at = Pos(line, match.end())
            out.append(Edit(Span(at, at), f"({spell('$', entity.key[1:])})"))
    return out


def _rename_local(index: ModuleIndex, entity: Entity, new_key: str) -> list[Edit] | Refusal:
    assert entity.function is not None
    entry = index.functions[entity.function]
    fi = entry.fi
    if new_key in fi.defs:
        return Refusal(f"{display(new_key)} is already defined in @{fi.name}")
    if "T" + new_key[1:] in index.defs:
        return Refusal(f"{display(new_key)} is also the name of a type; choose another")
    new_text = spell("%", new_key[1:])
    found = fi.defs[entity.key]
    edits: list[Edit] = []
    for occ in occurrences(index, entity):
        # A label is defined without its sigil: `loop:`.
        label = occ.is_def and found.kind == "block"
        edits.append(Edit(occ.span, new_text[1:] if label else new_text))
    if found.ref is None:
        edits.append(_name_implicit(index, entity.function, found, new_key))
    if entity.key[1:].isdigit():
        edits.extend(_renumber(index, entity.function, entity.key))
    return edits


def _name_implicit(index: ModuleIndex, function: int, found: Def, new_key: str) -> Edit:
    """Write a name where LLVM gave an implicit number: after a parameter's type, as a
    label before a block, or as ``%name =`` before an instruction."""
    entry = index.functions[function]
    fi = entry.fi
    text = spell("%", new_key[1:])
    if found.kind == "arg":
        arg = fi.args[found.where]
        at = Pos(arg.line + entry.start, arg.end_col)
        return Edit(Span(at, at), " " + text)
    if found.kind == "block":
        block = fi.blocks[found.where]
        at = Pos(block.line + entry.start, 0)
        return Edit(Span(at, at), text[1:] + ":\n")
    inst = fi.insts[found.where]
    at = Pos(inst.line + entry.start, inst.col)
    return Edit(Span(at, at), text + " = ")


def _renumber(index: ModuleIndex, function: int, removed: str) -> list[Edit]:
    """Rewrite the uses of the implicit numbers that shift when ``removed`` takes a name."""
    entry = index.functions[function]
    fi: FunctionIndex = entry.fi
    counter = 0
    edits: list[Edit] = []
    for key, explicit in fi.numbered:
        if key == removed:
            continue
        value = int(key[1:])
        if explicit:
            # Explicit numbers only grow (LLVM checks that), and may leave gaps.
            counter = max(counter, value + 1)
            continue
        if value != counter:
            new_text = f"%{counter}"
            for ref_index in fi.by_key.get(key, ()):
                ref = fi.refs[ref_index]
                edits.append(Edit(ref.span(entry.start), new_text))
        counter += 1
    return edits


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with ``edits`` applied (they must not overlap), as an editor would."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def at(pos: Pos) -> int:
        line = min(pos.line, len(lines) - 1)
        return offsets[line] + min(pos.col, len(lines[line]))

    out = text
    for edit in sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True):
        out = out[: at(edit.span.start)] + edit.new_text + out[at(edit.span.end) :]
    return out

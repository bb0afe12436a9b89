"""The index of an LLVM IR module: every name, where it is defined and every place it is used.

Built from the outline (``ir.parse_module``): each ``define`` is indexed on its own
(``index_func``), with lines relative to its first line, and kept in a cache keyed by its
text, so after an edit only the functions whose text changed are read again. The lines
outside functions (globals, declarations, types, metadata, attribute groups, comdats) are
read here. Never raises; time linear in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from lsp_server.syntax.index_func import index_function, matching_paren, split_params
from lsp_server.syntax.index_lex import NAME_TOKEN, code_part, name_of
from lsp_server.syntax.index_model import FunctionIndex, Ref
from lsp_server.syntax.ir import IrModule, brace_delta, is_top_level, parse_module
from lsp_server.syntax.span import Pos, Span, split_lines

_MODULE_DEF = re.compile(
    r'\s*(?:(@|%|!|\$)(?:"([^"]*)"|([-a-zA-Z$._0-9\\]+))\s*=|attributes\s+#(\d+)\s*=)'
)
_DECLARE = re.compile(r"\s*declare\b")
_BLOCKADDRESS = re.compile(r"\bblockaddress\s*\(")
# Words after which a `%name` is a value: types, and the keywords before a value.
_VALUE_BEFORE = re.compile(
    r"i\d+|ptr|float|double|half|bfloat|fp128|x86_fp80|ppc_fp128|void|"
    r"label|metadata|token|x86_amx|x86_mmx|within|from|to|opaque"
)


class FunctionEntry(NamedTuple):
    """A function definition in the module: its first and last line and its index."""

    start: int
    end: int
    fi: FunctionIndex


class Entity(NamedTuple):
    """What a name refers to: its key, and for a local, the position of its function."""

    key: str
    function: int | None


class Occurrence(NamedTuple):
    """An occurrence of an entity, in absolute positions."""

    span: Span
    is_def: bool
    function: int | None


@dataclass
class ModuleIndex:
    """The index of one module's text."""

    text: str
    lines: list[str]
    outline_cache: IrModule | None
    functions: list[FunctionEntry]
    refs: list[Ref]
    by_key: dict[str, list[int]]
    # Global-scope definitions: key -> list of (function position or None, ref index).
    defs: dict[str, list[tuple[int | None, int]]]
    cache: dict[str, FunctionIndex] = field(default_factory=dict)
    reused: int = 0

    @property
    def outline(self) -> IrModule:
        """The module's outline (computed again on first use after an incremental update)."""
        if self.outline_cache is None:
            self.outline_cache = parse_module(self.text)
        return self.outline_cache

    def function_at(self, line: int) -> int | None:
        """The position in ``functions`` of the definition holding ``line``."""
        lo, hi = 0, len(self.functions) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            entry = self.functions[mid]
            if line < entry.start:
                hi = mid - 1
            elif line > entry.end:
                lo = mid + 1
            else:
                return mid
        return None

    def def_span(self, function: int | None, ref: int) -> Span:
        """The absolute span of a definition recorded in ``defs``."""
        if function is None:
            return self.refs[ref].span()
        entry = self.functions[function]
        return entry.fi.refs[ref].span(entry.start)


def build_index(text: str, previous: ModuleIndex | None = None) -> ModuleIndex:
    """Index ``text``; functions whose text is unchanged since ``previous`` are reused.

    When the text differs from ``previous`` only inside one function (the usual edit),
    only that function is read again and everything else is kept, shifted by the number
    of lines added or removed.
    """
    if previous is not None and previous.text == text:
        return previous
    lines = split_lines(text)
    if previous is not None:
        quick = _incremental(previous, text, lines)
        if quick is not None:
            return quick
    outline = parse_module(text)
    old_cache = previous.cache if previous is not None else {}
    cache: dict[str, FunctionIndex] = {}
    functions: list[FunctionEntry] = []
    reused = 0
    covered: list[tuple[int, int]] = []
    for fn in outline.functions:
        if not fn.is_definition:
            continue
        start, end = fn.span.start.line, fn.span.end.line
        body = lines[start : end + 1]
        key = "\n".join(body)
        found = cache.get(key) or old_cache.get(key)
        if found is not None and found.name == fn.name:
            reused += 1
        else:
            found = index_function(
                body,
                fn.name,
                fn.name_span.start.col,
                fn.name_span.start.line - start,
                fn.name_span.end.col,
                end - start,
            )
        cache[key] = found
        functions.append(FunctionEntry(start, end, found))
        covered.append((start, end))
    refs: list[Ref] = []
    by_key: dict[str, list[int]] = {}
    defs: dict[str, list[tuple[int | None, int]]] = {}
    _module_lines(lines, covered, refs, by_key, defs)
    for position, entry in enumerate(functions):
        own = "@" + entry.fi.name
        for ref_index in entry.fi.by_key.get(own, ()):
            if entry.fi.refs[ref_index].is_def:
                defs.setdefault(own, []).append((position, ref_index))
                break
    for found_defs in defs.values():
        if len(found_defs) > 1:
            found_defs.sort(key=lambda item: _def_line(functions, refs, item))
    return ModuleIndex(text, lines, outline, functions, refs, by_key, defs, cache, reused)


def _incremental(previous: ModuleIndex, text: str, lines: list[str]) -> ModuleIndex | None:
    """The index of ``text`` from ``previous`` when the change lies inside one function
    definition and leaves its extent and name alone; ``None`` otherwise."""
    old = previous.lines
    n_old, n_new = len(old), len(lines)
    limit = min(n_old, n_new)
    first = 0
    while first < limit and old[first] == lines[first]:
        first += 1
    tail = 0
    while tail < limit - first and old[n_old - 1 - tail] == lines[n_new - 1 - tail]:
        tail += 1
    old_end, new_end = n_old - tail, n_new - tail  # changed: old[first:old_end], new[first:new_end]
    position = previous.function_at(first)
    if position is None:
        return None
    entry = previous.functions[position]
    if old_end - 1 > entry.end or (old_end == first and first == entry.start):
        return None
    delta = new_end - old_end
    last = entry.end + delta
    for line in range(first, new_end):
        if line != entry.start and is_top_level(lines[line]):
            return None
    if not lines[last].lstrip().startswith("}"):
        return None
    body = lines[entry.start : last + 1]
    body_text = "\n".join(body)
    sub = [fn for fn in parse_module(body_text).functions]
    if (
        len(sub) != 1
        or not sub[0].is_definition
        or sub[0].name != entry.fi.name
        or sub[0].span.end.line != len(body) - 1
        or sub[0].span.start.line != 0
    ):
        return None
    fn = sub[0]
    # The body must be closed by its own braces, not cut short by the end of the slice.
    depth = brace_delta(body[fn.name_span.start.line], fn.name_span.end.col)[0]
    depth += sum(brace_delta(line)[0] for line in body[fn.name_span.start.line + 1 :])
    if depth != 0:
        return None
    fi = index_function(
        body,
        fn.name,
        fn.name_span.start.col,
        fn.name_span.start.line,
        fn.name_span.end.col,
        len(body) - 1,
    )
    functions = list(previous.functions)
    functions[position] = FunctionEntry(entry.start, last, fi)
    refs = previous.refs
    if delta:
        for number in range(position + 1, len(functions)):
            moved = functions[number]
            functions[number] = FunctionEntry(moved.start + delta, moved.end + delta, moved.fi)
        # Module-level refs are in line order: shift those after the function.
        lo, hi = 0, len(refs)
        while lo < hi:
            mid = (lo + hi) // 2
            if refs[mid].line <= entry.end:
                lo = mid + 1
            else:
                hi = mid
        refs = refs[:lo] + [r._replace(line=r.line + delta) for r in refs[lo:]]
    cache = dict(previous.cache)
    cache.pop("\n".join(old[entry.start : entry.end + 1]), None)
    cache[body_text] = fi
    return ModuleIndex(
        text,
        lines,
        None,
        functions,
        refs,
        previous.by_key,
        previous.defs,
        cache,
        len(functions) - 1,
    )


def _def_line(
    functions: list[FunctionEntry], refs: list[Ref], item: tuple[int | None, int]
) -> tuple[int, int]:
    function, ref = item
    if function is None:
        return refs[ref].line, refs[ref].start
    entry = functions[function]
    found = entry.fi.refs[ref]
    return found.line + entry.start, found.start


def _module_lines(
    lines: list[str],
    covered: list[tuple[int, int]],
    refs: list[Ref],
    by_key: dict[str, list[int]],
    defs: dict[str, list[tuple[int | None, int]]],
) -> None:
    """Read the lines outside function definitions."""
    spans = iter(covered)
    skip = next(spans, None)
    line = 0
    count = len(lines)
    while line < count:
        if skip is not None and line >= skip[0]:
            line = skip[1] + 1
            skip = next(spans, None)
            continue
        raw = lines[line]
        if not raw or raw[0] == ";" or (raw.isspace()):
            line += 1
            continue
        code = code_part(raw)
        def_start = -1
        match = _MODULE_DEF.match(code)
        if match is not None:
            def_start = code.find("#" if match.group(4) else match.group(1), 0)
        elif _DECLARE.match(code):
            def_start = code.find("@")
        blockaddress = _BLOCKADDRESS.search(code) is not None
        params = _declared_params(code) if def_start >= 0 and match is None else set()
        for token_match in NAME_TOKEN.finditer(code):
            token = token_match.group()
            first = token[0]
            if first in '"c;':
                continue
            if first == "#" and not token[1:].isdigit():
                continue
            if first == "!" and (
                token[1:2] == '"' or code[token_match.end() : token_match.end() + 1] == "("
            ):
                continue
            start = token_match.start()
            if start in params:
                continue
            if first == "%":
                if blockaddress and "blockaddress" in code[:start]:
                    key = "B" + name_of(token)
                else:
                    key = "T" + name_of(token)
            elif first == "#":
                key = token
            else:
                key = first + name_of(token)
            is_def = start == def_start
            index = len(refs)
            refs.append(Ref(key, line, start, token_match.end(), is_def))
            by_key.setdefault(key, []).append(index)
            if is_def:
                defs.setdefault(key, []).append((None, index))
        line += 1


def _declared_params(code: str) -> set[int]:
    """Where the parameter names of a ``declare`` line start (they name nothing)."""
    at = code.find("@")
    open_index = code.find("(", at) if at >= 0 else -1
    if open_index < 0:
        return set()
    close = matching_paren(code, open_index)
    out: set[int] = set()
    base = open_index + 1
    inner = code[base:close]
    for start, end in split_params(inner):
        part = inner[start:end]
        names = [m for m in NAME_TOKEN.finditer(part) if m.group()[0] == "%"]
        if not names:
            continue
        last = names[-1]
        if part[last.end() :].strip() == "" and part[: last.start()].strip() != "":
            out.add(base + start + last.start())
    return out


def key_at(index: ModuleIndex, line: int, col: int) -> tuple[int | None, int] | None:
    """The reference under (``line``, ``col``): (function position or None, ref index).

    A cursor just after a name (where an editor leaves it after a double click) counts.
    """
    position = index.function_at(line)
    if position is not None:
        entry = index.functions[position]
        rel = line - entry.start
        best: int | None = None
        for ref_index, ref in enumerate(entry.fi.refs):
            if ref.line == rel and ref.start <= col <= ref.end:
                best = ref_index
                if col < ref.end:
                    break
        return None if best is None else (position, best)
    found: int | None = None
    for ref_index in _module_refs_on_line(index, line):
        ref = index.refs[ref_index]
        if ref.start <= col <= ref.end:
            found = ref_index
            if col < ref.end:
                break
    return None if found is None else (None, found)


def _module_refs_on_line(index: ModuleIndex, line: int) -> list[int]:
    refs = index.refs
    lo, hi = 0, len(refs)
    while lo < hi:
        mid = (lo + hi) // 2
        if refs[mid].line < line:
            lo = mid + 1
        else:
            hi = mid
    out: list[int] = []
    while lo < len(refs) and refs[lo].line == line:
        out.append(lo)
        lo += 1
    return out


def type_context(line_text: str, start: int) -> bool:
    """Whether a ``%name`` at ``start`` reads as a type rather than a value.

    Used only where a name is both a named type and a local of the function (or
    neither): a value follows a type or sits in a ``phi`` pair; a type follows an
    opcode, ``(``, ``{``, ``<``, ``=``, ``x`` or a ``,``.
    """
    before = line_text[:start].rstrip()
    if not before:
        return False
    last = before[-1]
    if last in "({<=":
        return True
    if last == "[":
        return False
    if last == ",":
        after = line_text[start:].split(None, 1)
        rest = line_text[start:].lstrip()
        return not (len(after) > 0 and re.match(r'%(?:"[^"]*"|[-\w$.]+)\s*\]', rest))
    if last in "]}>*":
        return False
    word = re.search(r"[\w.]+$", before)
    if word is None:
        return False
    text = word.group()
    return _VALUE_BEFORE.fullmatch(text) is None


def resolve(index: ModuleIndex, function: int | None, ref_index: int) -> Entity:
    """What the reference names."""
    if function is None:
        ref = index.refs[ref_index]
        if ref.key[0] == "B":
            return _blockaddress_target(index, index.refs, ref_index, 0)
        return Entity(ref.key, None)
    entry = index.functions[function]
    ref = entry.fi.refs[ref_index]
    key = ref.key
    if key[0] == "B":
        return _blockaddress_target(index, entry.fi.refs, ref_index, entry.start)
    if key[0] != "%":
        return Entity(key, None)
    type_key = "T" + key[1:]
    is_type = type_key in index.defs
    if key in entry.fi.defs and not ref.is_def:
        if is_type and type_context(index.lines[ref.line + entry.start], ref.start):
            return Entity(type_key, None)
        return Entity(key, function)
    if ref.is_def:
        return Entity(key, function)
    if is_type:
        return Entity(type_key, None)
    if _undefined_reads_as_type(index.lines[ref.line + entry.start], ref.start, ref.end):
        return Entity(type_key, None)
    return Entity(key, function)


def _undefined_reads_as_type(line_text: str, start: int, end: int) -> bool:
    """For a ``%name`` that is neither a local nor a type: whether it sits where only a
    type can (``%T*``, ``{ %T``, ``<%T``, ``x %T``); otherwise it is taken for a value."""
    after = line_text[end:].lstrip()[:1]
    if after == "*":
        return True
    before = line_text[:start].rstrip()
    return before.endswith(("{", "<", " x", "alloca", "inbounds", "getelementptr"))


def _blockaddress_target(
    index: ModuleIndex, refs: list[Ref], ref_index: int, offset: int
) -> Entity:
    """The block a ``blockaddress(@f, %bb)`` names: ``%bb`` in ``@f``."""
    ref = refs[ref_index]
    block = "%" + ref.key[1:]
    if ref_index > 0 and refs[ref_index - 1].key[0] == "@":
        fname = refs[ref_index - 1].key
        for position, _def_ref in index.defs.get(fname, ()):
            if position is not None:
                return Entity(block, position)
    return Entity(block, None)


def occurrences(index: ModuleIndex, entity: Entity) -> list[Occurrence]:
    """Every occurrence of ``entity`` in the module, in text order."""
    out: list[Occurrence] = []
    key = entity.key
    if entity.function is not None:
        entry = index.functions[entity.function]
        fi = entry.fi
        for ref_index in fi.by_key.get(key, ()):
            ref = fi.refs[ref_index]
            if ref.is_def or resolve(index, entity.function, ref_index) == entity:
                out.append(Occurrence(ref.span(entry.start), ref.is_def, entity.function))
        # blockaddress(@f, %bb) anywhere in the module names this block too.
        bkey = "B" + key[1:]
        for position, other in enumerate(index.functions):
            for ref_index in other.fi.by_key.get(bkey, ()):
                if _blockaddress_target(index, other.fi.refs, ref_index, other.start) == entity:
                    ref = other.fi.refs[ref_index]
                    out.append(Occurrence(ref.span(other.start), False, position))
        for ref_index in index.by_key.get(bkey, ()):
            if _blockaddress_target(index, index.refs, ref_index, 0) == entity:
                out.append(Occurrence(index.refs[ref_index].span(), False, None))
        out.sort(key=lambda occ: occ.span.start)
        return out
    for ref_index in index.by_key.get(key, ()):
        ref = index.refs[ref_index]
        out.append(Occurrence(ref.span(), ref.is_def, None))
    local_key = "%" + key[1:] if key[0] == "T" else None
    for position, entry in enumerate(index.functions):
        fi = entry.fi
        for ref_index in fi.by_key.get(key, ()):
            ref = fi.refs[ref_index]
            out.append(Occurrence(ref.span(entry.start), ref.is_def, position))
        if local_key is not None:
            for ref_index in fi.by_key.get(local_key, ()):
                if resolve(index, position, ref_index) == entity:
                    ref = fi.refs[ref_index]
                    out.append(Occurrence(ref.span(entry.start), False, position))
    out.sort(key=lambda occ: occ.span.start)
    return out


def definitions(index: ModuleIndex, entity: Entity) -> list[Span]:
    """Where ``entity`` is defined (several spans for a duplicate), best first."""
    if entity.function is not None:
        entry = index.functions[entity.function]
        found = entry.fi.defs.get(entity.key)
        if found is None:
            return []
        if found.ref is not None:
            return [entry.fi.refs[found.ref].span(entry.start)]
        return [_implicit_span(entry, found.kind, found.where)]
    spans = [index.def_span(f, r) for f, r in index.defs.get(entity.key, ())]
    # A definition wins over a declaration.
    if entity.key[0] == "@" and len(spans) > 1:
        defined = [
            s for s, (f, _r) in zip(spans, index.defs[entity.key], strict=True) if f is not None
        ]
        rest = [s for s in spans if s not in defined]
        spans = defined + rest
    return spans


def _implicit_span(entry: FunctionEntry, kind: str, where: int) -> Span:
    """Where an implicitly numbered value is: its parameter, block start or instruction."""
    fi = entry.fi
    if kind == "arg":
        arg = fi.args[where]
        return Span(
            Pos(arg.line + entry.start, arg.end_col), Pos(arg.line + entry.start, arg.end_col)
        )
    if kind == "block":
        block = fi.blocks[where]
        inst = fi.insts[block.first_inst] if block.first_inst < len(fi.insts) else None
        col = inst.col if inst is not None else 0
        return Span(Pos(block.line + entry.start, col), Pos(block.line + entry.start, col))
    inst = fi.insts[where]
    return Span(Pos(inst.line + entry.start, inst.col), Pos(inst.line + entry.start, inst.col))

"""Putting one optimised function back into the document it came from.

The search measures a function on its own: ``llvm-extract`` makes a module of it with the
declarations it needs, and the pipeline runs on that module. Applying the result means
replacing the function's text in the user's document with the optimised text, which is not
a copy and paste, because opt numbers attribute groups (``#N``) and metadata (``!N``) afresh
and passes may add declarations (``@llvm.memset...``) or new globals (lookup tables).

This module maps the optimised function's references onto the document: an attribute group
or metadata node with the same content reuses the document's number, anything new is
appended with a fresh number, and declarations the document lacks are appended. The
function's linkage is restored (extraction turns ``internal`` into ``hidden``). Distinct
self-referencing nodes (loop ids) are always fresh, so two loops never share one.

Pure text processing; the caller checks the result with llvm-as and the verifier, and
refuses the edit when either complains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.syntax.ir import IrModule, parse_module
from lsp_server.syntax.span import split_lines

# Strings and comments are skipped; what is left of interest are `!N` and `#N` references.
_TOKEN = re.compile(r'"[^"\n]*"|;[^\n]*|!\d+\b|#\d+\b')
_GLOBAL = re.compile(r'"[^"\n]*"|;[^\n]*|@(?:"([^"]*)"|([-a-zA-Z$._0-9]+))')
_MD_DEF = re.compile(r"^!(\d+)\s*=\s*(distinct\s+)?(.*?)\s*$")
_ATTR_DEF = re.compile(r"^attributes\s+#(\d+)\s*=\s*(\{.*\})\s*$")
_LINKAGE_WORDS = frozenset(
    {
        "private",
        "internal",
        "available_externally",
        "linkonce",
        "weak",
        "common",
        "appending",
        "extern_weak",
        "linkonce_odr",
        "weak_odr",
        "external",
        "dso_local",
        "dso_preemptable",
        "default",
        "hidden",
        "protected",
        "dllimport",
        "dllexport",
    }
)


class SpliceError(Exception):
    """The optimised function cannot be put back safely; ``str(err)`` says why."""


@dataclass(frozen=True)
class Splice:
    """The edit: lines ``[first_line, last_line]`` become ``text``; ``appended`` goes at the end."""

    first_line: int
    last_line: int
    text: str
    appended: str


@dataclass(frozen=True)
class _Node:
    number: int
    distinct: bool
    body: str


def _md_refs(text: str) -> set[int]:
    return {int(m.group()[1:]) for m in _TOKEN.finditer(text) if m.group()[0] == "!"}


def _attr_refs(text: str) -> set[int]:
    return {int(m.group()[1:]) for m in _TOKEN.finditer(text) if m.group()[0] == "#"}


def _global_refs(text: str) -> set[str]:
    found = set()
    for m in _GLOBAL.finditer(text):
        if m.group()[0] != "@":
            continue
        found.add(m.group(1) if m.group(1) is not None else m.group(2))
    return found


def _rewrite(text: str, md: dict[int, int], attrs: dict[int, int]) -> str:
    def sub(m: re.Match[str]) -> str:
        token = m.group()
        if token[0] == "!" and token[1:].isdigit():
            return f"!{md.get(int(token[1:]), int(token[1:]))}"
        if token[0] == "#" and token[1:].isdigit():
            return f"#{attrs.get(int(token[1:]), int(token[1:]))}"
        return token

    return _TOKEN.sub(sub, text)


def _metadata(lines: list[str]) -> dict[int, _Node]:
    nodes = {}
    for line in lines:
        m = _MD_DEF.match(line)
        if m:
            nodes[int(m[1])] = _Node(int(m[1]), bool(m[2]), m[3])
    return nodes


def _attribute_groups(lines: list[str]) -> dict[int, str]:
    groups = {}
    for line in lines:
        m = _ATTR_DEF.match(line)
        if m:
            groups[int(m[1])] = m[2]
    return groups


def _self_free(node: _Node) -> str:
    """The node's text with references to itself spelled ``!self``."""
    return re.sub(rf"!{node.number}\b", "!self", node.body)


def _entity_text(lines: list[str], first: int, last: int) -> str:
    return "\n".join(lines[first : last + 1])


def _entities(module: IrModule) -> dict[str, tuple[int, int, bool]]:
    """Name -> (first line, last line, is a definition) for functions and globals."""
    found: dict[str, tuple[int, int, bool]] = {}
    for function in module.functions:
        found[function.name] = (
            function.span.start.line,
            function.span.end.line,
            function.is_definition,
        )
    for variable in module.globals:
        found[variable.name] = (variable.span.start.line, variable.span.end.line, True)
    return found


def _is_declaration(text: str) -> bool:
    head = text.lstrip()
    if head.startswith("declare"):
        return True
    # `@g = external global i32`: a global variable without an initializer.
    return bool(re.match(r'@(?:"[^"]*"|[-\w$.]+)\s*=\s*(?:\w+\s+)*?external\b', head))


def _linkage(header: str) -> tuple[int, int]:
    """The character range of the linkage/visibility words after ``define``."""
    m = re.match(r"\s*define\s+", header)
    if m is None:
        return 0, 0
    start = end = m.end()
    for word in re.finditer(r"(\S+)(\s+)", header[m.end() :]):
        if word.group(1) not in _LINKAGE_WORDS:
            break
        end = m.end() + word.end()
    return start, end


def _restore_linkage(optimised: str, original: str) -> str:
    o_start, o_end = _linkage(optimised)
    d_start, d_end = _linkage(original)
    if o_end == 0 or d_end == 0:
        return optimised
    return optimised[:o_start] + original[d_start:d_end] + optimised[o_end:]


def splice_function(document: str, optimised: str, name: str) -> Splice:
    """The edit that puts ``@name`` from ``optimised`` into ``document``; SpliceError if unsafe."""
    d_lines = split_lines(document)
    o_lines = split_lines(optimised)
    d_module = parse_module(document)
    o_module = parse_module(optimised)
    d_entities = _entities(d_module)
    o_entities = _entities(o_module)
    d_fn = next((f for f in d_module.functions if f.is_definition and f.name == name), None)
    o_fn = next((f for f in o_module.functions if f.is_definition and f.name == name), None)
    if d_fn is None:
        raise SpliceError(f"@{name} is not defined in the document")
    if o_fn is None:
        raise SpliceError(f"the pipeline removed @{name} from its module")

    # The function and whatever new entities it pulls in from the optimised module.
    body = _entity_text(o_lines, o_fn.span.start.line, o_fn.span.end.line)
    body_lines = body.split("\n")
    original_header = d_lines[d_fn.span.start.line]
    body_lines[0] = _restore_linkage(body_lines[0], original_header)
    body = "\n".join(body_lines)
    new_entities: list[str] = []
    seen = {name}
    work = [body]
    while work:
        text = work.pop()
        for ref in sorted(_global_refs(text)):
            if ref in seen:
                continue
            seen.add(ref)
            o_entity = o_entities.get(ref)
            if o_entity is None:
                continue  # a name inside something else (a string, a label): not an entity
            o_text = _entity_text(o_lines, o_entity[0], o_entity[1])
            if ref in d_entities:
                if not _is_declaration(o_text) and o_entity[2]:
                    raise SpliceError(
                        f"the pipeline defines @{ref}, which the document already has"
                    )
                continue
            new_entities.append(o_text)
            work.append(o_text)

    # Attribute groups: reuse the document's group with the same content.
    d_groups = _attribute_groups(d_lines)
    o_groups = _attribute_groups(o_lines)
    by_content = {content: number for number, content in sorted(d_groups.items(), reverse=True)}
    next_group = max(d_groups, default=-1) + 1
    attr_map: dict[int, int] = {}
    new_groups: list[str] = []
    used: set[int] = set().union(*(_attr_refs(t) for t in [body, *new_entities]))
    for group in sorted(used):
        content = o_groups.get(group)
        if content is None:
            raise SpliceError(f"attribute group #{group} is not defined in opt's output")
        if content in by_content:
            attr_map[group] = by_content[content]
        else:
            attr_map[group] = next_group
            by_content[content] = next_group
            new_groups.append(f"attributes #{next_group} = {content}")
            next_group += 1

    md_map, new_nodes = _map_metadata(d_lines, o_lines, [body, *new_entities])

    def rewrite(text: str) -> str:
        return _rewrite(text, md_map, attr_map)

    first = d_fn.span.start.line
    if first > 0 and d_lines[first - 1].startswith("; Function Attrs:"):
        first -= 1
    if o_fn.span.start.line > 0 and o_lines[o_fn.span.start.line - 1].startswith(
        "; Function Attrs:"
    ):
        body = o_lines[o_fn.span.start.line - 1] + "\n" + body
    appended = [rewrite(t) for t in new_entities] + new_groups + new_nodes
    return Splice(
        first_line=first,
        last_line=d_fn.span.end.line,
        text=rewrite(body),
        appended="\n".join(appended),
    )


def _map_metadata(
    d_lines: list[str], o_lines: list[str], roots: list[str]
) -> tuple[dict[int, int], list[str]]:
    """O's metadata numbers -> the document's, and the definitions to append."""
    d_nodes = _metadata(d_lines)
    o_nodes = _metadata(o_lines)
    index: dict[tuple[bool, str], list[int]] = {}
    for node in d_nodes.values():
        index.setdefault((node.distinct, _self_free(node)), []).append(node.number)
    # Every `!N` in the document counts, also in lines this parser does not read.
    numbers = [int(m[1]) for m in re.finditer(r"^!(\d+)\s*=", "\n".join(d_lines), re.MULTILINE)]
    next_number = max(numbers, default=-1) + 1

    needed: set[int] = set()
    work = sorted(set().union(*(_md_refs(t) for t in roots)))
    while work:
        number = work.pop()
        if number in needed:
            continue
        if number not in o_nodes:
            raise SpliceError(f"metadata !{number} is not defined in opt's output")
        needed.add(number)
        work.extend(_md_refs(o_nodes[number].body) - needed)

    mapping: dict[int, int] = {}
    fresh: list[int] = []
    pending = set(needed)
    while pending:
        progress = False
        for number in sorted(pending):
            node = o_nodes[number]
            refs = _md_refs(node.body) - {number}
            if not refs <= mapping.keys():
                continue
            pending.discard(number)
            progress = True
            self_ref = number in _md_refs(node.body)
            if not (node.distinct and self_ref):
                key = _rewrite(_self_free(node), mapping, {})
                matches = index.get((node.distinct, key), [])
                if len(matches) == 1 or (matches and not node.distinct):
                    mapping[number] = matches[0]
                    continue
            mapping[number] = next_number
            fresh.append(number)
            next_number += 1
        if not progress:
            # A cycle (debug info often has them): every node left gets a fresh number.
            for number in sorted(pending):
                mapping[number] = next_number
                fresh.append(number)
                next_number += 1
            pending.clear()
    definitions = []
    for number in fresh:
        node = o_nodes[number]
        distinct = "distinct " if node.distinct else ""
        definitions.append(f"!{mapping[number]} = {distinct}{_rewrite(node.body, mapping, {})}")
    return mapping, definitions


def apply_splice(document: str, splice: Splice) -> str:
    """The document text after ``splice`` (what the editor will hold after the edit)."""
    lines = split_lines(document)
    newline = "\r\n" if "\r\n" in document else "\n"
    before = lines[: splice.first_line]
    after = lines[splice.last_line + 1 :]
    out = [*before, *splice.text.split("\n"), *after]
    text = newline.join(out)
    if splice.appended:
        if not text.endswith(newline):
            text += newline
        text += newline + splice.appended.replace("\n", newline) + newline
    return text

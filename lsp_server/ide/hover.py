"""What a hover says about the name or opcode under the cursor, as Markdown.

Values: type, defining instruction, number of uses. Blocks: predecessors, successors,
loop depth and header, immediate dominator. Attribute groups, metadata nodes, named types
and comdats: their definition. Opcodes: a one-line meaning and the LangRef section.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lsp_server.ide.navigation import entity_at, use_count
from lsp_server.ide.opcodes import describe
from lsp_server.ide.types import read_type, result_type
from lsp_server.syntax.cfg import build_cfg
from lsp_server.syntax.index import Entity, ModuleIndex, definitions, key_at
from lsp_server.syntax.index_model import FunctionIndex, display
from lsp_server.syntax.span import Pos, Span

_WORD = re.compile(r"[A-Za-z_][\w.]*")
_MAX_DEF_LINES = 12


class HoverInfo(NamedTuple):
    """Hover contents (Markdown) and the range they are about."""

    markdown: str
    span: Span


def hover_info(index: ModuleIndex, line: int, col: int) -> HoverInfo | None:
    """The hover for (``line``, ``col``), or ``None`` when there is nothing to say."""
    found = key_at(index, line, col)
    if found is not None:
        entity = entity_at(index, line, col)
        if entity is not None:
            function, ref_index = found
            if function is None:
                span = index.refs[ref_index].span()
            else:
                entry = index.functions[function]
                span = entry.fi.refs[ref_index].span(entry.start)
            text = _entity_markdown(index, entity)
            return HoverInfo(text, span) if text else None
    return _opcode_hover(index, line, col)


def value_type(index: ModuleIndex, entity: Entity) -> str | None:
    """The type of a local value or parameter, as written in the IR."""
    if entity.function is None:
        return None
    fi = index.functions[entity.function].fi
    found = fi.defs.get(entity.key)
    if found is None:
        return None
    if found.kind == "arg":
        return _arg_type(fi, found.where)
    if found.kind == "block":
        return "label"
    inst = fi.insts[found.where]
    return result_type(inst.text, inst.opcode)


def _arg_type(fi: FunctionIndex, where: int) -> str:
    return read_type(fi.args[where].type, 0)[0]


def _entity_markdown(index: ModuleIndex, entity: Entity) -> str:
    key = entity.key
    if entity.function is not None:
        fi = index.functions[entity.function].fi
        found = fi.defs.get(key)
        if found is None:
            return f"`{display(key)}`: not defined in `@{fi.name}`"
        if found.kind == "block":
            return _block_markdown(index, entity.function, found.where)
        uses = use_count(index, entity)
        kind = "parameter" if found.kind == "arg" else "value"
        type_text = value_type(index, entity) or "?"
        lines = [f"**{kind}** `{display(key)}`: `{type_text}`"]
        if found.kind == "value":
            lines.append("```llvm\n" + fi.insts[found.where].text + "\n```")
        else:
            lines.append(f"parameter {found.where} of `@{fi.name}`")
        lines.append(f"{uses} use{'s' if uses != 1 else ''}")
        return "\n\n".join(lines)
    spans = definitions(index, entity)
    what = {
        "@": "global",
        "T": "type",
        "!": "metadata",
        "#": "attribute group",
        "$": "comdat",
    }.get(key[0], "name")
    if not spans:
        if key[0] == "!":
            return f"**metadata kind** `{display(key)}`: attached to instructions and globals"
        return f"`{display(key)}`: not defined in this module"
    uses = use_count(index, entity)
    body = _definition_text(index, spans[0])
    return (
        f"**{what}** `{display(key)}`\n\n```llvm\n{body}\n```\n\n"
        f"{uses} use{'s' if uses != 1 else ''}"
    )


def _definition_text(index: ModuleIndex, span: Span) -> str:
    """The text of the definition starting at ``span``: its line, or a function's header."""
    line = span.start.line
    text = index.lines[line] if line < len(index.lines) else ""
    out = [text.strip()]
    # A multi-line initializer or metadata node continues while its brackets are open.
    depth = (
        text.count("{")
        + text.count("(")
        + text.count("[")
        - text.count("}")
        - text.count(")")
        - text.count("]")
    )
    if text.lstrip().startswith("define"):
        depth = 0
        out[0] = out[0].rstrip("{").rstrip()
    while depth > 0 and line + 1 < len(index.lines) and len(out) < _MAX_DEF_LINES:
        line += 1
        nxt = index.lines[line]
        out.append(nxt.rstrip())
        depth += nxt.count("{") + nxt.count("(") + nxt.count("[")
        depth -= nxt.count("}") + nxt.count(")") + nxt.count("]")
    joined = "\n".join(out)
    return joined if len(joined) < 2000 else joined[:2000] + " ..."


def _block_markdown(index: ModuleIndex, function: int, block: int) -> str:
    fi = index.functions[function].fi
    cfg = build_cfg(fi)
    name = display(fi.blocks[block].key)

    def names(blocks: tuple[int, ...] | list[int]) -> str:
        return ", ".join(f"`{display(fi.blocks[b].key)}`" for b in blocks) or "none"

    succs = ", ".join(
        f"`{display(fi.blocks[s].key)}`" + (f" ({label})" if label else "")
        for s, label in zip(cfg.succs[block], cfg.labels[block], strict=False)
    )
    lines = [f"**block** `{name}` in `@{fi.name}`"]
    lines.append(f"predecessors: {names(cfg.preds[block])}")
    lines.append(f"successors: {succs or 'none'}")
    if block not in cfg.reachable:
        lines.append("unreachable from the entry block")
    else:
        idom = cfg.idom[block]
        if idom is None or idom == block:
            lines.append("entry block (no immediate dominator)")
        else:
            lines.append(f"immediate dominator: `{display(fi.blocks[idom].key)}`")
        loop = cfg.loop_of[block]
        if loop is None:
            lines.append("loop depth 0 (not in a loop)")
        else:
            header = cfg.loops[loop].header
            role = " (its header)" if header == block else ""
            lines.append(
                f"loop depth {cfg.loops[loop].depth}, header `{display(fi.blocks[header].key)}`{role}"
            )
    return "\n\n".join(lines)


def _opcode_hover(index: ModuleIndex, line: int, col: int) -> HoverInfo | None:
    position = index.function_at(line)
    if position is None or line >= len(index.lines):
        return None
    entry = index.functions[position]
    inst_index = entry.fi.inst_at_line(line - entry.start)
    if inst_index is None:
        return None
    inst = entry.fi.insts[inst_index]
    text = index.lines[line]
    for match in _WORD.finditer(text):
        if match.start() <= col <= match.end() and match.group() in (
            inst.opcode,
            "tail",
            "musttail",
        ):
            if match.group() != inst.opcode and inst.opcode != "call":
                continue
            found = describe(inst.opcode)
            if found is None:
                return None
            meaning, link = found
            span = Span(Pos(line, match.start()), Pos(line, match.end()))
            return HoverInfo(f"**`{inst.opcode}`**: {meaning}\n\n[LangRef]({link})", span)
        if match.start() > col:
            break
    return None


__all__ = ["HoverInfo", "hover_info", "read_type", "value_type"]

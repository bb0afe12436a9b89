"""The CFG of one function as plain data, and as text or Graphviz dot.

The data is what a client draws (the VS Code panel asks for it with ``irlens/cfg``):
blocks with their instructions and source lines, edges with their labels (``T``/``F``,
switch cases, ``normal``/``unwind``) and whether they close a loop, and the loops.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lsp_server.syntax.cfg import build_cfg
from lsp_server.syntax.index import ModuleIndex
from lsp_server.syntax.index_model import display

_MAX_INSTS_SHOWN = 400


class CfgNode(NamedTuple):
    """A block: its name, lines (absolute), instructions and loop role."""

    name: str
    line: int
    end_line: int
    instructions: list[str]
    loop_depth: int
    loop_header: bool
    reachable: bool
    idom: str | None


class CfgEdge(NamedTuple):
    """An edge between blocks (indices into the nodes); ``back`` closes a loop."""

    source: int
    target: int
    label: str
    back: bool


class CfgView(NamedTuple):
    """A function's CFG."""

    function: str
    nodes: list[CfgNode]
    edges: list[CfgEdge]
    loops: list[tuple[int, int, list[int]]]

    def as_json(self) -> dict[str, Any]:
        """The wire form of ``irlens/cfg`` (see docs/lsp-extensions.md)."""
        return {
            "function": self.function,
            "blocks": [node._asdict() for node in self.nodes],
            "edges": [edge._asdict() for edge in self.edges],
            "loops": [
                {"header": header, "depth": depth, "blocks": blocks}
                for header, depth, blocks in self.loops
            ],
        }


def function_names(index: ModuleIndex) -> list[str]:
    """The functions defined in the module, in text order."""
    return [entry.fi.name for entry in index.functions]


def cfg_view(
    index: ModuleIndex, *, name: str | None = None, line: int | None = None
) -> CfgView | None:
    """The CFG of the function named ``name`` or holding ``line``."""
    position: int | None = None
    if name is not None:
        wanted = name[1:] if name.startswith("@") else name
        for number, entry in enumerate(index.functions):
            if entry.fi.name == wanted:
                position = number
                break
    elif line is not None:
        position = index.function_at(line)
    if position is None:
        return None
    entry = index.functions[position]
    fi = entry.fi
    cfg = build_cfg(fi)
    nodes: list[CfgNode] = []
    for number, block in enumerate(fi.blocks):
        insts = [
            fi.insts[i].text
            for i in range(
                block.first_inst, min(block.end_inst, block.first_inst + _MAX_INSTS_SHOWN)
            )
        ]
        loop = cfg.loop_of[number]
        idom = cfg.idom[number]
        nodes.append(
            CfgNode(
                name=display(block.key),
                line=block.line + entry.start,
                end_line=block.end_line + entry.start,
                instructions=insts,
                loop_depth=cfg.depth(number),
                loop_header=loop is not None and cfg.loops[loop].header == number,
                reachable=number in cfg.reachable,
                idom=None if idom is None or idom == number else display(fi.blocks[idom].key),
            )
        )
    edges: list[CfgEdge] = []
    for source, targets in enumerate(cfg.succs):
        for target, label in zip(targets, cfg.labels[source], strict=False):
            back = (
                target in cfg.reachable
                and source in cfg.reachable
                and cfg.dominates(target, source)
            )
            edges.append(CfgEdge(source, target, label, back))
    loops = [(loop.header, loop.depth, sorted(loop.blocks)) for loop in cfg.loops]
    return CfgView(fi.name, nodes, edges, loops)


def to_text(view: CfgView) -> str:
    """A plain-text listing: each block with its successors, predecessors and loop."""
    preds: dict[int, list[int]] = {}
    for edge in view.edges:
        preds.setdefault(edge.target, []).append(edge.source)
    out = [
        f"CFG of @{view.function}: {len(view.nodes)} blocks, {len(view.edges)} edges, {len(view.loops)} loops"
    ]
    for number, node in enumerate(view.nodes):
        succs = [
            view.nodes[e.target].name
            + (f" [{e.label}]" if e.label else "")
            + (" (back)" if e.back else "")
            for e in view.edges
            if e.source == number
        ]
        notes = []
        if node.loop_depth:
            notes.append(f"loop depth {node.loop_depth}" + (", header" if node.loop_header else ""))
        if not node.reachable:
            notes.append("unreachable")
        note = f"  ({'; '.join(notes)})" if notes else ""
        out.append(f"{node.name} (line {node.line + 1}){note}")
        out.append(
            "  preds: " + (", ".join(view.nodes[p].name for p in preds.get(number, [])) or "-")
        )
        out.append("  succs: " + (", ".join(succs) or "-"))
    return "\n".join(out) + "\n"


def _dot_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("{", "\\{")
        .replace("}", "\\}")
        .replace("<", "\\<")
        .replace(">", "\\>")
        .replace("|", "\\|")
        .replace("\n", "\\l")
    )


def to_dot(view: CfgView) -> str:
    """Graphviz dot: record nodes with the block's instructions, labelled edges, loop
    headers in bold and back edges dashed."""
    out = [
        f'digraph "CFG for @{_dot_escape(view.function)}" {{',
        "  node [shape=record, fontname=Courier];",
    ]
    for number, node in enumerate(view.nodes):
        body = "\\l".join(_dot_escape(i) for i in node.instructions[:40])
        more = "\\l..." if len(node.instructions) > 40 else ""
        style = ", style=bold" if node.loop_header else ""
        style += ", color=gray" if not node.reachable else ""
        out.append(f'  b{number} [label="{{{_dot_escape(node.name)}:|{body}{more}\\l}}"{style}];')
    for edge in view.edges:
        attrs = []
        if edge.label:
            attrs.append(f'label="{_dot_escape(edge.label)}"')
        if edge.back:
            attrs.append("style=dashed")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  b{edge.source} -> b{edge.target}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"

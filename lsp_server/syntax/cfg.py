"""The control-flow graph of a function, its dominator tree and its natural loops.

Successors come from each block's terminator, in LLVM's order (``br``'s true then false
target, ``switch``'s default then its cases, ``invoke``'s normal then unwind
destination). Dominators are computed with Cooper, Harvey and Kennedy's iterative
algorithm over the reverse postorder; loops are LLVM's natural loops: a header that
dominates the source of a back edge, and every block that reaches that source without
passing the header. Blocks unreachable from the entry have no dominator and belong to
no loop, as in LLVM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.syntax.index_lex import TERMINATORS, name_of
from lsp_server.syntax.index_model import FunctionIndex

_LABEL_OPERAND = re.compile(r'\blabel\s+(%(?:"[^"]*"|[-a-zA-Z$._0-9]+))')
_SWITCH_CASE = re.compile(r"([^\s,\[]+)\s*,\s*label\b")


@dataclass(frozen=True)
class Loop:
    """A natural loop: its header block, nesting depth (1 = outermost) and blocks."""

    header: int
    depth: int
    blocks: frozenset[int]
    parent: int | None


@dataclass(frozen=True)
class Cfg:
    """Successors (with edge labels), predecessors, dominators and loops of a function."""

    succs: tuple[tuple[int, ...], ...]
    labels: tuple[tuple[str, ...], ...]
    preds: tuple[tuple[int, ...], ...]
    reachable: frozenset[int]
    idom: tuple[int | None, ...]
    rpo_number: tuple[int, ...]
    loops: tuple[Loop, ...]
    loop_of: tuple[int | None, ...]

    def dominates(self, a: int, b: int) -> bool:
        """Whether block ``a`` dominates block ``b`` (every block dominates itself)."""
        if b not in self.reachable:
            return True
        if a not in self.reachable:
            return False
        node: int | None = b
        while node is not None:
            if node == a:
                return True
            parent = self.idom[node]
            node = None if parent == node else parent
        return False

    def depth(self, block: int) -> int:
        """The loop depth of ``block`` (0 outside loops)."""
        loop = self.loop_of[block]
        return 0 if loop is None else self.loops[loop].depth


def _edges(fi: FunctionIndex, block_index: int) -> tuple[list[int], list[str]]:
    block = fi.blocks[block_index]
    if block.end_inst <= block.first_inst:
        return [], []
    inst = fi.insts[block.end_inst - 1]
    if inst.opcode not in TERMINATORS:
        return [], []
    targets = ["%" + name_of(m.group(1)) for m in _LABEL_OPERAND.finditer(inst.text)]
    labels: list[str]
    opcode = inst.opcode
    if opcode == "br":
        labels = ["T", "F"] if len(targets) == 2 else [""] * len(targets)
    elif opcode == "switch":
        cases = _SWITCH_CASE.findall(inst.text.split("[", 1)[1]) if "[" in inst.text else []
        labels = ["default", *cases]
    elif opcode in ("invoke",):
        labels = ["normal", "unwind"]
    elif opcode == "callbr":
        labels = ["default"] + [f"indirect{i}" for i in range(len(targets) - 1)]
    elif opcode == "catchswitch":
        # LLVM lists the unwind destination first.
        if "unwind label" in inst.text and targets:
            targets = [targets[-1], *targets[:-1]]
            labels = ["unwind"] + ["handler"] * (len(targets) - 1)
        else:
            labels = ["handler"] * len(targets)
    elif opcode in ("cleanupret",):
        labels = ["unwind"]
    else:
        labels = [""] * len(targets)
    labels = (labels + [""] * len(targets))[: len(targets)]
    keys = {b.key: i for i, b in enumerate(fi.blocks)} if len(targets) else {}
    succs: list[int] = []
    out_labels: list[str] = []
    for target, label in zip(targets, labels, strict=True):
        found = keys.get(target)
        if found is not None:
            succs.append(found)
            out_labels.append(label)
    return succs, out_labels


def build_cfg(fi: FunctionIndex) -> Cfg:
    """The CFG of ``fi`` (cached on the index, which does not change once built)."""
    cached = fi.cfg_cache.get("cfg")
    if isinstance(cached, Cfg):
        return cached
    count = len(fi.blocks)
    succs: list[tuple[int, ...]] = []
    labels: list[tuple[str, ...]] = []
    preds: list[list[int]] = [[] for _ in range(count)]
    for index in range(count):
        targets, edge_labels = _edges(fi, index)
        succs.append(tuple(targets))
        labels.append(tuple(edge_labels))
        for target in targets:
            if index not in preds[target]:
                preds[target].append(index)
    order = _postorder(succs, count)
    rpo = list(reversed(order))
    rpo_number = [-1] * count
    for number, node in enumerate(rpo):
        rpo_number[node] = number
    idom = _dominators(rpo, rpo_number, preds, count)
    reachable = frozenset(rpo)
    loops, loop_of = _loops(rpo, idom, preds, reachable, count)
    cfg = Cfg(
        succs=tuple(succs),
        labels=tuple(labels),
        preds=tuple(tuple(p) for p in preds),
        reachable=reachable,
        idom=tuple(idom),
        rpo_number=tuple(rpo_number),
        loops=loops,
        loop_of=tuple(loop_of),
    )
    fi.cfg_cache["cfg"] = cfg
    return cfg


def _postorder(succs: list[tuple[int, ...]], count: int) -> list[int]:
    """Blocks reachable from block 0 in postorder (iterative, no recursion limit)."""
    if count == 0:
        return []
    seen = [False] * count
    order: list[int] = []
    stack: list[tuple[int, int]] = [(0, 0)]
    seen[0] = True
    while stack:
        node, child = stack[-1]
        if child < len(succs[node]):
            stack[-1] = (node, child + 1)
            nxt = succs[node][child]
            if not seen[nxt]:
                seen[nxt] = True
                stack.append((nxt, 0))
        else:
            stack.pop()
            order.append(node)
    return order


def _dominators(
    rpo: list[int], rpo_number: list[int], preds: list[list[int]], count: int
) -> list[int | None]:
    """Immediate dominators (Cooper, Harvey, Kennedy); the entry's is itself."""
    idom: list[int | None] = [None] * count
    if not rpo:
        return idom
    idom[rpo[0]] = rpo[0]
    changed = True
    while changed:
        changed = False
        for node in rpo[1:]:
            new: int | None = None
            for pred in preds[node]:
                if idom[pred] is None:
                    continue
                if new is None:
                    new = pred
                    continue
                a, b = pred, new
                while a != b:
                    while rpo_number[a] > rpo_number[b]:
                        a = idom[a]  # type: ignore[assignment]
                    while rpo_number[b] > rpo_number[a]:
                        b = idom[b]  # type: ignore[assignment]
                new = a
            if new is not None and idom[node] != new:
                idom[node] = new
                changed = True
    return idom


def _dominates(idom: list[int | None], a: int, b: int) -> bool:
    node: int | None = b
    while node is not None:
        if node == a:
            return True
        parent = idom[node]
        node = None if parent == node else parent
    return False


def _loops(
    rpo: list[int],
    idom: list[int | None],
    preds: list[list[int]],
    reachable: frozenset[int],
    count: int,
) -> tuple[tuple[Loop, ...], list[int | None]]:
    """Natural loops, one per header, nested by containment."""
    bodies: dict[int, set[int]] = {}
    for header in rpo:
        latches = [p for p in preds[header] if p in reachable and _dominates(idom, header, p)]
        if not latches:
            continue
        body = {header}
        work = [p for p in latches if p != header]
        body.update(work)
        while work:
            node = work.pop()
            for pred in preds[node]:
                if pred in reachable and pred not in body:
                    body.add(pred)
                    work.append(pred)
        bodies[header] = body
    # Outer loops are bigger; a loop's parent is the smallest loop holding its header.
    headers = sorted(bodies, key=lambda h: len(bodies[h]), reverse=True)
    parent: dict[int, int | None] = {}
    for position, header in enumerate(headers):
        best: int | None = None
        for other in headers[:position]:
            inside = header in bodies[other] and other != header
            if inside and (best is None or len(bodies[other]) < len(bodies[best])):
                best = other
        parent[header] = best
    depth: dict[int, int] = {}
    for header in headers:
        up = parent[header]
        depth[header] = 1 if up is None else depth[up] + 1
    ordered = sorted(bodies, key=lambda h: (depth[h], h))
    loop_number = {h: n for n, h in enumerate(ordered)}
    loops = tuple(
        Loop(
            header=h,
            depth=depth[h],
            blocks=frozenset(bodies[h]),
            parent=None if parent[h] is None else loop_number[parent[h]],  # type: ignore[index]
        )
        for h in ordered
    )
    loop_of: list[int | None] = [None] * count
    for number, loop in enumerate(loops):
        for block in loop.blocks:
            current = loop_of[block]
            if current is None or loops[current].depth < loop.depth:
                loop_of[block] = number
    return loops, loop_of

"""Built-in checks over the module index: what ``llvm-as`` reports one at a time, all at once.

Each finding has a stable code. They must never fire on IR that LLVM accepts (the tests
run them over every module of the corpora and the LLVM tests), so where the index cannot
be sure, a check stays silent.
"""

from __future__ import annotations

from typing import NamedTuple

from lsp_server.syntax.cfg import Cfg, build_cfg
from lsp_server.syntax.index import ModuleIndex, resolve
from lsp_server.syntax.index_lex import TERMINATORS
from lsp_server.syntax.index_model import FunctionIndex, display
from lsp_server.syntax.span import Pos, Span

#: Every code a finding can carry, with what it means.
CODES = {
    "undefined-value": "a local value or block is used but never defined in its function",
    "undefined-global": "a global is used but never defined or declared",
    "undefined-type": "a named type is used but never defined",
    "undefined-metadata": "a numbered metadata node is used but never defined",
    "undefined-comdat": "a comdat is used but never defined",
    "duplicate-definition": "a name is defined twice in the same scope",
    "numbering": "an unnamed value's number is lower than the next free number",
    "not-dominated": "a use of a value is not dominated by its definition",
    "self-reference": "an instruction other than phi uses its own value",
    "phi-not-predecessor": "a phi names an incoming block that is not a predecessor",
    "phi-missing-predecessor": "a phi has no entry for one of the block's predecessors",
    "missing-terminator": "a basic block does not end with a terminator",
}


class Finding(NamedTuple):
    """One check's finding: its code, a message for the user, and where."""

    code: str
    message: str
    span: Span


def check_module(index: ModuleIndex, limit: int = 500) -> list[Finding]:
    """Run every check; at most ``limit`` findings, in text order."""
    out: list[Finding] = []
    _module_checks(index, out)
    for position in range(len(index.functions)):
        _function_checks(index, position, out)
        if len(out) >= limit * 4:
            break
    out.sort(key=lambda f: (f.span.start, f.code))
    return out[:limit]


_UNDEFINED = {
    "@": ("undefined-global", "global"),
    "T": ("undefined-type", "type"),
    "!": ("undefined-metadata", "metadata node"),
    "$": ("undefined-comdat", "comdat"),
}


def _undefined(index: ModuleIndex, key: str) -> tuple[str, str] | None:
    kind = _UNDEFINED.get(key[0])
    if kind is None or key in index.defs:
        return None
    if key[0] == "!" and not key[1:].isdigit():
        return None  # `!dbg`, `!tbaa`: attachment kinds, not nodes
    if key[0] == "@" and key[1:2] == '"':
        return None
    return kind


def _module_checks(index: ModuleIndex, out: list[Finding]) -> None:
    for ref in index.refs:
        if ref.is_def or ref.key[0] == "B":
            continue
        found = _undefined(index, ref.key)
        if found is not None:
            code, what = found
            out.append(Finding(code, f"use of undefined {what} {display(ref.key)}", ref.span()))
    for key, defs in index.defs.items():
        if len(defs) < 2 or (key[0] == "!" and not key[1:].isdigit()):
            continue
        for function, def_ref in defs[1:]:
            out.append(
                Finding(
                    "duplicate-definition",
                    f"{display(key)} is already defined",
                    index.def_span(function, def_ref),
                )
            )


def _function_checks(index: ModuleIndex, position: int, out: list[Finding]) -> None:
    entry = index.functions[position]
    fi = entry.fi
    offset = entry.start
    for problem in fi.problems:
        span = Span(
            Pos(problem.line + offset, problem.start), Pos(problem.line + offset, problem.end)
        )
        out.append(Finding(problem.code, problem.message, span))
    for ref_index, ref in enumerate(fi.refs):
        if ref.is_def:
            continue
        first = ref.key[0]
        if first == "%" or first == "B":
            entity = resolve(index, position, ref_index)
            if entity.function is None:
                if entity.key[0] == "T" and entity.key not in index.defs:
                    out.append(
                        Finding(
                            "undefined-type",
                            f"use of undefined type {display(entity.key)}",
                            ref.span(offset),
                        )
                    )
                continue
            target = index.functions[entity.function].fi
            if entity.key not in target.defs:
                out.append(
                    Finding(
                        "undefined-value",
                        f"use of undefined value {display(entity.key)} in @{target.name}",
                        ref.span(offset),
                    )
                )
            continue
        found = _undefined(index, ref.key)
        if found is not None:
            code, what = found
            out.append(
                Finding(code, f"use of undefined {what} {display(ref.key)}", ref.span(offset))
            )
    if not fi.blocks:
        return
    cfg = build_cfg(fi)
    for block in fi.blocks:
        last = fi.insts[block.end_inst - 1] if block.end_inst > block.first_inst else None
        if last is None or last.opcode not in TERMINATORS:
            line = (last.end_line if last is not None else block.line) + offset
            out.append(
                Finding(
                    "missing-terminator",
                    f"block {display(block.key)} does not end with a terminator",
                    Span(
                        Pos(line, 0),
                        Pos(line, len(index.lines[line]) if line < len(index.lines) else 0),
                    ),
                )
            )
    _dominance(fi, cfg, offset, out)
    _phis(fi, cfg, offset, out)


def _dominance(fi: FunctionIndex, cfg: Cfg, offset: int, out: list[Finding]) -> None:
    defs = fi.defs
    insts = fi.insts
    blocks = fi.blocks
    for use in fi.uses:
        if use.is_meta or use.phi_block == "":
            continue
        ref = fi.refs[use.ref]
        found = defs.get(ref.key)
        if found is None or found.kind != "value":
            continue
        def_inst = found.where
        def_block = insts[def_inst].block
        if def_inst == use.inst and use.phi_block is None and def_block in cfg.reachable:
            out.append(
                Finding(
                    "self-reference", f"{display(ref.key)} uses its own value", ref.span(offset)
                )
            )
            continue
        if use.phi_block is not None:
            incoming = defs.get(use.phi_block)
            if incoming is None or incoming.kind != "block":
                continue
            at = incoming.where
            ok = cfg.dominates(def_block, at)
            ok = ok and _edge_ok(fi, cfg, def_inst, at, is_phi_edge=True)
        else:
            at = insts[use.inst].block
            if at not in cfg.reachable:
                continue
            if def_block == at:
                ok = def_inst < use.inst
            else:
                ok = cfg.dominates(def_block, at) and _edge_ok(
                    fi, cfg, def_inst, at, is_phi_edge=False
                )
        if not ok:
            out.append(
                Finding(
                    "not-dominated",
                    f"{display(ref.key)} is used where its definition in block "
                    f"{display(blocks[def_block].key)} does not dominate",
                    ref.span(offset),
                )
            )


def _edge_ok(fi: FunctionIndex, cfg: Cfg, def_inst: int, at: int, *, is_phi_edge: bool) -> bool:
    """An ``invoke``'s value exists only along its normal edge; check that when the normal
    destination has that edge as its only way in (otherwise say nothing)."""
    inst = fi.insts[def_inst]
    if inst.opcode not in ("invoke", "callbr"):
        return True
    block = inst.block
    if not cfg.succs[block]:
        return True
    normal = cfg.succs[block][0]
    if cfg.preds[normal] != (block,):
        return True
    if is_phi_edge and at == block:
        return True
    return cfg.dominates(normal, at)


def _phis(fi: FunctionIndex, cfg: Cfg, offset: int, out: list[Finding]) -> None:
    refs = fi.refs
    by_inst: dict[int, list[int]] = {}
    for use in fi.uses:
        if use.phi_block == "":
            by_inst.setdefault(use.inst, []).append(use.ref)
    for inst_index, block_refs in by_inst.items():
        inst = fi.insts[inst_index]
        if inst.opcode != "phi":
            continue
        preds = {fi.blocks[p].key for p in cfg.preds[inst.block]}
        seen: set[str] = set()
        resolved = 0
        for ref_index in block_refs:
            ref = refs[ref_index]
            found = fi.defs.get(ref.key)
            if found is None or found.kind != "block":
                continue
            seen.add(ref.key)
            resolved += 1
            if ref.key not in preds:
                out.append(
                    Finding(
                        "phi-not-predecessor",
                        f"{display(ref.key)} is not a predecessor of block "
                        f"{display(fi.blocks[inst.block].key)}",
                        ref.span(offset),
                    )
                )
        if resolved == len(block_refs):
            missing = sorted(preds - seen)
            if missing:
                line = inst.line + offset
                out.append(
                    Finding(
                        "phi-missing-predecessor",
                        "phi has no entry for predecessor "
                        + ", ".join(display(m) for m in missing),
                        Span(Pos(line, inst.col), Pos(line, inst.col + 3)),
                    )
                )

"""The index's CFG, dominators and loops equal LLVM's on every function of the corpora and the
LLVM tests (``print<domtree>``, ``print<loops>``, ``dot-cfg``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.syntax.cfg import build_cfg
from lsp_server.syntax.index import build_index
from tests.support.index import accepted, label, llvm_analyses, llvm_edges, module_files

FILES = module_files()
CORPUS_FILES = [p for p in FILES if "corpus" in p.parts]


def _ours(text: str):
    index = build_index(text)
    for entry in index.functions:
        yield entry.fi, build_cfg(entry.fi)


@pytest.mark.parametrize("path", FILES, ids=label)
def test_dominators_and_loops_equal_llvm(toolchain, path: Path) -> None:
    if not accepted(toolchain.path("llvm-as"), path):
        pytest.skip("llvm-as rejects this file")
    text = path.read_text()
    idoms, loops = llvm_analyses(toolchain.path("opt"), text)
    checked = 0
    for fi, cfg in _ours(text):
        if fi.name not in idoms:
            continue
        ours_idom = {
            fi.blocks[b].key: (
                None if cfg.idom[b] in (None, b) else fi.blocks[cfg.idom[b]].key  # type: ignore[index]
            )
            for b in cfg.reachable
        }
        assert ours_idom == idoms[fi.name], f"idoms of @{fi.name}"
        ours_loops = {
            (
                fi.blocks[loop.header].key,
                loop.depth,
                frozenset(fi.blocks[b].key for b in loop.blocks),
            )
            for loop in cfg.loops
        }
        assert ours_loops == loops.get(fi.name, set()), f"loops of @{fi.name}"
        checked += 1
    assert checked == len(idoms), "every function LLVM analysed was found by the index"


@pytest.mark.parametrize("path", CORPUS_FILES[::3], ids=label)
def test_cfg_edges_equal_dot_cfg(toolchain, path: Path, tmp_path: Path) -> None:
    if not accepted(toolchain.path("llvm-as"), path):
        pytest.skip("llvm-as rejects this file")
    text = path.read_text()
    edges = llvm_edges(toolchain.path("opt"), text, tmp_path)
    assert edges, "dot-cfg wrote no graph"
    for fi, cfg in _ours(text):
        if fi.name not in edges:
            continue
        ours = {
            (fi.blocks[src].key, fi.blocks[dst].key)
            for src, targets in enumerate(cfg.succs)
            for dst in targets
        }
        assert ours == edges[fi.name], f"edges of @{fi.name}"

"""Which files an eval reads: the corpus layout, plain directories, single files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsp_server.eval.inputs import InputOptions, find_sources
from tests.support.data import CORPUS


def _manifest() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]


def test_the_corpus_layout_gives_one_ir_file_per_entry_in_the_training_form() -> None:
    sources = find_sources(CORPUS, "ir")
    entries = _manifest()
    assert len(sources) == len(entries)
    assert {s.path.parent.name for s in sources} == {"ir_ozfe"}
    assert sources == sorted(sources, key=lambda s: s.id)


def test_the_o0_variant_reads_ir() -> None:
    sources = find_sources(CORPUS, "ir", InputOptions(variant="O0"))
    assert {s.path.parent.name for s in sources} == {"ir"}


def test_the_corpus_assembly_per_architecture_with_its_triple() -> None:
    with_asm = [e for e in _manifest() if e["asm"]]
    both = find_sources(CORPUS, "asm")
    x86 = find_sources(CORPUS, "asm", InputOptions(arch="x86_64"))
    assert len(both) == 2 * len(with_asm)
    assert len(x86) == len(with_asm)
    assert all(s.path.suffix == ".s" and s.path.is_file() for s in both)
    assert {s.triple for s in x86} == {"x86_64-unknown-linux-gnu"}
    assert all(s.id.endswith("/x86_64") for s in x86)


def test_a_plain_directory_is_searched_recursively_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.ll").write_text("")
    (tmp_path / "sub" / "b.c").write_text("")
    (tmp_path / "c.s").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert [s.id for s in find_sources(tmp_path, "ir")] == ["a", "sub/b"]
    assert [s.id for s in find_sources(tmp_path, "asm")] == ["c"]


def test_a_single_file_is_its_own_input(tmp_path: Path) -> None:
    path = tmp_path / "one.ll"
    path.write_text("")
    assert [s.path for s in find_sources(path, "ir")] == [path]


def test_a_missing_corpus_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        find_sources(tmp_path / "nope", "ir")

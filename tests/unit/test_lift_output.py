"""Writing lifted IR: never over the input, never through a link, whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.lift.output import UnsafeOutput, lifted_name, write_lifted, write_new


def test_lifted_names() -> None:
    assert lifted_name("f.s") == "f.lifted.ll"
    assert lifted_name("f.S", 3) == "f.lifted.3.ll"
    assert lifted_name(".s") == ".s.lifted.ll"


def test_a_new_file_takes_the_next_free_name(tmp_path: Path) -> None:
    source = tmp_path / "f.s"
    source.write_text("asm")
    (tmp_path / "f.lifted.ll").write_text("mine")
    written = write_lifted("ir", source)
    assert written == tmp_path / "f.lifted.2.ll"
    assert written.read_text() == "ir"
    assert (tmp_path / "f.lifted.ll").read_text() == "mine"


def test_an_explicit_output_replaces_a_regular_file_but_not_the_source(tmp_path: Path) -> None:
    source = tmp_path / "f.s"
    source.write_text("asm")
    out = tmp_path / "out.ll"
    out.write_text("old")
    assert write_lifted("new", source, out) == out
    assert out.read_text() == "new"
    with pytest.raises(UnsafeOutput, match="input file"):
        write_lifted("ir", source, source)
    link = tmp_path / "hard.s"
    os.link(source, link)
    with pytest.raises(UnsafeOutput, match="input file"):
        write_lifted("ir", source, link)
    assert source.read_text() == "asm"


def test_symbolic_links_are_never_written_through(tmp_path: Path) -> None:
    source = tmp_path / "f.s"
    source.write_text("asm")
    target = tmp_path / "elsewhere"
    (tmp_path / "out.ll").symlink_to(target)
    with pytest.raises(UnsafeOutput, match="symbolic link"):
        write_lifted("ir", source, tmp_path / "out.ll")
    with pytest.raises(UnsafeOutput, match="symbolic link"):
        write_new(tmp_path / "out.ll", "ir")
    assert not target.exists()


def test_write_new_never_replaces(tmp_path: Path) -> None:
    path = tmp_path / "x.ll"
    write_new(path, "first")
    with pytest.raises(FileExistsError):
        write_new(path, "second")
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["x.ll"]

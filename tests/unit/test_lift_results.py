"""Lift to IR's result in the editor: the lifted document's name, writing it, the summary,
and what the client can show."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from lsp_server.features.lift import (
    disabled_support,
    lifted_target,
    shows_documents,
    summary,
)
from lsp_server.lift.output import write_new
from lsp_server.lift.report import FunctionReport, LiftResult


def _result(*statuses: str) -> LiftResult:
    functions = tuple(
        FunctionReport(f"f{i}", status, "", i, i, i + 1) for i, status in enumerate(statuses)
    )
    return LiftResult(source="crc.s", triple="x86_64-unknown-linux-gnu", functions=functions)


def test_the_target_skips_open_documents_and_existing_files(tmp_path: Path) -> None:
    source = (tmp_path / "crc.s").as_uri()
    assert lifted_target(source, set()) == (tmp_path / "crc.lifted.ll").as_uri()
    (tmp_path / "crc.lifted.ll").write_text("; mine\n")
    opened = {(tmp_path / "crc.lifted.2.ll").as_uri()}
    assert lifted_target(source, opened) == (tmp_path / "crc.lifted.3.ll").as_uri()
    # A URI that is not a file is only checked against the open documents.
    assert lifted_target("untitled:crc.s", {"untitled:crc.lifted.ll"}) == "untitled:crc.lifted.2.ll"


def test_a_dangling_link_takes_its_name(tmp_path: Path) -> None:
    source = (tmp_path / "crc.s").as_uri()
    (tmp_path / "crc.lifted.ll").symlink_to(tmp_path / "elsewhere.ll")
    assert lifted_target(source, set()) == (tmp_path / "crc.lifted.2.ll").as_uri()


def test_writing_never_replaces_a_file(tmp_path: Path) -> None:
    path = tmp_path / "crc.lifted.ll"
    write_new(path, "; lifted\n")
    assert path.read_text() == "; lifted\n"
    with pytest.raises(FileExistsError):
        write_new(path, "; again\n")
    assert path.read_text() == "; lifted\n"


def test_the_summary_counts_each_outcome_and_warns_on_failures() -> None:
    message, kind = summary(_result("exact", "similar", "exact"), "file:///w/crc.lifted.2.ll")
    assert message == (
        "irlens: lifted crc.s to crc.lifted.2.ll: 2 exact, 1 similar, 0 failed round trips"
    )
    assert kind == types.MessageType.Info
    message, kind = summary(_result("exact", "failed"), "file:///w/crc.lifted.ll")
    assert message.endswith("1 exact, 0 similar, 1 failed round trips")
    assert kind == types.MessageType.Warning


@pytest.mark.parametrize("client", ["visual-studio-code", "neovim@v0.11.0"])
def test_recorded_clients_show_documents(client: str) -> None:
    assert shows_documents(client_capabilities(client))


def test_capabilities_absent_mean_unsupported() -> None:
    assert not shows_documents(None) and not shows_documents(types.ClientCapabilities())
    assert not disabled_support(None) and not disabled_support(types.ClientCapabilities())
    assert disabled_support(client_capabilities("visual-studio-code"))

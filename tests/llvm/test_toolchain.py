"""Discovery: the documented search order, versions, feature gates."""

from __future__ import annotations

import stat
from pathlib import Path

from lsp_server.llvm.toolchain import FEATURES, discover, host_triple, registered_targets


def _fake_tool(directory: Path, name: str, version: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\necho 'LLVM version {version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_discovers_llvm_19_through_llvm_config(toolchain) -> None:
    assert toolchain.major >= 15
    assert toolchain.source.startswith("llvm-config")
    assert all(Path(t.path).exists() for t in toolchain.tools.values())


def test_setting_wins_over_everything(toolchain, tmp_path) -> None:
    bin_dir = Path(toolchain.path("opt")).parent
    found = discover(str(bin_dir), path_env="")
    assert found.source.startswith("llvm.binDir")
    assert found.path("opt") == str(bin_dir / "opt")


def test_path_search_takes_the_highest_versioned_name(tmp_path) -> None:
    for name, version in [
        ("opt", "14.0.6"),
        ("opt-16", "16.0.6"),
        ("opt-18", "18.1.8"),
        ("llc-18", "18.1.8"),
    ]:
        _fake_tool(tmp_path, name, version)
    found = discover(path_env=str(tmp_path))
    assert found.source == "PATH"
    assert found.tools["opt"].version == (18, 1, 8)
    assert found.tools["opt"].path.endswith("opt-18")
    assert found.version_text == "18.1.8"


def test_no_llvm_at_all_says_what_to_install(tmp_path) -> None:
    found = discover(path_env=str(tmp_path))
    assert found.tools == {}
    problem = found.problem_for("preview")
    assert problem is not None and "apt install llvm" in problem
    try:
        found.path("opt")
    except Exception as err:  # MissingToolError
        assert "opt was not found" in str(err)
    else:
        raise AssertionError("expected MissingToolError")


def test_old_llvm_is_gated_per_feature(tmp_path) -> None:
    for name in ("opt", "llc", "llvm-as", "llvm-size", "llvm-extract", "llvm-mc"):
        _fake_tool(tmp_path, name, "14.0.6")
    found = discover(path_env=str(tmp_path))
    assert found.problem_for("preview") is None
    suggest = found.problem_for("suggest")
    assert suggest is not None and "LLVM 15 or later" in suggest


def test_every_feature_is_available_with_the_installed_llvm(toolchain) -> None:
    for feature in FEATURES:
        assert toolchain.feature_problem(feature) is None, feature.name


def test_targets_and_host_triple(toolchain) -> None:
    targets = registered_targets(toolchain)
    assert "x86-64" in targets and "aarch64" in targets
    assert host_triple(toolchain) == "x86_64-unknown-linux-gnu"

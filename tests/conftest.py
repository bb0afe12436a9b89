"""Fixtures every tier shares: the real LLVM toolchain and the test data."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.llvm.toolchain import Toolchain, discover
from tests.support.data import CORPUS


def pytest_report_header(config: pytest.Config) -> list[str]:
    toolchain = discover()
    return [f"LLVM {toolchain.version_text} from {toolchain.source}"]


@pytest.fixture(scope="session")
def toolchain() -> Toolchain:
    found = discover(default_triple="x86_64-unknown-linux-gnu")
    missing = [
        t
        for t in ("opt", "llc", "llvm-as", "llvm-mc", "llvm-extract", "llvm-size")
        if t not in found.tools
    ]
    if missing:
        pytest.fail(
            f"the real LLVM tools are needed for this test, missing: {missing} (run scripts/setup.sh)"
        )
    return found


@pytest.fixture(scope="session")
def filecheck(toolchain: Toolchain) -> str:
    """LLVM's FileCheck from the same installation as the toolchain's opt.

    FileCheck is a test tool that irlens itself never runs, so the toolchain does not look
    for it: it is next to opt, under opt's own name pattern (``opt-19`` and ``FileCheck-19``
    on PATH, ``opt`` and ``FileCheck`` in an LLVM bin directory), or next to the file a
    versioned link points at.
    """
    opt = Path(toolchain.path("opt"))
    suffix = opt.name[len("opt") :]
    for candidate in (opt.parent / f"FileCheck{suffix}", opt.resolve().parent / "FileCheck"):
        if candidate.is_file():
            return str(candidate)
    pytest.fail(
        f"FileCheck is needed next to {opt} "
        f"(Debian: apt install llvm-{toolchain.major}-tools, or run scripts/setup.sh)"
    )


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    import json

    return [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]

"""Fixtures every tier shares: the real LLVM toolchain and the test data."""

from __future__ import annotations

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
def manifest() -> list[dict]:
    import json

    return [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]

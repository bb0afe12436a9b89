"""Where the test data lives (importable from every test tier)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CORPUS = DATA / "corpus"
LLVM_TESTS = DATA / "llvm-tests"
EXAMPLES = ROOT / "lsp_server" / "examples"

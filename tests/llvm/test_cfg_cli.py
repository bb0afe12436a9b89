"""``irlens cfg``: the text, dot, json and svg forms of a corpus function's CFG."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_server.syntax.index import build_index
from tests.support.data import CORPUS

MODULE = sorted((CORPUS / "ir").glob("*.ll"))[0]


def irlens(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", "cfg", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _function() -> str:
    index = build_index(MODULE.read_text())
    return max(index.functions, key=lambda e: len(e.fi.blocks)).fi.name


def test_text_and_json_list_every_block() -> None:
    name = _function()
    text = irlens(str(MODULE), "--function", name)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"CFG of @{name}:")
    data = json.loads(irlens(str(MODULE), "--function", "@" + name, "--format", "json").stdout)
    assert data["function"] == name
    for block in data["blocks"]:
        assert block["name"] + " (line" in text.stdout


def test_svg_through_graphviz() -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is needed for this test (scripts/setup.sh --dev installs it)")
    done = irlens(str(MODULE), "--function", _function(), "--format", "svg")
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "</svg>" in done.stdout


def test_unknown_function_and_missing_file_are_clear(tmp_path: Path) -> None:
    done = irlens(str(MODULE), "--function", "no_such_function")
    assert done.returncode == 2 and "no function no_such_function" in done.stderr
    missing = irlens(str(tmp_path / "absent.ll"))
    assert (
        missing.returncode == 2
        and "cannot read" in missing.stderr
        and "Traceback" not in missing.stderr
    )

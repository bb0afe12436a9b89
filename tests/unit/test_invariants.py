"""The architecture invariants in ARCHITECTURE.md, checked."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.data import ROOT

PACKAGE = ROOT / "lsp_server"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("lsp_server."):
                names.add(node.module)
    return names


def test_importing_the_server_loads_neither_torch_nor_transformers() -> None:
    code = (
        "import sys, lsp_server.server, lsp_server.cli; "
        "lsp_server.cli.build_parser(); lsp_server.server.create_server(); "
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_server_starts_without_the_engines_it_imports_on_first_use() -> None:
    """The preview, the pass search, the lift engine and the model client are imported on
    first use (ARCHITECTURE.md, startup), so ``initialize`` is answered without them."""
    lazy = ("lsp_server.preview.", "lsp_server.search.", "lsp_server.lift.engine", "httpx")
    code = (
        "import sys, lsp_server.server; lsp_server.server.create_server(); "
        f"print(','.join(sorted(m for m in sys.modules if m.startswith({lazy!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_the_daemon_imports_torch_or_transformers() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if "daemon" not in path.relative_to(PACKAGE).parts
        and _imports(path) & {"torch", "transformers"}
    ]
    assert offenders == []


#: The engines: everything but ``features/`` and ``handlers/`` (and the server that wires them).
ENGINES = ("syntax", "ide", "llvm", "model", "preview", "search", "lift", "eval")


def test_engines_know_nothing_of_lsp() -> None:
    offenders = []
    for folder in ENGINES:
        for path in (PACKAGE / folder).rglob("*.py"):
            if _imports(path) & {"lsprotocol", "pygls"}:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_syntax_does_no_io() -> None:
    banned = {"subprocess", "os", "pathlib", "socket", "asyncio", "shutil", "tempfile"}
    offenders = []
    paths = [*(PACKAGE / "syntax").rglob("*.py"), *(PACKAGE / "ide").rglob("*.py")]
    for path in paths:
        found = _imports(path) & banned
        tree = ast.parse(path.read_text())
        calls_open = any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "open"
            for n in ast.walk(tree)
        )
        if found or calls_open:
            offenders.append(f"{path.name}: {sorted(found) or 'open()'}")
    assert offenders == []

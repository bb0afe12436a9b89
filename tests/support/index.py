"""What the module-index tests share: the modules to check and LLVM's own answers about them."""

from __future__ import annotations

import hashlib
import re
import subprocess
from functools import cache
from pathlib import Path

from tests.support.data import CORPUS, LLVM_TESTS, ROOT

SHARED = ROOT.parent / "shared"


def module_files() -> list[Path]:
    """Every .ll of the corpora (ir, ir_ozfe) and the LLVM tests, each text once."""
    roots = [
        SHARED / "corpus" / "ir",
        SHARED / "corpus" / "ir_ozfe",
        CORPUS / "ir",
        CORPUS / "ir_ozfe",
        SHARED / "llvm-tests",
        LLVM_TESTS,
    ]
    seen: set[str] = set()
    out: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.ll")):
            digest = hashlib.sha1(path.read_bytes()).hexdigest()
            if digest not in seen:
                seen.add(digest)
                out.append(path)
    return out


def label(path: Path) -> str:
    """A short test id for ``path``."""
    return f"{path.parent.name}/{path.name}"


def run(argv: list[str], text: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=text, capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


@cache
def accepted(llvm_as: str, path: Path) -> bool:
    """Whether llvm-as takes the file."""
    return run([llvm_as, "-o", "/dev/null", "-"], path.read_text()).returncode == 0


def norm_block(token: str) -> str:
    """``%"a b"`` / ``%bb`` / ``2`` as the index's key (``%a b``, ``%bb``, ``%2``)."""
    token = token.strip()
    if token.startswith("%"):
        token = token[1:]
    if token.startswith('"') and token.endswith('"'):
        token = re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), token[1:-1])
    return "%" + token


_DOM_HEADER = re.compile(r"DominatorTree for function: (.*)")
_DOM_NODE = re.compile(r"(\s*)\[(\d+)\] (%(?:\"[^\"]*\"|\S+)) \{")
_LOOP_HEADER = re.compile(r"Loop info for function '(.*)':")
_LOOP = re.compile(r"\s*Loop at depth (\d+) containing: (.*)")


def llvm_analyses(
    opt: str, text: str
) -> tuple[dict[str, dict[str, str | None]], dict[str, set[tuple[str, int, frozenset[str]]]]]:
    """LLVM's immediate dominators and loops of every function defined in ``text``."""
    result = run([opt, "-disable-output", "-passes=print<domtree>,print<loops>", "-"], text)
    idoms: dict[str, dict[str, str | None]] = {}
    loops: dict[str, set[tuple[str, int, frozenset[str]]]] = {}
    function = ""
    stack: list[str] = []
    for line in result.stderr.splitlines():
        header = _DOM_HEADER.match(line)
        if header is not None:
            function = header.group(1)
            idoms[function] = {}
            stack = []
            continue
        node = _DOM_NODE.match(line)
        if node is not None and function in idoms:
            level = int(node.group(2))
            name = norm_block(node.group(3))
            del stack[level - 1 :]
            idoms[function][name] = stack[-1] if stack else None
            stack.append(name)
            continue
        loop_header = _LOOP_HEADER.match(line)
        if loop_header is not None:
            function = loop_header.group(1)
            loops[function] = set()
            continue
        loop = _LOOP.match(line)
        if loop is not None:
            blocks: list[str] = []
            header_block = ""
            for part in _split_blocks(loop.group(2)):
                name = re.sub(r"(<[a-z]+>)+$", "", part)
                if "<header>" in part:
                    header_block = norm_block(name)
                blocks.append(norm_block(name))
            loops[function].add((header_block, int(loop.group(1)), frozenset(blocks)))
    return idoms, loops


def _split_blocks(text: str) -> list[str]:
    """Split ``%a<header>,%"b,c"<latch>`` at the commas outside quotes."""
    parts: list[str] = []
    current = ""
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts]


_DOT_TITLE = re.compile(r"digraph \"CFG for '(.*)' function\"")
_DOT_NODE = re.compile(r'\t(Node0x[0-9a-f]+) \[.*?label="\{(.*?):\\l')
_DOT_EDGE = re.compile(r"\t(Node0x[0-9a-f]+)(?::s\d+)? -> (Node0x[0-9a-f]+)")


def llvm_edges(opt: str, text: str, workdir: Path) -> dict[str, set[tuple[str, str]]]:
    """LLVM's CFG edges (block name pairs) of every function, from ``opt -passes=dot-cfg``."""
    for old in workdir.glob("*.dot"):
        old.unlink()
    run(
        [opt, "-disable-output", "-passes=dot-cfg", "-cfg-dot-filename-prefix=cfg", "-"],
        text,
        workdir,
    )
    out: dict[str, set[tuple[str, str]]] = {}
    for dot in workdir.glob("*.dot"):
        body = dot.read_text(errors="replace")
        title = _DOT_TITLE.search(body)
        if title is None:
            continue
        names = {m.group(1): norm_block(m.group(2)) for m in _DOT_NODE.finditer(body)}
        edges = {
            (names[m.group(1)], names[m.group(2)])
            for m in _DOT_EDGE.finditer(body)
            if m.group(1) in names and m.group(2) in names
        }
        out[title.group(1)] = edges
    return out

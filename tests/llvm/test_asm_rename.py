"""Rename in assembly keeps the object: over the corpus (x86_64 and aarch64), a renamed file
assembles (``llvm-mc -filetype=obj``) to an object whose symbol table is the original's with
only that name changed, and whose code, data, relocations and unwind tables are the same
once the name is put back. Each refusal is one LLVM would agree with: doing the rename
anyway makes llvm-mc fail or the object change."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from lsp_server.ide.asm_rename import asm_rename
from lsp_server.ide.rename import Edit, Refusal, apply_edits
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.syntax.asm_index import AsmIndex, build_asm_index
from tests.support.data import CORPUS

FILES = sorted((CORPUS / "asm").glob("*/*.s"))
TRIPLES = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}
# Sections whose bytes hold names or symbol indices: compared by name through -t and -r.
_NAMED_SECTIONS = re.compile(r"^\.(?:strtab|symtab|rela?\..*)$")


@pytest.fixture(scope="session")
def objdump(toolchain: Toolchain) -> str:
    """llvm-objdump from the installation of the toolchain's llvm-mc (the toolchain itself
    never runs it), under llvm-mc's own name pattern."""
    mc = Path(toolchain.path("llvm-mc"))
    suffix = mc.name[len("llvm-mc") :]
    for candidate in (mc.parent / f"llvm-objdump{suffix}", mc.resolve().parent / "llvm-objdump"):
        if candidate.is_file():
            return str(candidate)
    pytest.fail(f"llvm-objdump is needed next to {mc} (Debian: apt install llvm-{toolchain.major})")


def _assemble(
    toolchain: Toolchain, text: str, triple: str, out: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [toolchain.path("llvm-mc"), f"-triple={triple}", "-filetype=obj", "-o", str(out), "-"],
        input=text,
        text=True,
        capture_output=True,
        timeout=60,
    )


def _dump(objdump: str, obj: Path) -> dict[str, list[str]]:
    """The object as text: its symbol table (sorted), its disassembly with relocations, and
    the bytes of every section that holds no names."""

    def run(*args: str) -> str:
        result = subprocess.run(
            [objdump, *args, str(obj)], text=True, capture_output=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        # The first lines name the file, which differs between runs.
        return result.stdout.split("\n", 2)[-1]

    symbols = sorted(line for line in run("-t").splitlines() if line.strip())
    contents: list[str] = []
    keep = True
    for line in run("-s").splitlines():
        if line.startswith("Contents of section "):
            keep = _NAMED_SECTIONS.match(line[len("Contents of section ") : -1]) is None
        if keep:
            contents.append(line)
    return {"symbols": symbols, "code": run("-d", "-r").splitlines(), "bytes": contents}


def _named_back(dump: dict[str, list[str]], new: str, old: str) -> dict[str, list[str]]:
    word = re.compile(r"(?<![\w.$])" + re.escape(new) + r"(?![\w.$])")
    return {
        key: sorted(word.sub(old, line) for line in lines)
        if key == "symbols"
        else [word.sub(old, line) for line in lines]
        for key, lines in dump.items()
    }


def _triple(path: Path, index: AsmIndex) -> str:
    arch = path.parent.name
    assert index.target.arch == arch, index.target.evidence
    return TRIPLES[arch]


def _picks(index: AsmIndex, rng: random.Random) -> list[str]:
    """A few names of the file: its first function, an assembler-local label, and others."""
    names = [n for n in index.names if not n.isdigit()]
    public = [n for n in names if not n.startswith(".L")]
    local = [n for n in names if n.startswith(".L")]
    picked = public[:1] + rng.sample(local, min(1, len(local)))
    rest = [n for n in names if n not in picked]
    return picked + rng.sample(rest, min(2, len(rest)))


def _edits_at(index: AsmIndex, name: str, new: str, use: bool) -> list[Edit] | Refusal:
    """The rename asked from a use of ``name`` (or its definition)."""
    occurrences = index.names[name]
    occ = next((o for o in occurrences if o.is_def != use), occurrences[0])
    return asm_rename(index, occ.span.start.line, occ.span.start.col + 1, new)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rename_keeps_the_object(toolchain, objdump, tmp_path: Path, path: Path) -> None:
    text = path.read_text()
    index = build_asm_index(text)
    triple = _triple(path, index)
    original = tmp_path / "original.o"
    assert _assemble(toolchain, text, triple, original).returncode == 0
    before = _dump(objdump, original)
    rng = random.Random(path.name)
    picks = _picks(index, rng)
    assert picks, "every corpus file has a label to rename"
    for number, name in enumerate(picks):
        new = (".Lirlens_" if name.startswith(".L") else "irlens_") + f"renamed{number}"
        edits = _edits_at(index, name, new, use=number % 2 == 1)
        assert not isinstance(edits, Refusal), (name, edits)
        assert len(edits) == len(index.names[name])
        renamed = apply_edits(text, edits)
        assert (
            re.search(r"(?<![\w.$])" + re.escape(name) + r"(?![\w.$])", code_only(renamed, index))
            is None
        ), name
        obj = tmp_path / f"renamed{number}.o"
        result = _assemble(toolchain, renamed, triple, obj)
        assert result.returncode == 0, (name, result.stderr)
        after = _dump(objdump, obj)
        in_table = any(line.endswith(" " + new) for line in after["symbols"])
        assert in_table == any(line.endswith(" " + name) for line in before["symbols"]), name
        assert _named_back(after, new, name) == before, name


def code_only(text: str, index: AsmIndex) -> str:
    """``text`` without comments and strings, where a name may still appear."""
    from lsp_server.syntax.asm_index import code_of

    out = []
    for line in text.split("\n"):
        code = code_of(line, index.target.arch)
        out.append(re.sub(r'"[^"]*"', '""', code))
    return "\n".join(out)


X86 = """\
\t.text
\t.globl\tf
\t.type\tf,@function
f:
\ttestl\t%edi, %edi
\tje\t.LBB0_2
.LBB0_1:
\tmovl\t$g, %eax
\tjmp\t.LBB0_3
.LBB0_2:
\tcallq\tmemcpy@PLT
.LBB0_3:
\tretq
.Lfunc_end0:
\t.size\tf, .Lfunc_end0-f
\t.type\tg,@object
\t.data
g:
\t.quad\tf+8
\t.size\tg, 8
"""
X86_INTEL = """\
\t.intel_syntax noprefix
\t.text
\t.globl\tf
f:
\tcall\tg
\tret
g:
\tret
"""
A64 = """\
\t.text
\t.globl\tf
\t.type\tf,@function
f:
\tcbz\tw0, .LBB0_2
\tbl\tg
.LBB0_2:
\tb\tmemcpy
g:
\tret
.Lfunc_end0:
\t.size\tf, .Lfunc_end0-f
"""
REFUSALS = [
    ("empty", X86, "f", "", "is empty"),
    ("not a symbol", X86, "g", "g-1", "not a plain assembler symbol"),
    ("starts with a digit", A64, "g", "1g", "starts with a digit"),
    ("register x86_64", X86_INTEL, "g", "rax", "is a register on x86_64"),
    ("register aarch64", A64, "g", "x0", "is a register on aarch64"),
    ("label taken", X86, ".LBB0_1", ".LBB0_2", "already defined in this file"),
    ("external symbol", A64, "g", "memcpy", "already used in this file"),
    ("leaves .L", X86, ".LBB0_1", "loop", "assembler-local"),
    ("enters .L", A64, "g", ".Lg", "assembler-local"),
]


@pytest.mark.parametrize(
    ("text", "old", "new", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_are_ones_llvm_agrees_with(
    toolchain, objdump, tmp_path: Path, text: str, old: str, new: str, message: str
) -> None:
    index = build_asm_index(text)
    triple = index.target.triple
    assert triple is not None
    found = _edits_at(index, old, new, use=True)
    assert isinstance(found, Refusal) and message in found.message, found
    # Done anyway, the rename breaks the file or changes what it assembles to.
    original = tmp_path / "original.o"
    assert _assemble(toolchain, text, triple, original).returncode == 0
    forced = apply_edits(text, [Edit(occ.span, new) for occ in index.names[old]])
    obj = tmp_path / "forced.o"
    if _assemble(toolchain, forced, triple, obj).returncode == 0:
        assert new, "an empty name cannot assemble"
        assert _named_back(_dump(objdump, obj), new, old) != _dump(objdump, original)

"""The built-in checks never fire on IR LLVM accepts, and on mutated modules they agree with
``llvm-as`` (which runs the verifier): silent when it accepts, and the matching code when it
rejects for a reason the checks cover."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from lsp_server.syntax.checks import check_module
from lsp_server.syntax.index import build_index
from lsp_server.syntax.index_model import display
from tests.support.index import accepted, label, module_files, run

FILES = module_files()
CORPUS_FILES = [p for p in FILES if "corpus" in p.parts]

C_PROGRAMS = {
    "loops.c": """
int sum(int *a, int n) { int s = 0; for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) s += a[j]; return s; }
int find(const char *s, char c) { int i = 0; while (s[i]) { if (s[i] == c) return i; i++; } return -1; }
""",
    "switch.c": """
int classify(int x) { switch (x) { case 0: return 1; case 1: case 2: return 5; case 7: x *= 3; break; default: x--; } return x; }
int gotos(int n) { int r = 0; again: if (n-- > 0) { r += n; if (r > 100) goto out; goto again; } out: return r; }
""",
    "struct.c": """
struct node { struct node *next; int value; };
int length(struct node *n) { int k = 0; for (; n; n = n->next) k += n->value > 0; return k; }
static int table[16];
int lookup(unsigned i) { return i < 16 ? table[i] : -1; }
""",
}
OPT_LEVELS = ["-O0", "-O1", "-O2", "-Os"]


@pytest.mark.parametrize("path", FILES, ids=label)
def test_no_finding_on_valid_modules(toolchain, path: Path) -> None:
    if not accepted(toolchain.path("llvm-as"), path):
        pytest.skip("llvm-as rejects this file")
    findings = check_module(build_index(path.read_text()))
    assert findings == []


@pytest.mark.parametrize("level", OPT_LEVELS)
@pytest.mark.parametrize("name", sorted(C_PROGRAMS))
def test_no_finding_on_clang_output(toolchain, tmp_path: Path, name: str, level: str) -> None:
    source = tmp_path / name
    source.write_text(C_PROGRAMS[name])
    result = run([toolchain.path("clang"), level, "-S", "-emit-llvm", "-o", "-", str(source)], "")
    assert result.returncode == 0, result.stderr
    index = build_index(result.stdout)
    assert index.functions, "clang wrote at least one function"
    assert check_module(index) == []


# What llvm-as says, and the check that covers it.
_LLVM_ERRORS = [
    (re.compile(r"use of undefined value '@"), "undefined-global"),
    (re.compile(r"use of undefined value '%"), "undefined-value"),
    (re.compile(r"use of undefined type"), "undefined-type"),
    (re.compile(r"use of undefined metadata"), "undefined-metadata"),
    (
        re.compile(r"multiple definition of local value|redefinition of|invalid redefinition"),
        "duplicate-definition",
    ),
    (re.compile(r"does not dominate all uses"), "not-dominated"),
    (re.compile(r"Only PHI nodes may reference their own value"), "self-reference"),
    (re.compile(r"PHI node entries do not match predecessors"), "phi-not-predecessor"),
    (re.compile(r"PHINode should have one entry for each predecessor"), "phi-missing-predecessor"),
    (re.compile(r"expected to be numbered"), "numbering"),
]


def _covered(stderr: str) -> str | None:
    for pattern, code in _LLVM_ERRORS:
        if pattern.search(stderr):
            return code
    return None


def _mutations(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """A few mutated copies of ``text``: (operator, mutated text)."""
    index = build_index(text)
    lines = index.lines
    out: list[tuple[str, str]] = []
    if not index.functions:
        return out
    for _ in range(6):
        entry = rng.choice(index.functions)
        fi = entry.fi
        operator = rng.choice(
            [
                "undef-use",
                "dup-def",
                "swap",
                "phi-block",
                "drop-term",
                "undef-global",
                "other-value",
            ]
        )
        new = list(lines)

        def replace(ref, new_text: str, new=new, start=entry.start) -> None:
            line = ref.line + start
            new[line] = new[line][: ref.start] + new_text + new[line][ref.end :]

        uses = [r for r in fi.refs if not r.is_def and r.key[0] == "%" and r.key in fi.defs]
        value_defs = [
            fi.refs[d.ref] for d in fi.defs.values() if d.kind == "value" and d.ref is not None
        ]
        if operator == "undef-use" and uses:
            replace(rng.choice(uses), "%__undefined")
        elif operator == "dup-def" and len(value_defs) >= 2:
            first, second = rng.sample(value_defs, 2)
            replace(second, display(first.key))
        elif operator == "swap" and len(fi.insts) >= 2:
            i = rng.randrange(len(fi.insts) - 1)
            a, b = fi.insts[i], fi.insts[i + 1]
            if a.line == a.end_line and b.line == b.end_line and a.line + 1 == b.line:
                la, lb = a.line + entry.start, b.line + entry.start
                new[la], new[lb] = new[lb], new[la]
        elif operator == "phi-block":
            blocks = [u for u in fi.uses if u.phi_block == ""]
            if blocks and len(fi.blocks) > 1:
                replace(fi.refs[rng.choice(blocks).ref], display(rng.choice(fi.blocks).key))
        elif operator == "drop-term":
            block = rng.choice(fi.blocks)
            last = fi.insts[block.end_inst - 1] if block.end_inst > block.first_inst else None
            if last is not None and last.line == last.end_line:
                new[last.line + entry.start] = ""
        elif operator == "undef-global":
            globals_ = [r for r in fi.refs if not r.is_def and r.key[0] == "@"]
            if globals_:
                replace(rng.choice(globals_), "@__nope")
        elif operator == "other-value" and uses and value_defs:
            replace(rng.choice(uses), display(rng.choice(value_defs).key))
        mutated = "\n".join(new)
        if mutated != text:
            out.append((operator, mutated))
    return out


@pytest.mark.parametrize(
    "path", CORPUS_FILES[::4] + [p for p in FILES if "corpus" not in p.parts][::3], ids=label
)
def test_checks_agree_with_llvm_on_mutations(toolchain, path: Path) -> None:
    if not accepted(toolchain.path("llvm-as"), path):
        pytest.skip("llvm-as rejects this file")
    rng = random.Random(path.name)
    text = path.read_text()
    for operator, mutated in _mutations(text, rng):
        result = run([toolchain.path("llvm-as"), "-o", "/dev/null", "-"], mutated)
        codes = {f.code for f in check_module(build_index(mutated))}
        if result.returncode == 0:
            assert codes == set(), f"{operator}: llvm-as accepts, yet the checks say {codes}"
            continue
        expected = _covered(result.stderr)
        if expected is not None:
            assert codes, f"{operator}: llvm-as says {result.stderr.strip()!r}, the checks nothing"
            assert expected in codes or _related(expected, codes), (
                f"{operator}: llvm-as says {result.stderr.strip()!r}, the checks {codes}"
            )


def _related(expected: str, codes: set[str]) -> bool:
    """LLVM reports the first problem it meets; ours may name the same mistake differently
    (a phi whose incoming block changed is both not-a-predecessor and missing one)."""
    phi = {"phi-not-predecessor", "phi-missing-predecessor"}
    return expected in phi and bool(codes & phi)

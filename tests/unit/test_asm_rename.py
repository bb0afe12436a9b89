"""Labels and symbols of assembly files, and renaming them: which words are occurrences,
what prepareRename answers on each kind of token, and every refusal of a new name."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsp_server.ide.asm_rename import asm_rename, is_register, prepare_asm_rename
from lsp_server.ide.rename import Refusal, Target, apply_edits
from lsp_server.syntax.asm_index import build_asm_index

X86 = """\
\t.text
\t.globl\tf                       # -- Begin function f
\t.type\tf,@function
f:
\tmovl\t$g, %eax
\tcallq\tmemcpy@PLT
\tmovq\t0x1f(%rip), %rax
\tjmp\t.LBB0_1
.LBB0_1:
\tretq
.Lfunc_end0:
\t.size\tf, .Lfunc_end0-f
\t.set\th, f+8
k = .Lfunc_end0 - f
\t.comm\tc,8,8
\t.section\t.rodata.str1.1,"aMS",@progbits,1
\t.asciz\t"f"
g:
\t.quad\th
"""
A64 = """\
\t.text
\t.globl\tf
\t.type\tf,%function
f:
\tadrp\tx8, .LCPI0_0
\tldr\td0, [x8, :lo12:.LCPI0_0]
\tcsel\tx0, x1, x2, eq
\tb.ne\t1f
1:
\tret
.LCPI0_0:
\t.xword\t0
"""


def _at(text: str, needle: str, nth: int = 0, offset: int = 1) -> tuple[int, int]:
    """(line, column) inside the ``nth`` occurrence of ``needle``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start)
    return line, start - (text.rfind("\n", 0, start) + 1) + offset


def test_occurrences_of_every_kind() -> None:
    index = build_asm_index(X86)
    uses = {name: [(o.span.start.line, o.is_def) for o in occ] for name, occ in index.names.items()}
    # .globl, .type, label, .size (twice: the name and the expression), .set, = ; not the
    # string "f" of .asciz, nor the comment.
    lines = [(1, False), (2, False), (3, True), (11, False), (11, False), (12, False)]
    assert uses["f"] == [*lines, (13, False)]
    assert uses["g"] == [(4, False), (17, True)], "$g is a use of g"
    assert uses["h"] == [(12, True), (18, False)], ".set defines h"
    assert uses["k"] == [(13, True)], "k = ... defines k"
    assert uses["c"] == [(14, True)], ".comm defines c"
    assert "memcpy" not in index.names and "memcpy" in index.words
    assert "PLT" not in index.words, "a relocation specifier is not a symbol"
    assert "x1f" not in index.words, "nothing starts inside 0x1f"
    assert "rax" not in index.words and "eax" not in index.words
    assert "movl" not in index.words, "a mnemonic is not a symbol"


def test_rename_from_a_use_edits_every_occurrence() -> None:
    index = build_asm_index(X86)
    edits = asm_rename(index, *_at(X86, ".Lfunc_end0-f", offset=13), "start")
    assert not isinstance(edits, Refusal)
    renamed = apply_edits(X86, edits)
    assert "start:\n" in renamed and "\t.globl\tstart " in renamed
    assert ".size\tstart, .Lfunc_end0-start" in renamed and "\t.set\th, start+8" in renamed
    assert "k = .Lfunc_end0 - start" in renamed
    assert '.asciz\t"f"' in renamed and "Begin function f" in renamed


def test_prepare_rename_answers_the_name_and_its_range() -> None:
    index = build_asm_index(X86)
    found = prepare_asm_rename(index, *_at(X86, "jmp\t.LBB0_1", offset=6))
    assert isinstance(found, Target) and found.placeholder == ".LBB0_1"
    line, col = _at(X86, "jmp\t.LBB0_1", offset=4)
    assert (found.span.start.line, found.span.start.col, found.span.end.col) == (
        line,
        col,
        col + len(".LBB0_1"),
    )


@pytest.mark.parametrize(
    ("text", "needle", "offset", "message"),
    [
        (X86, "%eax", 2, "%eax is a register"),
        (A64, "x8, .LCPI0_0", 1, "x8 is a register"),
        (X86, "\t.globl", 3, ".globl is a directive"),
        (X86, "movl", 2, "movl is an instruction mnemonic"),
        (X86, "0x1f", 2, "0x1f is a number"),
        (X86, "Begin function", 2, "this is a comment"),
        (X86, "memcpy", 2, "memcpy is not defined in this file"),
        (X86, "PLT", 1, "@PLT is a relocation specifier"),
        (A64, "1f", 1, "numeric local label"),
        (A64, "1:", 0, "numeric local label"),
        (X86, '"f"', 1, "inside a string"),
        (X86, "\t.comm\tc,8", 9, "8 is a number"),
        (X86, "\tretq", 0, "there is no label or symbol here"),
    ],
)
def test_prepare_rename_says_why_not(text: str, needle: str, offset: int, message: str) -> None:
    index = build_asm_index(text)
    found = prepare_asm_rename(index, *_at(text, needle, offset=offset))
    assert isinstance(found, Refusal) and message in found.message, found


@pytest.mark.parametrize(
    ("text", "name", "new", "message"),
    [
        (X86, "g", "", "is empty"),
        (X86, "g", "   ", "is empty"),
        (X86, "g", '"g 2"', "quoted symbol names are not supported"),
        (X86, "g", "2g", "starts with a digit"),
        (X86, "g", "g-1", "not a plain assembler symbol"),
        (X86, "g", "$g", "not a plain assembler symbol"),
        (X86, "g", ".text", "not a plain assembler symbol"),
        (X86, "g", "rax", "register on x86_64"),
        (X86, "g", "EAX", "register on x86_64"),
        (X86, "g", "xmm15", "register on x86_64"),
        (A64, "f", "x0", "register on aarch64"),
        (A64, "f", "w30", "register on aarch64"),
        (A64, "f", "sp", "register on aarch64"),
        (A64, "f", "xzr", "register on aarch64"),
        ("g:\n\tnop\n", "g", "x0", "target is not known"),
        (X86, "g", "f", "already defined in this file (line 4)"),
        (X86, "g", "memcpy", "already used in this file (line 6)"),
        (A64, "f", "eq", "already used in this file"),
        (X86, ".LBB0_1", "loop", "keep the .L prefix"),
        (X86, "g", ".Lg", "leave the object's symbol table"),
    ],
)
def test_new_names_refused(text: str, name: str, new: str, message: str) -> None:
    index = build_asm_index(text)
    definition = next(o for o in index.names[name] if o.is_def).span.start
    found = asm_rename(index, definition.line, definition.col, new)
    assert isinstance(found, Refusal) and message in found.message, found


def test_accepted_names() -> None:
    index = build_asm_index(X86)
    for new in ("g2", "_g", "g.part.0", "g$1", "rax2", "spill"):
        edits = asm_rename(index, *_at(X86, "g:", offset=0), new)
        assert not isinstance(edits, Refusal), (new, edits)
        assert len(edits) == 2
    assert asm_rename(index, *_at(X86, "g:", offset=0), "g") == []


def test_registers_by_target() -> None:
    assert is_register("r15d", "x86_64") and not is_register("r15d", "aarch64")
    assert is_register("x29", "aarch64") and not is_register("x29", "x86_64")
    assert is_register("ZMM31", None) and is_register("v31", None)
    assert not is_register("x31", "aarch64") and not is_register("rfoo", "x86_64")


_PIECES = st.sampled_from(
    [
        "f:",
        " .globl f",
        "\tjmp .Lx",
        ".Lx:",
        "\n",
        " ",
        "$f",
        "%rax",
        "#",
        "//",
        "/*",
        "*/",
        '"',
        '"a b":',
        ".set h, f+8",
        "k = 1",
        "1:",
        "1b",
        "@PLT",
        ":lo12:",
        ",",
        "0x1f",
        ";",
        '\t.asciz "f"',
        "é",
        "\r\n",
        "b.eq",
        ".comm",
        "\\",
    ]
)


_NEW_NAMES = st.one_of(
    st.text(max_size=6), st.from_regex(r"(?:\.L)?[A-Za-z_][\w.$]{0,5}", fullmatch=True)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40), st.integers(0, 12), st.integers(0, 40), _NEW_NAMES)
def test_never_raises(pieces: list[str], line: int, col: int, new: str) -> None:
    text = "".join(pieces)
    index = build_asm_index(text)
    prepared = prepare_asm_rename(index, line, col)
    edits = asm_rename(index, line, col, new)
    assert not isinstance(prepared, Refusal) or prepared.message
    if isinstance(prepared, Target) and edits and not isinstance(edits, Refusal):
        # Renaming back, from the first occurrence (which the edit did not move), gives the
        # text again.
        renamed = apply_edits(text, edits)
        first = min(edit.span.start for edit in edits)
        back = asm_rename(build_asm_index(renamed), first.line, first.col, prepared.placeholder)
        if not isinstance(back, Refusal):
            assert apply_edits(renamed, back) == text

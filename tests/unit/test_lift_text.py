"""Lifting's text processing: normalisation toward clang -S, and splitting by function."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsp_server.lift.normalize import FILE_LINE, normalize_asm
from lsp_server.lift.split import function_index, layout, piece_text, renumber, unit_text
from tests.support.data import CORPUS, EXAMPLES

CORPUS_ASM = sorted((CORPUS / "asm").glob("*/*.s"))

# Two functions as llc prints them: a constant pool before the first, a string and a
# global after both, a declaration's visibility at the end.
TWO_FUNCTIONS = """\
\t.text
\t.file\t"two.c"
\t.section\t.rodata.cst8,"aM",@progbits,8
\t.p2align\t3, 0x0                          # -- Begin function area
.LCPI0_0:
\t.quad\t0x400921f9f01b866e              # double 3.1415899999999999
\t.text
\t.globl\tarea
\t.p2align\t4, 0x90
\t.type\tarea,@function
area:                                   # @area
\t.cfi_startproc
# %bb.0:
\tmulsd\t.LCPI0_0(%rip), %xmm0
\tretq
.Lfunc_end0:
\t.size\tarea, .Lfunc_end0-area
\t.cfi_endproc
                                        # -- End function
\t.globl\tgreet                           # -- Begin function greet
\t.p2align\t4, 0x90
\t.type\tgreet,@function
greet:                                  # @greet
\t.cfi_startproc
# %bb.0:
\ttestl\t%edi, %edi
\tje\t.LBB1_2
# %bb.1:
\tmovl\t$.L.str, %edi
\tjmp\tputs                            # TAILCALL
.LBB1_2:
\tmovl\tcounter(%rip), %eax
\tretq
.Lfunc_end1:
\t.size\tgreet, .Lfunc_end1-greet
\t.cfi_endproc
                                        # -- End function
\t.type\t.L.str,@object                  # @.str
\t.section\t.rodata.str1.1,"aMS",@progbits,1
.L.str:
\t.asciz\t"hi"
\t.size\t.L.str, 3

\t.type\tcounter,@object                 # @counter
\t.bss
\t.globl\tcounter
\t.p2align\t2, 0x0
counter:
\t.long\t0                               # 0x0
\t.size\tcounter, 4

\t.hidden\tputs
\t.ident\t"clang version 19.1.7"
\t.section\t".note.GNU-stack","",@progbits
"""


def test_normalise_names_stdin_and_drops_the_compiler_banner() -> None:
    norm = normalize_asm(TWO_FUNCTIONS)
    lines = norm.text.splitlines()
    assert lines[1] == FILE_LINE == '\t.file\t"-"'
    assert not any(".ident" in line for line in lines)
    assert norm.text.endswith("@progbits\n")
    # Every kept line maps back to the line it came from.
    original = TWO_FUNCTIONS.splitlines()
    for number, line in enumerate(lines):
        if number != 1:
            assert original[norm.original_line(number)].rstrip() == line


def test_normalise_keeps_dwarf_file_entries_and_handles_crlf() -> None:
    text = '\t.file\t"a.c"\r\n\t.file\t1 "/src" "a.c"\r\n\tretq  \r\n\t.ident\t"x"\r\n'
    assert normalize_asm(text).text == '\t.file\t"-"\n\t.file\t1 "/src" "a.c"\n\tretq\n'


_PIECES = ["\t", " ", "\n", "\r", '.file "x"', '.ident "y"', "a", ":", "#"]


@given(st.lists(st.sampled_from(_PIECES)).map("".join))
def test_normalise_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize_asm(text).text
    assert normalize_asm(once).text == once


@pytest.mark.parametrize("path", CORPUS_ASM, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_single_function_file_is_its_own_piece(path: Path) -> None:
    text = normalize_asm(path.read_text()).text
    lay = layout(text)
    [function] = lay.functions
    assert piece_text(lay, [function.name]) == text


def test_layout_finds_functions_and_the_data_they_use() -> None:
    lay = layout(normalize_asm(TWO_FUNCTIONS).text)
    assert [(u.kind, u.name) for u in lay.units] == [
        ("function", "area"),
        ("function", "greet"),
        ("data", ".L.str"),
        ("data", "counter"),
    ]
    greet = lay.function("greet")
    assert greet is not None
    assert [u.name for u in lay.data_closure([greet])] == [".L.str", "counter"]
    area = lay.function("area")
    assert area is not None and lay.data_closure([area]) == []


def test_a_piece_keeps_the_directives_its_function_needs() -> None:
    lay = layout(normalize_asm(TWO_FUNCTIONS).text)
    piece = piece_text(lay, ["greet"])
    lines = piece.splitlines()
    assert lines[:2] == ["\t.text", '\t.file\t"-"']
    assert "area:" not in piece and ".LCPI0_0" not in piece
    # Renumbered as the first function of its file.
    assert ".LBB0_2:" in piece and ".Lfunc_end0:" in piece and "LBB1_" not in piece
    # The data it reads, each in its section, and the trailing directives about its symbols.
    assert lines.index('\t.section\t.rodata.str1.1,"aMS",@progbits,1') < lines.index(".L.str:")
    assert lines.index("\t.bss") < lines.index("counter:")
    assert lines[-2:] == ["\t.hidden\tputs", '\t.section\t".note.GNU-stack","",@progbits']


def test_a_piece_with_a_constant_pool_returns_to_text() -> None:
    lay = layout(normalize_asm(TWO_FUNCTIONS).text)
    piece = piece_text(lay, ["area"]).splitlines()
    assert piece[2].startswith("\t.section\t.rodata.cst8")
    label = next(i for i, line in enumerate(piece) if line.startswith("area:"))
    assert piece.index(".LCPI0_0:") < piece.index("\t.text", 1) < label
    assert "\t.hidden\tputs" not in piece


def test_unit_text_is_what_the_round_trip_compares() -> None:
    lay = layout(normalize_asm(TWO_FUNCTIONS).text)
    greet = unit_text(lay, "greet") or ""
    assert greet.startswith("\t.globl\tgreet")
    assert ".LBB0_2" in greet and '.asciz\t"hi"' in greet and "counter:" in greet
    assert unit_text(lay, "nosuch") is None


def test_renumbering_touches_only_that_functions_labels() -> None:
    text = "\tjmp\t.LBB3_2\n.LBB3_2:\n\tleaq\t.LCPI3_0(%rip), %rax\n\tjmp\t.LBB13_1\n# Loop BB3_2\n"
    assert function_index(text) == 3
    assert renumber(text, 3) == (
        "\tjmp\t.LBB0_2\n.LBB0_2:\n\tleaq\t.LCPI0_0(%rip), %rax\n\tjmp\t.LBB13_1\n# Loop BB0_2\n"
    )
    assert renumber(text, 0) == renumber(text, 0, 0)


def test_the_bundled_example_is_llc_output_of_crc32() -> None:
    text = (EXAMPLES / "example.s").read_text()
    lay = layout(normalize_asm(text).text)
    assert [fn.name for fn in lay.functions] == ["crc32"]

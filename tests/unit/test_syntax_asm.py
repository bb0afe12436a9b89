"""The assembly outline and target guess, on every corpus .s file and hand-written cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lsp_server.syntax import guess_target, looks_like_asm, parse_asm, split_lines

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
ASM_CASES = [
    (entry, arch, files)
    for line in (CORPUS / "manifest.jsonl").read_text().splitlines()
    if line.strip()
    for entry in [json.loads(line)]
    if entry["asm"]
    for arch, files in sorted(entry["asm"].items())
]
TRIPLES = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}


@pytest.mark.parametrize(
    ("entry", "arch", "files"),
    ASM_CASES,
    ids=[f"{arch}-{entry['id']}" for entry, arch, _ in ASM_CASES],
)
def test_corpus_assembly(entry: dict[str, Any], arch: str, files: dict[str, Any]) -> None:
    text = (CORPUS / files["s"]).read_text()
    lines = split_lines(text)

    guess = guess_target(text)
    assert (guess.arch, guess.triple) == (arch, TRIPLES[arch])
    assert guess.evidence

    outline = parse_asm(text)
    assert outline.target == guess
    (function,) = outline.functions
    assert function.name == entry["function"]
    assert lines[function.label_line].startswith(f"{entry['function']}:")
    # The span runs from llc's "-- Begin function" line (or the .section of the
    # constant pool just before it) to "-- End function", so constant pools and jump
    # tables travel with their function.
    head = lines[function.span.start.line : function.label_line]
    assert f"Begin function {entry['function']}" in "".join(head[:2])
    assert "-- End function" in lines[function.span.end.line]
    body = lines[function.span.start.line : function.span.end.line + 1]
    for label in outline.labels:
        if label.name.startswith((".LCPI", ".LJTI")):
            assert function.span.contains_line(label.line)
    assert any(line.strip().startswith(f".size\t{entry['function']},") for line in body)
    assert any(".cfi_endproc" in line for line in body)
    assert any(label.name.startswith(".Lfunc_end") for label in outline.labels)
    assert any(d.name == ".globl" and d.args == entry["function"] for d in outline.directives)
    assert looks_like_asm(text)
    # The IR next to it is not assembly.
    assert not looks_like_asm((CORPUS / files["ir_oz"]).read_text())


TWO_FUNCTIONS = """\
\t.text
\t.globl\ta
\t.p2align\t4, 0x90
\t.type\ta,@function
a:
\t.cfi_startproc
\tretq
.Lfunc_end0:
\t.size\ta, .Lfunc_end0-a
\t.cfi_endproc

\t.globl\tb
\t.type\tb,@function
b:
\t.cfi_startproc
\tmovl\t$1, %eax
\tretq
\t.cfi_endproc
\t.data
\t.type\tx,@object
x:
\t.long\t5
"""


def test_functions_take_their_directives_and_end_at_size_or_endproc() -> None:
    outline = parse_asm(TWO_FUNCTIONS)
    assert [
        (f.name, f.span.start.line, f.label_line, f.span.end.line) for f in outline.functions
    ] == [
        ("a", 1, 4, 9),
        ("b", 11, 13, 17),
    ]
    assert outline.target.arch == "x86_64"
    assert [label.name for label in outline.labels] == ["a", ".Lfunc_end0", "b", "x"]


def test_macho_functions_without_type_directives() -> None:
    text = (
        "\t.section\t__TEXT,__text,regular,pure_instructions\n"
        "\t.build_version macos, 14, 0\n"
        "\t.globl\t_main\n"
        "\t.p2align\t2\n"
        "_main:\n"
        "\t.cfi_startproc\n"
        "\tmov\tw0, #0\n"
        "\tret\n"
        "\t.cfi_endproc\n"
    )
    outline = parse_asm(text)
    (function,) = outline.functions
    assert (function.name, function.span.start.line, function.span.end.line) == ("_main", 2, 8)
    assert outline.target.arch == "aarch64"
    assert outline.target.triple == "arm64-apple-macosx"


def test_bare_snippet_without_directives() -> None:
    text = "foo:\n  pushq %rbp\n  popq %rbp\n  ret\n\nbar:\n  ret\n\n"
    outline = parse_asm(text)
    assert [(f.name, f.span.start.line, f.span.end.line) for f in outline.functions] == [
        ("foo", 0, 3),
        ("bar", 5, 6),
    ]


@pytest.mark.parametrize(
    ("text", "arch"),
    [
        ("\tpushq\t%rbp\n\tmovq\t%rsp, %rbp\n", "x86_64"),
        ("\t.intel_syntax noprefix\n\tmov\trax, qword ptr [rbp - 8]\n\tret\n", "x86_64"),
        ("\t.code64\n\tret\n", "x86_64"),
        ("\tstp\tx29, x30, [sp, #-16]!\n\tmov\tx29, sp\n", "aarch64"),
        ("\t.arch armv8-a\n\tret\n", "aarch64"),
        ("\t.type\tf,%function\nf:\n\tret\n", "aarch64"),
        ("\tb.ne\t.LBB0_2\n\tcbz\tw0, .LBB0_1\n", "aarch64"),
        ("\tret\n", None),
        ("", None),
        ("The quick brown fox.\n", None),
    ],
)
def test_guess_target(text: str, arch: str | None) -> None:
    guess = guess_target(text)
    assert guess.arch == arch
    assert (guess.triple is None) == (arch is None)
    assert guess.evidence


def test_evidence_names_what_was_seen() -> None:
    guess = guess_target("\tpushq\t%rbp\n\tmovq\t%rsp, %rbp\n\tretq\n")
    assert "pushq" in guess.evidence and "%rbp" in guess.evidence


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# just a comment\n",
        "This is a paragraph of prose.\nIt says something: nothing much.\n",
        '#include <stdio.h>\nint main(void) {\n  printf("hi\\n");\n  return 0;\n}\n',
        "define i32 @f() {\n  ret i32 0\n}\n",
        'target triple = "x86_64-unknown-linux-gnu"\n',
        "label:\nother:\n",
    ],
)
def test_not_assembly(text: str) -> None:
    assert not looks_like_asm(text)


@pytest.mark.parametrize(
    "text",
    [
        "foo:\n  pushq %rbp\n  ret\n",
        "\t.text\n\t.globl f\nf:\n\tret\n",
        "f:\n\tmov\tw0, #1\n\tret\n",
        "\t.intel_syntax noprefix\nf:\n\tmov eax, 1\n\tret\n",
    ],
)
def test_assembly(text: str) -> None:
    assert looks_like_asm(text)


def test_two_labels_on_one_line_are_one_function() -> None:
    # Found by the fuzz test: `a: b:` used to give `b` a span ending before it began.
    outline = parse_asm("a: b:\n  ret\nc:\n  pushq %rbp\n")
    assert [(f.name, f.span.start.line, f.span.end.line) for f in outline.functions] == [
        ("a", 0, 1),
        ("c", 2, 3),
    ]
    assert [label.name for label in outline.labels] == ["a", "b", "c"]

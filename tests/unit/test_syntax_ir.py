"""The IR outline: functions and their ranges, globals, go-to-definition, on the real
corpus and on hand-written edge cases."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from lsp_server.syntax import (
    find_definition,
    function_at,
    global_ref_at,
    parse_module,
    split_lines,
)

CORPUS = Path(__file__).parents[1] / "data" / "corpus"
LLVM_TESTS = Path(__file__).parents[1] / "data" / "llvm-tests"
ENTRIES = [
    json.loads(line)
    for line in (CORPUS / "manifest.jsonl").read_text().splitlines()
    if line.strip()
]


def entry_functions(entry: dict[str, Any]) -> list[str]:
    return [entry["function"]] if entry["function"] else list(entry["functions"])


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["id"] for entry in ENTRIES])
@pytest.mark.parametrize("variant", ["ir", "ozfe"])
def test_corpus_function_spans(entry: dict[str, Any], variant: str) -> None:
    path = CORPUS / (entry["ir"] if variant == "ir" else entry["ozfe"]["ir"])
    text = path.read_text()
    lines = split_lines(text)
    module = parse_module(text)

    assert module.target_triple == "x86_64-unknown-linux-gnu"
    assert module.source_filename == entry["source_file"]
    assert module.datalayout is not None and module.datalayout.startswith("e-")
    for name in entry_functions(entry):
        (function,) = [f for f in module.functions if f.name == name and f.is_definition]
        assert lines[function.span.start.line].startswith("define ")
        assert lines[function.span.end.line] == "}"
        assert (
            lines[function.name_span.start.line][
                function.name_span.start.col : function.name_span.end.col
            ]
            == f"@{name}"
        )
        # Every line of the body belongs to the function, and the cursor on the name
        # jumps to the definition.
        middle = (function.span.start.line + function.span.end.line) // 2
        assert function_at(module, middle) == function
        assert find_definition(module, name) == function.name_span
    # Definitions do not overlap, and every declaration is one line.
    definitions = [f for f in module.functions if f.is_definition]
    for before, after in itertools.pairwise(definitions):
        assert before.span.end.line < after.span.start.line
    for declaration in (f for f in module.functions if not f.is_definition):
        assert lines[declaration.span.start.line].startswith("declare ")
        assert declaration.span.start.line == declaration.span.end.line


def test_corpus_declarations_and_globals_match_the_text() -> None:
    text = (CORPUS / "ir" / "dev-lz4-0080.ll").read_text()
    module = parse_module(text)
    declared = {f.name for f in module.functions if not f.is_definition}
    expected = {
        line.split("@", 1)[1].split("(", 1)[0]
        for line in split_lines(text)
        if line.startswith("declare ")
    }
    assert declared == expected and declared


def test_regression_tests_function_counts() -> None:
    # Hand-written IR from LLVM's test suite: one definition per `define` line.
    for path in sorted(LLVM_TESTS.rglob("*.ll")):
        text = path.read_text()
        module = parse_module(text)
        defines = sum(1 for line in split_lines(text) if line.startswith("define"))
        assert sum(f.is_definition for f in module.functions) == defines, path


SAMPLE = """\
; ModuleID = 'x'
source_filename = "x.c"
target datalayout = "e-m:e"
target triple = "aarch64-unknown-linux-gnu"

%T = type { i32, i32 }
@g = global i32 0, align 4
@c = private unnamed_addr constant [4 x i8] c"a{}\\00", align 1
@"quoted name" = internal global %T { i32 1, i32 2 }
@a = alias i32, ptr @g
@i = ifunc void (), ptr @resolver
@ext = external global i32
@multi = global [2 x i32] [
  i32 1,
  i32 2
]

define { i32, i32 } @ret_struct() {
entry:
  ret { i32, i32 } { i32 1, i32 2 }
}

define void @"foo bar"(ptr %p) #0 {
  %x = load i32, ptr @"quoted name"   ; { unbalanced in a comment
  call void @f.x$1(ptr @g)
  ret void
}
declare void @f.x$1(ptr)
define void @oneliner() { ret void }
define void @broken() {
  ret void

define i32 @after() {
  ret i32 0
}
define void @f.x$1(ptr %0) {
  ret void
}
"""


def test_outline_of_hand_written_module() -> None:
    module = parse_module(SAMPLE)
    assert module.target_triple == "aarch64-unknown-linux-gnu"
    assert module.datalayout == "e-m:e"
    assert module.source_filename == "x.c"
    outline = [
        (f.name, f.is_definition, f.span.start.line, f.span.end.line) for f in module.functions
    ]
    assert outline == [
        ("ret_struct", True, 17, 20),
        ("foo bar", True, 22, 26),
        ("f.x$1", False, 27, 27),
        ("oneliner", True, 28, 28),
        # The missing `}` ends the body before the next define, not at the end of file.
        ("broken", True, 29, 30),
        ("after", True, 32, 34),
        ("f.x$1", True, 35, 37),
    ]
    assert [(g.name, g.kind) for g in module.globals] == [
        ("g", "variable"),
        ("c", "constant"),
        ("quoted name", "variable"),
        ("a", "alias"),
        ("i", "ifunc"),
        ("ext", "variable"),
        ("multi", "variable"),
    ]
    multi = module.globals[-1]
    assert (multi.span.start.line, multi.span.end.line) == (12, 15)


def test_function_at() -> None:
    module = parse_module(SAMPLE)
    function = function_at(module, 24)
    assert function is not None and function.name == "foo bar"
    assert function_at(module, 27) is None  # a declaration has no body
    assert function_at(module, 5) is None


def test_global_ref_at_and_find_definition() -> None:
    lines = split_lines(SAMPLE)
    call = lines[24]
    at = call.index("@f.x$1")
    for col in (at, at + 3, at + len("@f.x$1")):
        assert global_ref_at(SAMPLE, 24, col) == "f.x$1"
    assert global_ref_at(SAMPLE, 24, call.index("@g") + 1) == "g"
    assert global_ref_at(SAMPLE, 24, 2) is None
    quoted = lines[23].index('@"quoted')
    assert global_ref_at(SAMPLE, 23, quoted + 4) == "quoted name"
    assert global_ref_at(SAMPLE, 400, 0) is None

    module = parse_module(SAMPLE)
    # The definition wins over the earlier declaration.
    span = find_definition(module, "f.x$1")
    assert span is not None and span.start.line == 35
    span = find_definition(module, "quoted name")
    assert (
        span is not None
        and lines[span.start.line][span.start.col : span.end.col] == '@"quoted name"'
    )
    assert find_definition(module, "resolver") is None


def test_quoted_names_are_unescaped() -> None:
    module = parse_module('define void @"a\\22b\\5Cc"() {\n  ret void\n}\n@"x y" = global i8 0\n')
    assert [f.name for f in module.functions] == ['a"b\\c']
    assert [g.name for g in module.globals] == ["x y"]
    assert global_ref_at('  call void @"a\\22b"()', 0, 14) == 'a"b'


def test_crlf_and_numbered_names() -> None:
    text = "define void @0() {\r\n  ret void\r\n}\r\n@1 = global i32 0\r\n"
    module = parse_module(text)
    (function,) = module.functions
    assert (function.name, function.span.start.line, function.span.end.line) == ("0", 0, 2)
    assert function.span.end.col == 1
    assert [g.name for g in module.globals] == ["1"]


def test_empty_and_prose_give_empty_outlines() -> None:
    for text in ("", "\n\n", "Not IR at all.\nJust words {\n"):
        module = parse_module(text)
        assert module.functions == () and module.globals == ()
        assert module.target_triple is None

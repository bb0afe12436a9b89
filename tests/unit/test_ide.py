"""The engine's queries on a small module holding every kind of name."""

from __future__ import annotations

import itertools

import pytest

from lsp_server.ide.cfg_view import cfg_view, to_dot, to_text
from lsp_server.ide.complete import complete
from lsp_server.ide.hover import hover_info
from lsp_server.ide.navigation import definition, highlights, references
from lsp_server.ide.rename import Refusal, Target, apply_edits, prepare_rename, rename
from lsp_server.ide.selection import selection_ranges
from lsp_server.syntax.checks import check_module
from lsp_server.syntax.folding import ir_folds
from lsp_server.syntax.index import build_index
from lsp_server.syntax.span import Pos
from lsp_server.syntax.tokens import TOKEN_TYPES, ir_tokens, tokens_of

MODULE = """\
%struct.S = type { i32, ptr }
$c = comdat any
@g = global i32 0, comdat($c)
@h = alias i32, ptr @g

define i32 @f(i32 %n, ptr) #0 {
entry:
  %s = alloca %struct.S, align 8
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %next, %body ]
  %c = icmp slt i32 %i, %n
  br i1 %c, label %body, label %exit, !prof !0
body:
  %next = add i32 %i, 1
  call void @llvm.donothing()
  br label %loop
exit:
  %v = load i32, ptr @g
  ret i32 %v
}

declare void @llvm.donothing()

attributes #0 = { nounwind }
!0 = !{!"branch_weights", i32 1, i32 2}
"""
LINES = MODULE.split("\n")


def at(needle: str, nth: int = 0, offset: int = 1) -> tuple[int, int]:
    """The (line, col) ``offset`` characters into the ``nth`` occurrence of ``needle``."""
    seen = 0
    for number, line in enumerate(LINES):
        start = line.find(needle)
        while start >= 0:
            if seen == nth:
                return number, start + offset
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(needle)


@pytest.fixture(scope="module")
def index():
    return build_index(MODULE)


def text_of(span) -> str:
    assert span.start.line == span.end.line
    return LINES[span.start.line][span.start.col : span.end.col]


@pytest.mark.parametrize(
    ("needle", "nth", "expected_line"),
    [
        ("%i", 1, 10),  # a value: its phi
        ("%loop", 0, 9),  # a block: its label
        ("%n", 2, 5),  # a parameter
        ("%struct.S", 1, 0),  # a named type
        ("@g", 1, 2),  # a global
        ("$c", 1, 1),  # a comdat
        ("#0", 0, 24),  # an attribute group
        ("!0", 0, 25),  # a metadata node
        ("@llvm.donothing", 0, 22),  # an intrinsic's declaration
    ],
)
def test_definition_of_every_kind(index, needle: str, nth: int, expected_line: int) -> None:
    spans = definition(index, *at(needle, nth))
    assert [s.start.line for s in spans] == [expected_line]


def test_references_honour_include_declaration(index) -> None:
    with_decl = references(index, *at("%i", 2), include_declaration=True)
    without = references(index, *at("%i", 2), include_declaration=False)
    assert [text_of(s) for s in with_decl] == ["%i"] * 3
    assert len(without) == 2
    assert all(s.start.line != 10 or s.start.col > 5 for s in without)


def test_highlights_mark_the_definition(index) -> None:
    found = highlights(index, *at("%next", 1))
    assert [(h.span.start.line, h.is_def) for h in found] == [(10, False), (14, True)]


def test_block_label_reference_and_phi_incoming(index) -> None:
    spans = references(index, *at("body:", 0, 0))
    assert sorted(s.start.line for s in spans) == [10, 12, 13]


def test_rename_value_and_block(index) -> None:
    edits = rename(index, *at("%i", 1), "counter")
    assert not isinstance(edits, Refusal)
    renamed = apply_edits(MODULE, edits)
    assert "%counter = phi" in renamed and "icmp slt i32 %counter, %n" in renamed
    edits = rename(index, *at("loop:", 0, 0), "%head")
    assert not isinstance(edits, Refusal)
    renamed = apply_edits(MODULE, edits)
    assert "\nhead:\n" in renamed and "br label %head" in renamed
    assert check_module(build_index(renamed)) == []


def test_rename_unnamed_parameter_writes_its_name(index) -> None:
    # The second parameter is unnamed (%0); naming it adds the name after its type.
    target = prepare_rename(index, *at("@f"))
    assert isinstance(target, Target)
    text = "define i32 @k(i32, i32) {\n  %3 = add i32 %0, %1\n  ret i32 %3\n}\n"
    small = build_index(text)
    edits = rename(small, 1, 16, "a")
    assert not isinstance(edits, Refusal)
    renamed = apply_edits(text, edits)
    assert renamed.startswith("define i32 @k(i32 %a, i32) {")
    # %1 and the entry block shift down: %1 -> %0; the explicit %3 stays.
    assert "%3 = add i32 %a, %0" in renamed


@pytest.mark.parametrize(
    ("needle", "nth", "new", "message"),
    [
        ("@llvm.donothing", 0, "x", "intrinsic"),
        ("@g", 1, "h", "already defined"),
        ("%i", 1, "c", "already defined"),
        ("%i", 1, "2x y", "not an LLVM identifier"),
        ("%i", 1, "7", "numbers are given by position"),
        ("@g", 1, "llvm.mine", "reserved"),
        ("!prof", 0, "p", "metadata kind"),
        ("%i", 1, "struct.S", "type"),
        ("#0", 0, "x", "number"),
    ],
)
def test_rename_refusals(index, needle: str, nth: int, new: str, message: str) -> None:
    result = rename(index, *at(needle, nth), new)
    assert isinstance(result, Refusal)
    assert message in result.message


def test_hover_on_a_block_shows_its_place_in_the_cfg(index) -> None:
    found = hover_info(index, *at("loop:", 0, 0))
    assert found is not None
    text = found.markdown
    assert "predecessors: `%entry`, `%body`" in text
    assert "successors: `%body` (T), `%exit` (F)" in text
    assert "immediate dominator: `%entry`" in text
    assert "loop depth 1, header `%loop` (its header)" in text


def test_hover_on_values_and_opcodes(index) -> None:
    value = hover_info(index, *at("%c", 0))
    assert value is not None
    assert "`i1`" in value.markdown and "icmp slt" in value.markdown and "1 use" in value.markdown
    opcode = hover_info(index, *at("icmp", 0))
    assert opcode is not None and "LangRef.html#i-icmp" in opcode.markdown
    attrs = hover_info(index, *at("#0", 0))
    assert attrs is not None and "nounwind" in attrs.markdown
    node = hover_info(index, *at("!0", 0))
    assert node is not None and "branch_weights" in node.markdown
    named = hover_info(index, *at("%struct.S", 1))
    assert named is not None and "{ i32, ptr }" in named.markdown


def test_completion_offers_only_dominating_values() -> None:
    lines = list(LINES)
    lines[18] = "  %v = load i32, ptr %"
    text = "\n".join(lines)
    found = complete(build_index(text), 18, len(lines[18]))
    labels = {item.label for item in found.items}
    assert {"%n", "%s", "%i", "%c", "%struct.S"} <= labels
    assert "%next" not in labels  # defined in %body, which does not dominate %exit
    assert found.span.start == Pos(18, len(lines[18]) - 1)
    types = {item.label: item.detail for item in found.items}
    assert types["%c"] == "i1" and types["%s"] == "ptr"


def test_completion_after_label_offers_blocks() -> None:
    lines = list(LINES)
    lines[8] = "  br label %"
    found = complete(build_index("\n".join(lines)), 8, len(lines[8]))
    assert {item.label for item in found.items} == {"%entry", "%loop", "%body", "%exit"}


def test_completion_of_globals_names_intrinsics(index) -> None:
    found = complete(index, *at("@llvm.donothing", 0, 1))
    kinds = {item.label: item.kind for item in found.items}
    assert kinds["@llvm.donothing"] == "intrinsic" and kinds["@f"] == "function"


def test_cfg_text_and_dot(index) -> None:
    view = cfg_view(index, name="f")
    assert view is not None
    assert [n.name for n in view.nodes] == ["%entry", "%loop", "%body", "%exit"]
    back = [(e.source, e.target) for e in view.edges if e.back]
    assert back == [(2, 1)]
    assert "%loop (line 10)  (loop depth 1, header)" in to_text(view)
    assert "b2 -> b1 [style=dashed]" in to_dot(view)


def test_semantic_tokens_classify(index) -> None:
    kinds = {
        LINES[t.line][t.col : t.col + t.length]: TOKEN_TYPES[t.type]
        for t in tokens_of(ir_tokens(index))
    }
    assert kinds["%struct.S"] == "type"
    assert kinds["%n"] == "parameter"
    assert kinds["%loop"] == "label"
    assert kinds["%next"] == "variable"
    assert kinds["@llvm.donothing"] == "function"
    assert kinds["icmp"] == "keyword"
    assert kinds["#0"] == "decorator"
    assert kinds["!0"] == "property"
    assert kinds["i32"] == "type"
    assert kinds["loop"] == "label" and kinds["nounwind"] == "modifier"


def test_folding_and_selection(index) -> None:
    folds = ir_folds(index)
    assert (5, 20) in [(f.start, f.end) for f in folds]
    ranges = selection_ranges(index, *at("%next", 0))
    assert text_of(ranges[0]) == "%next"
    assert ranges[-1].start == Pos(0, 0)
    for inner, outer in itertools.pairwise(ranges):
        assert outer.start <= inner.start and inner.end <= outer.end


def test_incremental_reindexes_only_the_changed_function() -> None:
    text = "\n".join(f"define i32 @f{i}(i32 %a) {{\n  ret i32 %a\n}}" for i in range(5))
    first = build_index(text)
    edited = text.replace(
        "define i32 @f3(i32 %a) {\n  ret i32 %a", "define i32 @f3(i32 %a) {\n  ret i32 7"
    )
    second = build_index(edited, previous=first)
    assert second.reused == 4
    assert second.functions[3].fi is not first.functions[3].fi
    assert second.functions[4].fi is first.functions[4].fi


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("  %x = add i32 %y, 1\n  ret i32 %x\n", "undefined-value"),
        ("  %x = add i32 1, 1\n  %x = add i32 2, 2\n  ret i32 %x\n", "duplicate-definition"),
        (
            "  br label %b\nb:\n  %x = add i32 %z, 1\n  br label %c\nc:\n  %z = add i32 1, 1\n  ret i32 %x\n",
            "not-dominated",
        ),
        (
            "  br label %b\nb:\n  %p = phi i32 [ 0, %c ]\n  ret i32 %p\nc:\n  ret i32 0\n",
            "phi-not-predecessor",
        ),
        ("  %x = add i32 1, 1\nb:\n  ret i32 %x\n", "missing-terminator"),
        ("  %5 = add i32 1, 1\n  %3 = add i32 1, 1\n  ret i32 %3\n", "numbering"),
        ("  call void @nope()\n  ret i32 0\n", "undefined-global"),
    ],
)
def test_each_check_fires(body: str, code: str) -> None:
    text = f"define i32 @f() {{\n{body}}}\n"
    codes = {f.code for f in check_module(build_index(text))}
    assert code in codes

"""Property tests: the module index and every query on it take any text without raising,
and every range they return lies inside that text."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsp_server.ide.cfg_view import cfg_view, to_dot, to_text
from lsp_server.ide.complete import complete
from lsp_server.ide.hover import hover_info
from lsp_server.ide.navigation import definition, highlights, references
from lsp_server.ide.rename import Refusal, Target, prepare_rename, rename
from lsp_server.ide.selection import selection_ranges
from lsp_server.syntax.cfg import build_cfg
from lsp_server.syntax.checks import check_module
from lsp_server.syntax.folding import asm_folds, ir_folds
from lsp_server.syntax.index import build_index
from lsp_server.syntax.span import Span, split_lines
from lsp_server.syntax.tokens import TOKEN_TYPES, asm_tokens, ir_tokens, tokens_of

DATA = Path(__file__).parents[1] / "data"
SEEDS = [p.read_text() for p in sorted((DATA / "corpus" / "ir").glob("*.ll"))[::12]] + [
    p.read_text() for p in sorted((DATA / "llvm-tests").rglob("*.ll"))[::6]
]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FRAGMENTS = [
    "define i32 @f(i32 %a, ptr) {\n",
    "declare void @g(i32 %x, ...)\n",
    "entry:\n",
    "bb:\n",
    "1:\n",
    '"q b":\n',
    "  %x = add i32 %a, 1\n",
    "  %0 = phi i32 [ 0, %entry ], [ %x, %bb ]\n",
    "  br i1 %c, label %bb, label %entry\n",
    "  switch i32 %x, label %bb [\n    i32 1, label %entry\n  ]\n",
    "  invoke void @g()\n          to label %a unwind label %b\n",
    "  call void @llvm.dbg.value(metadata ptr %x, metadata !1)\n",
    "  #dbg_value(ptr %x, !2, !DIExpression(), !3)\n",
    "  ret i32 %x\n",
    "  unreachable\n",
    "}\n",
    "%struct.S = type { i32, %struct.S* }\n",
    "@g = global i32 0, comdat\n",
    "$c = comdat any\n",
    "attributes #0 = { nounwind }\n",
    "!0 = !{!1}\n",
    "!llvm.module.flags = !{!0}\n",
    "blockaddress(@f, %bb)",
    "%",
    "@",
    "!",
    "#",
    '"',
    ";",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    "\r\n",
    "\t.globl f\nf:\n  movq %rsp, %rbp\n  ret\n",
]
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
any_text = st.one_of(st.text(max_size=300), fragment_text)


def _inside(span: Span, lines: list[str]) -> None:
    assert span.start <= span.end
    for pos in (span.start, span.end):
        assert 0 <= pos.line < len(lines), (pos, len(lines))
        assert 0 <= pos.col <= len(lines[pos.line])


def check_everything(text: str, line: int, col: int) -> None:
    lines = split_lines(text)
    index = build_index(text)
    again = build_index(text, previous=index)
    assert again is index  # an unchanged text costs nothing
    for entry in index.functions:
        assert 0 <= entry.start <= entry.end < len(lines)
        build_cfg(entry.fi)
    for finding in check_module(index):
        _inside(finding.span, lines)
    for token in tokens_of(ir_tokens(index)):
        assert 0 <= token.type < len(TOKEN_TYPES)
        assert token.col + token.length <= len(lines[token.line])
    for fold in ir_folds(index) + asm_folds(text):
        assert 0 <= fold.start <= fold.end < len(lines)
    for token in tokens_of(asm_tokens(text, "x86_64") + asm_tokens(text, "aarch64")):
        assert token.col + token.length <= len(lines[token.line])
    for span in definition(index, line, col) + references(index, line, col, False):
        _inside(span, lines)
    for highlight in highlights(index, line, col):
        _inside(highlight.span, lines)
    prepared = prepare_rename(index, line, col)
    if isinstance(prepared, Target):
        _inside(prepared.span, lines)
    for name in ("x2", "5", "@bad name", "llvm.x"):
        edits = rename(index, line, col, name)
        if not isinstance(edits, Refusal):
            for edit in edits:
                _inside(edit.span, lines)
    found = hover_info(index, line, col)
    if found is not None:
        _inside(found.span, lines)
    if 0 <= line < len(lines):
        _inside(complete(index, line, col).span, lines)
    for span in selection_ranges(index, line, col):
        _inside(span, lines)
    view = cfg_view(index, line=line)
    if view is not None:
        to_text(view)
        to_dot(view)


@FUZZ
@given(text=any_text, line=st.integers(-2, 30), col=st.integers(-2, 120))
def test_random_text(text: str, line: int, col: int) -> None:
    check_everything(text, line, col)


@st.composite
def mutated_corpus(draw: st.DrawFn) -> str:
    """A real module with random lines and characters deleted, duplicated or inserted."""
    lines = draw(st.sampled_from(SEEDS)).split("\n")
    for _ in range(draw(st.integers(1, 10))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "drop_char", "add_char", "swap"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif lines[index]:
            at = draw(st.integers(0, len(lines[index]) - 1))
            if action == "drop_char":
                lines[index] = lines[index][:at] + lines[index][at + 1 :]
            else:
                char = draw(st.sampled_from(list('{}()<>[]"@%!#$;:\\,=\r')))
                lines[index] = lines[index][:at] + char + lines[index][at:]
    return "\n".join(lines)


@FUZZ
@given(text=mutated_corpus(), data=st.data())
def test_mutated_real_modules(text: str, data: st.DataObject) -> None:
    lines = split_lines(text)
    line = data.draw(st.integers(0, len(lines) - 1))
    col = data.draw(st.integers(0, len(lines[line]) + 1))
    check_everything(text, line, col)


def _same(a, b) -> None:
    """Two indexes of the same text hold the same names, uses and functions."""
    assert [(e.start, e.end, e.fi.name, e.fi.refs, e.fi.defs) for e in a.functions] == [
        (e.start, e.end, e.fi.name, e.fi.refs, e.fi.defs) for e in b.functions
    ]
    assert a.refs == b.refs
    assert a.defs == b.defs
    assert a.by_key == b.by_key


@st.composite
def edited_module(draw: st.DrawFn) -> tuple[str, str]:
    """A real module and a copy with one edit of the kind typing makes: a character or a
    line inserted or deleted somewhere."""
    text = draw(st.sampled_from(SEEDS))
    lines = text.split("\n")
    index = draw(st.integers(0, len(lines) - 1))
    action = draw(st.sampled_from(["char", "drop_char", "new_line", "delete_line", "split"]))
    line = lines[index]
    at = draw(st.integers(0, len(line)))
    if action == "char":
        lines[index] = line[:at] + draw(st.sampled_from(list("x1%@{}[](),; "))) + line[at:]
    elif action == "drop_char" and line:
        lines[index] = line[: max(at - 1, 0)] + line[at:]
    elif action == "new_line":
        lines.insert(index, draw(st.sampled_from(["", "  %q = add i32 1, 2", "; note", "}", "x:"])))
    elif action == "delete_line":
        del lines[index]
    else:
        lines[index : index + 1] = [line[:at], line[at:]]
    return text, "\n".join(lines)


@FUZZ
@given(pair=edited_module())
def test_incremental_index_equals_a_full_one(pair: tuple[str, str]) -> None:
    before, after = pair
    incremental = build_index(after, previous=build_index(before))
    _same(incremental, build_index(after))

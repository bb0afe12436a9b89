"""Property tests: every syntax/ entry point takes any text without raising, and every
span it returns lies inside that text."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsp_server.syntax import (
    Span,
    find_definition,
    find_pipelines,
    function_at,
    global_ref_at,
    guess_target,
    leaves,
    looks_like_asm,
    parse_asm,
    parse_module,
    parse_pipeline,
    parse_run_lines,
    pass_at,
    pass_names,
    render,
    split_lines,
    truncate,
)

DATA = Path(__file__).parents[1] / "data"
IR_FILES = (
    sorted((DATA / "corpus" / "ir").glob("*.ll"))[::5]
    + sorted((DATA / "llvm-tests").rglob("*.ll"))[::4]
)
ASM_FILES = sorted((DATA / "corpus" / "asm").rglob("*.s"))[::10]
SEED_TEXTS = [path.read_text() for path in IR_FILES + ASM_FILES]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters that matter to the parsers, so random text reaches their corners.
SYNTAX_ALPHABET = list("@%\"'{}()<>[],;:#/\\=-.$_ \t\n\r!|&") + list("abcdefilnoprstuxRUN0129")
FRAGMENTS = [
    "define ",
    "declare ",
    "@f",
    '@"q',
    "{",
    "}",
    "; RUN: ",
    "opt ",
    "-passes=",
    "-p ",
    "'",
    '"',
    "function(",
    ")",
    "<",
    ">",
    ",",
    "\\",
    "\n",
    "\r\n",
    "| FileCheck ",
    "--check-prefix=",
    " -O2",
    " -instcombine",
    "not ",
    "\t.globl\tf\n",
    "\t.type\tf,@function\n",
    "f:\n",
    "\t.size\tf, .-f\n",
    "\t.cfi_startproc\n",
    "\tmovq\t%rsp, %rbp\n",
    "\tstp\tx29, x30, [sp, #-16]!\n",
    "// -- Begin function f\n",
    "# -- End function\n",
    "@g = global i32 0\n",
    'target triple = "',
]

syntax_text = st.text(alphabet=st.sampled_from(SYNTAX_ALPHABET), max_size=400)
fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
any_text = st.one_of(st.text(max_size=400), syntax_text, fragment_text)
decoded_bytes = st.binary(max_size=600).map(lambda raw: raw.decode("utf-8", errors="replace"))


def assert_inside(span: Span, lines: list[str]) -> None:
    assert span.start <= span.end
    for pos in (span.start, span.end):
        assert 0 <= pos.line < len(lines)
        assert 0 <= pos.col <= len(lines[pos.line])


def check_everything(text: str, line: int, col: int) -> None:
    """Run every entry point on ``text`` and check the spans they return."""
    lines = split_lines(text)

    module = parse_module(text)
    for function in module.functions:
        assert_inside(function.span, lines)
        assert_inside(function.name_span, lines)
        assert function.span.start <= function.name_span.start
        assert find_definition(module, function.name) is not None
    for variable in module.globals:
        assert_inside(variable.span, lines)
        assert_inside(variable.name_span, lines)
    found = function_at(module, line)
    assert found is None or found.span.contains_line(line)
    name = global_ref_at(text, line, col)
    assert name is None or isinstance(name, str)

    runs = parse_run_lines(text)
    for index, run in enumerate(runs):
        assert 0 <= run.first_line <= run.last_line < len(lines)
        for pipeline in run.pipelines:
            assert pipeline.run_line == index
    for pipeline in find_pipelines(text):
        assert_inside(pipeline.span, lines)
        for ref in pipeline.passes:
            assert_inside(ref.span, lines)
            assert 0 <= ref.leaf_index < len(pipeline.passes)
    hit = pass_at(text, line, col)
    if hit is not None:
        assert hit[1] in hit[0].passes

    outline = parse_asm(text)
    for asm_function in outline.functions:
        assert_inside(asm_function.span, lines)
        assert asm_function.span.contains_line(asm_function.label_line)
    for label in outline.labels:
        assert 0 <= label.line < len(lines)
    for directive in outline.directives:
        assert 0 <= directive.line < len(lines)
    assert outline.target == guess_target(text)
    assert isinstance(looks_like_asm(text), bool)


def check_pipeline(text: str) -> None:
    nodes, error = parse_pipeline(text)
    passes = leaves(nodes)
    for leaf in passes:
        assert 0 <= leaf.start <= leaf.end <= len(text)
    rendered = render(nodes)
    if error is None:
        # A pipeline that parsed renders to one that parses to the same passes.
        again, again_error = parse_pipeline(rendered)
        assert again_error is None
        assert render(again) == rendered
    for index in range(-1, len(passes) + 1):
        for inclusive in (False, True):
            cut = truncate(nodes, index, inclusive)
            kept = min(max(index + (1 if inclusive else 0), 0), len(passes))
            assert len(pass_names(cut)) == kept
    assert len(pass_names(text)) == len(passes)


@FUZZ
@given(text=any_text, line=st.integers(-2, 30), col=st.integers(-2, 120))
def test_random_text(text: str, line: int, col: int) -> None:
    check_everything(text, line, col)


@FUZZ
@given(text=decoded_bytes, line=st.integers(0, 20), col=st.integers(0, 80))
def test_random_bytes_decoded(text: str, line: int, col: int) -> None:
    check_everything(text, line, col)


@FUZZ
@given(text=st.one_of(any_text, st.text(alphabet=st.sampled_from(list("ab(),<> ")), max_size=80)))
def test_random_pipelines(text: str) -> None:
    check_pipeline(text)


@st.composite
def mutated_corpus(draw: st.DrawFn) -> str:
    """A real IR or assembly file with random lines and characters deleted or duplicated."""
    lines = draw(st.sampled_from(SEED_TEXTS)).split("\n")
    for _ in range(draw(st.integers(1, 12))):
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
                char = draw(st.sampled_from(list("{}()<>\"'@%;:\\,\r")))
                lines[index] = lines[index][:at] + char + lines[index][at:]
    return "\n".join(lines)


@FUZZ
@given(text=mutated_corpus(), data=st.data())
def test_mutated_real_files(text: str, data: st.DataObject) -> None:
    lines = split_lines(text)
    line = data.draw(st.integers(0, len(lines) - 1))
    col = data.draw(st.integers(0, len(lines[line]) + 1))
    check_everything(text, line, col)
    for pipeline in find_pipelines(text):
        check_pipeline(pipeline.text)

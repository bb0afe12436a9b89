"""The prompts are byte-exact, and the answer parsers read real, truncated and garbage answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsp_server.model.prompts import (
    CODE_STOP,
    PASS_LIST_STOP,
    EmulationAnswer,
    PassListAnswer,
    disassemble_prompt,
    emulate_asm_prompt,
    emulate_ir_prompt,
    parse_disassembly,
    parse_emulation,
    parse_pass_list,
    pass_list_prompt,
)

# An -Oz -disable-llvm-passes module, as the models were trained on (clang 19 output).
IR = """\
; ModuleID = 'add.c'
source_filename = "add.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: minsize nounwind optsize uwtable
define dso_local i32 @add(i32 noundef %0, i32 noundef %1) #0 {
  %3 = alloca i32, align 4
  %4 = alloca i32, align 4
  store i32 %0, ptr %3, align 4, !tbaa !4
  store i32 %1, ptr %4, align 4, !tbaa !4
  %5 = load i32, ptr %3, align 4, !tbaa !4
  %6 = load i32, ptr %4, align 4, !tbaa !4
  %7 = add nsw i32 %5, %6
  ret i32 %7
}

attributes #0 = { minsize nounwind optsize uwtable "target-cpu"="x86-64" }
"""

OPTIMISED_IR = """\
; ModuleID = '<stdin>'
source_filename = "-"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Function Attrs: minsize mustprogress nofree norecurse nosync nounwind optsize willreturn memory(none) uwtable
define dso_local i32 @add(i32 noundef %0, i32 noundef %1) local_unnamed_addr #0 {
  %3 = add nsw i32 %1, %0
  ret i32 %3
}

attributes #0 = { minsize mustprogress nofree norecurse nosync nounwind optsize willreturn memory(none) uwtable "target-cpu"="x86-64" }
"""

ASM = """\
\t.text
\t.file\t"-"
\t.globl\tadd
\t.type\tadd,@function
add:
\t.cfi_startproc
\tleal\t(%rdi,%rsi), %eax
\tretq
.Lfunc_end0:
\t.size\tadd, .Lfunc_end0-add
\t.cfi_endproc
\t.section\t".note.GNU-stack","",@progbits
"""


# --- prompts, byte for byte against the reference ---------------------------------------

# The reference templates, copied byte for byte from Meta's reference code
# (``llm_compiler_demo.py`` in the model repos). ``{ir}`` and ``{asm}`` stand for the whole
# text of a module or assembly file, which ends with a newline.
EMULATE_IR_TEMPLATE = (
    "[INST] Give the LLVM-IR for the following code when optimized using opt -p '{passes}':"
    "\n\n<code>{ir}</code>\n\nThe input code has instruction count {ir_count} and binary "
    "size {bin_size} bytes. [/INST]"
)
EMULATE_ASM_TEMPLATE = (
    "[INST] Give the assembly for the following code when optimized using opt -p '{passes}':"
    "\n\n<code>{ir}</code>\n\nThe input code has instruction count {ir_count} and binary "
    "size {bin_size} bytes. [/INST]"
)
PASS_LIST_TEMPLATE = (
    "[INST] Tell me how to optimize this LLVM-IR for object file size:\n\n<code>{ir}</code> [/INST]"
)
DISASSEMBLE_TEMPLATE = "[INST] Disassemble this code to LLVM-IR:\n\n<code>{asm}</code> [/INST]"


def test_templates_are_the_reference_text() -> None:
    # Each prompt function fills its reference template: on the real module and assembly
    # above (full of braces and percent signs) the prompt is the template, formatted.
    assert emulate_ir_prompt(IR, "module(default<Oz>)", 8, 65) == EMULATE_IR_TEMPLATE.format(
        passes="module(default<Oz>)", ir=IR, ir_count=8, bin_size=65
    )
    assert emulate_asm_prompt(IR, "instcombine,simplifycfg", 1, 17) == (
        EMULATE_ASM_TEMPLATE.format(
            passes="instcombine,simplifycfg", ir=IR, ir_count=1, bin_size=17
        )
    )
    assert pass_list_prompt(IR) == PASS_LIST_TEMPLATE.format(ir=IR)
    assert disassemble_prompt(ASM) == DISASSEMBLE_TEMPLATE.format(asm=ASM)


@given(
    code=st.text().map(lambda text: text if text.endswith("\n") else text + "\n"),
    passes=st.text(),
    ir_count=st.integers(min_value=0),
    bin_size=st.integers(min_value=0),
)
def test_every_prompt_is_its_reference_template_filled_in(
    code: str, passes: str, ir_count: int, bin_size: int
) -> None:
    # Any code (ending with a newline, as a file does), any pipeline text, any counts.
    filled = {"passes": passes, "ir_count": ir_count, "bin_size": bin_size}
    assert emulate_ir_prompt(code, passes, ir_count, bin_size) == (
        EMULATE_IR_TEMPLATE.format(ir=code, **filled)
    )
    assert emulate_asm_prompt(code, passes, ir_count, bin_size) == (
        EMULATE_ASM_TEMPLATE.format(ir=code, **filled)
    )
    assert pass_list_prompt(code) == PASS_LIST_TEMPLATE.format(ir=code)
    assert disassemble_prompt(code) == DISASSEMBLE_TEMPLATE.format(asm=code)


def test_emulate_ir_prompt_is_byte_exact() -> None:
    ir = "define i32 @f() {\n  ret i32 0\n}\n"
    assert emulate_ir_prompt(ir, "module(default<Oz>)", 8, 65) == (
        "[INST] Give the LLVM-IR for the following code when optimized using opt -p "
        "'module(default<Oz>)':\n\n<code>define i32 @f() {\n  ret i32 0\n}\n</code>\n\n"
        "The input code has instruction count 8 and binary size 65 bytes. [/INST]"
    )


def test_emulate_asm_prompt_is_byte_exact() -> None:
    ir = "define void @g() {\n  ret void\n}\n"
    assert emulate_asm_prompt(ir, "instcombine,simplifycfg", 1, 17) == (
        "[INST] Give the assembly for the following code when optimized using opt -p "
        "'instcombine,simplifycfg':\n\n<code>define void @g() {\n  ret void\n}\n</code>\n\n"
        "The input code has instruction count 1 and binary size 17 bytes. [/INST]"
    )


def test_pass_list_prompt_is_byte_exact() -> None:
    assert pass_list_prompt("define void @g() {\n  ret void\n}\n") == (
        "[INST] Tell me how to optimize this LLVM-IR for object file size:\n\n"
        "<code>define void @g() {\n  ret void\n}\n</code> [/INST]"
    )


def test_disassemble_prompt_is_byte_exact() -> None:
    assert disassemble_prompt("g:\n\tretq\n") == (
        "[INST] Disassemble this code to LLVM-IR:\n\n<code>g:\n\tretq\n</code> [/INST]"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda code: emulate_ir_prompt(code, "default<Oz>", 3, 40),
        lambda code: emulate_asm_prompt(code, "default<Oz>", 3, 40),
        pass_list_prompt,
        disassemble_prompt,
    ],
    ids=["emulate-ir", "emulate-asm", "pass-list", "disassemble"],
)
def test_code_gets_exactly_one_final_newline(build: Callable[[str], str]) -> None:
    with_newline = build("ret void\n")
    without = build("ret void")
    assert with_newline == without
    assert "<code>ret void\n</code>" in without


def test_prompts_keep_braces_and_percent_signs_verbatim() -> None:
    # IR is full of "{", "}" and "%": the prompt must not treat them as format syntax.
    prompt = emulate_ir_prompt(IR, "function(sroa)", 8, 65)
    assert "<code>" + IR + "</code>" in prompt
    assert prompt.startswith("[INST] ")
    assert prompt.endswith(" [/INST]")
    assert disassemble_prompt(ASM) == (
        "[INST] Disassemble this code to LLVM-IR:\n\n<code>" + ASM + "</code> [/INST]"
    )


# --- emulation answers ---------------------------------------------------------------------


def test_emulation_answer_with_the_training_spelling() -> None:
    answer = (
        " The LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n"
        f"<code>{OPTIMISED_IR}</code>"
    )
    assert parse_emulation(answer) == EmulationAnswer(
        code=OPTIMISED_IR, instruction_count=2, binary_size=65, complete=True
    )


def test_emulation_answer_with_the_dictionary_spelling_and_no_leading_space() -> None:
    answer = (
        "The LLVM-IR will have instruction count 14 and binary size 112 bytes:\n\n"
        f"<code>{IR}</code>"
    )
    parsed = parse_emulation(answer)
    assert (parsed.instruction_count, parsed.binary_size, parsed.complete) == (14, 112, True)
    assert parsed.code == IR


def test_emulation_answer_for_assembly_output() -> None:
    answer = (
        "\n  The assembly will have instruction count 2 and binary sise 17 bytes:\n\n"
        f"<code>{ASM}</code>"
    )
    parsed = parse_emulation(answer)
    assert parsed == EmulationAnswer(code=ASM, instruction_count=2, binary_size=17, complete=True)


def test_counts_in_the_code_do_not_count() -> None:
    # Only the sentence before the block says the sizes; a comment in the IR must not.
    answer = "<code>; instruction count 99 and binary size 1000\nret void\n</code>"
    parsed = parse_emulation(answer)
    assert parsed.instruction_count is None
    assert parsed.binary_size is None
    assert parsed.code == "; instruction count 99 and binary size 1000\nret void\n"


def test_truncated_emulation_answer_keeps_what_arrived() -> None:
    cut = OPTIMISED_IR[:200]
    answer = f" The LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n<code>{cut}"
    parsed = parse_emulation(answer, finish_reason="length")
    assert parsed == EmulationAnswer(code=cut, instruction_count=2, binary_size=65, complete=False)


def test_truncated_inside_the_closing_tag() -> None:
    answer = f"The LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n<code>{OPTIMISED_IR}</co"
    parsed = parse_emulation(answer)
    assert parsed.code == OPTIMISED_IR
    assert not parsed.complete


def test_answer_cut_at_the_code_stop_string_is_complete() -> None:
    # Servers drop the stop string, so "</code>" is missing; finish_reason "stop" tells.
    assert CODE_STOP == ["</code>"]
    answer = f" The LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n<code>{OPTIMISED_IR}"
    assert parse_emulation(answer, finish_reason="stop").complete
    assert not parse_emulation(answer, finish_reason="length").complete


def test_answer_cut_before_the_code_block() -> None:
    parsed = parse_emulation(" The LLVM-IR will have instruction count 7 and binary si")
    assert parsed == EmulationAnswer(
        code=None, instruction_count=7, binary_size=None, complete=False
    )


@pytest.mark.parametrize(
    "garbage",
    ["", "   \n", "I cannot help with that.", "</code><code", "count 5 size 6", "\x00\xff{}"],
)
def test_garbage_emulation_answer_is_all_none(garbage: str) -> None:
    parsed = parse_emulation(garbage)
    assert parsed.instruction_count is None
    assert parsed.binary_size is None
    assert not parsed.complete
    if "<code>" not in garbage:
        assert parsed.code is None


# --- disassembly answers -------------------------------------------------------------------


def test_disassembly_answer() -> None:
    assert parse_disassembly(f"<code>{OPTIMISED_IR}</code>") == (OPTIMISED_IR, True)
    assert parse_disassembly(f"  \n<code>{OPTIMISED_IR}</code>\n") == (OPTIMISED_IR, True)


def test_disassembly_truncated_and_stopped() -> None:
    cut = OPTIMISED_IR[:150]
    assert parse_disassembly(f"<code>{cut}", finish_reason="length") == (cut, False)
    assert parse_disassembly(f"<code>{OPTIMISED_IR}", finish_reason="stop") == (OPTIMISED_IR, True)


@pytest.mark.parametrize("garbage", ["", "define i32 @f() {", "Sure! Here it is:", "<cod"])
def test_disassembly_garbage(garbage: str) -> None:
    assert parse_disassembly(garbage) == (None, False)


# --- pass-list answers ---------------------------------------------------------------------

FULL_PASS_LIST_ANSWER = (
    " -p 'module(default<Oz>),function(instcombine<no-verify-fixpoint>,simplifycfg<bonus-inst-"
    "threshold=1;no-forward-switch-cond;switch-to-lookup>),cgscc(devirt<4>(inline,function(sroa,"
    "early-cse<memssa>))),globaldce'\n\n"
    "And the LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n"
    f"<code>{OPTIMISED_IR}</code>"
)


def test_pass_list_answer_with_the_optimised_ir_after_it() -> None:
    parsed = parse_pass_list(FULL_PASS_LIST_ANSWER)
    assert parsed.pipeline == (
        "module(default<Oz>),function(instcombine<no-verify-fixpoint>,simplifycfg<bonus-inst-"
        "threshold=1;no-forward-switch-cond;switch-to-lookup>),cgscc(devirt<4>(inline,function("
        "sroa,early-cse<memssa>))),globaldce"
    )
    assert parsed.passes == (
        "default",
        "instcombine",
        "simplifycfg",
        "inline",
        "sroa",
        "early-cse",
        "globaldce",
    )
    assert parsed.complete


@pytest.mark.parametrize(
    ("answer", "pipeline", "passes"),
    [
        (
            "opt -p 'instcombine,simplifycfg'",
            "instcombine,simplifycfg",
            ("instcombine", "simplifycfg"),
        ),
        (
            '-passes="function(mem2reg),globalopt"',
            "function(mem2reg),globalopt",
            ("mem2reg", "globalopt"),
        ),
        (
            "Run `opt -passes='module(default<Oz>)'` to get the smallest object.",
            "module(default<Oz>)",
            ("default",),
        ),
        (
            "\n\n'loop-mssa(licm<allowspeculation>),loop-rotate'\n",
            "loop-mssa(licm<allowspeculation>),loop-rotate",
            ("licm", "loop-rotate"),
        ),
        (
            "Don't inline: use 'sroa,instcombine' instead",
            "sroa,instcombine",
            ("sroa", "instcombine"),
        ),
        (
            "-passes=ipsccp,deadargelim And the LLVM-IR will have",
            "ipsccp,deadargelim",
            ("ipsccp", "deadargelim"),
        ),
        (
            "instcombine,simplifycfg,mem2reg\n",
            "instcombine,simplifycfg,mem2reg",
            ("instcombine", "simplifycfg", "mem2reg"),
        ),
        (
            "module(function(sroa),globaldce)",
            "module(function(sroa),globaldce)",
            ("sroa", "globaldce"),
        ),
        (
            "-reg2mem -instcombine -Oz\n",
            "reg2mem,instcombine,default<Oz>",
            ("reg2mem", "instcombine", "default"),
        ),
        ("'-mem2reg -simplifycfg'", "mem2reg,simplifycfg", ("mem2reg", "simplifycfg")),
    ],
)
def test_pass_list_shapes(answer: str, pipeline: str, passes: tuple[str, ...]) -> None:
    assert parse_pass_list(answer) == PassListAnswer(
        pipeline=pipeline, passes=passes, complete=True
    )


def test_the_flag_argument_wins_over_other_quoted_text() -> None:
    parsed = parse_pass_list("Use -passes=sroa,gvn because it's 'great' and \"fast\"")
    assert parsed == PassListAnswer(pipeline="sroa,gvn", passes=("sroa", "gvn"), complete=True)
    parsed = parse_pass_list("I'd say 'instcombine' but run -p 'mem2reg'")
    assert parsed.pipeline == "mem2reg"


def test_pass_list_truncated_inside_the_quotes() -> None:
    parsed = parse_pass_list(
        " -p 'module(default<Oz>),function(instcombine,simpl", finish_reason="length"
    )
    assert not parsed.complete
    assert parsed.pipeline == "module(default<Oz>),function(instcombine,simpl"
    assert parsed.passes == ("default", "instcombine", "simpl")


def test_pass_list_truncated_inside_parameters() -> None:
    parsed = parse_pass_list("-p 'function(simplifycfg<bonus-inst-thresh")
    assert not parsed.complete
    assert parsed.passes == ("simplifycfg",)


def test_closed_quote_with_unbalanced_brackets_is_not_complete() -> None:
    parsed = parse_pass_list("-p 'module(function(sroa)' ")
    assert parsed.pipeline == "module(function(sroa)"
    assert not parsed.complete


def test_unquoted_list_cut_by_the_token_limit_is_not_complete() -> None:
    assert not parse_pass_list("instcombine,simplif", finish_reason="length").complete
    assert parse_pass_list("instcombine,simplifycfg", finish_reason="stop").complete


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "Sorry, I can't help with that.",
        "Hello",
        "The LLVM-IR will have instruction count 2 and binary sise 65 bytes:\n\n<code>ret</code>",
        "-p ''",
        "'module((('",
        "%%% ;;; >>>",
        "<code>instcombine</code>",
        "'a b c' \"d e\"",
    ],
)
def test_garbage_pass_list_has_no_pipeline(garbage: str) -> None:
    assert parse_pass_list(garbage) == PassListAnswer(pipeline=None, passes=(), complete=False)


def test_pass_list_stop_strings_come_after_the_pipeline() -> None:
    # Generation stops at the first stop string; the pipeline must be whole by then, so no
    # stop string may occur inside the answer before the closing quote.
    first = min(FULL_PASS_LIST_ANSWER.find(s) for s in PASS_LIST_STOP if s in FULL_PASS_LIST_ANSWER)
    assert FULL_PASS_LIST_ANSWER.index("'\n") < first
    cut = FULL_PASS_LIST_ANSWER[:first]
    assert parse_pass_list(cut, finish_reason="stop") == parse_pass_list(FULL_PASS_LIST_ANSWER)
    assert len(PASS_LIST_STOP) <= 4  # OpenAI's own API accepts at most four stop strings


# --- parsers never raise -------------------------------------------------------------------

_answer_text = st.one_of(
    st.text(),
    st.lists(
        st.sampled_from(
            [
                "<code>",
                "</code>",
                "</co",
                "'",
                '"',
                "`",
                "(",
                ")",
                "<",
                ">",
                ",",
                "-p ",
                "-passes=",
                "instruction count ",
                "binary sise ",
                "12",
                "instcombine",
                "module",
                "\n",
                " ",
                "And the",
            ]
        )
    ).map("".join),
)


@given(_answer_text, st.sampled_from([None, "stop", "length"]))
def test_parsers_never_raise(answer: str, finish_reason: str | None) -> None:
    emulation = parse_emulation(answer, finish_reason=finish_reason)
    pass_list = parse_pass_list(answer, finish_reason=finish_reason)
    code, complete = parse_disassembly(answer, finish_reason=finish_reason)
    assert (emulation.code, emulation.complete) == (code, complete)
    if pass_list.pipeline is None:
        assert pass_list.passes == ()
    else:
        assert pass_list.passes
        assert all(name and name in pass_list.pipeline for name in pass_list.passes)

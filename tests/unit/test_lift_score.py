"""The similarity score, the first difference, the token budget and the target choice."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsp_server.lift.bleu import asm_tokens, bleu, first_difference
from lsp_server.lift.budget import TokenBudget
from lsp_server.lift.targets import TargetError, choose_triple, missing_target
from tests.support.data import CORPUS

X86 = sorted((CORPUS / "asm" / "x86_64").glob("*.s"))[0].read_text()
# A different function on the other architecture: only the file's boilerplate is shared.
A64 = sorted((CORPUS / "asm" / "aarch64").glob("*.s"))[-1].read_text()


def test_assembly_tokens_keep_registers_labels_and_immediates_whole() -> None:
    assert asm_tokens("\tmovq\t%rsp, %rbp\n\tjmp\t.LBB0_2  # x\n") == [
        "movq",
        "%rsp",
        ",",
        "%rbp",
        "jmp",
        ".LBB0_2",
        "#",
        "x",
    ]
    assert asm_tokens("ldr w8, [x0, #16]") == ["ldr", "w8", ",", "[", "x0", ",", "#", "16", "]"]


def test_bleu_of_identical_texts_is_one_and_of_unrelated_texts_near_zero() -> None:
    assert bleu(X86, X86) == 1.0
    assert bleu(X86, A64) < 0.1
    assert bleu("", "") == 1.0
    assert bleu(X86, "") == 0.0 and bleu("", X86) == 0.0


def test_bleu_matches_a_hand_computed_value() -> None:
    # Precisions 4/5, 3/4, 2/3, 1/2; the candidate is longer, so no brevity penalty.
    expected = (4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25
    assert math.isclose(bleu("a b c d", "a b c d e"), expected)
    # A shorter candidate pays the brevity penalty exp(1 - 5/4).
    assert math.isclose(bleu("a b c d e", "a b c d"), math.exp(1 - 5 / 4))


def test_more_damage_scores_lower() -> None:
    lines = X86.splitlines()
    one = "\n".join([*lines[:10], "\tnop", *lines[11:]])
    many = "\n".join(line if i % 3 else "\tnop" for i, line in enumerate(lines))
    assert 1.0 > bleu(X86, one) > bleu(X86, many) > 0.0


@given(st.text(max_size=200), st.text(max_size=200))
def test_bleu_is_a_score_in_the_unit_interval(reference: str, candidate: str) -> None:
    assert 0.0 <= bleu(reference, candidate) <= 1.0


def test_the_first_difference_names_both_lines() -> None:
    expected = "a\nb\nc\nd\n"
    assert first_difference(expected, expected) is None
    diff = first_difference(expected, "a\nb\nX\nd\n")
    assert diff is not None
    assert (diff.expected_line, diff.expected, diff.actual) == (2, "c", "X")
    assert diff.describe() == "line 3: expected `c`, got `X`"
    shorter = first_difference(expected, "a\nb\n")
    assert shorter is not None and shorter.actual is None
    assert "(end of text)" in shorter.describe()


def test_the_budget_leaves_room_for_the_answer_and_never_overflows() -> None:
    budget = TokenBudget()
    assert budget.fits(X86)
    assert budget.prompt_tokens(X86) > len(X86) / 3.5, "more conservative than 3.5 chars a token"
    assert budget.prompt_tokens(X86) + budget.max_tokens(X86) == budget.context
    huge = X86 * 40
    assert not budget.fits(huge)
    assert "16k-token context" in budget.describe(huge)
    assert "never truncates" in budget.describe(huge)
    assert budget.max_tokens(huge) == 1


def test_the_whole_corpus_fits_one_prompt_per_file() -> None:
    budget = TokenBudget()
    assert all(budget.fits(p.read_text()) for p in (CORPUS / "asm").glob("*/*.s"))


def test_the_triple_comes_from_the_file_then_the_setting() -> None:
    assert choose_triple(X86, explicit=None, setting="").triple == "x86_64-unknown-linux-gnu"
    choice = choose_triple(A64, explicit=None, setting="x86_64-unknown-linux-gnu")
    assert choice.triple == "aarch64-unknown-linux-gnu"
    assert choice.source.startswith("from the file:")
    assert (
        choose_triple(X86, explicit="x86_64-apple-macosx", setting="").source == "given explicitly"
    )
    bare = "\t.text\nf:\n\tret\n"
    assert choose_triple(bare, explicit=None, setting="riscv64").triple == "riscv64"
    with pytest.raises(TargetError, match=r"target\.triple"):
        choose_triple(bare, explicit=None, setting="")


def test_a_missing_llc_target_is_named() -> None:
    registered = ["aarch64", "arm64", "x86", "x86-64"]
    assert missing_target("x86_64-unknown-linux-gnu", registered, "19.1.7") is None
    assert missing_target("arm64-apple-macosx", registered, "19.1.7") is None
    message = missing_target("aarch64-unknown-linux-gnu", ["x86", "x86-64"], "19.1.7")
    assert message is not None
    assert "without the aarch64 target" in message and "x86, x86-64" in message
    assert missing_target("aarch64-unknown-linux-gnu", [], "19.1.7") is None

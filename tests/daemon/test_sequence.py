"""What a client receives, decided token by token: text deltas, stop strings, EOS, length."""

from __future__ import annotations

from collections.abc import Sequence

from lsp_server.daemon.sequence import IncrementalDetokenizer, SequenceState

EOS = 256


def byte_decode(ids: Sequence[int]) -> str:
    """A byte-level vocabulary: token i is byte i; EOS is special and decodes to nothing."""
    return bytes(i for i in ids if i < 256).decode("utf-8", errors="replace")


def tokens(text: str) -> list[int]:
    return list(text.encode())


def sequence(max_tokens: int = 100, stop: Sequence[str] = ()) -> SequenceState:
    return SequenceState(
        index=0,
        prompt_ids=tokens("prompt"),
        decode=byte_decode,
        max_tokens=max_tokens,
        stop=stop,
        eos_ids=frozenset({EOS}),
    )


def feed(seq: SequenceState, ids: Sequence[int]) -> list[str]:
    deltas = []
    for token in ids:
        seq.add_token(token)
        deltas.append(seq.take_delta())
        if seq.finished:
            break
    return deltas


def test_a_character_split_over_tokens_is_sent_whole() -> None:
    seq = sequence()
    assert feed(seq, tokens("aé")) == ["a", "", "é"]
    assert seq.text == "aé"


def test_max_tokens_finishes_with_length() -> None:
    seq = sequence(max_tokens=3)
    feed(seq, tokens("abcdef"))
    assert (seq.text, seq.finish_reason, len(seq.token_ids)) == ("abc", "length", 3)


def test_eos_finishes_with_stop_and_adds_no_text() -> None:
    seq = sequence()
    feed(seq, [*tokens("ab"), EOS, *tokens("cd")])
    assert (seq.text, seq.finish_reason, len(seq.token_ids)) == ("ab", "stop", 3)


def test_a_stop_string_over_several_tokens_cuts_the_text() -> None:
    seq = sequence(stop=["</code>"])
    deltas = feed(seq, tokens("ret void\n</code> more"))
    assert seq.finish_reason == "stop"
    assert seq.text == "ret void\n"
    assert "".join(deltas) == "ret void\n"
    assert len(seq.token_ids) == len("ret void\n</code>")


def test_a_possible_stop_prefix_is_held_back_then_released() -> None:
    seq = sequence(stop=["STOP"])
    deltas = feed(seq, tokens("abST"))
    assert "".join(deltas) == "ab"
    deltas = feed(seq, tokens("x"))
    assert deltas == ["STx"]


def test_the_earliest_of_several_stop_strings_wins() -> None:
    seq = sequence(stop=["zz", "b"])
    feed(seq, tokens("aaazzb"))
    assert seq.text == "aaa"


def test_held_back_text_is_released_when_the_length_runs_out() -> None:
    seq = sequence(max_tokens=3, stop=["STOP"])
    assert "".join(feed(seq, tokens("aST"))) == "aST"
    assert seq.finish_reason == "length"


def test_a_leading_space_survives_a_tokenizer_that_strips_it() -> None:
    """Llama's decoder drops the first token's leading space; the prompt window absorbs that."""
    vocab = {1: "▁[/INST]", 2: "▁The", 3: "▁answer", 4: ":"}

    def decode(ids: Sequence[int]) -> str:
        return "".join(vocab[i] for i in ids).replace("▁", " ").removeprefix(" ")

    detok = IncrementalDetokenizer(decode, [1])
    assert [detok.push(t) for t in (2, 3, 4)] == [" The", " answer", ":"]


def test_a_window_of_text_is_never_sent_twice() -> None:
    seq = sequence(max_tokens=1000)
    text = "define i32 @f() {\n  ret i32 0\n}\n" * 5
    assert "".join(feed(seq, tokens(text))) == text

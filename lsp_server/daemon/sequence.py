"""Per-sequence bookkeeping while generating: text, stop strings, finish reasons.

Pure Python: it sees token ids and a ``decode`` function, never a tensor, so the rules
that decide what a client receives are unit-tested without a model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from lsp_server.daemon.protocol import SamplingParams

FinishReason = Literal["stop", "length"]
Decode = Callable[[Sequence[int]], str]


class Detokenizer(Protocol):
    """Turns one token at a time into text (``push``) and ends with ``flush``."""

    def push(self, token: int) -> str: ...

    def flush(self) -> str: ...


#: Makes the detokenizer of one sequence from its prompt's ids.
MakeDetokenizer = Callable[[Sequence[int]], Detokenizer]

#: How many prompt tokens seed the detokenizer's window. Tokenizers that strip a
#: leading space from the first token they decode (Llama's) then strip it from the
#: prompt's tail, not from the answer.
PROMPT_WINDOW = 5


class IncrementalDetokenizer:
    """Turns a growing list of token ids into text deltas, one token at a time.

    Decoding a token alone is wrong for byte-level vocabularies (a character may span
    tokens) and for tokenizers that merge spaces with words; decoding everything each
    step is quadratic. Like vLLM and TGI we decode a short window twice and keep the
    difference, holding text back while it ends in an incomplete character.
    """

    def __init__(self, decode: Decode, prompt_ids: Sequence[int]) -> None:
        self._decode = decode
        self._ids = list(prompt_ids[-PROMPT_WINDOW:])
        self._read = len(self._ids)

    def push(self, token: int) -> str:
        """Add ``token``; return the text it completes (possibly empty)."""
        self._ids.append(token)
        return self._delta(final=False)

    def flush(self) -> str:
        """Return whatever is held back, even an incomplete character."""
        return self._delta(final=True)

    def _delta(self, *, final: bool) -> str:
        if self._read == len(self._ids):
            return ""
        prefix_text = self._decode(self._ids[: self._read])
        full_text = self._decode(self._ids)
        if len(full_text) <= len(prefix_text) and not final:
            return ""
        if full_text.endswith("\ufffd") and not final:
            return ""
        delta = full_text[len(prefix_text) :]
        # The tokens just decoded become the next prefix; older ones are never needed
        # again, so the window (and the cost of a step) stays a few tokens long.
        del self._ids[: self._read]
        self._read = len(self._ids)
        return delta


class SequenceState:
    """One choice of one request: its generated tokens, its text, whether it is done."""

    def __init__(
        self,
        *,
        index: int,
        prompt_ids: Sequence[int],
        decode: Decode,
        max_tokens: int,
        stop: Sequence[str] = (),
        eos_ids: frozenset[int] = frozenset(),
        stop_token_ids: frozenset[int] = frozenset(),
        include_stop_str: bool = False,
        detokenizer: Detokenizer | None = None,
    ) -> None:
        self.index = index
        self.max_tokens = max_tokens
        self.stop = tuple(stop)
        self.eos_ids = eos_ids
        self.stop_token_ids = stop_token_ids
        self.include_stop_str = include_stop_str
        self.token_ids: list[int] = []
        self.text = ""
        self.finish_reason: FinishReason | None = None
        self._detok: Detokenizer = detokenizer or IncrementalDetokenizer(decode, prompt_ids)
        self._emitted = 0
        self._longest_stop = max((len(s) for s in self.stop), default=0)

    @property
    def finished(self) -> bool:
        """True once EOS, a stop string or ``max_tokens`` ended the sequence."""
        return self.finish_reason is not None

    def add_token(self, token: int) -> None:
        """Record a sampled token and decide whether the sequence is finished."""
        if self.finished:
            return
        self.token_ids.append(token)
        if token in self.eos_ids:
            # EOS ends the answer and contributes no text.
            self.text += self._detok.flush()
            self._cut_at_stop(0)
            self.finish_reason = "stop"
            return
        old_len = len(self.text)
        self.text += self._detok.push(token)
        if self._cut_at_stop(old_len):
            return
        if token in self.stop_token_ids:
            # vLLM keeps a stop token's own text (special tokens decode to nothing).
            self.text += self._detok.flush()
            if not self._cut_at_stop(old_len):
                self.finish_reason = "stop"
            return
        if len(self.token_ids) >= self.max_tokens:
            self.text += self._detok.flush()
            if not self._cut_at_stop(old_len):
                self.finish_reason = "length"

    def _cut_at_stop(self, old_len: int) -> bool:
        """End the text before the first stop string that new text completed."""
        if not self.stop:
            return False
        start = max(0, old_len - self._longest_stop + 1)
        hits = [(i, len(s)) for s in self.stop if (i := self.text.find(s, start)) >= 0]
        if not hits:
            return False
        at, length = min(hits)
        self.text = self.text[: at + length if self.include_stop_str else at]
        self.finish_reason = "stop"
        return True

    def take_delta(self) -> str:
        """Text not yet sent to the client that is safe to send now.

        While the sequence runs, a tail that could still grow into a stop string is
        held back, so a streaming client never sees part of a stop string.
        """
        end = len(self.text)
        if not self.finished:
            end -= self._held_back()
        end = max(end, self._emitted)
        delta = self.text[self._emitted : end]
        self._emitted = end
        return delta

    def _held_back(self) -> int:
        for k in range(min(self._longest_stop - 1, len(self.text)), 0, -1):
            tail = self.text[-k:]
            if any(s.startswith(tail) for s in self.stop):
                return k
        return 0


class Group:
    """One prompt of one request and its ``n`` sequences, which share one prefill."""

    def __init__(
        self,
        *,
        key: int,
        prompt_ids: Sequence[int],
        params: SamplingParams,
        first_index: int,
        n: int,
        decode: Decode,
        eos_ids: frozenset[int],
        detokenizer: MakeDetokenizer | None = None,
    ) -> None:
        self.key = key
        #: The request this group belongs to (a request with a list of prompts has one
        #: group per prompt): the scheduler shares the batch out by request.
        self.request = key
        #: When the group was queued (``time.perf_counter()``), for starvation bounds.
        self.queued_at = time.perf_counter()
        self.prompt_ids = list(prompt_ids)
        self.params = params
        self.cancelled = False
        #: The batch runner's random generator for this group, made when it is admitted.
        self.generator: object = None
        self.seqs = [
            SequenceState(
                index=first_index + i,
                prompt_ids=self.prompt_ids,
                decode=decode,
                max_tokens=params.max_tokens,
                stop=params.stop,
                eos_ids=frozenset() if params.ignore_eos else eos_ids,
                stop_token_ids=frozenset(params.stop_token_ids),
                include_stop_str=params.include_stop_str_in_output,
                detokenizer=detokenizer(self.prompt_ids) if detokenizer else None,
            )
            for i in range(n)
        ]

    @property
    def finished(self) -> bool:
        """True when every sequence is finished."""
        return all(s.finished for s in self.seqs)

"""Whether an assembly piece fits LLM Compiler's 16k-token context, estimated conservatively.

The language server has no tokenizer (it never loads the model's files), so it estimates.
Assembly is dense in short tokens for the Code Llama vocabulary: tabs and newlines are
single byte-fallback tokens, and registers, ``%``, ``$`` and commas are tokens of their own,
so an estimate of 2 characters a token errs on the side of "too large" (LLVM IR, with its
space-prefixed words, does better). The answer needs room too: the lifted IR is about 1.7
times the assembly's characters on the bundled corpus (median), which at IR's better ratio
is about 1.2 assembly-tokens' worth; the budget reserves 1.5.

A piece that does not fit is reported, never truncated. A server that still finds the
prompt too long answers 400, which the feature reports the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lsp_server.model.prompts import disassemble_prompt

#: LLM Compiler's context (Code Llama's 16k).
CONTEXT_TOKENS = 16384


@dataclass(frozen=True)
class TokenBudget:
    """How many tokens a prompt and its answer may take, and how to estimate them."""

    context: int = CONTEXT_TOKENS
    chars_per_token: float = 2.0
    answer_ratio: float = 1.5
    min_answer: int = 256

    def tokens(self, text: str) -> int:
        """A conservative token count for ``text``."""
        return math.ceil(len(text) / self.chars_per_token)

    def prompt_tokens(self, asm: str) -> int:
        """The disassembly prompt's tokens, with the BOS token the tokenizer adds."""
        return self.tokens(disassemble_prompt(asm)) + 1

    def answer_tokens(self, asm: str) -> int:
        """Room the lifted IR is expected to need."""
        return max(self.min_answer, math.ceil(self.answer_ratio * self.tokens(asm)))

    def fits(self, asm: str) -> bool:
        """Whether the prompt and the expected answer fit the context together."""
        return self.prompt_tokens(asm) + self.answer_tokens(asm) <= self.context

    def max_tokens(self, asm: str) -> int:
        """``max_tokens`` for the request: everything the prompt leaves (at least 1)."""
        return max(1, self.context - self.prompt_tokens(asm))

    def describe(self, asm: str) -> str:
        """Why ``asm`` does not fit, in a sentence."""
        return (
            f"too large for the model's {self.context // 1024}k-token context: about "
            f"{self.prompt_tokens(asm)} tokens of prompt and {self.answer_tokens(asm)} for "
            "the answer (irlens lifts whole functions and never truncates them)"
        )

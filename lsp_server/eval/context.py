"""Asking the model within its context window; an input that does not fit is a result.

LLM Compiler has a 16k-token context that holds the prompt and the answer together. The
eval has no tokenizer, so it estimates: a prompt whose estimate plus the room its answer
needs exceeds the context is counted as ``too_long`` without asking. The server has the
final word: when it answers that the prompt and ``max_tokens`` do not fit (the irlens
daemon, vLLM and the OpenAI API all say "maximum context length ... N in your prompt"), the
request is asked again with what is really left, or counted as ``too_long`` when that is
less than the answer needs.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from lsp_server.model.backend import ModelBackend, ModelError

DEFAULT_CONTEXT_TOKENS = 16384

#: Characters per token of LLVM IR and assembly under the Code Llama tokenizer, on the low
#: side (it splits numbers into digits), so that the estimate errs toward "too long" only
#: for inputs that are close to the limit anyway.
CHARS_PER_TOKEN = 3.0

_CONTEXT_ERROR = re.compile(r"context length|context window|must be <=|too long", re.IGNORECASE)
_PROMPT_TOKENS = re.compile(
    r"(\d+)\s+(?:tokens?\s+)?in (?:your|the) (?:prompt|messages)|Given:\s*(\d+)\s*`?inputs`?",
    re.IGNORECASE,
)


def estimate_tokens(text: str) -> int:
    """A token estimate for ``text`` (see :data:`CHARS_PER_TOKEN`)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Answer:
    """The model's answer, or why there is none.

    ``too_long`` is true when the prompt and the answer do not fit the context; ``note``
    then says by how much. ``text`` is None exactly when ``too_long`` is.
    """

    text: str | None
    finish_reason: str | None
    too_long: bool
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    note: str = ""


def is_context_error(error: ModelError) -> bool:
    """Whether the server refused the request because it does not fit the context."""
    return error.status == 400 and bool(_CONTEXT_ERROR.search(error.message))


def prompt_tokens_in(message: str) -> int | None:
    """The prompt's token count a context-length error states, if it states one."""
    match = _PROMPT_TOKENS.search(message)
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


async def ask(
    backend: ModelBackend,
    prompt: str,
    *,
    answer_tokens: int,
    max_tokens: int,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    stop: Sequence[str] | None = None,
) -> Answer:
    """Greedy completion of ``prompt`` (the paper decodes greedily), fitted to the context.

    ``answer_tokens`` is the least room the answer needs (an estimate of its length);
    ``max_tokens`` the most it may take. Raises ModelError for failures other than the
    context (a server that is down is an error of the item, not a too-long input).
    """
    start = time.monotonic()
    estimate = estimate_tokens(prompt)
    if estimate + answer_tokens > context_tokens:
        return Answer(
            None,
            None,
            True,
            estimate,
            None,
            0.0,
            f"about {estimate} prompt tokens and {answer_tokens} for the answer "
            f"exceed the {context_tokens}-token context",
        )
    budget = max(1, min(max_tokens, context_tokens - estimate))
    for _attempt in range(2):
        try:
            completion = await backend.complete(
                prompt, max_tokens=budget, temperature=0.0, stop=stop
            )
        except ModelError as err:
            if not is_context_error(err):
                raise
            actual = prompt_tokens_in(err.message)
            room = context_tokens - actual if actual is not None else 0
            if actual is None or room < answer_tokens or room >= budget:
                return Answer(None, None, True, actual, None, time.monotonic() - start, err.message)
            budget = min(max_tokens, room)
            continue
        return Answer(
            completion.texts[0] if completion.texts else "",
            completion.finish_reasons[0] if completion.finish_reasons else None,
            False,
            completion.prompt_tokens,
            completion.completion_tokens,
            time.monotonic() - start,
        )
    return Answer(None, None, True, None, None, time.monotonic() - start, "no room left")

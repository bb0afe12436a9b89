"""Fitting model requests into the context: estimates, the server's word, retries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from lsp_server.eval.context import ask, estimate_tokens, is_context_error, prompt_tokens_in
from lsp_server.model.client import BackendState, Completion, ModelError

DAEMON_MESSAGE = (
    "model server answered 400: This model's maximum context length is 4096 tokens, however "
    "you requested 5000 tokens (3000 in your prompt; 2000 for the completion). Please reduce "
    "your prompt or completion length."
)
VLLM_MESSAGE = (
    "model server answered 400: This model's maximum context length is 16384 tokens. However, "
    "you requested 17000 tokens (15000 in the messages, 2000 in the completion)."
)


class StubBackend:
    """Answers with ``answers`` in turn; a ModelError in the list is raised instead."""

    def __init__(self, answers: list[str | ModelError]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    @property
    def state(self) -> BackendState:
        return BackendState.READY

    @property
    def model_name(self) -> str | None:
        return "stub"

    @property
    def detail(self) -> str:
        return "ready: stub"

    async def check(self) -> BackendState:
        return BackendState.READY

    async def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float = 0.0,
        n: int = 1,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> Completion:
        self.calls.append({"max_tokens": max_tokens, "temperature": temperature, "stop": stop})
        answer = self.answers.pop(0)
        if isinstance(answer, ModelError):
            raise answer
        return Completion((answer,), ("stop",), "stub", 10, 5)

    async def aclose(self) -> None:
        return None


def test_the_prompt_token_count_is_read_from_daemon_and_vllm_errors() -> None:
    assert prompt_tokens_in(DAEMON_MESSAGE) == 3000
    assert prompt_tokens_in(VLLM_MESSAGE) == 15000
    assert is_context_error(ModelError(DAEMON_MESSAGE, status=400))
    assert not is_context_error(ModelError("model server answered 500: oops", status=500))


async def test_a_prompt_estimated_too_long_is_not_sent() -> None:
    backend = StubBackend([])
    answer = await ask(backend, "x" * 3000, answer_tokens=100, max_tokens=200, context_tokens=1000)
    assert answer.too_long and answer.text is None
    assert "1000-token context" in answer.note
    assert backend.calls == []


async def test_greedy_request_within_the_context() -> None:
    backend = StubBackend(["ok"])
    answer = await ask(
        backend, "x" * 300, answer_tokens=10, max_tokens=5000, context_tokens=1000, stop=["</code>"]
    )
    assert answer.text == "ok" and not answer.too_long
    assert backend.calls == [
        {"max_tokens": 1000 - estimate_tokens("x" * 300), "temperature": 0.0, "stop": ["</code>"]}
    ]


async def test_the_server_saying_the_prompt_is_longer_gets_a_smaller_max_tokens() -> None:
    error = ModelError(DAEMON_MESSAGE, status=400)
    backend = StubBackend([error, "fits now"])
    answer = await ask(backend, "x" * 30, answer_tokens=500, max_tokens=4000, context_tokens=4096)
    assert answer.text == "fits now"
    assert backend.calls[1]["max_tokens"] == 4096 - 3000


async def test_no_room_left_for_the_answer_is_too_long() -> None:
    error = ModelError(DAEMON_MESSAGE, status=400)
    backend = StubBackend([error])
    answer = await ask(backend, "x" * 30, answer_tokens=2000, max_tokens=4000, context_tokens=4096)
    assert answer.too_long
    assert "maximum context length" in answer.note


async def test_other_model_errors_are_raised() -> None:
    backend = StubBackend([ModelError("model server at X is not reachable")])
    with pytest.raises(ModelError):
        await ask(backend, "x", answer_tokens=1, max_tokens=10)

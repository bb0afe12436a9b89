"""Model pass lists: parsed leniently, checked against the registry, repaired or rejected.

The backend here is a FAKE object standing in for a model server (no model runs).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lsp_server.llvm.passes import PassRegistry
from lsp_server.model.client import BackendState, Completion, ModelError
from lsp_server.model.prompts import PASS_LIST_STOP, pass_list_prompt
from lsp_server.search.candidates import (
    ModelAnswers,
    Status,
    check_answer,
    check_answers,
    fetch_answers,
)

REGISTRY = PassRegistry(
    {
        "module": frozenset({"globaldce", "globalopt", "mergefunc"}),
        "function": frozenset({"instcombine", "simplifycfg", "sroa", "gvn", "early-cse"}),
        "loop": frozenset({"licm", "indvars"}),
    },
    {},
)


def test_a_valid_pass_list_is_kept_as_written() -> None:
    found = check_answer(
        0, " opt -p 'module(function(sroa,instcombine),globaldce)'", "stop", REGISTRY
    )
    assert found.status is Status.OK
    assert found.pipeline == found.proposed == "module(function(sroa,instcombine),globaldce)"
    assert found.message == ""


def test_unknown_passes_are_named_and_dropped() -> None:
    answer = "-passes='function(sroa,instcombin,gvn),frobnicate,globaldce'"
    found = check_answer(2, answer, "stop", REGISTRY)
    assert found.status is Status.REPAIRED
    assert found.pipeline == "function(sroa,gvn),globaldce"
    assert found.unknown == ("instcombin", "frobnicate")
    assert "unknown pass 'instcombin' (did you mean instcombine" in found.message
    assert "frobnicate" in found.message


def test_a_list_of_only_unknown_passes_is_rejected() -> None:
    found = check_answer(1, "'frobnicate,twiddle'", "stop", REGISTRY)
    assert found.status is Status.REJECTED
    assert found.pipeline is None
    assert found.message.startswith("rejected:") and "frobnicate" in found.message


@pytest.mark.parametrize("garbage", ["", "I cannot help with that.", "<code>define", "\x00\x01}{"])
def test_garbage_is_rejected_with_a_reason(garbage) -> None:
    found = check_answer(0, garbage, "stop", REGISTRY)
    assert found.status is Status.REJECTED
    assert found.message == "the answer holds no pass list"


def test_a_cut_off_list_keeps_the_passes_before_the_cut() -> None:
    found = check_answer(0, "opt -p 'function(sroa,gvn,instcom", "length", REGISTRY)
    assert found.status is Status.REPAIRED
    assert found.pipeline == "function(sroa,gvn)"
    assert "cut off" in found.message


class FakeBackend:
    """A FAKE model backend: canned answers, no model."""

    def __init__(self, greedy: str, samples: Sequence[str] = (), fail: bool = False) -> None:
        self.greedy, self.samples, self.fail = greedy, list(samples), fail
        self.calls: list[dict] = []

    state = BackendState.READY
    model_name = "fake-ftd"
    detail = "fake"

    async def complete(self, prompt, *, max_tokens, temperature=0.0, n=1, stop=None, seed=None):
        self.calls.append({"prompt": prompt, "temperature": temperature, "n": n, "stop": stop})
        if self.fail:
            raise ModelError("model server at http://fake refused the connection")
        texts = [self.greedy] if temperature == 0 else (self.samples * n)[:n]
        return Completion(tuple(texts), ("stop",) * len(texts), "fake-ftd", None, None)


async def ask_model(
    backend: FakeBackend, ir: str, registry: PassRegistry, *, samples: int, temperature: float
) -> ModelAnswers:
    """The model's answers, checked, as the suggest engine asks for them."""
    answers, error = await fetch_answers(backend, ir, samples=samples, temperature=temperature)
    return check_answers(answers, registry, error, backend.model_name)


async def test_greedy_first_then_samples_with_the_byte_exact_prompt() -> None:
    backend = FakeBackend("'function(sroa)'", ["'gvn,frob'", "nonsense"])
    answers = await ask_model(
        backend, "define void @f() {\n  ret void\n}\n", REGISTRY, samples=2, temperature=0.7
    )
    assert answers.error is None and answers.model == "fake-ftd"
    assert [c.status for c in answers.candidates] == [Status.OK, Status.REPAIRED, Status.REJECTED]
    first, second = backend.calls
    assert first["prompt"] == pass_list_prompt("define void @f() {\n  ret void\n}\n")
    assert (first["temperature"], first["n"], first["stop"]) == (0.0, 1, PASS_LIST_STOP)
    assert (second["temperature"], second["n"]) == (0.7, 2)


async def test_a_backend_that_is_down_is_an_error_value_not_an_exception() -> None:
    answers = await ask_model(FakeBackend("", fail=True), "x", REGISTRY, samples=3, temperature=0.7)
    assert answers.candidates == ()
    assert "refused the connection" in (answers.error or "")

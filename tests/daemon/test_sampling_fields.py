"""vLLM's sampling fields: the ones the daemon honours change the answer, the rest are refused."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import torch

from lsp_server.daemon.protocol import (
    MIN_TEMPERATURE,
    ApiError,
    SamplingParams,
    parse_completion_request,
)
from lsp_server.daemon.sampling import RowSampling, make_generator, sample
from tests.support.daemon import RunningDaemon

PROMPT = "define i32 @add(i32 %a, i32 %b) {\nentry:\n  %add = add nsw i32 %a, %b\n"


def parse(**body: Any) -> SamplingParams:
    return parse_completion_request({"prompt": "x", **body}, max_n=4, max_tokens_limit=100).sampling


def draws(params: SamplingParams, logits: torch.Tensor, times: int = 40) -> set[int]:
    found = set()
    for seed in range(times):
        row = RowSampling(params, make_generator(seed, torch.device("cpu")))
        found.update(sample(logits[None, :], [row]))
    return found


def margin_logits() -> torch.Tensor:
    """Token 7 leads every other token by 1.0; all the rest are close together."""
    logits = torch.linspace(-0.5, 0.5, 64)
    logits[7] = 1.5
    return logits


def test_a_tiny_temperature_samples_the_argmax_not_noise() -> None:
    params = parse(temperature=1e-40)
    assert params.temperature == MIN_TEMPERATURE
    # 1e-40 overflows float32: the softmax of infinities would be uniform noise.
    assert draws(params, margin_logits()) == {7}


@pytest.mark.parametrize("field", [{"top_k": 1}, {"min_p": 1.0}])
def test_top_k_1_and_min_p_1_keep_only_the_likeliest_token(field: dict[str, Any]) -> None:
    params = parse(temperature=2.0, **field)
    assert draws(params, margin_logits()) == {7}
    # Without the field the same sampling spreads out.
    assert len(draws(parse(temperature=2.0), margin_logits())) > 1


def test_top_k_keeps_exactly_k_tokens() -> None:
    params = parse(temperature=2.0, top_k=3)
    logits = torch.zeros(64)
    logits[[3, 9, 20]] = 0.5
    assert draws(params, logits, times=80) == {3, 9, 20}


def test_the_repetition_penalty_makes_seen_tokens_rarer() -> None:
    params = parse(temperature=0, repetition_penalty=2.0)
    logits = torch.tensor([[3.0, 2.0, -1.0, 0.5]])
    # Token 0 was seen: 3.0 / 2 = 1.5 < 2.0, so argmax moves to token 1.
    assert sample(logits, [RowSampling(params, None, context=[0, 2])]) == [1]
    assert sample(logits, [RowSampling(parse(temperature=0), None)]) == [0]
    # A negative logit is multiplied: -1 becomes -2, below the unseen -1.5.
    negative = torch.tensor([[-1.0, -1.5]])
    assert sample(negative, [RowSampling(params, None, context=[0])]) == [1]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"use_beam_search": True}, "use_beam_search"),
        ({"min_tokens": 5}, "min_tokens"),
        ({"guided_json": {"type": "object"}}, "guided_json"),
        ({"allowed_token_ids": [1, 2]}, "allowed_token_ids"),
        ({"skip_special_tokens": False}, "skip_special_tokens"),
        ({"best_of": True}, "best_of"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"n": 2, "temperature": 0}, "n"),
        ({"stop_token_ids": [-1]}, "stop_token_ids"),
        ({"repetition_penalty": 0}, "repetition_penalty"),
    ],
)
def test_fields_the_daemon_does_not_do_are_refused(body: dict[str, Any], param: str) -> None:
    with pytest.raises(ApiError) as refused:
        parse(**body)
    assert refused.value.status == 400
    assert refused.value.param == param


def test_neutral_values_of_unsupported_fields_are_accepted() -> None:
    body = {"min_tokens": 0, "use_beam_search": False, "presence_penalty": 0.0, "best_of": 1}
    assert parse(**body) == parse()


def test_unknown_keys_are_reported() -> None:
    request = parse_completion_request(
        {"prompt": "x", "frobnicate": 1, "user": "me"}, max_n=1, max_tokens_limit=10
    )
    assert request.unknown_keys == ("frobnicate",)


# -- through HTTP, on the tiny model --------------------------------------------------


async def _complete(client: httpx.AsyncClient, daemon: RunningDaemon, **body: Any) -> Any:
    response = await client.post(
        f"{daemon.url}/v1/completions", json={"prompt": PROMPT, "ignore_eos": True, **body}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_top_k_1_sampling_gives_the_greedy_text(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        greedy = await _complete(client, daemon, max_tokens=20, temperature=0)
        top1 = await _complete(client, daemon, max_tokens=20, temperature=1.0, top_k=1, seed=3)
        free = await _complete(client, daemon, max_tokens=20, temperature=1.0, seed=3)
    assert top1["choices"][0]["text"] == greedy["choices"][0]["text"]
    assert free["choices"][0]["text"] != greedy["choices"][0]["text"]


async def test_a_stop_token_id_ends_the_answer_after_its_text(daemon: RunningDaemon) -> None:
    loaded = daemon.server.loaded
    prompt_ids = torch.tensor([loaded.encode([PROMPT])[0]])
    with torch.inference_mode():
        out = loaded.model.generate(prompt_ids, max_new_tokens=12, do_sample=False)
    new = out[0, prompt_ids.shape[1] :].tolist()
    stop_id = new[5]
    first = new.index(stop_id)
    async with httpx.AsyncClient(timeout=120) as client:
        body = await _complete(
            client, daemon, max_tokens=12, temperature=0, stop_token_ids=[stop_id]
        )
    [choice] = body["choices"]
    assert choice["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == first + 1
    assert choice["text"] == loaded.decode(new[: first + 1])


async def test_include_stop_str_in_output_keeps_the_stop_string(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        full = (await _complete(client, daemon, max_tokens=30, temperature=0))["choices"][0]
        stop = full["text"][10:14]
        cut = full["text"].index(stop)
        kept = await _complete(
            client, daemon, max_tokens=30, temperature=0, stop=stop, include_stop_str_in_output=True
        )
        dropped = await _complete(client, daemon, max_tokens=30, temperature=0, stop=stop)
    assert kept["choices"][0]["text"] == full["text"][: cut + len(stop)]
    assert dropped["choices"][0]["text"] == full["text"][:cut]


async def test_unknown_fields_are_logged(
    daemon: RunningDaemon, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="lsp_server.daemon"):
        async with httpx.AsyncClient(timeout=120) as client:
            await _complete(client, daemon, max_tokens=1, frobnicate=True)
    assert "ignoring unknown request fields: frobnicate" in caplog.text

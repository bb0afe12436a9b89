"""The wire format of ``POST /v1/completions``: validation of requests and OpenAI-style errors.

Pure Python: no torch, no aiohttp. Every way a body can be wrong becomes an
:class:`ApiError` with a 4xx status and a message that names the field, so no request
can reach the model with a value it was not built for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: OpenAI's default for ``max_tokens`` on the legacy completions endpoint.
DEFAULT_MAX_TOKENS = 16
MAX_STOP_STRINGS = 16
MAX_STOP_LENGTH = 512
#: ``torch.Generator.manual_seed`` accepts exactly this range.
SEED_MIN = -(2**63)
SEED_MAX = 2**64 - 1


class ApiError(Exception):
    """An error answered as ``{"error": {"message", "type", "code", "param"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body, in the shape OpenAI's clients parse."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "code": self.code,
                "param": self.param,
            }
        }


@dataclass(frozen=True)
class SamplingParams:
    """How the sequences of one request are generated."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    ignore_eos: bool = False

    @property
    def greedy(self) -> bool:
        """Temperature 0 means argmax decoding, as in OpenAI's API."""
        return self.temperature == 0.0


@dataclass(frozen=True)
class CompletionRequest:
    """A validated ``/v1/completions`` body."""

    model: str | None
    prompts: tuple[str, ...]
    n: int
    stream: bool
    include_usage: bool
    sampling: SamplingParams


def _bad(message: str, param: str, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, code=code, param=param)


def _int(body: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = body.get(key)
    if value is None:
        return default
    # bool is an int subclass; true is not a token count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"'{key}' must be an integer, got {type(value).__name__}", key, "invalid_type")
    if not lo <= value <= hi:
        raise _bad(f"'{key}' must be between {lo} and {hi}, got {value}", key)
    return value


def _float(
    body: dict[str, Any], key: str, default: float, lo: float, hi: float, *, lo_open: bool = False
) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"'{key}' must be a number, got {type(value).__name__}", key, "invalid_type")
    number = float(value)
    low_ok = number > lo if lo_open else number >= lo
    if not (math.isfinite(number) and low_ok and number <= hi):
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
        raise _bad(f"'{key}' must be in {interval}, got {value}", key)
    return number


def _bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _bad(f"'{key}' must be a boolean, got {type(value).__name__}", key, "invalid_type")
    return value


def _prompts(body: dict[str, Any]) -> tuple[str, ...]:
    if "prompt" not in body or body["prompt"] is None:
        raise _bad("'prompt' is required", "prompt", "missing_required_parameter")
    prompt = body["prompt"]
    if isinstance(prompt, str):
        return (prompt,)
    if isinstance(prompt, list):
        if not prompt:
            raise _bad("'prompt' must not be an empty list", "prompt")
        if all(isinstance(p, str) for p in prompt):
            return tuple(prompt)
        if all(isinstance(p, int) and not isinstance(p, bool) for p in prompt):
            raise _bad(
                "token-id prompts are not supported; send the prompt text", "prompt", "unsupported"
            )
    raise _bad("'prompt' must be a string or a list of strings", "prompt", "invalid_type")


def _stop(body: dict[str, Any]) -> tuple[str, ...]:
    stop = body.get("stop")
    if stop is None:
        return ()
    items = [stop] if isinstance(stop, str) else stop
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise _bad("'stop' must be a string or a list of strings", "stop", "invalid_type")
    if len(items) > MAX_STOP_STRINGS:
        raise _bad(f"'stop' may hold at most {MAX_STOP_STRINGS} strings", "stop")
    for s in items:
        if not s:
            raise _bad("'stop' strings must not be empty", "stop")
        if len(s) > MAX_STOP_LENGTH:
            raise _bad(f"'stop' strings may be at most {MAX_STOP_LENGTH} characters", "stop")
    return tuple(items)


def _seed(body: dict[str, Any]) -> int | None:
    seed = body.get("seed")
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _bad(f"'seed' must be an integer, got {type(seed).__name__}", "seed", "invalid_type")
    if not SEED_MIN <= seed <= SEED_MAX:
        raise _bad(f"'seed' must be between {SEED_MIN} and {SEED_MAX}", "seed")
    return seed


def _is_unsupported(key: str, value: object) -> bool:
    """True when ``value`` asks for something the daemon does not do (null never does)."""
    neutral: dict[str, object] = {
        "echo": False,
        "best_of": 1,
        "suffix": "",
        "logit_bias": {},
        "presence_penalty": 0,
        "frequency_penalty": 0,
    }
    if value is None:
        return False
    if key == "logprobs":
        return True
    return value != neutral[key]


def _reject_unsupported(body: dict[str, Any]) -> None:
    """Refuse options we would otherwise silently ignore: a wrong answer is worse than a 400."""
    for key in (
        "echo",
        "logprobs",
        "best_of",
        "suffix",
        "logit_bias",
        "presence_penalty",
        "frequency_penalty",
    ):
        if _is_unsupported(key, body.get(key)):
            raise ApiError(
                400,
                f"'{key}' is not supported by the irlens daemon",
                code="unsupported_parameter",
                param=key,
            )


def parse_completion_request(
    body: object, *, max_n: int, max_tokens_limit: int
) -> CompletionRequest:
    """Validate a decoded JSON body; raise :class:`ApiError` (400) on the first problem.

    ``max_n`` bounds ``n`` (all samples of a prompt share one batch), and
    ``max_tokens_limit`` (the model's context) bounds ``max_tokens`` on its own; the
    finer check of prompt plus ``max_tokens`` needs the tokenizer and is done later.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object", code="invalid_body")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise _bad("'model' must be a string", "model", "invalid_type")
    _reject_unsupported(body)
    stream_options = body.get("stream_options")
    include_usage = False
    if stream_options is not None:
        if not isinstance(stream_options, dict):
            raise _bad("'stream_options' must be an object", "stream_options", "invalid_type")
        include_usage = _bool(stream_options, "include_usage", False)
    sampling = SamplingParams(
        max_tokens=_int(body, "max_tokens", DEFAULT_MAX_TOKENS, 1, max_tokens_limit),
        temperature=_float(body, "temperature", 1.0, 0.0, 2.0),
        top_p=_float(body, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        stop=_stop(body),
        seed=_seed(body),
        ignore_eos=_bool(body, "ignore_eos", False),
    )
    return CompletionRequest(
        model=model,
        prompts=_prompts(body),
        n=_int(body, "n", 1, 1, max_n),
        stream=_bool(body, "stream", False),
        include_usage=include_usage,
        sampling=sampling,
    )


def context_error(prompt_tokens: int, max_tokens: int, limit: int) -> ApiError:
    """The 400 for a prompt plus completion that does not fit the model's context."""
    return ApiError(
        400,
        f"This model's maximum context length is {limit} tokens, however you requested "
        f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in your prompt; {max_tokens} "
        "for the completion). Please reduce your prompt or completion length.",
        code="context_length_exceeded",
        param="prompt",
    )

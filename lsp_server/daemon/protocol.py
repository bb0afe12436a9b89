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
#: vLLM raises a positive temperature below this to it: dividing logits by 1e-40
#: overflows float32, and the softmax of infinities is uniform noise, not argmax.
MIN_TEMPERATURE = 1e-2
MAX_STOP_TOKEN_IDS = 64

#: Every key the daemon reads. Anything else is logged and ignored, as OpenAI ignores
#: fields it does not know; the fields below that change the answer are refused instead.
KNOWN_KEYS = frozenset(
    {
        "model",
        "prompt",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "repetition_penalty",
        "n",
        "stream",
        "stream_options",
        "stop",
        "stop_token_ids",
        "include_stop_str_in_output",
        "seed",
        "ignore_eos",
        "user",
    }
)

#: Fields OpenAI or vLLM define whose non-neutral values the daemon does not implement:
#: refused with 400 (a wrong answer is worse than an error). ``None`` is neutral for all.
UNSUPPORTED_NEUTRAL: dict[str, object] = {
    # OpenAI
    "echo": False,
    "logprobs": None,
    "best_of": 1,
    "suffix": "",
    "logit_bias": {},
    "presence_penalty": 0,
    "frequency_penalty": 0,
    # vLLM extensions
    "use_beam_search": False,
    "length_penalty": 1.0,
    "min_tokens": 0,
    "allowed_token_ids": [],
    "bad_words": [],
    "prompt_logprobs": None,
    "skip_special_tokens": True,
    "spaces_between_special_tokens": True,
    "truncate_prompt_tokens": None,
    "add_special_tokens": True,
    "response_format": None,
    "guided_json": None,
    "guided_regex": None,
    "guided_choice": None,
    "guided_grammar": None,
    "guided_decoding_backend": None,
    "guided_whitespace_pattern": None,
    "structured_outputs": None,
    "logits_processors": None,
    "return_tokens_as_token_ids": False,
    "prompt_embeds": None,
    "priority": 0,
}


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
    #: vLLM's extensions: -1 (or 0) keeps every token; 0 keeps every probability.
    top_k: int = -1
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    stop_token_ids: tuple[int, ...] = ()
    include_stop_str_in_output: bool = False

    @property
    def greedy(self) -> bool:
        """Temperature 0 means argmax decoding, as in OpenAI's API."""
        return self.temperature == 0.0

    @property
    def filters(self) -> bool:
        """True when sampling truncates the distribution (top-p, top-k or min-p)."""
        return self.top_p < 1.0 or self.top_k > 0 or self.min_p > 0.0


@dataclass(frozen=True)
class CompletionRequest:
    """A validated ``/v1/completions`` body."""

    model: str | None
    prompts: tuple[str, ...]
    n: int
    stream: bool
    include_usage: bool
    sampling: SamplingParams
    #: Keys the daemon does not know and ignored (the server logs them).
    unknown_keys: tuple[str, ...] = ()


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


def _is_neutral(value: object, neutral: object) -> bool:
    """``value`` asks for nothing: null, or the neutral value (0 and 0.0 alike; True is not 1)."""
    if value is None:
        return True

    def number(x: object) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool)

    if number(neutral) and number(value):
        return value == neutral
    return type(value) is type(neutral) and value == neutral


def _reject_unsupported(body: dict[str, Any]) -> None:
    """Refuse options we would otherwise silently ignore: a wrong answer is worse than a 400."""
    for key, neutral in UNSUPPORTED_NEUTRAL.items():
        if not _is_neutral(body.get(key), neutral):
            raise ApiError(
                400,
                f"'{key}' is not supported by the irlens daemon",
                code="unsupported_parameter",
                param=key,
            )


def _temperature(body: dict[str, Any]) -> float:
    value = _float(body, "temperature", 1.0, 0.0, 2.0)
    return max(value, MIN_TEMPERATURE) if value > 0 else 0.0


def _stop_token_ids(body: dict[str, Any]) -> tuple[int, ...]:
    ids = body.get("stop_token_ids")
    if ids is None:
        return ()
    if not isinstance(ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ids
    ):
        raise _bad(
            "'stop_token_ids' must be a list of non-negative integers",
            "stop_token_ids",
            "invalid_type",
        )
    if len(ids) > MAX_STOP_TOKEN_IDS:
        raise _bad(f"'stop_token_ids' may hold at most {MAX_STOP_TOKEN_IDS} ids", "stop_token_ids")
    return tuple(ids)


def _top_k(body: dict[str, Any]) -> int:
    value = _int(body, "top_k", -1, -1, 2**31 - 1)
    return -1 if value == 0 else value


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
    stream = _bool(body, "stream", False)
    if stream_options is not None and not stream:
        raise _bad("'stream_options' is only allowed when 'stream' is true", "stream_options")
    if stream_options is not None:
        if not isinstance(stream_options, dict):
            raise _bad("'stream_options' must be an object", "stream_options", "invalid_type")
        include_usage = _bool(stream_options, "include_usage", False)
    sampling = SamplingParams(
        max_tokens=_int(body, "max_tokens", DEFAULT_MAX_TOKENS, 1, max_tokens_limit),
        temperature=_temperature(body),
        top_p=_float(body, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        stop=_stop(body),
        seed=_seed(body),
        ignore_eos=_bool(body, "ignore_eos", False),
        top_k=_top_k(body),
        min_p=_float(body, "min_p", 0.0, 0.0, 1.0),
        repetition_penalty=_float(body, "repetition_penalty", 1.0, 0.0, 2.0, lo_open=True),
        stop_token_ids=_stop_token_ids(body),
        include_stop_str_in_output=_bool(body, "include_stop_str_in_output", False),
    )
    n = _int(body, "n", 1, 1, max_n)
    if n > 1 and sampling.greedy:
        # Greedy choices would all be the same text; vLLM refuses this too.
        raise _bad(f"'n' must be 1 when using greedy sampling (temperature 0), got {n}", "n")
    unknown = tuple(sorted(k for k in body if k not in KNOWN_KEYS and k not in UNSUPPORTED_NEUTRAL))
    return CompletionRequest(
        model=model,
        prompts=_prompts(body),
        n=n,
        stream=stream,
        include_usage=include_usage,
        sampling=sampling,
        unknown_keys=unknown,
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

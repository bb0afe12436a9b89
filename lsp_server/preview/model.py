"""The model's side of a preview: ask LLM Compiler to emulate opt, then check it with opt.

The prompt is the emulation prompt with the input's instruction count (opt's
``print<func-properties>``) and its -O0 binary size, exactly as the models were trained.
The answer is parsed leniently, and compared line by line with what the local opt prints
for the same input and passes: "exact match", or "differs in N lines" with the first
difference and the error of the predicted instruction count and size. Nothing the model
says is shown without that verdict.

Answers are filed under the identity of the server and model that gave them
(:mod:`lsp_server.model.identity`), never under the model's name alone, and a prediction says
where it came from: asked now, answered earlier in this session, or the on-disk cache.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from lsp_server.llvm import opt as opt_tool
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.extract import extract_function
from lsp_server.llvm.size import binary_size, prompt_binary_size
from lsp_server.model.backend import ModelError
from lsp_server.model.cache import ResultCache
from lsp_server.model.identity import ModelIdentity
from lsp_server.model.prompts import CODE_STOP, emulate_ir_prompt, parse_emulation
from lsp_server.preview.printed import compare_modules
from lsp_server.preview.run import Memo, Truth, run_stage
from lsp_server.services import Services

log = logging.getLogger(__name__)

#: LLM Compiler's context, in tokens; prompt and answer share it.
CONTEXT_TOKENS = 16384
#: Characters per token of IR, a cautious estimate (the tokenizer averages about 3.5).
_CHARS_PER_TOKEN = 3.0
#: The size the model predicts, named wherever it is shown: the prompts' measure, which
#: differs from the preview table's (llc's default -O2 code generation).
PROMPT_SIZE_LABEL = "-O0 binary size"
#: What that size is, said once under the model's line.
PROMPT_SIZE_MEASURE = (
    "the model's sizes are text+data of the object from `llc -O0 -filetype=obj`, "
    "the measure its training labels used"
)


@dataclass(frozen=True)
class Prediction:
    """The model's emulation and its verdict against opt.

    ``status``: "match", "differs", "unusable" (the answer holds no usable IR), "error"
    (the model could not be asked), "pending" (still running) or "skipped" (not asked).
    ``source`` says where a settled answer came from: "model" (asked for this request),
    "session" (answered earlier in this session) or "cache" (the on-disk cache, from an
    earlier session); ``identity`` is the server and model that answered, ``answered_at``
    when (seconds since the epoch).
    """

    status: str
    model: str
    passes: str
    message: str = ""
    predicted_ir: str | None = None
    predicted_count: int | None = None
    predicted_size: int | None = None
    real_count: int | None = None
    real_size: int | None = None
    input_count: int | None = None
    input_size: int | None = None
    differing_lines: int = 0
    first_difference: tuple[int, str | None, str | None] | None = None
    llvm_version: str = ""
    source: str = "model"
    identity: ModelIdentity | None = None
    answered_at: float | None = None

    @property
    def settled(self) -> bool:
        """Whether the result is final (worth caching) rather than a failure to ask."""
        return self.status in ("match", "differs", "unusable")

    def to_json(self) -> dict[str, Any]:
        first = self.first_difference
        return {
            "status": self.status,
            "model": self.model,
            "passes": self.passes,
            "message": self.message,
            "predictedIr": self.predicted_ir,
            "predictedInstructions": self.predicted_count,
            "predictedBinarySize": self.predicted_size,
            "binarySizeMeasure": PROMPT_SIZE_MEASURE,
            "optInstructions": self.real_count,
            "optBinarySize": self.real_size,
            "inputInstructions": self.input_count,
            "inputBinarySize": self.input_size,
            "differingLines": self.differing_lines,
            "firstDifference": (
                {"line": first[0], "opt": first[1], "model": first[2]} if first else None
            ),
            "llvmVersion": self.llvm_version,
            "source": self.source,
            "fromCache": self.source != "model",
            "answeredBy": self.identity.to_json() if self.identity is not None else None,
            "answeredAt": self.answered_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prediction:
        first = data.get("firstDifference")
        return cls(
            status=data["status"],
            model=data["model"],
            passes=data["passes"],
            message=data.get("message", ""),
            predicted_ir=data.get("predictedIr"),
            predicted_count=data.get("predictedInstructions"),
            predicted_size=data.get("predictedBinarySize"),
            real_count=data.get("optInstructions"),
            real_size=data.get("optBinarySize"),
            input_count=data.get("inputInstructions"),
            input_size=data.get("inputBinarySize"),
            differing_lines=int(data.get("differingLines", 0)),
            first_difference=(first["line"], first["opt"], first["model"]) if first else None,
            llvm_version=data.get("llvmVersion", ""),
            source=data.get("source", "model"),
            identity=_identity_from_json(data.get("answeredBy")),
            answered_at=data.get("answeredAt"),
        )


def _identity_from_json(data: object) -> ModelIdentity | None:
    if not isinstance(data, dict):
        return None
    fields = tuple(
        (str(k), str(v)) for k, v in data.items() if k not in ("server", "model") and v is not None
    )
    return ModelIdentity(str(data.get("server", "")), str(data.get("model", "")), fields)


@dataclass(frozen=True)
class PredictionRequest:
    """What the model is asked: ``passes`` on ``input_ir``; ``key`` caches the answer,
    under the identity of the server and model that will answer it."""

    identity: ModelIdentity
    passes: str
    input_ir: str
    llvm_version: str

    @property
    def model(self) -> str:
        """The model's name, as the hover shows it."""
        return self.identity.model

    @property
    def key(self) -> str:
        return ResultCache.key(
            "emulate-ir",
            self.identity.key,
            self.llvm_version,
            self.input_ir,
            {"passes": self.passes},
        )


def model_name(services: Services) -> str:
    """The model's name for messages: the served name once known, else the setting."""
    backend = services.backend
    if backend is None:
        return ""
    return backend.model_name or services.settings.model.name or services.settings.model.url


def _fits(ir: str) -> bool:
    prompt_tokens = (len(ir) + 300) / _CHARS_PER_TOKEN
    # The answer repeats the module (give or take), so it needs as much room again.
    return prompt_tokens * 2 + 64 < CONTEXT_TOKENS


async def prediction_request(
    services: Services, truth: Truth, memo: Memo, identity: ModelIdentity | None
) -> PredictionRequest | Prediction:
    """The request for the truth's input answered by ``identity`` (what
    :func:`~lsp_server.model.identity.identity_of` said), or a "skipped" (or "error")
    Prediction saying why not."""
    model = model_name(services)
    passes = truth.target.model_passes
    version = services.toolchain.version_text
    input_ir = truth.before.ir
    if input_ir is None:
        return Prediction("skipped", model, passes, "opt produced no input for the model")
    if not _fits(input_ir) and truth.target.function is not None and not truth.target.extract:
        # The whole module is too long; the function at the cursor alone may fit.
        memo_key = ("model-input", version, input_ir, truth.target.function)
        extracted = memo.get(memo_key)
        if extracted is None:
            try:
                extracted = await extract_function(
                    services.toolchain, input_ir, truth.target.function
                )
            except ToolError as err:
                return Prediction(
                    "skipped", model, passes, f"could not extract the function: {err}"
                )
            memo.put(memo_key, extracted, len(extracted))
        input_ir = extracted
    if not _fits(input_ir):
        return Prediction(
            "skipped",
            model,
            passes,
            f"the input is too long for the model's {CONTEXT_TOKENS // 1024}k-token context",
        )
    if identity is None:
        backend = services.backend
        detail = backend.detail if backend is not None else "no model is configured"
        message = f"the model server did not say which model it serves ({detail})"
        return Prediction("error", model, passes, message)
    return PredictionRequest(identity, passes, input_ir, version)


def cached_prediction(
    services: Services, request: PredictionRequest, memo: Memo
) -> Prediction | None:
    """A settled prediction for ``request`` from this session or the on-disk cache."""
    found = memo.get(("prediction", request.key))
    if found is not None:
        earlier: Prediction = found
        return replace(earlier, source="session") if earlier.source == "model" else earlier
    cache = services.cache
    if cache is None:
        return None
    stored = cache.get(request.key)
    if stored is None:
        return None
    try:
        prediction = replace(Prediction.from_json(json.loads(stored)), source="cache")
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed cached prediction")
        return None
    memo.put(("prediction", request.key), prediction, len(prediction.predicted_ir or ""))
    return prediction


def _max_tokens(prompt: str, input_ir: str) -> int:
    room = CONTEXT_TOKENS - int(len(prompt) / _CHARS_PER_TOKEN) - 16
    wanted = int(len(input_ir) / 2.5) + 256
    return max(64, min(room, wanted))


async def run_prediction(services: Services, request: PredictionRequest, memo: Memo) -> Prediction:
    """Ask the model and judge the answer against opt; stores settled results."""
    backend = services.backend
    base = Prediction(
        "error",
        request.model,
        request.passes,
        llvm_version=services.toolchain.version_text,
        identity=request.identity,
    )
    if backend is None:
        return replace(base, status="skipped", message="no model is configured")
    toolchain = services.toolchain
    try:
        input_count, input_size, truth = await asyncio.gather(
            opt_tool.instruction_count(toolchain, request.input_ir),
            prompt_binary_size(toolchain, request.input_ir),
            run_stage(services, request.input_ir, request.passes, (), memo),
        )
    except ToolError as err:
        return replace(base, message=f"could not measure the input for the prompt: {err}")
    base = replace(base, input_count=input_count, input_size=input_size)
    prompt = emulate_ir_prompt(request.input_ir, request.passes, input_count, input_size)
    try:
        completion = await backend.complete(
            prompt,
            max_tokens=_max_tokens(prompt, request.input_ir),
            temperature=0.0,
            stop=CODE_STOP,
        )
    except ModelError as err:
        return replace(base, message=str(err))
    if not completion.texts:
        return replace(base, status="unusable", message="the model returned no answer")
    answer = parse_emulation(completion.texts[0], finish_reason=completion.finish_reasons[0])
    base = replace(
        base,
        model=completion.model or request.model,
        answered_at=time.time(),
        predicted_count=answer.instruction_count,
        predicted_size=answer.binary_size,
    )
    if truth.ir is None:
        failure = truth.failure.message if truth.failure else "no output"
        return replace(base, status="error", message=f"opt could not run the passes: {failure}")
    try:
        real_size: int | None = await binary_size(toolchain, truth.ir, opt_level="O0")
    except ToolError:
        real_size = None
    base = replace(base, real_count=truth.instructions, real_size=real_size)
    if answer.code is None or not answer.code.strip():
        result = replace(base, status="unusable", message="the answer holds no IR")
    elif not answer.complete:
        result = replace(
            base,
            status="unusable",
            predicted_ir=answer.code,
            message="the answer was cut off before its IR ended",
        )
    else:
        comparison = compare_modules(truth.ir, answer.code)
        result = replace(
            base,
            status="match" if comparison.exact else "differs",
            predicted_ir=answer.code,
            differing_lines=comparison.differing_lines,
            first_difference=comparison.first,
        )
    memo.put(("prediction", request.key), result, len(result.predicted_ir or ""))
    if services.cache is not None and result.status in ("match", "differs"):
        services.cache.put(request.key, json.dumps(result.to_json()))
    return result


def _error(predicted: int | None, real: int | None, unit: str = "") -> str:
    if predicted is None:
        return "not stated"
    if real is None:
        return f"{predicted}{unit} (opt: n/a)"
    delta = predicted - real
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    return f"{predicted}{unit} (opt {real}{unit}, {sign}{abs(delta)}{unit})"


def _code(text: str | None) -> str:
    if text is None:
        return "(no line)"
    shown = text.strip()
    if len(shown) > 100:
        shown = shown[:97] + "..."
    return "`" + shown.replace("`", "'") + "`" if shown else "(blank line)"


def _provenance(prediction: Prediction) -> str:
    """Who answered and whether the answer is an earlier one: an open ``_italic`` line
    the caller closes."""
    identity = prediction.identity
    who = identity.label if identity is not None else f"`{prediction.model}`"
    when = ""
    if prediction.answered_at is not None:
        when = " on " + time.strftime("%Y-%m-%d %H:%M", time.localtime(prediction.answered_at))
    if prediction.source == "cache":
        return f"_answer from the on-disk cache: given by {who}{when}"
    if prediction.source == "session":
        return f"_answer from this session's cache: given by {who}{when}"
    return f"_answered now by {who}"


def render_prediction(prediction: Prediction) -> str:
    """The hover's model paragraph: the verdict first, in one or two lines, then who gave
    the answer and whether it came from a cache."""
    verdict = _verdict(prediction)
    if prediction.status in ("match", "differs"):
        return f"{verdict}  \n{_provenance(prediction)}; {PROMPT_SIZE_MEASURE}_"
    if prediction.status == "unusable":
        return f"{verdict}  \n{_provenance(prediction)}_"
    return verdict


def _verdict(prediction: Prediction) -> str:
    name = f" (`{prediction.model}`)" if prediction.model else ""
    head = f"**Model**{name}"
    status = prediction.status
    if status == "pending":
        return (
            f"{head}: prediction still running; it will appear in the side panel and on the "
            "next hover."
        )
    if status == "error":
        return f"{head}: unavailable ({prediction.message}); showing opt's result only."
    if status == "skipped":
        return f"{head}: not asked: {prediction.message}."
    sizes = (
        f"predicted instructions {_error(prediction.predicted_count, prediction.real_count)}, "
        f"{PROMPT_SIZE_LABEL} {_error(prediction.predicted_size, prediction.real_size, ' B')}"
    )
    if status == "unusable":
        return f"{head}: unusable answer: {prediction.message}."
    version = f" {prediction.llvm_version}" if prediction.llvm_version else ""
    if status == "match":
        return f"{head}: **exact match** with opt{version} · {sizes}"
    first = prediction.first_difference
    where = ""
    if first is not None:
        where = f"; first at line {first[0]}: opt {_code(first[1])}, model {_code(first[2])}"
    lines = "line" if prediction.differing_lines == 1 else "lines"
    return (
        f"{head}: **differs** from opt{version} in {prediction.differing_lines} {lines}{where}"
        f" · {sizes}"
    )

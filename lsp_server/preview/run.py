"""Running the truth of a preview: opt before and after the pass, with counts and sizes.

One *stage* is one opt run of a pipeline on a module, with the instruction count of each
function and the module's binary size (``llc -filetype=obj``, then ``text + data``). A
preview needs two stages, run concurrently. Stages are cached by content (LLVM version,
module text, pipeline, options, triple) in memory and in the on-disk result cache, so the
"after" of one pass is the "before" of the next and a repeat hover runs nothing.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import re
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from lsp_server.llvm import llc, opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.extract import extract_function
from lsp_server.llvm.passes import unknown_passes
from lsp_server.llvm.runner import ToolResult, run_tool
from lsp_server.llvm.size import object_binary_size
from lsp_server.llvm.warm import WarmTools
from lsp_server.model.cache import ResultCache
from lsp_server.preview.printed import count_instructions
from lsp_server.preview.runline import without_log_options
from lsp_server.preview.split import combined_pipeline
from lsp_server.preview.target import Target
from lsp_server.services import Services
from lsp_server.textkey import text_key

log = logging.getLogger(__name__)

#: Modules larger than this are not previewed on hover (opt would take seconds and the
#: diff would not fit a hover anyway); the CLI has no such limit.
MAX_MODULE_CHARS = 4_000_000
#: Text this long is counted in a worker thread instead of on the event loop.
_THREAD_CHARS = 200_000
#: What opt may print to stderr beside the module (remarks, warnings) that is kept.
_MAX_MESSAGES = 20_000

_PARSE_ERROR = re.compile(r"<stdin>:(\d+):(\d+): error: ([^\n]*)(?:\n([^\n]*))?")
_PIPELINE_ERROR = re.compile(
    r"unknown (?:[a-z]+ )?(?:pass|pipeline|analysis)|invalid use of|pipeline"
    r"|unable to parse|requires MemorySSA",
    re.IGNORECASE,
)
_OPTION_ERROR = re.compile(r"Unknown command line argument|for the -?\S+ option:", re.IGNORECASE)


class Memo:
    """A small in-memory LRU map for results this session has already computed.

    Bounded by count and by weight (about the bytes held: the characters of its texts, which
    are ASCII for IR, plus a fixed overhead per entry), so a few huge modules cannot fill the
    server's memory. An entry heavier than a quarter of the budget is not kept at all: one
    30 MB module must not hold the memory of a whole session's previews.
    """

    #: What an entry costs beyond its texts (the key, the tuple, the objects around them).
    OVERHEAD = 256

    def __init__(self, capacity: int = 512, max_weight: int = 64_000_000) -> None:
        self.capacity = capacity
        self.max_weight = max_weight
        self._items: collections.OrderedDict[Hashable, tuple[Any, int]] = collections.OrderedDict()
        self._weight = 0

    def get(self, key: Hashable) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    @property
    def weight(self) -> int:
        """What the entries weigh together (see the class docstring)."""
        return self._weight

    def put(self, key: Hashable, value: Any, weight: int = 0) -> None:
        self.drop(key)
        weight += self.OVERHEAD
        if weight > self.max_weight // 4:
            return
        self._items[key] = (value, weight)
        self._weight += weight
        while len(self._items) > self.capacity or (
            self._weight > self.max_weight and len(self._items) > 1
        ):
            _, (_, dropped) = self._items.popitem(last=False)
            self._weight -= dropped

    def drop(self, key: Hashable) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._weight -= item[1]

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Failure:
    """Why a stage has no module. ``kind``: parse, pipeline, options, timeout, crash,
    failed, extract or too-large."""

    kind: str
    message: str
    line: int | None = None  # 1-based line of a parse error


@dataclass(frozen=True)
class Stage:
    """One opt run: the module it printed (or why not), per-function counts, binary size."""

    pipeline: str
    ir: str | None
    failure: Failure | None = None
    messages: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    size: int | None = None
    size_error: str | None = None

    @property
    def instructions(self) -> int:
        return sum(self.counts.values())

    @property
    def weight(self) -> int:
        """About how much memory it holds, in characters."""
        return len(self.ir or "") + len(self.messages)

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "ir": self.ir,
            "messages": self.messages,
            "counts": self.counts,
            "size": self.size,
            "sizeError": self.size_error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stage:
        return cls(
            pipeline=data["pipeline"],
            ir=data["ir"],
            messages=data.get("messages", ""),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            size=data.get("size"),
            size_error=data.get("sizeError"),
        )


@dataclass(frozen=True, eq=False)
class Truth:
    """The real opt result for a target: the input it ran on and both stages.

    ``error`` replaces the preview when set (the IR does not parse, a pass is unknown,
    opt crashed); ``notes`` are said beside it. Compared by identity, so a computed
    preview can be remembered per result.
    """

    target: Target
    llvm_version: str
    input_text: str
    before: Stage
    after: Stage
    error: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def weight(self) -> int:
        """About how much memory it holds, in characters."""
        return len(self.input_text) + self.before.weight + self.after.weight


def _stage_key(services: Services, module: str, pipeline: str, args: tuple[str, ...]) -> str:
    return ResultCache.key(
        "preview-stage",
        "",
        services.toolchain.version_text,
        module,
        {"pipeline": pipeline, "args": list(args), "triple": services.settings.target.triple},
    )


def _classify(result: ToolResult) -> Failure:
    err = result.err
    if result.timed_out:
        return Failure("timeout", result.describe_failure())
    if result.returncode is not None and result.returncode < 0:
        return Failure("crash", result.describe_failure())
    parse = _PARSE_ERROR.search(err)
    if parse is not None:
        line, col, what = int(parse[1]), int(parse[2]), parse[3].strip()
        source = (parse[4] or "").strip()
        shown = f": `{source}`" if source and "`" not in source and len(source) < 120 else ""
        return Failure("parse", f"line {line}, column {col}: {what}{shown}", line)
    if "LLVM ERROR" in err or "Stack dump" in err or "PLEASE submit a bug report" in err:
        return Failure("crash", result.describe_failure().replace("failed", "crashed", 1))
    if _OPTION_ERROR.search(err):
        return Failure("options", result.describe_failure())
    if _PIPELINE_ERROR.search(err):
        return Failure("pipeline", result.describe_failure())
    return Failure("failed", result.describe_failure())


async def _size(
    services: Services, ir: str, memo: Memo, warm: WarmTools | None
) -> tuple[int | None, str | None]:
    """Binary size of a printed module; keyed by its text, so an unchanged module is free."""
    key = ("size", text_key(ir), services.settings.target.triple)
    cached = memo.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    toolchain = services.toolchain
    try:
        if warm is not None:
            obj = await warm.compile(toolchain, ir)
        else:
            obj = await llc.compile_object(toolchain, ir)
        size = await object_binary_size(toolchain, obj)
    except ToolError as err:
        return None, str(err)
    memo.put(key, (size, None))
    return size, None


async def _counts(ir: str) -> dict[str, int]:
    if len(ir) > _THREAD_CHARS:
        return await asyncio.to_thread(count_instructions, ir)
    return count_instructions(ir)


def _known_stage(services: Services, key: str, memo: Memo) -> Stage | None:
    """A stage this session or the on-disk cache already has."""
    cached = memo.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    cache = services.cache
    stored = cache.get(key) if cache is not None else None
    if stored is None:
        return None
    try:
        stage = Stage.from_json(json.loads(stored))
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed cached preview stage")
        return None
    memo.put(key, stage, stage.weight)
    return stage


async def _finish_stage(
    services: Services,
    key: str,
    pipeline: str,
    ir: str,
    messages: str,
    memo: Memo,
    warm: WarmTools | None = None,
) -> Stage:
    """Count and measure opt's output, and remember the stage."""
    counts, (size, size_error) = await asyncio.gather(_counts(ir), _size(services, ir, memo, warm))
    stage = Stage(pipeline, ir, None, messages, counts, size, size_error)
    memo.put(key, stage, stage.weight)
    if services.cache is not None and size_error is None:
        services.cache.put(key, json.dumps(stage.to_json()))
    return stage


async def _run_opt(
    services: Services,
    pipeline: str,
    args: tuple[str, ...],
    module: str,
    warm: WarmTools | None,
) -> ToolResult:
    """``opt -S -o - -passes=<pipeline> <args>`` on ``module``, by a spare when there is
    one (the server's), else by the runner."""
    toolchain = services.toolchain
    options = opt.pipeline_args(pipeline, extra=args)
    started = time.perf_counter()
    if warm is not None:
        result = await warm.opt(toolchain, options, module)
    else:
        argv = opt.pipeline_argv(toolchain, pipeline, extra=args)
        result = await run_tool(
            argv, stdin=module, timeout=toolchain.timeout, limits=toolchain.limits
        )
    log.debug("opt -passes=%s: %.1f ms", pipeline, (time.perf_counter() - started) * 1000)
    return result


async def run_stage(
    services: Services,
    module: str,
    pipeline: str,
    args: tuple[str, ...],
    memo: Memo,
    warm: WarmTools | None = None,
) -> Stage:
    """``opt -S -passes=<pipeline> <args>`` on ``module``, with counts and size; cached.

    ``warm`` runs opt and llc with processes started ahead (the server's); None starts
    them when needed."""
    key = _stage_key(services, module, pipeline, args)
    known = _known_stage(services, key, memo)
    if known is not None:
        return known
    result = await _run_opt(services, pipeline, args, module, warm)
    messages = result.err[:_MAX_MESSAGES]
    if not result.ok:
        return Stage(pipeline, None, _classify(result), messages)
    return await _finish_stage(services, key, pipeline, result.out, messages, memo, warm)


# How the last line of a printed module can start.
_MODULE_END = re.compile(r"(?:\}|attributes #|!|declare |define |@|%|\$|target |source_filename)")


def _only_module(err: str) -> bool:
    """Whether opt's stderr is one printed module and nothing else."""
    if not err.startswith("; ModuleID = "):
        return False
    last = err.rstrip("\n").rsplit("\n", 1)[-1]
    return _MODULE_END.match(last) is not None or last.startswith("; ModuleID = ")


async def _both_stages(
    services: Services, module: str, target: Target, memo: Memo, warm: WarmTools | None
) -> tuple[Stage, Stage] | None:
    """Both stages from one opt run (see :func:`combined_pipeline`), or None when that
    cannot be done; the caller then runs the two pipelines separately."""
    before_key = _stage_key(services, module, target.before, target.args)
    after_key = _stage_key(services, module, target.after, target.args)
    known_before = _known_stage(services, before_key, memo)
    known_after = _known_stage(services, after_key, memo)
    if known_before is not None and known_after is not None:
        return known_before, known_after
    if known_before is not None or known_after is not None:
        return None  # one run of the missing side costs less
    if without_log_options(target.args) != target.args:
        return None  # the RUN line's log goes to stderr, where the print pass writes
    try:
        registry = await services.registry()
    except ToolError:
        return None
    pipeline = combined_pipeline(target, registry.by_kind)
    if pipeline is None:
        return None
    result = await _run_opt(services, pipeline, target.args, module, warm)
    if result.timed_out:
        failure = _classify(result)
        return Stage(target.before, None, failure), Stage(target.after, None, failure)
    # The print pass writes the "before" module to stderr; anything else there (a warning,
    # a remark) would be mixed into it, so such runs, and failures, which the two plain
    # runs attribute to their side, are redone the plain way.
    if not result.ok or not _only_module(result.err):
        return None
    return await asyncio.gather(
        _finish_stage(services, before_key, target.before, result.err, "", memo, warm),
        _finish_stage(services, after_key, target.after, result.out, "", memo, warm),
    )


async def _extracted(services: Services, text: str, name: str, memo: Memo) -> str | ToolError:
    key = (
        "extract",
        services.toolchain.version_text,
        text_key(text),
        name,
    )
    cached = memo.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    try:
        module = await extract_function(services.toolchain, text, name)
    except ToolError as err:
        return err
    memo.put(key, module, len(module))
    return module


async def _pipeline_message(services: Services, target: Target, failure: Failure) -> str:
    """Name the unknown passes (with the nearest registered names) or quote opt."""
    try:
        registry = await services.registry()
    except ToolError:
        return failure.message
    unknown = unknown_passes(registry, target.after)
    if unknown:
        return "; ".join(u.describe() for u in unknown)
    return failure.message


async def compute_truth(
    text: str, target: Target, services: Services, memo: Memo, warm: WarmTools | None = None
) -> Truth:
    """Run the target's pipelines (one opt run where possible, else two side by side) and
    explain any failure."""
    version = services.toolchain.version_text
    notes = list(target.notes)
    module = text
    if len(text) > MAX_MODULE_CHARS:
        empty = Stage("", None)
        message = (
            f"this module is too large to preview on hover ({len(text):,} characters; "
            f"the limit is {MAX_MODULE_CHARS:,}); run `irlens preview` instead"
        )
        return Truth(target, version, text, empty, empty, message, tuple(notes))
    if target.extract and target.function is not None:
        extracted = await _extracted(services, text, target.function, memo)
        if isinstance(extracted, ToolError):
            parse = _PARSE_ERROR.search(extracted.result.err if extracted.result else "")
            if parse is not None:
                empty = Stage("", None)
                message = f"the IR does not parse (line {parse[1]}, column {parse[2]}: {parse[3]})"
                return Truth(target, version, text, empty, empty, message, tuple(notes))
            notes.append(f"could not extract @{target.function} ({extracted}); ran on the module")
        else:
            module = extracted
    both = await _both_stages(services, module, target, memo, warm)
    if both is None:
        both = await asyncio.gather(
            run_stage(services, module, target.before, target.args, memo, warm),
            run_stage(services, module, target.after, target.args, memo, warm),
        )
    before, after = both
    error = None
    if before.failure is not None:
        failure = before.failure
        if failure.kind == "parse":
            error = f"the IR does not parse ({failure.message})"
        elif failure.kind == "pipeline":
            error = await _pipeline_message(services, target, failure)
        elif not target.before:
            # Nothing ran before the pass: opt failed on the module or on the options.
            what = "with this RUN line's options" if target.args else "on this module"
            error = f"opt failed {what}, before any pass ran: {failure.message}"
        else:
            error = f"opt failed before {target.pass_text}: {failure.message}"
    elif after.failure is not None:
        failure = after.failure
        if failure.kind == "pipeline":
            error = await _pipeline_message(services, target, failure)
        else:
            error = f"opt failed running {target.pass_text}: {failure.message}"
    return Truth(target, version, module, before, after, error, tuple(notes))

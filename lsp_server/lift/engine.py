"""Lift to IR: assembly to LLVM IR with an LLM Compiler -ftd model, checked by a round trip.

:func:`lift_assembly` is the whole feature as a plain function: it normalises the
assembly, cuts it into pieces that fit the model's context, asks the model for each
piece's IR, checks every answer (``lsp_server.lift.roundtrip``), joins the valid pieces
into one module and reports per function. The language server, the CLI and the benchmark
all call it; :mod:`lsp_server.features.lift` turns its result into LSP values.

Expected failures are values: no model, text that is not assembly, an unknown or missing
target, a model server that is down or answers something that is not IR. Cancelling the
awaiting task stops the model calls and the tools.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lsp_server.lift import prune
from lsp_server.lift.budget import TokenBudget
from lsp_server.lift.link import LiftedPart, join_modules
from lsp_server.lift.normalize import Normalized, normalize_asm
from lsp_server.lift.report import (
    EXACT,
    FAILED,
    SIMILAR,
    FunctionReport,
    LiftResult,
    PieceReport,
)
from lsp_server.lift.roundtrip import RoundTrip, check_round_trip
from lsp_server.lift.split import AsmLayout, layout, piece_text, unit_lines
from lsp_server.lift.targets import TargetError, TripleChoice, choose_triple, missing_target
from lsp_server.llvm import opt
from lsp_server.llvm.toolchain import Toolchain, registered_targets
from lsp_server.model.backend import BackendState, ModelBackend, ModelError
from lsp_server.model.identity import identity_of
from lsp_server.model.prompts import CODE_STOP, disassemble_prompt, parse_disassembly
from lsp_server.services import Services
from lsp_server.syntax.asm import looks_like_asm, parse_asm
from lsp_server.syntax.ir import parse_module

log = logging.getLogger(__name__)

#: What lifting says in LLVM-only mode: it needs a model, and how to get one.
NEEDS_MODEL = (
    "Lifting assembly to LLVM IR needs an LLM Compiler -ftd model, and none is configured "
    "(LLVM-only mode). Start a model server and set irlens.model.url (CLI: --model-url):\n"
    "  irlens daemon --model facebook/llm-compiler-7b-ftd   "
    "(a GPU; the weights are gated: accept Meta's license on Hugging Face and log in "
    "first), then model.url = http://127.0.0.1:8787/v1\n"
    "  vllm serve facebook/llm-compiler-13b-ftd   then model.url = http://127.0.0.1:8000/v1\n"
    "  llama.cpp: llama-server -m llm-compiler-7b-ftd.gguf --port 8080   "
    "then model.url = http://127.0.0.1:8080/v1\n"
    "Everything else (diagnostics, previews, local pass search) works without a model."
)

Progress = Callable[[int, int, str], None]
"""Called as pieces finish: (pieces done, pieces in all, a short message)."""


@dataclass(frozen=True)
class LiftOptions:
    """What to lift and how. ``lines`` are 0-based lines of the original text, inclusive."""

    source: str = "<input>"
    function: str | None = None
    lines: tuple[int, int] | None = None
    triple: str | None = None
    budget: TokenBudget = field(default_factory=TokenBudget)


@dataclass(frozen=True)
class _Piece:
    functions: tuple[str, ...]
    text: str
    whole_file: bool


@dataclass(frozen=True)
class _Answer:
    code: str | None
    complete: bool
    model: str
    cached: bool


def _ir_name(asm_name: str, triple: str) -> str:
    """The IR name of an assembly symbol: Mach-O prefixes C names with ``_``."""
    macho = any(os in triple for os in ("apple", "darwin", "macos", "ios"))
    return asm_name[1:] if macho and asm_name.startswith("_") else asm_name


def _select(lay: AsmLayout, norm: Normalized, options: LiftOptions) -> list[str] | str:
    """The functions asked for (an empty list: the whole file), or an error message."""
    names = [fn.name for fn in lay.functions]
    if options.function:
        wanted = options.function.lstrip("@")
        if wanted not in names:
            listed = ", ".join(names) or "none were recognised"
            return f"there is no function {wanted} in this file (functions: {listed})"
        return [wanted]
    if options.lines is not None:
        first, last = options.lines
        chosen = [
            fn.name
            for fn in lay.functions
            if norm.original_line(fn.start) <= last and norm.original_line(fn.end) >= first
        ]
        return chosen if chosen and len(chosen) < len(names) else []
    return []


def _plan(
    lay: AsmLayout, norm: Normalized, selected: list[str], budget: TokenBudget
) -> list[_Piece]:
    """The pieces to prompt with: the whole file when it fits and nothing was selected."""
    if not selected and (budget.fits(norm.text) or not lay.functions):
        return [_Piece(tuple(fn.name for fn in lay.functions), norm.text, True)]
    names = selected or [fn.name for fn in lay.functions]
    return [_Piece((name,), piece_text(lay, [name]), False) for name in names]


async def _ask(backend: ModelBackend, services: Services, prompt: str, max_tokens: int) -> _Answer:
    """The model's answer to a disassembly prompt, from the cache when it was seen before."""
    cache = services.cache
    model = backend.model_name
    key = None
    # Filed under the server and the served model's identity, not the name alone: another
    # checkpoint served under the same name must not get this one's lift.
    identity = await identity_of(backend) if cache is not None else None
    if cache is not None and identity is not None:
        key = cache.key(
            "lift", identity.key, "", prompt, {"max_tokens": max_tokens, "stop": CODE_STOP}
        )
        stored = await asyncio.to_thread(cache.get, key)
        if stored is not None:
            data = json.loads(stored)
            return _Answer(data["code"], True, identity.model, True)
    completion = await backend.complete(
        prompt, max_tokens=max_tokens, temperature=0.0, stop=CODE_STOP
    )
    text = completion.texts[0] if completion.texts else ""
    finish = completion.finish_reasons[0] if completion.finish_reasons else None
    code, complete = parse_disassembly(text, finish_reason=finish)
    if key is not None and cache is not None and code is not None and complete:
        await asyncio.to_thread(cache.put, key, json.dumps({"code": code}))
    return _Answer(code, complete, completion.model or model or "", False)


async def _lift_piece(
    piece: _Piece,
    backend: ModelBackend,
    services: Services,
    triple: str,
    budget: TokenBudget,
    checks: asyncio.Semaphore,
) -> tuple[PieceReport, RoundTrip | None, str | None]:
    """Ask for one piece's IR and check it; returns the report, the check, the model name."""
    start = time.perf_counter()
    if not budget.fits(piece.text):
        return (
            PieceReport(piece.functions, piece.whole_file, FAILED, budget.describe(piece.text)),
            None,
            None,
        )
    max_tokens = budget.max_tokens(piece.text)
    try:
        answer = await _ask(backend, services, disassemble_prompt(piece.text), max_tokens)
    except ModelError as err:
        problem = f"the model server failed: {err.message}"
        if err.status == 400 and "context" in err.message.lower():
            problem = f"too large for the model's context (the server says: {err.message})"
        return PieceReport(piece.functions, piece.whole_file, FAILED, problem), None, None
    if answer.code is None:
        problem = "the model's answer has no <code> block, so it is not IR"
        return PieceReport(piece.functions, piece.whole_file, FAILED, problem), None, answer.model
    if not answer.complete:
        problem = f"the model's answer was cut off at max_tokens ({max_tokens}); not checked"
        report = PieceReport(piece.functions, piece.whole_file, FAILED, problem, ir=answer.code)
        return report, None, answer.model
    async with checks:
        trip = await check_round_trip(
            services.toolchain, answer.code, piece.text, triple, functions=piece.functions
        )
    whole = trip.whole
    every_function_exact = bool(trip.functions) and all(
        check.comparison is not None and check.comparison.exact for check in trip.functions
    )
    if not trip.compiled:
        status = FAILED
    elif (whole is not None and whole.exact) or every_function_exact:
        status = EXACT
    else:
        status = SIMILAR
    report = PieceReport(
        functions=piece.functions,
        whole_file=piece.whole_file,
        status=status,
        problem=trip.problem,
        ir=answer.code,
        valid_ir=trip.valid_ir,
        opt_level=trip.opt_level,
        score=whole.score if whole else None,
        exact=bool(whole and whole.exact),
        ir_triple=trip.ir_triple,
        seconds=time.perf_counter() - start,
        cached=answer.cached,
    )
    return report, trip, answer.model


def _function_reports(
    lay: AsmLayout,
    norm: Normalized,
    text: str,
    outcomes: Sequence[tuple[PieceReport, RoundTrip | None]],
    triple: str,
) -> list[FunctionReport]:
    """Per function: exact, similar (score, first difference) or failed (why)."""
    labels = {fn.name: fn.label_line for fn in parse_asm(text).functions}
    reports = []
    for piece, trip in outcomes:
        checks = {check.name: check for check in trip.functions} if trip is not None else {}
        # Only a function the IR defines is lifted: llc also prints module-level asm, which
        # can hold a function's assembly verbatim without any IR of it.
        defined = {fn.name for fn in parse_module(piece.ir or "").functions if fn.is_definition}
        for name in piece.functions:
            unit = lay.function(name)
            first = norm.original_line(unit.start) if unit else 0
            last = norm.original_line(unit.end) if unit else 0
            label = labels.get(name, first)
            check = checks.get(name)
            if trip is None or not trip.compiled:
                detail = piece.problem or "not checked"
                reports.append(FunctionReport(name, FAILED, detail, label, first, last))
            elif check is None or check.comparison is None or _ir_name(name, triple) not in defined:
                detail = f"the lifted IR has no function {name}, so it does not compile back to it"
                reports.append(FunctionReport(name, FAILED, detail, label, first, last))
            elif check.comparison.exact:
                reports.append(
                    FunctionReport(
                        name, EXACT, "", label, first, last, score=1.0, opt_level=trip.opt_level
                    )
                )
            else:
                difference = check.comparison.difference
                numbers = unit_lines(lay, name) or []
                line = None
                detail = "differs"
                if difference is not None:
                    index = difference.expected_line
                    if numbers:
                        line = norm.original_line(numbers[min(index, len(numbers) - 1)])
                    detail = (
                        "first difference at "
                        + (f"line {line + 1}: " if line is not None else "")
                        + difference.describe().split(": ", 1)[1]
                    )
                reports.append(
                    FunctionReport(
                        name,
                        SIMILAR,
                        detail,
                        label,
                        first,
                        last,
                        score=check.comparison.score,
                        opt_level=trip.opt_level,
                        difference_line=line,
                    )
                )
    order = {fn.name: index for index, fn in enumerate(lay.functions)}
    return sorted(reports, key=lambda r: order.get(r.name, len(order)))


async def _verified_parts(
    toolchain: Toolchain,
    reports: Sequence[PieceReport],
    failed: set[str],
    choice: TripleChoice,
) -> tuple[list[tuple[PieceReport, LiftedPart]], list[str]]:
    """The pieces' IR as it may go into the module: only valid IR, and with what failed
    its round trip withdrawn (:func:`lsp_server.lift.prune.withdraw`); a piece none of
    whose functions was verified stays out. Returns the parts and the withdrawn names."""
    parts = []
    withdrawn: list[str] = []
    for report in reports:
        if not report.valid_ir or report.ir is None:
            continue
        owns = tuple(_ir_name(name, choice.triple) for name in report.functions)
        failing = sorted(failed.intersection(owns))
        if owns and len(failing) == len(owns):
            continue  # nothing of it was verified: it is shown as a comment
        ir = report.ir
        if failing:
            ir = prune.withdraw(ir, failing)
            if await opt.verify(toolchain, ir) is not None:
                continue  # its verified functions cannot be kept apart from the failed ones
            withdrawn.extend(failing)
        parts.append((report, LiftedPart(ir, owns)))
    return parts, withdrawn


async def lift_assembly(
    text: str,
    services: Services,
    options: LiftOptions | None = None,
    progress: Progress | None = None,
) -> LiftResult:
    """Lift ``text`` (assembly) to LLVM IR and check it; see the module docstring."""
    options = options or LiftOptions()
    toolchain = services.toolchain
    backend = services.backend
    if backend is None:
        return LiftResult(error=NEEDS_MODEL, source=options.source)
    problem = toolchain.problem_for("lift")
    if problem:
        return LiftResult(error=f"irlens cannot check lifted IR: {problem}", source=options.source)
    if not text.strip() or not looks_like_asm(text):
        return LiftResult(
            error="this does not look like assembly (GNU as syntax for x86_64 or aarch64, "
            "as clang -S or llc print it), so there is nothing to lift",
            source=options.source,
        )
    try:
        choice = choose_triple(
            text, explicit=options.triple, setting=services.settings.target.triple
        )
    except TargetError as err:
        return LiftResult(error=str(err), source=options.source)
    registered = registered_targets(toolchain)  # read at discovery: no process here
    missing = missing_target(choice.triple, registered, toolchain.version_text)
    if missing:
        return LiftResult(error=missing, source=options.source, triple=choice.triple)
    if backend.model_name is None and await backend.check() is BackendState.UNAVAILABLE:
        return LiftResult(
            error=f"the model server is not available: {backend.detail}",
            source=options.source,
            triple=choice.triple,
        )
    norm = normalize_asm(text)
    lay = layout(norm.text)
    selected = _select(lay, norm, options)
    if isinstance(selected, str):
        return LiftResult(error=selected, source=options.source, triple=choice.triple)
    pieces = _plan(lay, norm, selected, options.budget)
    done = 0
    # Answers can arrive together (from the cache); the checks run a few at a time.
    checks = asyncio.Semaphore(max(1, os.cpu_count() or 1))

    async def run(piece: _Piece) -> tuple[PieceReport, RoundTrip | None, str | None]:
        nonlocal done
        outcome = await _lift_piece(piece, backend, services, choice.triple, options.budget, checks)
        done += 1
        if progress is not None:
            what = ", ".join(piece.functions) or "the file"
            progress(done, len(pieces), f"{what}: {outcome[0].status}")
        return outcome

    if progress is not None:
        progress(0, len(pieces), f"asking the model for {len(pieces)} piece(s)")
    outcomes = await asyncio.gather(*(run(piece) for piece in pieces))
    answered = [o for o in outcomes if o[0].ir is not None or o[1] is not None]
    if not answered:
        reasons = sorted({o[0].problem or "no answer" for o in outcomes})
        return LiftResult(
            error="nothing was lifted: " + "; ".join(reasons),
            source=options.source,
            triple=choice.triple,
        )
    reports = [(r, t) for r, t, _ in outcomes]
    functions = tuple(_function_reports(lay, norm, text, reports, choice.triple))
    failed = {_ir_name(fn.name, choice.triple) for fn in functions if fn.status == FAILED}
    parts, withdrawn = await _verified_parts(toolchain, [r for r, _, _ in outcomes], failed, choice)
    joined = await join_modules(toolchain, [part for _, part in parts]) if parts else None
    dead: list[str] = []
    if joined is not None and joined.ir is not None:
        module, dead = await prune.strip_dead_declarations(toolchain, joined.ir)
        joined = dataclasses.replace(joined, ir=module)
    model = next((m for _, _, m in outcomes if m), None) or backend.model_name
    notes = []
    if withdrawn:
        notes.append(
            "Functions whose round trip failed are declarations only, so that no unchecked "
            f"IR is live: {', '.join(withdrawn)}."
        )
    if dead:
        notes.append(f"Declarations that no lifted function uses were dropped: {', '.join(dead)}.")
    if joined is not None and joined.promoted:
        notes.append(
            "Local symbols that several pieces use were given hidden linkage so that the "
            f"pieces share one definition: {', '.join(joined.promoted)}."
        )
    named = sorted({r.ir_triple for r, _, _ in outcomes if r.ir_triple} - {choice.triple})
    if named:
        notes.append(
            f"The model's IR names target triple {', '.join(named)}; it was compiled for "
            f"{choice.triple}, the input's."
        )
    if model and "ftd" not in model.lower():
        notes.append(
            f"Note: only the LLM Compiler -ftd checkpoints were trained to lift assembly; "
            f"{model} may not be one."
        )
    return LiftResult(
        source=options.source,
        triple=choice.triple,
        triple_source=choice.source,
        model=model,
        llvm_version=toolchain.version_text,
        functions=functions,
        pieces=tuple(report for report, _, _ in outcomes),
        kept=tuple((report.functions, part.ir) for report, part in parts),
        module=joined.ir if joined is not None else None,
        join_problem=joined.problem if joined is not None and len(parts) > 1 else None,
        notes=tuple(notes),
    )

"""Every pass of a pipeline, in order, with the IR after each: ``irlens/pipelineSteps``.

One opt run does it, as Compiler Explorer's opt pipeline view does:
``opt -passes=P -print-changed -print-module-scope [-filter-print-funcs=F]`` prints the
module at the start and after every pass that changed it, and a one-line "omitted
because no change" for the others. The function's text is cut out of each module dump,
so loop and CGSCC passes show the whole function rather than the fragment opt prints
for them, and "changed" means changed *for this function*.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lsp_server.llvm import opt
from lsp_server.llvm.opt_options import OptOptions
from lsp_server.llvm.runner import run_tool
from lsp_server.preview.printed import function_texts
from lsp_server.preview.remarks import (
    PRINT_REMARKS,
    REMARK_LINE,
    REMARKS_FILE,
    Remark,
    parse_remarks,
)
from lsp_server.preview.runline import without_log_options
from lsp_server.preview.target import choose_target
from lsp_server.services import Services

_HEADER = re.compile(
    r"^\*\*\* IR (?:Dump After|Pass) (?P<pass>.+?) on (?P<unit>.+?)(?P<rest>(?: omitted because no change| filtered out| ignored)?) \*\*\*$"
)
_START = "*** IR Dump At Start ***"
# A pass that deleted its unit (a fully unrolled loop): opt prints no IR after it.
_INVALIDATED = re.compile(r"^\*\*\* IR Pass (?P<pass>.+?) invalidated \*\*\*$")
_LOOP_UNIT = re.compile(r"^loop %.* in function (?P<function>.+)$")
#: The most steps returned; a huge pipeline on a huge module stops here and says so.
MAX_STEPS = 2000
#: The most bytes of dumps read from opt.
MAX_DUMP_BYTES = 256 * 1024 * 1024
#: The most characters of opt's stderr messages returned.
MAX_MESSAGES = 20_000
#: How many dumped modules are printed again at once (see :func:`_reprint`).
REPRINT_CONCURRENCY = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One pass run: its class name, what it ran on, and the IR after it when it changed."""

    index: int
    pass_name: str
    unit: str
    changed: bool
    ir: str | None
    invalidated: bool = False  # the pass deleted what it ran on; opt printed no IR after it
    remarks: tuple[Remark, ...] = ()  # the optimization remarks this pass run made
    unreported: bool = False  # opt printed no dump for this change (see :func:`close_steps`)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "pass": self.pass_name,
            "on": self.unit,
            "changed": self.changed,
            "ir": self.ir,
            "invalidated": self.invalidated,
            "unreported": self.unreported,
            "remarksCount": len(self.remarks),
            "remarks": [remark.to_json() for remark in self.remarks],
        }


@dataclass(frozen=True)
class Steps:
    """The result of ``irlens/pipelineSteps`` (see docs/lsp-extensions.md)."""

    pipeline: str
    function: str | None
    llvm_version: str
    initial: str | None
    steps: tuple[Step, ...]
    error: str | None = None
    truncated: bool = False
    output: str | None = None  # what ``opt -S`` with the whole pipeline prints (the focus)
    messages: str = ""  # what that opt run wrote to stderr (warnings, check-debugify, ...)
    args: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "function": self.function,
            "llvmVersion": self.llvm_version,
            "optArgs": list(self.args),
            "initial": self.initial,
            "final": self.final,
            "steps": [step.to_json() for step in self.steps],
            "messages": self.messages,
            "error": self.error,
            "truncated": self.truncated,
        }

    @property
    def final(self) -> str | None:
        """The IR after the whole pipeline: what ``opt -S`` prints for it (cut to the
        function), else the last change, else the initial IR."""
        if self.output is not None:
            return self.output
        for step in reversed(self.steps):
            if step.changed and step.ir is not None:
                return step.ir
        return self.initial


def _about_other_function(unit: str, function: str) -> bool:
    """Whether a pass's unit is plainly another function, SCC or loop than ``function``."""
    if unit == "[module]":
        return False
    loop = _LOOP_UNIT.match(unit)
    if loop is not None:
        return loop["function"] != function
    if unit.startswith("(") and unit.endswith(")"):
        return function not in [name.strip() for name in unit[1:-1].split(",")]
    return unit != function


def _pick(module: str, function: str | None) -> str | None:
    if function is None:
        return module.strip("\n")
    return function_texts(module).get(function)


def _sections(dump: str) -> Iterator[tuple[re.Match[str] | None, str, list[str]]]:
    """The dump cut at its headers: ``(None, module, [])`` for the start, then ``(header,
    text, remarks)`` for each pass (text is empty for one that printed nothing, and for a
    pass that invalidated its unit, whose header matches ``_INVALIDATED``). ``remarks`` are
    the messages of the remark lines opt printed while that pass ran (just before its
    header); they are not part of any module text."""
    header: re.Match[str] | None = None
    body: list[str] = []
    started = False
    in_section = False
    pending: list[str] = []  # remark messages since the last header
    attributed: list[str] = []  # the current section's pass's remarks
    for line in dump.split("\n"):
        if not line.startswith("*** "):
            prefix = REMARK_LINE.match(line) if started else None
            if prefix is not None:
                pending.append(line[prefix.end() :])
            elif started:
                body.append(line)
            continue
        if line == _START:
            started = True
            in_section = True
            header, body = None, []
            continue
        found = _HEADER.match(line) or _INVALIDATED.match(line)
        if found is None:
            body.append(line)
            continue
        if in_section:
            yield header, "\n".join(body), attributed
        header, body, in_section = found, [], True
        attributed, pending = pending, []
    if in_section:
        yield header, "\n".join(body), attributed


#: A declaration that ``opt -S`` drops when unused (PrintModulePass removes the debug
#: intrinsics' declarations in the debug-record format) but the ``-print-changed`` dumps keep.
_DEBUG_DECLARATION = re.compile(r"^declare void @llvm\.dbg\.", re.MULTILINE)


def needs_reprint(module: str) -> bool:
    """Whether a dumped module differs from what ``opt -S`` prints for it (see above)."""
    return _DEBUG_DECLARATION.search(module) is not None


@dataclass(frozen=True)
class Section:
    """What a dump section says besides its IR: the unit its pass ran on (None at the
    start and for a pass that is no step: ignored or filtered out; "" for one that
    invalidated its unit) and the messages of the remarks printed while it ran."""

    unit: str | None
    remarks: tuple[str, ...]


def dumped_modules(dump: str) -> set[str]:
    """The dumped modules that need printing again by ``opt -S`` to read as it prints."""
    return dump_facts(dump)[0]


def dump_facts(dump: str) -> tuple[set[str], list[Section]]:
    """:func:`dumped_modules`, and each section's :class:`Section`."""
    modules: set[str] = set()
    sections: list[Section] = []
    for header, text, remarks in _sections(dump):
        unit: str | None = None
        if header is not None and header.re is _INVALIDATED:
            unit = ""  # a step, on a unit opt no longer names
        elif header is not None and not header["rest"].endswith(("ignored", "filtered out")):
            unit = header["unit"]
        sections.append(Section(unit, tuple(remarks)))
        if text.strip() and needs_reprint(text):
            modules.add(text)
    return modules, sections


#: How far ahead in the YAML a printed remark is looked for.
_REMARK_LOOKAHEAD = 64


def _ran_on(unit: str | None, function: str) -> bool:
    """Whether a pass's unit is ``function``, an SCC holding it, or one of its loops."""
    if unit is None or unit == "[module]":
        return False
    return not _about_other_function(unit, function)


def attribute_remarks(
    sections: Sequence[Section], remarks: Sequence[Remark]
) -> list[tuple[Remark, ...]]:
    """Each section's remarks, from the run's YAML (``remarks``, in the order opt made them).

    A remark opt printed is matched by its message, in order, to the next YAML remark with
    that message: it belongs to the section it was printed in. opt does not print every
    remark it writes to the YAML (the inliner's "definition is unavailable" is one); such a
    remark, made between two matched ones, goes to the last section in that span that ran
    on its function, else to the span's last step (after the last matched remark: the
    dump's last step). Printed lines that match nothing are left out."""
    made: list[list[Remark]] = [[] for _ in sections]
    cursor = 0
    previous = 0  # the section of the last matched remark

    def place(unmatched: Sequence[Remark], first: int, last: int) -> None:
        span = range(last, first - 1, -1)
        step = next((i for i in span if sections[i].unit is not None), last)
        for remark in unmatched:
            home = next((i for i in span if _ran_on(sections[i].unit, remark.function)), step)
            made[home].append(remark)

    for index, section in enumerate(sections):
        for message in section.remarks:
            end = min(len(remarks), cursor + _REMARK_LOOKAHEAD)
            found = next((j for j in range(cursor, end) if remarks[j].message == message), None)
            if found is None:
                continue
            place(remarks[cursor:found], previous, index)
            made[index].append(remarks[found])
            cursor, previous = found + 1, index
    if sections:
        place(remarks[cursor:], previous, len(sections) - 1)
    return [tuple(group) for group in made]


def parse_steps(
    dump: str,
    function: str | None,
    reprinted: Mapping[str, str] | None = None,
    made: Sequence[tuple[Remark, ...]] = (),
) -> tuple[str | None, list[Step], bool]:
    """The initial IR and the steps from ``-print-changed -print-module-scope`` output.

    ``reprinted`` maps a dumped module to what ``opt -S`` prints for it (see
    :func:`dumped_modules`); the others are used as dumped. ``made`` holds each section's
    remarks (:func:`attribute_remarks`); each step gets its section's."""
    initial: str | None = None
    current: str | None = None
    steps: list[Step] = []
    truncated = False
    for index, (header, text, _) in enumerate(_sections(dump)):
        remarks = made[index] if index < len(made) else ()
        module = reprinted.get(text, text) if reprinted else text
        if header is None:
            if initial is None and text.strip():
                initial = _pick(module, function)
                current = initial
            continue
        if header.re is _INVALIDATED:
            if len(steps) < MAX_STEPS:
                steps.append(
                    Step(
                        len(steps),
                        header["pass"],
                        "",
                        True,
                        None,
                        invalidated=True,
                        remarks=remarks,
                    )
                )
            current = None  # what it left is known only from the next dump
            continue
        rest, unit, pass_name = header["rest"], header["unit"], header["pass"]
        if "filtered out" in rest or "ignored" in rest:
            continue
        if function is not None and _about_other_function(unit, function):
            continue
        if len(steps) >= MAX_STEPS:
            truncated = True
            break
        if "omitted" in rest:
            steps.append(Step(len(steps), pass_name, unit, False, None, remarks=remarks))
            continue
        after = _pick(module, function)
        changed = after != current
        steps.append(
            Step(len(steps), pass_name, unit, changed, after if changed else None, remarks=remarks)
        )
        current = after
    return initial, steps, truncated


#: Wrappers whose own work ``-print-changed`` never reports; they change nothing themselves.
_NEVER_CHANGE = ("VerifierPass", "PrintModulePass", "PassManager<")
#: The name of a change made after the last dump by no pass opt names.
END_OF_PIPELINE = "end of pipeline"


def last_silent_pass(dump: str) -> str:
    """The last module-level pass that ``-print-changed`` ignored after its last reported
    step (a CGSCC adaptor erases the functions the inliner left dead there), else
    :data:`END_OF_PIPELINE`."""
    # Header lines only, from the end: the dump may be hundreds of MB, the answer is near it.
    end = len(dump)
    while end > 0:
        found = dump.rfind("\n*** ", 0, end)
        start = found + 1
        if found < 0:
            if not dump.startswith("*** "):
                break
            start = 0
        line_end = dump.find("\n", start)
        line = dump[start : line_end if line_end >= 0 else len(dump)]
        end = found  # the next search ends before this header (stops after the first)
        header = _HEADER.match(line)
        if header is None:
            continue
        if not header["rest"] or "omitted" in header["rest"]:
            break  # a reported step: nothing ignored came after it
        name = header["pass"]
        if header["unit"] == "[module]" and not name.startswith(_NEVER_CHANGE):
            return name
    return END_OF_PIPELINE


def close_steps(
    initial: str | None, steps: list[Step], output: str | None, silent_pass: str
) -> list[Step]:
    """The steps ending in what ``opt -S`` prints after the whole pipeline (``output``).

    A change made after the last dump is reported by no pass: the inliner's dead
    functions, emptied to ``unreachable`` in its dumps, are erased when the CGSCC walk
    ends, inside an adaptor that ``-print-changed`` ignores. When the last known IR is not
    ``output``, a step of ``silent_pass`` on ``[module]`` says so, marked ``unreported``.
    """
    if output is None:
        return steps
    last = initial
    for step in steps:
        if step.invalidated:
            last = None
        elif step.changed:
            last = step.ir
    if last == output or len(steps) >= MAX_STEPS:
        return steps
    closing = Step(len(steps), silent_pass, "[module]", True, output, unreported=True)
    return [*steps, closing]


def resolve_request(
    text: str,
    pipeline: str | None,
    function: str | None,
    position: tuple[int, int] | None,
    default_pipeline: str,
    *,
    run_line: int | None = None,
    options: OptOptions | None = None,
) -> tuple[str, str | None, tuple[str, ...]]:
    """The pipeline, function and RUN-line opt options a steps request means.

    The RUN line, whose opt options always go along, and the pipeline are
    :func:`~lsp_server.preview.target.choose_target`'s: ``run_line`` (its index), else the
    line under ``position`` (the pipeline holding the pass there), else the first RUN line
    whose pipeline is ``pipeline``, else the file's first; ``pipeline`` as given, else that
    line's, else ``default_pipeline``. The function: as given, else the one nearest
    ``position``, else None (the whole module). Raises ValueError naming a ``run_line``
    that is not there.
    """
    target = choose_target(
        text,
        default_pipeline,
        pipeline=pipeline,
        function=function,
        position=position,
        run_line=run_line,
        options=options,
    )
    if isinstance(target, str):
        raise ValueError(target)
    shown = target.function if function is not None or position is not None else None
    return target.pipeline, shown, target.args


async def pipeline_steps(
    text: str,
    pipeline: str,
    function: str | None,
    services: Services,
    args: tuple[str, ...] = (),
) -> Steps:
    """Run ``pipeline`` once on the module and report every pass (see the module docstring)."""
    toolchain = services.toolchain
    version = toolchain.version_text
    if function is not None and function not in function_texts(text):
        return Steps(
            pipeline, function, version, None, (), f"no function @{function} is defined here"
        )
    # The remarks go to a YAML file (their content) and, one line each, into the dumps as opt
    # makes them (which step made which).
    # The dumps are read from stderr: the RUN line's own log and remark printing stay out.
    dump_args = without_log_options(args)
    remark_args = (*dump_args, *PRINT_REMARKS, f"-pass-remarks-output={REMARKS_FILE}")
    argv = opt.print_changed_argv(toolchain, pipeline, function, remark_args)
    # The plain run beside the dumps says what opt -S prints after the whole pipeline and
    # what the passes write to stderr; the dumps say what happened at each step.
    plain = opt.pipeline_argv(toolchain, pipeline, output="text", extra=args)
    result, printed = await asyncio.gather(
        run_tool(
            argv,
            stdin=text,
            timeout=toolchain.timeout * 3,
            output_cap=MAX_DUMP_BYTES,
            collect=(REMARKS_FILE,),
            limits=toolchain.limits,
        ),
        run_tool(plain, stdin=text, timeout=toolchain.timeout * 3, limits=toolchain.limits),
    )
    if not result.ok:
        return Steps(pipeline, function, version, None, (), result.describe_failure(), args=args)
    modules, sections = await asyncio.to_thread(dump_facts, result.err)
    reprinted = await _reprint(services, modules)
    raw = result.files.get(REMARKS_FILE, b"").decode("utf-8", errors="replace")
    remarks = await asyncio.to_thread(parse_remarks, raw)
    made = attribute_remarks(sections, remarks)
    initial, steps, truncated = await asyncio.to_thread(
        parse_steps, result.err, function, reprinted, made
    )
    output = _pick(printed.out, function) if printed.ok else None
    if not truncated:
        steps = close_steps(initial, steps, output, last_silent_pass(result.err))
    messages = printed.err[:MAX_MESSAGES]
    return Steps(
        pipeline,
        function,
        version,
        initial,
        tuple(steps),
        None,
        truncated,
        output=output,
        messages=messages,
        args=args,
    )


async def _reprint(services: Services, modules: set[str]) -> dict[str, str]:
    """What ``opt -S`` prints for each dumped module (parse and print, no passes), so a
    step reads exactly as ``opt -S`` with the pipeline up to it prints; a module opt cannot
    print again is kept as dumped."""
    toolchain = services.toolchain
    limit = asyncio.Semaphore(REPRINT_CONCURRENCY)

    async def one(module: str) -> tuple[str, str]:
        async with limit:
            result = await run_tool(
                opt.pipeline_argv(toolchain, ""), stdin=module, timeout=toolchain.timeout
            )
        if not result.ok:
            log.warning("opt could not print a dumped module again: %s", result.describe_failure())
            return module, module
        return module, result.out

    return dict(await asyncio.gather(*(one(module) for module in modules)))

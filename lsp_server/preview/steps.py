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
import re
from dataclasses import dataclass
from typing import Any

from lsp_server.llvm import opt
from lsp_server.llvm.runner import run_tool
from lsp_server.preview.printed import function_texts
from lsp_server.preview.target import choose_target
from lsp_server.services import Services

_HEADER = re.compile(
    r"^\*\*\* IR (?:Dump After|Pass) (?P<pass>.+?) on (?P<unit>.+?)(?P<rest>(?: omitted because no change| filtered out| ignored)?) \*\*\*$"
)
_START = "*** IR Dump At Start ***"
_LOOP_UNIT = re.compile(r"^loop %.* in function (?P<function>.+)$")
#: The most steps returned; a huge pipeline on a huge module stops here and says so.
MAX_STEPS = 2000
#: The most bytes of dumps read from opt.
MAX_DUMP_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Step:
    """One pass run: its class name, what it ran on, and the IR after it when it changed."""

    index: int
    pass_name: str
    unit: str
    changed: bool
    ir: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "pass": self.pass_name,
            "on": self.unit,
            "changed": self.changed,
            "ir": self.ir,
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

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "function": self.function,
            "llvmVersion": self.llvm_version,
            "initial": self.initial,
            "final": self.final,
            "steps": [step.to_json() for step in self.steps],
            "error": self.error,
            "truncated": self.truncated,
        }

    @property
    def final(self) -> str | None:
        """The IR after the whole pipeline (the last change, else the initial IR)."""
        for step in reversed(self.steps):
            if step.changed:
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


def parse_steps(dump: str, function: str | None) -> tuple[str | None, list[Step], bool]:
    """The initial IR and the steps from ``-print-changed -print-module-scope`` output."""
    initial: str | None = None
    current: str | None = None
    steps: list[Step] = []
    pending: tuple[str, str] | None = None
    body: list[str] = []
    truncated = False

    def finish() -> None:
        nonlocal initial, current, pending
        text = "\n".join(body)
        if pending is None:
            if initial is None and text.strip():
                initial = _pick(text, function)
                current = initial
            return
        pass_name, unit = pending
        after = _pick(text, function)
        changed = after != current
        steps.append(Step(len(steps), pass_name, unit, changed, after if changed else None))
        current = after
        pending = None

    started = False
    for line in dump.split("\n"):
        if not line.startswith("*** "):
            if started:
                body.append(line)
            continue
        if line == _START:
            started = True
            body = []
            continue
        header = _HEADER.match(line)
        if header is None:
            body.append(line)
            continue
        finish()
        body = []
        rest, unit, pass_name = header["rest"], header["unit"], header["pass"]
        if "filtered out" in rest or "ignored" in rest:
            continue
        if function is not None and _about_other_function(unit, function):
            continue
        if len(steps) >= MAX_STEPS:
            truncated = True
            break
        if "omitted" in rest:
            steps.append(Step(len(steps), pass_name, unit, False, None))
        else:
            pending = (pass_name, unit)
    if not truncated:
        finish()
    return initial, steps, truncated


def resolve_request(
    text: str,
    pipeline: str | None,
    function: str | None,
    position: tuple[int, int] | None,
    default_pipeline: str,
) -> tuple[str, str | None, tuple[str, ...]]:
    """The pipeline, function and RUN-line opt options a steps request means.

    The pipeline is :func:`~lsp_server.preview.target.choose_target`'s: as given, else the
    one holding the pass at ``position``, else the file's first RUN-line pipeline, else
    ``default_pipeline``. The function: as given, else the one nearest ``position``, else
    None (the whole module).
    """
    target = choose_target(
        text, default_pipeline, pipeline=pipeline, function=function, position=position
    )
    if isinstance(target, str):  # only a pass name gives a message, and a steps request has none
        return default_pipeline, function, ()
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
    argv = opt.print_changed_argv(toolchain, pipeline, function, args)
    result = await run_tool(
        argv,
        stdin=text,
        timeout=toolchain.timeout * 3,
        output_cap=MAX_DUMP_BYTES,
        limits=toolchain.limits,
    )
    if not result.ok:
        return Steps(pipeline, function, version, None, (), result.describe_failure())
    initial, steps, truncated = await asyncio.to_thread(parse_steps, result.err, function)
    return Steps(pipeline, function, version, initial, tuple(steps), None, truncated)

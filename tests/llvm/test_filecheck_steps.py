"""LLVM's own regression tests through ``irlens/pipelineSteps`` (issue 13, defect 4): for every
RUN line that passes under LLVM 19, the steps are computed with that RUN line's options, the
IR after the last step passes the RUN line's checks, and every module the steps show is
exactly what ``opt -S`` prints for it (the initial IR with no passes, the final IR with the
whole pipeline).

The steps come from the feature code (:func:`resolve_request` with the RUN line's index, then
:func:`pipeline_steps` on the whole module), not from a separate opt call here; opt is run
here only to say what it prints.
"""

from __future__ import annotations

import subprocess

import pytest

from lsp_server.config import Settings
from lsp_server.llvm.opt_options import load_opt_options
from lsp_server.preview.printed import function_texts
from lsp_server.preview.remarks import PRINT_REMARKS, parse_remarks
from lsp_server.preview.steps import pipeline_steps, resolve_request
from lsp_server.services import Services
from lsp_server.syntax.pipeline import leaves, parse_pipeline, truncate
from lsp_server.syntax.runlines import parse_run_lines
from tests.llvm.test_filecheck_suite import _after_opt, _cases, _check
from tests.support.data import EXAMPLES, LLVM_TESTS


def _opt_prints(toolchain, text: str, pipeline: str, args: tuple[str, ...]) -> str:
    argv = [toolchain.path("opt"), "-S", "-o", "-", *args]
    if pipeline:
        argv.append(f"-passes={pipeline}")
    result = subprocess.run(argv, input=text, capture_output=True, text=True, check=True)
    return result.stdout.strip("\n")


def _yaml_remarks(toolchain, text: str, pipeline: str, args: tuple[str, ...], tmp) -> list:
    """The remarks opt writes to its YAML for the whole pipeline, without the dumps. It
    prints them too, as the steps' run does: the inliner computes its costs in full, and
    makes more remarks, when remarks are printed."""
    out = tmp / "remarks.yaml"
    argv = [toolchain.path("opt"), "-disable-output", f"-pass-remarks-output={out}", *args]
    argv += PRINT_REMARKS
    subprocess.run([*argv, f"-passes={pipeline}"], input=text, capture_output=True, text=True)
    return parse_remarks(out.read_text()) if out.exists() else []


@pytest.mark.parametrize(("path", "index", "command"), _cases())
async def test_steps_pass_the_run_lines_checks_and_print_what_opt_prints(
    toolchain, filecheck: str, path: str, index: int, command: str, tmp_path
) -> None:
    file = LLVM_TESTS / path
    text = file.read_text()
    assert parse_run_lines(text)[index].command == command
    options = await load_opt_options(toolchain)
    pipeline, function, args = resolve_request(
        text, None, None, None, "default<Oz>", run_line=index, options=options
    )
    assert function is None
    services = Services(settings=Settings(), toolchain=toolchain)
    steps = await pipeline_steps(text, pipeline, None, services, args)
    assert steps.error is None, steps.error
    assert steps.initial == _opt_prints(toolchain, text, "", args)
    printed = _opt_prints(toolchain, text, pipeline, args)
    assert steps.final == printed
    # The dumps themselves read as opt prints: the last change is the final module unless a
    # pass after it deleted what it ran on (opt prints nothing after such a pass).
    changed = [i for i, step in enumerate(steps.steps) if step.changed]
    if changed and not any(step.invalidated for step in steps.steps[changed[-1] :]):
        assert steps.steps[changed[-1]].ir == printed
    # Every remark opt makes is given to one step, whether or not opt printed it.
    made = sorted((r.name, r.function, r.message) for s in steps.steps for r in s.remarks)
    expected = _yaml_remarks(toolchain, text, pipeline, args, tmp_path)
    assert made == sorted((r.name, r.function, r.message) for r in expected)
    output = printed + "\n"
    if "2>&1" in command.split("|")[0]:
        output = steps.messages + output
    _check(file, _after_opt(command), output, filecheck)


async def test_every_step_is_what_opt_prints_with_the_pipeline_up_to_it(toolchain) -> None:
    text = (EXAMPLES / "example.ll").read_text()
    pipeline = "function(sroa,early-cse,instcombine,simplifycfg)"
    services = Services(settings=Settings(), toolchain=toolchain)
    steps = await pipeline_steps(text, pipeline, "crc32", services)
    nodes, _ = parse_pipeline(pipeline)
    assert len(steps.steps) == len(leaves(nodes))
    for index, step in enumerate(steps.steps):
        upto = truncate(nodes, index, inclusive=True)
        expected = function_texts(_opt_prints(toolchain, text, upto, ()))["crc32"]
        shown = step.ir if step.changed else None
        if shown is None:  # unchanged: the IR of the last change, or the initial IR
            earlier = [s.ir for s in steps.steps[:index] if s.changed]
            shown = earlier[-1] if earlier else steps.initial
        assert shown == expected, step.pass_name


async def test_steps_of_old_style_debug_intrinsics_read_as_opt_prints(toolchain) -> None:
    # Input with `call @llvm.dbg.value` (the format before debug records): opt -S drops the
    # then unused intrinsic declarations, which -print-changed's dumps keep.
    source = (LLVM_TESTS / "DCE" / "basic.ll").read_text()
    text = _opt_prints(toolchain, source, "debugify", ("--write-experimental-debuginfo=false",))
    assert "declare void @llvm.dbg.value" in text
    services = Services(settings=Settings(), toolchain=toolchain)
    pipeline = "function(instcombine,dce)"
    steps = await pipeline_steps(text, pipeline, None, services)
    assert steps.initial == _opt_prints(toolchain, text, "", ())
    changed = [step for step in steps.steps if step.changed]
    assert changed
    assert changed[-1].ir == _opt_prints(toolchain, text, pipeline, ())
    assert all("@llvm.dbg.value" not in (step.ir or "") for step in steps.steps)

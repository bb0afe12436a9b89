"""The preview against the real opt, llc and llvm-size: truth, counts, sizes, failures."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import select

import pytest

from lsp_server.cli import main
from lsp_server.config import Settings
from lsp_server.llvm import llc, opt, size
from lsp_server.llvm.elf import berkeley_size
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.warm import WarmTools
from lsp_server.model.cache import ResultCache
from lsp_server.preview import run as preview_run
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.preview.printed import count_instructions
from lsp_server.preview.steps import pipeline_steps
from lsp_server.preview.target import find_target
from lsp_server.services import Services
from lsp_server.syntax.runlines import find_pipelines
from tests.support.data import CORPUS, EXAMPLES

EXAMPLE = (EXAMPLES / "example.ll").read_text()
SAMPLE = ["dev-brotli-0001", "dev-lz4-0080", "dev-mmh3-0120", "dev-brotli-0121", "dev-regex-0109"]

INLINE = """\
; RUN: opt -passes='cgscc(inline),globalopt' -S %s | FileCheck %s
@limit = internal global i32 7

define internal i32 @helper(i32 %x) {
  %l = load i32, ptr @limit
  %y = mul i32 %x, %l
  ret i32 %y
}

define i32 @caller(i32 %a) {
  %r = call i32 @helper(i32 %a)
  ret i32 %r
}
"""


@pytest.fixture
def services(toolchain) -> Services:
    return Services(settings=Settings(), toolchain=toolchain)


def _position(text: str, needle: str, line_hint: str = "RUN:") -> tuple[int, int]:
    for number, line in enumerate(text.splitlines()):
        if line_hint in line and needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


async def test_counts_and_sizes_computed_without_tools_agree_with_the_tools(
    toolchain, manifest
) -> None:
    entries = {e["id"]: e for e in manifest}
    for name in SAMPLE:
        source = (CORPUS / entries[name]["ir"]).read_text()
        for pipeline in ("", "default<Oz>"):
            ir = await opt.run_pipeline(toolchain, source, pipeline)
            assert count_instructions(ir) == await opt.instruction_counts(toolchain, ir), name
            obj = await llc.compile_object(toolchain, ir)
            assert berkeley_size(obj) == (await size.object_size(toolchain, obj)).binary_size


async def test_pass_preview_is_opts_output_before_and_after_the_pass(services, toolchain) -> None:
    target = find_target(EXAMPLE, *_position(EXAMPLE, "instcombine"), "default<Oz>")
    assert target is not None
    truth = await PreviewState().truth("doc", EXAMPLE, target, services)
    assert truth.error is None
    expected_before = await opt.run_pipeline(toolchain, EXAMPLE, "function(sroa,early-cse)")
    expected_after = await opt.run_pipeline(
        toolchain, EXAMPLE, "function(sroa,early-cse,instcombine)"
    )
    assert truth.before.ir == expected_before
    assert truth.after.ir == expected_after
    assert truth.after.counts == await opt.instruction_counts(toolchain, expected_after)
    assert truth.after.size == await size.binary_size(toolchain, expected_after)
    assert truth.before.size == await size.binary_size(toolchain, expected_before)


@pytest.mark.parametrize(
    "pipeline",
    [
        "sroa,early-cse,instcombine,simplifycfg",
        "cgscc(inline),globalopt,function(sroa,instcombine),constmerge",
    ],
)
async def test_one_opt_run_gives_what_two_runs_give(
    services, toolchain, pipeline, monkeypatch
) -> None:
    """The preview prints the "before" module from inside the "after" run where the cut
    allows it; every pass of these pipelines must see the same two modules as when the two
    truncated pipelines run on their own."""
    source = (CORPUS / "ir" / "dev-brotli-0121.ll").read_text()
    text = f"; RUN: opt -passes='{pipeline}' -S %s\n" + source
    ran: list[str] = []
    original = preview_run.run_tool

    async def counting(argv, **kwargs):
        ran.append(next((a for a in argv if a.startswith("-passes=")), ""))
        return await original(argv, **kwargs)

    monkeypatch.setattr(preview_run, "run_tool", counting)
    state = PreviewState()
    for ref in find_pipelines(text)[0].passes:
        target = find_target(text, 0, ref.span.start.col, "default<Oz>")
        assert target is not None
        ran.clear()
        truth = await state.truth("doc", text, target, services)
        assert truth.error is None
        assert len(ran) == 1, (target.pass_text, ran)  # one opt run for both sides
        assert truth.before.ir == await opt.run_pipeline(toolchain, text, target.before)
        assert truth.after.ir == await opt.run_pipeline(toolchain, text, target.after)


async def test_hover_markdown_on_a_run_line_pass(services) -> None:
    line, col = _position(EXAMPLE, "simplifycfg")
    found = await hover_preview(EXAMPLE, line, col, services, PreviewState())
    assert found is not None
    text = found.markdown
    assert text.startswith("**simplifycfg** · pass 4 of 4")
    assert "`@crc32`" in text.splitlines()[0] and "opt 19." in text.splitlines()[0]
    assert "| instructions in `@crc32` |" in text
    assert "```diff" in text
    assert found.data["function"] == "crc32"
    assert found.data["functions"][0]["name"] == "crc32"


async def test_module_passes_run_on_the_whole_module(services) -> None:
    found = await hover_preview(INLINE, *_position(INLINE, "globalopt"), services, PreviewState())
    assert found is not None
    statuses = {f["name"]: f["status"] for f in found.data["functions"]}
    # globalopt sees that nothing in the module stores to @limit: the global goes and its
    # value is folded into the function the inliner filled.
    assert statuses == {"caller": "changed", "(module level)": "changed"}
    assert "+  %y.i = mul i32 %a, 7" in found.markdown
    assert "-@limit = internal global i32 7" in found.markdown
    inline = await hover_preview(INLINE, *_position(INLINE, "inline"), services, PreviewState())
    assert inline is not None
    assert {f["name"]: f["status"] for f in inline.data["functions"]} == {
        "caller": "changed",
        "helper": "removed",
    }
    assert "+  %y.i = mul i32 %a, %l.i" in inline.markdown


async def test_define_line_previews_the_default_pipeline_on_that_function(services) -> None:
    lines = EXAMPLE.splitlines()
    line = next(i for i, text in enumerate(lines) if text.startswith("define") and "@clamp" in text)
    found = await hover_preview(EXAMPLE, line, 20, services, PreviewState())
    assert found is not None
    assert found.markdown.startswith("**default<Oz>** · `@clamp`")
    # llvm-extract left @clamp alone in the module: no other function is shown.
    assert {f["name"] for f in found.data["functions"]} <= {"clamp", "(module level)"}
    assert found.data["instructions"]["after"] < found.data["instructions"]["before"]


async def test_unknown_pass_is_named_with_the_nearest_names(services) -> None:
    text = EXAMPLE.replace("early-cse", "early-cs")
    found = await hover_preview(text, *_position(text, "instcombine"), services, PreviewState())
    assert found is not None
    assert "**Cannot preview**: unknown pass 'early-cs' (did you mean early-cse" in found.markdown


async def test_malformed_ir_shows_the_parse_error(services) -> None:
    text = EXAMPLE.replace("  %3 = alloca ptr, align 8\n", "  %3 = alloca ptr, align 8\n  bogus\n")
    found = await hover_preview(text, *_position(text, "sroa"), services, PreviewState())
    assert found is not None
    bad_line = text.splitlines().index("  bogus") + 1
    assert f"the IR does not parse (line {bad_line}, column 3" in found.markdown
    lines = text.splitlines()
    define = next(i for i, t in enumerate(lines) if t.startswith("define") and "@main" in t)
    on_define = await hover_preview(text, define, 20, services, PreviewState())
    assert on_define is not None
    assert "does not parse" in on_define.markdown


async def test_opt_failing_and_timing_out_are_said(services) -> None:
    text = "; RUN: opt -passes='function(loop(licm))' -S %s\n" + EXAMPLE
    found = await hover_preview(text, *_position(text, "licm"), services, PreviewState())
    assert found is not None
    assert "**Cannot preview**" in found.markdown and "LICM requires MemorySSA" in found.markdown
    slow = dataclasses.replace(
        services, toolchain=dataclasses.replace(services.toolchain, timeout=0.001)
    )
    found = await hover_preview(EXAMPLE, *_position(EXAMPLE, "sroa"), slow, PreviewState())
    assert found is not None
    assert "timed out" in found.markdown


async def test_huge_modules_are_refused_on_hover_with_the_reason(services, monkeypatch) -> None:
    monkeypatch.setattr(preview_run, "MAX_MODULE_CHARS", 1000)
    found = await hover_preview(EXAMPLE, *_position(EXAMPLE, "sroa"), services, PreviewState())
    assert found is not None
    assert "too large to preview on hover" in found.markdown


async def test_results_come_from_the_cache_without_running_opt(services, monkeypatch) -> None:
    cached = dataclasses.replace(services, cache=ResultCache.memory())
    position = _position(EXAMPLE, "instcombine")
    first = await hover_preview(EXAMPLE, *position, cached, PreviewState())
    runs: list[object] = []

    async def no_tools(*args: object, **kwargs: object) -> object:
        runs.append(args)
        raise AssertionError("a cached preview ran a tool")

    monkeypatch.setattr(preview_run, "run_tool", no_tools)
    # A fresh state (a restarted server) has only the on-disk cache to go on.
    again = await hover_preview(EXAMPLE, *position, cached, PreviewState())
    assert first is not None and again is not None
    assert again.markdown == first.markdown
    assert runs == []


async def test_pipeline_steps_follow_a_function_through_one_opt_run(services, toolchain) -> None:
    pipeline = "function(sroa,early-cse,instcombine,simplifycfg)"
    steps = await pipeline_steps(EXAMPLE, pipeline, "crc32", services)
    assert steps.error is None
    assert [s.pass_name for s in steps.steps] == [
        "SROAPass",
        "EarlyCSEPass",
        "InstCombinePass",
        "SimplifyCFGPass",
    ]
    assert [s.changed for s in steps.steps] == [True, False, True, True]
    expected = await opt.run_pipeline(toolchain, EXAMPLE, pipeline)
    start = expected.index("define dso_local i32 @crc32")
    assert steps.final == expected[start : expected.index("\n}\n", start) + 2]
    missing = await pipeline_steps(EXAMPLE, pipeline, "nope", services)
    assert missing.error == "no function @nope is defined here"


def test_cli_preview_text_and_json(capsys) -> None:
    path = str(EXAMPLES / "example.ll")
    assert main(["preview", path, "--pass", "instcombine", "--max-diff-lines", "12"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("**instcombine** · pass 3 of 4")
    assert "more lines of this diff not shown" in out
    assert (
        main(["preview", path, "--pipeline", "default<Oz>", "--function", "clamp", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["afterPipeline"] == "default<Oz>" and data["function"] == "clamp"
    assert data["instructions"]["after"] < data["instructions"]["before"]
    assert main(["preview", path]) == 0  # the RUN line's whole pipeline
    assert "**function(sroa,early-cse,instcombine,simplifycfg)**" in capsys.readouterr().out
    assert main(["preview", path, "--pass", "no-such-pass"]) == 1
    assert "unknown pass 'no-such-pass'" in capsys.readouterr().out
    assert main(["preview", path, "--pipeline", "sroa", "--pass", "gvn"]) == 2


async def test_tools_started_ahead_give_what_the_runner_gives(toolchain) -> None:
    warm = WarmTools()
    try:
        ir = await opt.run_pipeline(toolchain, EXAMPLE, "")
        expected = await llc.compile_object(toolchain, ir)
        assert await warm.compile(toolchain, ir) == expected
        options = ["-S", "-o", "-", "-passes=function(sroa,instcombine)"]
        first = await warm.opt(toolchain, options, EXAMPLE)
        assert first.ok
        assert first.out == await opt.run_pipeline(toolchain, EXAMPLE, "function(sroa,instcombine)")
        # The first runs started spares for the next ones; wait until they are up.
        await asyncio.gather(*warm._refill.values())
        spares = [s for group in warm._spares.values() for s in group]
        assert len(spares) == 4 and all(s.alive for s in spares)
        assert await warm.compile(toolchain, ir) == expected
        again = await warm.opt(toolchain, options, EXAMPLE)
        assert again.out == first.out
        # Arguments reach opt exactly, quotes, backslashes and spaces included.
        odd = await warm.opt(toolchain, ['-passes=it\'s a \\ "pass"'], EXAMPLE)
        assert not odd.ok and 'it\'s a \\ "pass"' in odd.err
        with pytest.raises(ToolError, match="llc could not compile"):
            await warm.compile(toolchain, "define void @f() {\n  bogus\n}\n")
        slow = dataclasses.replace(toolchain, timeout=0.001)
        with pytest.raises(ToolError, match="timed out"):
            await warm.compile(slow, ir)
        assert (await warm.opt(slow, options, EXAMPLE)).timed_out
        # A spare that died while it waited (not yet reaped): the run goes to a fresh opt.
        await asyncio.gather(*warm._refill.values())
        for spare in [s for group in warm._spares.values() for s in group]:
            exited = os.pidfd_open(spare.proc.pid)
            spare.proc.kill()
            # Blocks the loop until the process has exited, so asyncio has not yet seen it.
            assert select.select([exited], [], [], 10)[0] == [exited]
            os.close(exited)
        assert all(s.alive for group in warm._spares.values() for s in group)
        after_death = await warm.opt(toolchain, options, EXAMPLE)
        assert after_death.ok and after_death.out == first.out
    finally:
        await warm.close()
    assert warm._spares == {}

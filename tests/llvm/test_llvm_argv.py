"""The argv builders of lsp_server.llvm, run through the real tools: each command line they
build is one the tool accepts and that does what its builder says."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from lsp_server.config import Settings
from lsp_server.lift.link import LiftedPart, join_modules
from lsp_server.llvm import assembler, extract, link, llc, opt, passes, size
from lsp_server.llvm.elf import berkeley_size
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import host_triple, registered_targets
from lsp_server.llvm.warm import WarmTools
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.services import Services
from lsp_server.syntax.ir import parse_module

pytestmark = pytest.mark.llvm

MODULE = """\
@table = global [4 x i32] [i32 1, i32 2, i32 3, i32 4]

define i32 @get(i32 %i) {
entry:
  %x = alloca i32
  store i32 %i, ptr %x
  %v = load i32, ptr %x
  %idx = sext i32 %v to i64
  %p = getelementptr [4 x i32], ptr @table, i64 0, i64 %idx
  %r = load i32, ptr %p
  ret i32 %r
}

define i32 @twice(i32 %a) {
  %b = add i32 %a, %a
  ret i32 %b
}
"""

# Parses, but the verifier rejects it: %a is used before it is defined.
UNVERIFIED = """\
define i32 @f() {
entry:
  %a = add i32 %b, 1
  %b = add i32 1, 1
  ret i32 %a
}
"""


async def test_opt_outputs_are_what_each_form_names(toolchain) -> None:
    text = await run_tool(opt.pipeline_argv(toolchain, "function(sroa)"), stdin=MODULE)
    assert text.ok and text.out.startswith("; ModuleID")
    assert "alloca" not in text.out  # sroa ran
    bitcode = await run_tool(opt.pipeline_argv(toolchain, "", output="bitcode"), stdin=MODULE)
    assert bitcode.ok and bitcode.stdout[:4] == b"BC\xc0\xde"
    nothing = await run_tool(opt.pipeline_argv(toolchain, "verify", output="none"), stdin=MODULE)
    assert nothing.ok and nothing.stdout == b""
    # The extra options go through, and a bad pipeline is opt's error, not a crash.
    remark = opt.pipeline_argv(toolchain, "instcombine", extra=["-pass-remarks=.*"])
    assert (await run_tool(remark, stdin=MODULE)).ok
    bad = await run_tool(opt.pipeline_argv(toolchain, "no-such-pass"), stdin=MODULE)
    assert not bad.ok and "no-such-pass" in bad.err


async def test_opt_args_are_the_argv_without_the_program(toolchain) -> None:
    args = opt.pipeline_args("sroa", output="bitcode", extra=["-x"])
    assert opt.pipeline_argv(toolchain, "sroa", output="bitcode", extra=["-x"]) == [
        toolchain.path("opt"),
        *args,
    ]
    assert not any(a.startswith("-passes") for a in opt.pipeline_args(""))


async def test_print_changed_dumps_each_change_of_the_function(toolchain) -> None:
    argv = opt.print_changed_argv(toolchain, "function(sroa,instcombine)", "get")
    result = await run_tool(argv, stdin=MODULE)
    assert result.ok and result.stdout == b""
    assert "*** IR Dump At Start ***" in result.err
    assert "IR Dump After SROAPass on get" in result.err
    assert "SROAPass on twice filtered out" in result.err  # only @get is printed


async def test_print_passes_and_pipeline_printing(toolchain) -> None:
    result = await run_tool(opt.print_passes_argv(toolchain))
    assert result.ok
    registry = passes.parse_print_passes(result.out)
    assert registry.knows("instcombine") and registry.knows("inline")
    spelled = await opt.print_pipeline(toolchain, "default<Oz>")
    assert "instcombine" in spelled and "default<" not in spelled


async def test_instruction_counts_parse_what_opt_prints(toolchain) -> None:
    counts = await opt.instruction_counts(toolchain, MODULE)
    assert counts == {"get": 7, "twice": 2}
    assert await opt.verify(toolchain, MODULE) is None
    assert "dominate" in (await opt.verify(toolchain, UNVERIFIED) or "")


async def test_llc_object_to_stdout_or_file_is_the_same_object(toolchain) -> None:
    ir = await opt.run_pipeline(toolchain, MODULE, "")
    to_stdout = await run_tool(llc.compile_argv(toolchain, ir, output="-"), stdin=ir)
    assert to_stdout.ok
    to_file = await llc.compile_object(toolchain, ir)
    assert to_stdout.stdout == to_file
    measured = await size.object_size(toolchain, to_file)
    assert berkeley_size(to_file) == measured.binary_size > 0
    asm = await llc.to_assembly(toolchain, ir, opt_level="O0")
    assert "twice:" in asm


async def test_llc_triple_is_explicit_else_the_module_s_else_the_setting(toolchain) -> None:
    default = toolchain.default_triple
    assert default
    assert llc.triple_args(toolchain, MODULE, None) == [f"-mtriple={default}"]
    named = 'target triple = "aarch64-unknown-linux-gnu"\n' + MODULE
    assert llc.triple_args(toolchain, named, None) == []
    assert llc.triple_args(toolchain, named, "x86_64-pc-linux-gnu") == [
        "-mtriple=x86_64-pc-linux-gnu"
    ]
    assert llc.triple_args(toolchain, None, None) == []
    if "aarch64" in registered_targets(toolchain):
        obj = await llc.compile_object(toolchain, named)
        assert obj[:4] == b"\x7fELF" and obj[18] == 183  # e_machine EM_AARCH64
    bitcode = await opt.run_pipeline_bitcode(toolchain, named, "")
    assert llc.triple_args(toolchain, bitcode, None) == []


async def test_llc_builds_from_a_file_with_a_relocation_model(toolchain) -> None:
    argv = llc.compile_argv(
        toolchain,
        source="in.ll",
        output="in.o",
        triple="x86_64-unknown-linux-gnu",
        relocation_model="pic",
    )
    result = await run_tool(argv, files={"in.ll": MODULE}, collect=("in.o",))
    assert result.ok and berkeley_size(result.files["in.o"])


async def test_object_size_asks_llvm_size_for_what_is_not_elf(toolchain) -> None:
    if "x86-64" not in registered_targets(toolchain):
        pytest.skip("llc has no x86-64 target")
    macho = await llc.compile_object(toolchain, MODULE, triple="x86_64-apple-macosx11.0.0")
    assert berkeley_size(macho) is None
    measured = await size.object_size(toolchain, macho)
    assert await size.object_binary_size(toolchain, macho) == measured.binary_size > 0
    result = await run_tool(size.size_argv(toolchain), files={"in.o": macho})
    assert size.parse_berkeley(result.out) == measured
    assert size.parse_berkeley("garbage") is None


async def test_llvm_as_parses_with_and_without_the_verifier(toolchain) -> None:
    assert (await assembler.parse(toolchain, MODULE)).ok
    assert not (await assembler.parse(toolchain, UNVERIFIED)).ok
    assert (await assembler.parse(toolchain, UNVERIFIED, verify=False)).ok
    broken = await assembler.parse(toolchain, "define void @f() {\n  bogus\n}\n", verify=False)
    assert not broken.ok and "<stdin>:2" in broken.err


async def test_llvm_extract_keeps_one_function(toolchain) -> None:
    result = await run_tool(extract.extract_argv(toolchain, "get"), stdin=MODULE)
    assert result.ok
    module = parse_module(result.out)
    defined = [f.name for f in module.functions if f.is_definition]
    assert defined == ["get"] and "@table" in result.out


async def test_llvm_link_joins_and_the_later_definition_overrides(toolchain) -> None:
    first = (
        "@shared = global i32 1\ndefine i32 @a() {\n  %v = load i32, ptr @shared\n  ret i32 %v\n}\n"
    )
    second = (
        "@shared = global i32 2\ndefine i32 @b() {\n  %v = load i32, ptr @shared\n  ret i32 %v\n}\n"
    )
    assert link.link_argv(toolchain, ["x.ll", "y.ll"])[-3:] == ["x.ll", "--override", "y.ll"]
    result = await link.link(toolchain, [first, second])
    assert result.ok, result.err
    assert "@shared = global i32 2" in result.out
    defined = {f.name for f in parse_module(result.out).functions if f.is_definition}
    assert defined == {"a", "b"}
    joined = await join_modules(toolchain, [LiftedPart(first, ("a",)), LiftedPart(second, ("b",))])
    assert joined.problem is None and joined.ir is not None and "@b()" in joined.ir


def test_llvm_link_is_discovered_with_the_other_tools(toolchain) -> None:
    assert toolchain.has("llvm-link")
    version = subprocess.run(
        [toolchain.path("llvm-link"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    assert toolchain.version_text in version


def test_llc_version_is_read_at_discovery_not_later(toolchain, monkeypatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a subprocess ran after discovery")

    monkeypatch.setattr(subprocess, "run", refuse)
    assert host_triple(toolchain) == toolchain.default_triple
    # Without the setting, llc's default target, from what discovery kept.
    bare = dataclasses.replace(toolchain, default_triple="")
    assert f"Default target: {host_triple(bare)}" in toolchain.llc_version_output
    assert "x86-64" in registered_targets(toolchain)
    assert "Default target:" in toolchain.llc_version_output


async def test_text_with_a_lone_surrogate_is_previewed(toolchain) -> None:
    # A client may send one (valid JSON); the hash, the runner and the spares take it.
    text = "; RUN: opt -passes=instcombine -S %s\n; \ud800\n" + MODULE
    services = Services(settings=Settings(), toolchain=toolchain)
    warm = WarmTools()
    try:
        state = PreviewState(warm=warm)
        at = text.index("instcombine") + 1
        found = await hover_preview(text, 0, at, services, state)
    finally:
        await warm.close()
    assert found is not None and found.data["error"] is None, found
    assert found.data["binarySize"]["before"] == await size.binary_size(toolchain, MODULE)
    assert found.data["instructions"]["before"] == 9

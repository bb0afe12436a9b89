"""The LLVM operations the features use, against the real tools and the corpus' numbers."""

from __future__ import annotations

import pytest

from lsp_server.llvm import diagnostics, extract, llc, mc, opt, passes, size
from lsp_server.llvm.errors import ToolError
from tests.support.data import CORPUS, EXAMPLES

SAMPLE = ["dev-brotli-0001", "dev-lz4-0080", "dev-mmh3-0112"]


@pytest.fixture
def entries(manifest):
    wanted = {e["id"]: e for e in manifest}
    return [wanted[i] for i in SAMPLE if i in wanted] or manifest[:3]


async def test_instruction_count_matches_the_corpus(toolchain, entries) -> None:
    for entry in entries:
        ir = (CORPUS / entry["ir"]).read_text()
        assert await opt.instruction_count(toolchain, ir) == entry["insts_O0"], entry["id"]


async def test_binary_size_is_text_plus_data_as_the_corpus_measured(toolchain, entries) -> None:
    for entry in entries:
        ir = (CORPUS / entry["ir"]).read_text()
        assert await size.binary_size(toolchain, ir) == entry["size_O0"], entry["id"]
        assert await size.prompt_binary_size(toolchain, ir) == entry["prompt_bin_size"], entry["id"]
        assert await size.size_after(toolchain, ir, "default<Oz>") == entry["size_Oz"], entry["id"]


async def test_pipeline_output_and_instruction_count_after_oz(toolchain, entries) -> None:
    entry = entries[0]
    ir = (CORPUS / entry["ir"]).read_text()
    out = await opt.run_pipeline(toolchain, ir, "default<Oz>")
    assert "define" in out
    assert await opt.instruction_count(toolchain, out) == entry["insts_Oz"]


async def test_pipeline_failure_is_a_tool_error_with_opts_message(toolchain) -> None:
    with pytest.raises(ToolError) as err:
        await opt.run_pipeline(toolchain, "define void @f() { ret void }\n", "no-such-pass")
    assert "unknown pass name 'no-such-pass'" in str(err.value)


async def test_extract_keeps_one_function_self_contained(toolchain) -> None:
    module = (EXAMPLES / "example.ll").read_text()
    only = await extract.extract_function(toolchain, module, "crc32")
    assert "define" in only and "@crc32" in only
    assert "define dso_local void @scale_samples" not in only
    assert await opt.verify(toolchain, only) is None
    with pytest.raises(ToolError):
        await extract.extract_function(toolchain, module, "no_such_function")


async def test_assembly_and_assembling_round_trip(toolchain) -> None:
    ir = sorted((CORPUS / "asm" / "x86_64").glob("*.ll"))[0].read_text()
    asm = await llc.to_assembly(toolchain, ir)
    assert ".text" in asm
    obj = await mc.assemble(toolchain, asm, "x86_64-unknown-linux-gnu")
    assert obj[:4] == b"\x7fELF"
    aarch = await llc.to_assembly(toolchain, ir, triple="aarch64-unknown-linux-gnu")
    assert "ret" in aarch and "%rsp" not in aarch


async def test_stored_assembly_is_what_llc_makes(toolchain) -> None:
    for arch in ("x86_64", "aarch64"):
        stored_ll = sorted((CORPUS / "asm" / arch).glob("*.ll"))[0]
        produced = await llc.to_assembly(
            toolchain, stored_ll.read_text(), triple=f"{arch}-unknown-linux-gnu"
        )
        assert produced == stored_ll.with_suffix(".s").read_text()


async def test_module_without_triple_uses_the_setting(toolchain) -> None:
    ir = "define i32 @f(i32 %x) {\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n"
    assert llc.module_triple(ir) is None
    asm = await llc.to_assembly(toolchain, ir)  # toolchain.default_triple is x86_64
    assert "leal" in asm or "addl" in asm or "incl" in asm


async def test_ir_diagnostics_point_at_the_line_and_column(toolchain) -> None:
    bad = "define i32 @f() {\n  ret i32 0\n  bogus\n}\n"
    found = await diagnostics.check_ir(toolchain, bad)
    assert [(d.line, d.col, d.severity) for d in found] == [(2, 2, "error")]
    assert "expected instruction opcode" in found[0].message
    assert await diagnostics.check_ir(toolchain, "define void @f() {\n  ret void\n}\n") == []


async def test_asm_diagnostics_report_every_error(toolchain) -> None:
    bad = "  movq %rax, %rbx\n  foo %eax\n  bar\n"
    found = await diagnostics.check_asm(toolchain, bad, "x86_64-unknown-linux-gnu")
    assert [(d.line, d.col) for d in found] == [(1, 2), (2, 2)]
    assert "invalid instruction mnemonic 'foo'" in found[0].message


async def test_registry_and_pipeline_validation(toolchain) -> None:
    registry = await passes.load_registry(toolchain)
    assert {"instcombine", "sroa", "licm", "inline", "globalopt"} <= registry.names
    ok = await passes.check_pipeline(
        toolchain, registry, "function(sroa<preserve-cfg>,instcombine),cgscc(inline)"
    )
    assert ok.ok, ok.message
    assert (await passes.check_pipeline(toolchain, registry, "default<Oz>")).ok
    bad = await passes.check_pipeline(toolchain, registry, "function(instcombin,sroa),globalopts")
    assert not bad.ok
    names = {u.name: u.suggestions for u in bad.unknown}
    assert set(names) == {"instcombin", "globalopts"}
    assert "instcombine" in names["instcombin"]
    assert "globalopt" in names["globalopts"]
    assert "did you mean instcombine" in bad.message


async def test_ir_from_a_newer_llvm_says_so(toolchain) -> None:
    newer = (
        "define void @f(ptr captures(none) %p) {\n  ret void\n}\n"
        f'!llvm.ident = !{{!0}}\n!0 = !{{!"clang version {toolchain.major + 2}.1.0"}}\n'
    )
    found = await diagnostics.check_ir(toolchain, newer)
    assert len(found) == 1
    assert f"written by LLVM {toolchain.major + 2}" in found[0].message
    assert "upgrade it or set llvm.binDir" in found[0].message

"""Measuring candidates with the real opt and llc: the size definition and the caches."""

from __future__ import annotations

import pytest

from lsp_server.llvm import llc, size
from lsp_server.llvm.elf import berkeley_size
from lsp_server.search.measure import Measurer
from tests.support.data import CORPUS

TRIPLE = "x86_64-unknown-linux-gnu"
SAMPLE = ["dev-brotli-0001", "dev-lz4-0080", "dev-libsodium-0061", "dev-brotli-0121"]


@pytest.fixture
def entries(manifest):
    wanted = {e["id"]: e for e in manifest}
    return [wanted[i] for i in SAMPLE]


@pytest.mark.parametrize("triple", [TRIPLE, "aarch64-unknown-linux-gnu", "i686-unknown-linux-gnu"])
async def test_reading_the_elf_agrees_with_llvm_size(toolchain, entries, triple) -> None:
    for entry in entries:
        ir = (CORPUS / entry["ozfe"]["ir"]).read_text()
        obj = await llc.compile_object(toolchain, ir, triple=triple)
        assert berkeley_size(obj) == (await size.object_size(toolchain, obj)).binary_size


def test_what_is_not_an_elf_object_has_no_size() -> None:
    assert berkeley_size(b"") is None
    assert berkeley_size(b"\x7fELF" + b"\x00" * 10) is None
    assert berkeley_size(b"\xcf\xfa\xed\xfe" + b"\x00" * 100) is None
    assert berkeley_size(b"\x7fELF\x02\x01" + b"\xff" * 100) is None


async def test_sizes_match_the_corpus_and_repeats_cost_nothing(toolchain, entries) -> None:
    entry = entries[1]
    ir = (CORPUS / entry["ozfe"]["ir"]).read_text()
    measurer = Measurer(toolchain, ir, TRIPLE, concurrency=2, timeout=20)
    oz = await measurer.measure("default<Oz>")
    assert oz.size == entry["ozfe"]["size_Oz"]
    again = await measurer.measure("default<Oz>")
    assert again == oz
    assert measurer.stats.opt_runs == 1 and measurer.stats.pipeline_cache_hits == 1


async def test_pipelines_giving_the_same_module_are_compiled_once(toolchain, entries) -> None:
    ir = (CORPUS / entries[0]["ozfe"]["ir"]).read_text()
    measurer = Measurer(toolchain, ir, TRIPLE, concurrency=2, timeout=20)
    first = await measurer.measure("function(sroa)")
    second = await measurer.measure("function(sroa,sroa)")
    assert first.size == second.size and first.ir_hash == second.ir_hash
    assert measurer.stats.opt_runs == 2
    assert measurer.stats.llc_runs == 1 and measurer.stats.ir_cache_hits == 1


async def test_a_pipeline_opt_rejects_is_a_failed_measurement(toolchain, entries) -> None:
    ir = (CORPUS / entries[0]["ozfe"]["ir"]).read_text()
    measurer = Measurer(toolchain, ir, TRIPLE, concurrency=1, timeout=20)
    found = await measurer.measure("function(no-such-pass)")
    assert found.size is None and not found.ok
    assert "opt" in (found.error or "") and "no-such-pass" in (found.error or "")
    assert measurer.stats.failures == 1

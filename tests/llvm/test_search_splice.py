"""Splicing optimised functions back into real translation units gives valid IR."""

from __future__ import annotations

import pytest

from lsp_server.llvm import extract, opt
from lsp_server.search.splice import apply_splice, splice_function
from lsp_server.syntax.ir import parse_module
from tests.support.data import CORPUS

PIPELINES = [
    "default<Oz>",
    # Passes that add attributes, intrinsics (memset from loop-idiom) and new functions.
    "function(sroa<modify-cfg>,instcombine<no-verify-fixpoint>),function-attrs,"
    "function(loop(loop-idiom)),iroutliner,globalopt",
]


@pytest.mark.parametrize("module", ["ir_ozfe/dev-brotli-0121.ll", "ir/dev-libsodium-0124.ll"])
async def test_every_spliced_function_leaves_a_module_the_verifier_accepts(
    toolchain, module
) -> None:
    document = (CORPUS / module).read_text()
    names = [f.name for f in parse_module(document).functions if f.is_definition][:4]
    assert names
    for name in names:
        alone = await extract.extract_function(toolchain, document, name)
        for pipeline in PIPELINES:
            optimised = await opt.run_pipeline(toolchain, alone, pipeline)
            edited = apply_splice(document, splice_function(document, optimised, name))
            assert await opt.verify(toolchain, edited) is None, (name, pipeline)
            assert edited != document

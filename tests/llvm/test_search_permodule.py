"""Whole modules searched function by function, with the real LLVM."""

from __future__ import annotations

import pytest

from lsp_server.config import Settings
from lsp_server.llvm import opt, size
from lsp_server.search.engine import Options
from lsp_server.search.permodule import independent, search_functions
from lsp_server.services import Services
from tests.support.data import CORPUS

pytestmark = pytest.mark.llvm


async def test_independent_functions_are_searched_one_by_one_and_spliced(toolchain) -> None:
    path = CORPUS / "ir_ozfe" / "dev-libsodium-0125.ll"
    if not path.is_file():
        pytest.skip("dev-libsodium-0125 is not in this corpus")
    text = path.read_text()
    names, why = independent(text)
    assert why is None and len(names) >= 2
    services = Services(settings=Settings(), toolchain=toolchain)
    options = Options(
        budget_seconds=60.0, max_compilations=12, samples=0, temperature=0.0, concurrency=2
    )
    found, reason = await search_functions(text, services, options)
    oz = await size.size_after(toolchain, text, "default<Oz>")
    if found is None:
        # Allowed, but then it must say why, and never claim anything.
        assert reason
        return
    assert found.oz_size == oz and found.size < oz
    assert await opt.verify(toolchain, found.document) is None
    assert await size.binary_size(toolchain, found.document) == found.size
    assert set(found.pipelines) <= set(names)


def test_functions_that_call_each_other_stay_one_module() -> None:
    text = (
        "define internal i32 @g(i32 %x) {\n  ret i32 %x\n}\n\n"
        "define i32 @f(i32 %x) {\n  %r = call i32 @g(i32 %x)\n  ret i32 %r\n}\n"
    )
    names, why = independent(text)
    assert names == ["g", "f"]
    assert why is not None and "@f refers to @g" in why
    alone = "define i32 @f(i32 %x) {\n  %r = call i32 @f(i32 %x)\n  ret i32 %r\n}\n"
    assert independent(alone)[1] == "the module defines fewer than two functions"
    two = alone + "\ndefine i32 @fg(i32 %x) {\n  ret i32 %x\n}\n"
    assert independent(two) == (["f", "fg"], None)

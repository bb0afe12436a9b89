"""A whole suggestion with the real LLVM: offers, checks, bad input and a FAKE model.

The model backends here are FAKE objects answering canned pass lists (no model runs).
Search budgets are a few dozen compilations, so each test takes a second or two.
"""

from __future__ import annotations

import pytest

from lsp_server.config import Settings
from lsp_server.llvm import extract, size
from lsp_server.model.client import BackendState, Completion, ModelError
from lsp_server.search.engine import Options, suggest
from lsp_server.search.select import Outcome
from lsp_server.search.verify import differential_check, has_runnable_main
from lsp_server.services import Services
from lsp_server.syntax.ir import parse_module
from tests.support.data import CORPUS, EXAMPLES
from tests.support.llvm import llvm_as_accepts

EXAMPLE = (EXAMPLES / "example.ll").read_text()
TRIPLE = "x86_64-unknown-linux-gnu"


def options(compilations: int = 30, **overrides) -> Options:
    values = {
        "budget_seconds": 60.0,
        "max_compilations": compilations,
        "samples": 2,
        "temperature": 0.7,
        "concurrency": 2,
    }
    values.update(overrides)
    return Options(**values)


class FakeBackend:
    """A FAKE model backend: the greedy and sampled answers are canned."""

    state = BackendState.READY
    model_name = "fake-llm-compiler-ftd"
    detail = "fake"

    def __init__(self, greedy: str = "", samples=(), error: str | None = None) -> None:
        self.greedy, self.samples, self.error = greedy, list(samples), error
        self.calls = 0

    async def complete(self, prompt, *, max_tokens, temperature=0.0, n=1, stop=None, seed=None):
        self.calls += 1
        if self.error:
            raise ModelError(self.error)
        texts = [self.greedy] if temperature == 0 else (self.samples * n)[:n]
        return Completion(tuple(texts), ("stop",) * len(texts), self.model_name, None, None)

    async def aclose(self) -> None:
        return None


@pytest.fixture
def services(toolchain) -> Services:
    return Services(settings=Settings(), toolchain=toolchain)


async def test_a_function_offer_is_smaller_than_oz_and_its_edit_is_valid_ir(
    toolchain, services
) -> None:
    result = await suggest(EXAMPLE, "crc32", services, options())
    assert result.error is None, result.notes
    offer = result.offer
    assert offer is not None and offer.improved and result.choice.outcome is Outcome.IMPROVED
    assert offer.size < offer.oz_size
    assert llvm_as_accepts(toolchain, offer.edit.document)
    # Measured independently: @crc32 from the edited document against -Oz of the original.
    alone = await extract.extract_function(toolchain, offer.edit.document, "crc32")
    original = await extract.extract_function(toolchain, EXAMPLE, "crc32")
    assert await size.binary_size(toolchain, alone) == offer.size
    assert await size.size_after(toolchain, original, "default<Oz>") == offer.oz_size
    assert offer.differential.startswith("passed")
    headline = result.headline()
    assert headline.startswith(
        f"Optimize @crc32 for size: `{offer.pipeline}`: {offer.oz_size} \u2192 "
    )
    assert headline.endswith(f"vs -Oz), verified with LLVM {toolchain.version_text}")
    # Only the function changed.
    before, after = function_texts(EXAMPLE), function_texts(offer.edit.document)
    assert before.pop("crc32") != after.pop("crc32")
    assert before == after


def function_texts(text: str) -> dict[str, str]:
    lines = text.split("\n")
    return {
        f.name: "\n".join(lines[f.span.start.line : f.span.end.line + 1])
        for f in parse_module(text).functions
        if f.is_definition
    }


async def test_when_nothing_beats_oz_it_says_so_and_offers_oz(toolchain, services) -> None:
    # A function -Oz leaves minimal: a search of a few compilations finds nothing better.
    ir = (CORPUS / "ir_ozfe" / "dev-libsodium-0055.ll").read_text()
    result = await suggest(ir, None, services, options(compilations=12))
    assert result.error is None
    assert result.choice.outcome is Outcome.OZ_BEST
    assert result.offer.pipeline == "default<Oz>" and not result.offer.improved
    assert result.headline().startswith(
        f"-Oz is best of {result.choice.verified_candidates} verified candidates for the module"
    )
    assert llvm_as_accepts(toolchain, result.offer.edit.document)


async def test_ir_without_a_triple_uses_the_setting_and_says_so(toolchain, services) -> None:
    text = "\n".join(line for line in EXAMPLE.splitlines() if not line.startswith("target triple"))
    result = await suggest(text, "crc32", services, options(compilations=10))
    assert result.triple == TRIPLE
    assert any("names no target triple" in note and TRIPLE in note for note in result.notes)
    assert result.offer is not None


@pytest.mark.parametrize(
    ("text", "function", "expected"),
    [
        ("define i32 @f( {\n", None, "does not compile with -Oz"),
        (EXAMPLE, "no_such_function", "could not be extracted"),
        ("", None, "defines no functions"),
        ("declare void @g()\n", None, "defines no functions"),
    ],
)
async def test_bad_input_is_a_clear_message_and_no_offer(
    services, text, function, expected
) -> None:
    result = await suggest(text, function, services, options(compilations=5))
    assert result.offer is None
    assert expected in (result.error or "")
    assert result.headline().startswith("No suggestion for")
    assert "verified" not in result.headline()


async def test_model_candidates_valid_partly_unknown_and_garbage(toolchain, services) -> None:
    services.backend = FakeBackend(
        "opt -p 'function(sroa,instcombine<no-verify-fixpoint>)'",
        ["'function(sroa,frobnicate,simplifycfg)'", "I would rather not say."],
    )
    result = await suggest(EXAMPLE, "crc32", services, options(compilations=25))
    assert result.model is not None and result.model.error is None
    statuses = [c.status.value for c in result.model.candidates]
    assert statuses == ["ok", "repaired", "rejected"]
    notes = "\n".join(result.notes)
    assert "unknown pass 'frobnicate'" in notes
    assert "the answer holds no pass list" in notes
    candidates = result.to_json()["model"]["candidates"]
    # Both usable lists were compiled and measured, whatever the search did meanwhile.
    assert [c["size"] is not None for c in candidates] == [True, True, False]
    assert candidates[1]["pipeline"] == "function(sroa,simplifycfg)"
    assert result.offer is not None and result.offer.size <= result.choice.oz_size


async def test_a_model_that_is_down_leaves_the_local_search(services) -> None:
    services.backend = FakeBackend(error="model server at http://127.0.0.1:9 cannot be reached")
    result = await suggest(EXAMPLE, "crc32", services, options(compilations=15))
    assert any("cannot be reached; using the local search alone" in n for n in result.notes)
    assert result.offer is not None


def test_runnable_main_detection() -> None:
    assert has_runnable_main(EXAMPLE)
    assert has_runnable_main("define i32 @main(i32 %argc, ptr %argv) {\n  ret i32 0\n}\n")
    assert not has_runnable_main("define i32 @main(i64 %n) {\n  ret i32 0\n}\n")
    assert not has_runnable_main("define i32 @crc32() {\n  ret i32 0\n}\n")


async def test_the_differential_check_catches_a_different_program(toolchain) -> None:
    same = await differential_check(toolchain, EXAMPLE, EXAMPLE, TRIPLE)
    assert same == "passed (same output, exit code 0)"
    broken = EXAMPLE.replace("icmp eq i32 %4, -873187034", "icmp eq i32 %4, 12345")
    assert (await differential_check(toolchain, EXAMPLE, broken, TRIPLE)).startswith(
        "failed: exit code 1 after the pipeline, 0 at -O0"
    )


async def test_model_answers_come_from_the_result_cache_the_second_time(services) -> None:
    from lsp_server.model.cache import ResultCache

    services.backend = FakeBackend("'function(sroa)'", ["'function(gvn)'"])
    services.cache = ResultCache.memory()
    first = await suggest(EXAMPLE, "crc32", services, options(compilations=8))
    assert services.backend.calls == 2  # greedy, then the samples
    second = await suggest(EXAMPLE, "crc32", services, options(compilations=8))
    assert services.backend.calls == 2
    assert [c.pipeline for c in second.model.candidates] == [
        c.pipeline for c in first.model.candidates
    ]

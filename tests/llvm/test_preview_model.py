"""The model's prediction in a preview, judged by the real opt.

The model here is a FAKE OpenAI-compatible server (tests/support/openai_fake.py) answering
with text this test builds: the exact opt output (must be an exact match), a wrong module
(must be reported as differing), garbage, errors and delays. The client is the real one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re

import pytest

from lsp_server.config import from_dict
from lsp_server.llvm import opt, size
from lsp_server.model.client import OpenAIClient
from lsp_server.preview.engine import HoverPreview, PreviewState, PreviewUpdate, hover_preview
from lsp_server.services import Services
from tests.support.data import EXAMPLES
from tests.support.openai_fake import FakeHTTPError, FakeOpenAIServer

EXAMPLE = (EXAMPLES / "example.ll").read_text()
LINES = EXAMPLE.splitlines()
RUN = next(i for i, line in enumerate(LINES) if "RUN:" in line)
SROA = (RUN, LINES[RUN].index("sroa") + 1)


def _answer(ir: str, count: int = 10, size_: int = 100) -> str:
    return f" The LLVM-IR will have instruction count {count} and binary sise {size_} bytes:\n\n<code>{ir}</code>"


@pytest.fixture
async def truth_of_sroa(toolchain) -> str:
    """What opt prints for the prompt's input (the module before sroa) after sroa."""
    before = await opt.run_pipeline(toolchain, EXAMPLE, "")
    return await opt.run_pipeline(toolchain, before, "sroa")


def _services(toolchain, fake: FakeOpenAIServer, budget_ms: int = 30000) -> Services:
    settings, problems = from_dict(
        {"model": {"url": fake.url}, "preview": {"timeBudgetMs": budget_ms}}
    )
    assert problems == []
    backend = OpenAIClient(fake.url, retries=0)
    return Services(settings=settings, toolchain=toolchain, backend=backend)


async def test_an_exact_answer_is_an_exact_match(toolchain, truth_of_sroa) -> None:
    with FakeOpenAIServer(lambda prompt, body: _answer(truth_of_sroa)) as fake:
        services = _services(toolchain, fake)
        state = PreviewState()
        found = await hover_preview(EXAMPLE, *SROA, services, state)
        assert found is not None
        assert "**Model** (`fake-llm-compiler`): **exact match** with opt 19." in found.markdown
        # The prompt is the emulation prompt with opt's count and the -O0 size of its input.
        prompt = fake.requests[0]["prompt"]
        before = await opt.run_pipeline(toolchain, EXAMPLE, "")
        count = await opt.instruction_count(toolchain, before)
        bin_size = await size.prompt_binary_size(toolchain, before)
        assert prompt.startswith(
            "[INST] Give the LLVM-IR for the following code when optimized using opt -p 'sroa':"
        )
        assert prompt.endswith(
            f"The input code has instruction count {count} and binary size {bin_size} bytes. [/INST]"
        )
        assert fake.requests[0]["temperature"] == 0.0
        prediction = found.data["prediction"]
        real_count = sum((await opt.instruction_counts(toolchain, truth_of_sroa)).values())
        assert prediction["optInstructions"] == real_count
        assert prediction["predictedInstructions"] == 10
        assert f"predicted instructions 10 (opt {real_count}, " in found.markdown
        # A repeat hover asks the model nothing.
        again = await hover_preview(EXAMPLE, *SROA, services, state)
        assert again is not None
        verdict = found.markdown.split("  \n_answered now by")[0]
        assert verdict != found.markdown and again.markdown.startswith(verdict)
        assert "_answer from this session's cache: given by `fake-llm-compiler` at " in (
            again.markdown
        )
        assert len(fake.requests) == 1
        await services.backend.aclose()


async def test_a_wrong_answer_is_reported_as_differing(toolchain, truth_of_sroa) -> None:
    wrong = truth_of_sroa.replace("icmp ult", "icmp ugt", 1)
    assert wrong != truth_of_sroa
    with FakeOpenAIServer(lambda prompt, body: _answer(wrong)) as fake:
        services = _services(toolchain, fake)
        found = await hover_preview(EXAMPLE, *SROA, services, PreviewState())
        assert found is not None
        line = next(i for i, t in enumerate(truth_of_sroa.splitlines()) if "icmp ult" in t)
        assert "**differs** from opt 19." in found.markdown
        assert "in 1 line; first at line" in found.markdown
        data = found.data["prediction"]
        assert data["status"] == "differs" and data["differingLines"] == 1
        # Line numbers count from the module's first line without its ModuleID comment.
        assert data["firstDifference"]["line"] == line
        assert "icmp ugt" in data["firstDifference"]["model"]
        await services.backend.aclose()


async def test_garbage_and_failures_are_one_line_and_the_truth_stays(toolchain) -> None:
    answers = iter(["I cannot help with that.", FakeHTTPError(500, "out of memory")])

    def respond(prompt: str, body: dict) -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with FakeOpenAIServer(respond) as fake:
        services = _services(toolchain, fake)
        garbage = await hover_preview(EXAMPLE, *SROA, services, PreviewState())
        assert garbage is not None
        assert "unusable answer: the answer holds no IR" in garbage.markdown
        assert "```diff" in garbage.markdown
        failed = await hover_preview(EXAMPLE, *SROA, services, PreviewState())
        assert failed is not None
        assert re.search(
            r"\*\*Model\*\* \(`fake-llm-compiler`\): unavailable \(.*out of memory", failed.markdown
        )
        assert "showing opt's result only" in failed.markdown
        assert "```diff" in failed.markdown
        await services.backend.aclose()


async def test_a_down_model_is_said_and_the_truth_stays(toolchain) -> None:
    with FakeOpenAIServer(lambda prompt, body: "") as fake:
        url = fake.url
    # The server is gone: nothing listens at its address any more.
    backend = OpenAIClient(url, retries=0)
    settings, _ = from_dict({"model": {"url": url}, "preview": {"timeBudgetMs": 30000}})
    services = Services(settings=settings, toolchain=toolchain, backend=backend)
    found = await hover_preview(EXAMPLE, *SROA, services, PreviewState())
    assert found is not None
    assert "unavailable (" in found.markdown and "refused" in found.markdown
    assert "```diff" in found.markdown
    await backend.aclose()


async def test_a_slow_prediction_arrives_later_and_the_next_hover_shows_it(
    toolchain, truth_of_sroa
) -> None:
    with FakeOpenAIServer(lambda prompt, body: _answer(truth_of_sroa)) as fake:
        fake.delay_seconds = 2.0  # far beyond the 50 ms budget
        services = _services(toolchain, fake, budget_ms=50)
        state = PreviewState()
        updates: asyncio.Queue[PreviewUpdate] = asyncio.Queue()
        first = await hover_preview(
            EXAMPLE, *SROA, services, state, document="doc", on_update=updates.put_nowait
        )
        assert first is not None
        assert "prediction still running" in first.markdown and "```diff" in first.markdown
        update = await updates.get()
        assert update.document == "doc" and update.pass_text == "sroa"
        assert update.function == "crc32"
        assert "**exact match**" in update.markdown
        assert update.data["prediction"]["status"] == "match"
        second: HoverPreview | None = await hover_preview(EXAMPLE, *SROA, services, state)
        assert second is not None and "**exact match**" in second.markdown
        assert len(fake.requests) == 1
        await services.backend.aclose()


async def test_define_line_asks_for_the_default_pipeline_on_the_function(toolchain) -> None:
    with FakeOpenAIServer(
        lambda prompt, body: _answer("define void @x() {\n  ret void\n}\n")
    ) as fake:
        services = _services(toolchain, fake)
        line = next(i for i, t in enumerate(LINES) if t.startswith("define") and "@clamp" in t)
        found = await hover_preview(EXAMPLE, line, 20, services, PreviewState())
        assert found is not None
        prompt = fake.requests[0]["prompt"]
        assert "opt -p 'default<Oz>'" in prompt
        assert "i32 @clamp(" in prompt and "@crc32(" not in prompt
        assert "**differs**" in found.markdown
        await services.backend.aclose()


async def test_a_cached_prediction_survives_a_restart(toolchain, truth_of_sroa) -> None:
    from lsp_server.model.cache import ResultCache

    cache = ResultCache.memory()
    with FakeOpenAIServer(lambda prompt, body: _answer(truth_of_sroa)) as fake:
        services = dataclasses.replace(_services(toolchain, fake), cache=cache)
        await hover_preview(EXAMPLE, *SROA, services, PreviewState())
        again = await hover_preview(EXAMPLE, *SROA, services, PreviewState())
        assert again is not None and "**exact match**" in again.markdown
        assert len(fake.requests) == 1
        await services.backend.aclose()

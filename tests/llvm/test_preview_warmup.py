"""The preview's warm-up after ``initialized`` (issue 13, defect 7): it reads the local opt's
options and passes, runs the tools once and starts the spares, so the first hover finds
them ready."""

from __future__ import annotations

from lsp_server.config import Settings
from lsp_server.llvm.warm import WarmTools
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.preview.warmup import warm_up
from lsp_server.services import Services
from tests.support.data import EXAMPLES


async def test_warm_up_leaves_what_the_first_hover_needs(toolchain) -> None:
    services = Services(settings=Settings(), toolchain=toolchain)
    state = PreviewState(warm=WarmTools())
    try:
        await warm_up(services, state)
        assert services._opt_options is not None and services._registry is not None
        assert len(state.memo) > 0
        assert state.flights == {}  # nothing of the warm-up's document stays in flight
        text = (EXAMPLES / "example.ll").read_text()
        line = next(i for i, t in enumerate(text.splitlines()) if "RUN:" in t)
        column = text.splitlines()[line].index("instcombine") + 1
        found = await hover_preview(text, line, column, services, state, document="file:///x.ll")
        assert found is not None and "```diff" in found.markdown
    finally:
        assert state.warm is not None
        await state.warm.close()


async def test_warm_up_without_llvm_does_nothing(tmp_path) -> None:
    from lsp_server.llvm.toolchain import Toolchain

    services = Services(settings=Settings(), toolchain=Toolchain())
    state = PreviewState()
    await warm_up(services, state)
    assert len(state.memo) == 0


async def test_warm_up_never_asks_the_model(toolchain) -> None:
    """A FAKE model server: the warm-up previews with LLVM only and sends it nothing."""
    from lsp_server.config import from_dict
    from lsp_server.model.client import OpenAIClient
    from tests.support.openai_fake import FakeOpenAIServer

    with FakeOpenAIServer(lambda prompt, body: "<code></code>") as fake:
        settings, problems = from_dict({"model": {"url": fake.url}})
        assert problems == []
        backend = OpenAIClient(fake.url, retries=0)
        services = Services(settings=settings, toolchain=toolchain, backend=backend)
        state = PreviewState(warm=WarmTools())
        try:
            await warm_up(services, state)
            assert len(state.memo) > 0  # it did preview
            assert state.predictions == {}
            assert fake.requests == []
        finally:
            await backend.aclose()
            assert state.warm is not None
            await state.warm.close()

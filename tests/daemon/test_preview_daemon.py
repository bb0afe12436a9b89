"""The preview through the real model path once: the irlens daemon serving a tiny RANDOM
model. Its answer is noise; the hover must say so in one line and still show opt's result.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server import config
from lsp_server.daemon.options import DaemonSettings
from lsp_server.daemon.tiny import TinyShape, build_tiny_checkpoint
from lsp_server.model.client import OpenAIClient
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.services import Services
from tests.support.daemon import RunningDaemon, start_daemon_thread
from tests.support.data import CORPUS

SHAPE = TinyShape(
    hidden_size=64,
    intermediate_size=176,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    vocab_size=512,
    max_position_embeddings=4096,
)

TEXT = """\
; RUN: opt -passes=instcombine -S %s
define i32 @f(i32 %x) {
  %y = add i32 %x, 0
  ret i32 %y
}
"""


@pytest.fixture(scope="module")
def tiny_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    texts = [p.read_text() for p in sorted((CORPUS / "ir").glob("*.ll"))[:20]]
    checkpoint = build_tiny_checkpoint(tmp_path_factory.mktemp("tiny"), shape=SHAPE, texts=texts)
    running = start_daemon_thread(
        DaemonSettings(
            model=str(checkpoint),
            served_model_name="tiny-random-llama",
            device="cpu",
            port=0,
            threads=1,
        )
    )
    yield running
    running.stop()


async def test_a_random_models_answer_is_reported_and_opt_is_shown(
    toolchain, tiny_daemon: RunningDaemon
) -> None:
    settings, problems = config.from_dict(
        {"model": {"url": tiny_daemon.url}, "preview": {"timeBudgetMs": 60000}}
    )
    assert problems == []
    backend = OpenAIClient(tiny_daemon.url)
    services = Services(settings=settings, toolchain=toolchain, backend=backend)
    line = TEXT.splitlines()[0]
    found = await hover_preview(TEXT, 0, line.index("instcombine") + 1, services, PreviewState())
    await backend.aclose()
    assert found is not None
    # opt's result: the add of zero is gone.
    assert "-  %y = add i32 %x, 0" in found.markdown
    prediction = found.data["prediction"]
    assert prediction["model"] == "tiny-random-llama"
    # Noise has no IR block, or one that is not what opt prints.
    assert prediction["status"] in ("unusable", "differs"), prediction
    assert "**exact match**" not in found.markdown

"""Lifting through the real model path once: the irlens daemon serving a tiny RANDOM model.

The model's weights are random, so its answer is noise; what this checks is the path a real
checkpoint takes (prompt, tokenizer, context check, completion, answer parsing) and that
noise is reported as such, never as a lifted module. The tiny checkpoint comes from the
daemon's own builder, the daemon from the shared test support (tests/support/daemon.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server import config
from lsp_server.daemon.options import DaemonSettings
from lsp_server.daemon.tiny import TinyShape, build_tiny_checkpoint
from lsp_server.lift.budget import TokenBudget
from lsp_server.lift.engine import LiftOptions, lift_assembly
from lsp_server.lift.normalize import normalize_asm
from lsp_server.model.client import OpenAIClient
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


@pytest.fixture(scope="module")
def tiny_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    texts = [p.read_text() for p in sorted((CORPUS / "asm").glob("*/*.s"))[:20]]
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


async def test_the_daemon_path_reports_a_random_models_answer_as_not_lifted(
    toolchain, tiny_daemon: RunningDaemon
) -> None:
    source = min((CORPUS / "asm" / "x86_64").glob("*.s"), key=lambda p: p.stat().st_size)
    text = source.read_text()
    # Room for a short answer only: a random model never stops by itself.
    prompt_tokens = TokenBudget().prompt_tokens(normalize_asm(text).text)
    budget = TokenBudget(context=prompt_tokens + 48, answer_ratio=0.0, min_answer=32)
    settings, _ = config.from_dict({"model": {"url": tiny_daemon.url}})
    backend = OpenAIClient(tiny_daemon.url)
    services = Services(settings=settings, toolchain=toolchain, backend=backend)
    result = await lift_assembly(text, services, LiftOptions(source=source.name, budget=budget))
    await backend.aclose()
    assert backend.model_name == "tiny-random-llama"
    if result.ok:
        # Noise that happened to hold a <code> block is kept only as a failed answer.
        assert all(fn.status == "failed" for fn in result.functions)
        assert result.module is None
    else:
        assert "not IR" in (result.error or ""), result.error

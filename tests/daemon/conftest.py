"""Daemon fixtures: a tiny random Llama checkpoint on disk and a daemon serving it.

The checkpoint is written with ``save_pretrained`` (random weights, a byte-level BPE
tokenizer trained here on corpus IR), and the daemon loads it with the same
``load_model`` and ``serve`` that ``irlens daemon --model facebook/llm-compiler-7b-ftd``
uses. No network, no hub. Every test below this folder gets the ``daemon`` tier marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.daemon.tiny import TinyShape, build_tiny_checkpoint
from tests.support.daemon import API_KEY, RunningDaemon, settings, start_daemon_thread
from tests.support.data import CORPUS
from tests.support.tiers import mark_tier

#: Small enough for a 2-core CI machine; the context is long enough for a generation
#: that outlives a disconnect, short enough to exceed with one request.
TEST_SHAPE = TinyShape(
    hidden_size=64,
    intermediate_size=176,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=4,
    vocab_size=512,
    max_position_embeddings=4096,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, __file__)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = [p.read_text() for p in sorted((CORPUS / "ir").glob("*.ll"))[:40]]
    return build_tiny_checkpoint(
        tmp_path_factory.mktemp("tiny-llama"), shape=TEST_SHAPE, texts=texts
    )


@pytest.fixture(scope="session")
def daemon(tiny_checkpoint: Path) -> Iterator[RunningDaemon]:
    running = start_daemon_thread(settings(tiny_checkpoint))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def keyed_daemon(tiny_checkpoint: Path) -> Iterator[RunningDaemon]:
    running = start_daemon_thread(settings(tiny_checkpoint, api_key=API_KEY))
    yield running
    running.stop()

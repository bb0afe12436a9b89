"""The daemon's checkpoint fingerprint: what lets a client tell two checkpoints served under
one name apart (its cache keys use it, see lsp_server.model.identity)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lsp_server.daemon.loader import checkpoint_fingerprint, load_model
from lsp_server.daemon.tiny import TinyShape, build_tiny_checkpoint
from tests.support.daemon import RunningDaemon

SHAPE = TinyShape(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=1,
    num_attention_heads=2,
    num_key_value_heads=2,
    vocab_size=300,
    max_position_embeddings=256,
)


@pytest.fixture(scope="module")
def two_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same architecture and config with different weights (like a fine-tune)."""
    first = build_tiny_checkpoint(tmp_path_factory.mktemp("seed0"), shape=SHAPE, seed=0)
    second = build_tiny_checkpoint(tmp_path_factory.mktemp("seed1"), shape=SHAPE, seed=1)
    return first, second


def test_fingerprint_tells_weights_apart_and_is_stable(two_checkpoints) -> None:
    first, second = two_checkpoints
    a = load_model(str(first), device="cpu", threads=1)
    again = load_model(str(first), device="cpu", threads=1)
    b = load_model(str(second), device="cpu", threads=1)
    assert a.fingerprint and len(a.fingerprint) == 32
    assert a.fingerprint == again.fingerprint
    assert a.fingerprint != b.fingerprint
    # The configs are the same but for their path: the weights make the difference.
    configs = [m.model.config.to_dict() for m in (a, b)]
    for config in configs:
        config.pop("_name_or_path")
    assert configs[0] == configs[1]
    assert checkpoint_fingerprint(a.model, str(first)) == a.fingerprint


async def test_models_reports_the_fingerprint(daemon: RunningDaemon) -> None:
    async with httpx.AsyncClient() as client:
        models = (await client.get(f"{daemon.url}/v1/models")).json()
    entry = models["data"][0]
    assert entry["id"] == daemon.name
    assert len(entry["fingerprint"]) == 32
    assert entry["root"]

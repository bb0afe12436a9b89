"""``irlens eval`` against the real daemon serving the tiny random model.

The tiny model's answers are noise, so these tests check the plumbing a real checkpoint
goes through (the client, the daemon's context checks, the harness's records and summary),
not the numbers: every item is measured or counted, and the numbers add up.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lsp_server import config
from lsp_server.eval.harness import EvalResult, run_eval
from lsp_server.eval.tasks.base import EvalOptions
from lsp_server.services import build_services
from tests.support.daemon import RunningDaemon
from tests.support.data import CORPUS

#: The tiny model's context (tests/daemon/conftest.py: TEST_SHAPE).
TINY_CONTEXT = 4096
#: The tiny model on a CI core writes a few dozen tokens a second; its noise never ends on
#: its own, so answers are capped.
ANSWER_TOKENS = 12


class _Quiet:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def _run(options: EvalOptions, daemon: RunningDaemon) -> EvalResult:
    settings, problems = config.from_dict({"model": {"url": daemon.url, "name": daemon.name}})
    assert problems == []
    services = build_services(settings, with_cache=False)

    async def go() -> EvalResult:
        try:
            return await run_eval(options, services, stream=_Quiet())
        finally:
            assert services.backend is not None
            await services.backend.aclose()

    return asyncio.run(go())


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]


def test_passes_against_the_daemon(daemon: RunningDaemon, tmp_path: Path) -> None:
    options = EvalOptions(
        task="passes",
        corpus=CORPUS,
        out=tmp_path,
        limit=2,
        budget=0.0,
        context_tokens=TINY_CONTEXT,
        max_tokens=ANSWER_TOKENS,
    )
    result = _run(options, daemon)
    records = _records(tmp_path)
    assert len(records) == 2 and result.ran == 2
    assert {r["status"] for r in records} <= {"ok", "too_long"}
    measured = [r for r in records if r["status"] == "ok"]
    for r in measured:
        assert r["modelBackupSize"] <= r["ozSize"]
        assert r["modelValid"] == (r["modelSize"] is not None)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"] == daemon.name
    assert summary["tooLong"] + len(measured) == 2
    if measured:
        metrics = summary["metrics"]
        assert metrics["modelLists"] == len(measured)
        assert metrics["methods"]["modelBackup"]["worse"] == 0


def test_emulate_against_the_daemon_fits_its_context(daemon: RunningDaemon, tmp_path: Path) -> None:
    options = EvalOptions(
        task="emulate",
        corpus=CORPUS,
        out=tmp_path,
        limit=2,
        pipelines=("instcombine",),
        context_tokens=TINY_CONTEXT,
        max_tokens=ANSWER_TOKENS,
    )
    _run(options, daemon)
    records = _records(tmp_path)
    assert len(records) == 2
    # Noise never fails an item: it is a wrong answer, or an input counted as too long.
    assert {r["status"] for r in records} <= {"ok", "too_long"}
    for r in records:
        if r["status"] == "ok":
            assert r["completionTokens"] is not None and r["promptTokens"] is not None
            assert r["promptTokens"] + r["completionTokens"] <= TINY_CONTEXT
            assert r["completionTokens"] <= ANSWER_TOKENS and not r["exact"]

"""``irlens eval`` end to end on the test corpus, with the real LLVM tools.

Two modes, as CI runs them: LLVM-only (the local search, a tiny budget) and a FAKE model
backend (tests/support/openai_fake.py: scripted answers, no model), whose answers are chosen
so that the numbers are known: a pass list opt rejects, one that is worse than -Oz, IR that
is exactly opt's, assembly lifted to the IR it came from.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lsp_server import config
from lsp_server.cli import main
from lsp_server.eval import plots
from lsp_server.eval.harness import EvalError, EvalResult, run_eval
from lsp_server.eval.inputs import InputOptions, load_units
from lsp_server.eval.tasks.base import EvalOptions
from lsp_server.lift.normalize import normalize_asm
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.services import build_services
from tests.support.data import CORPUS, EXAMPLES
from tests.support.openai_fake import FakeOpenAIServer


def _run(options: EvalOptions, model_url: str = "") -> EvalResult:
    settings, problems = config.from_dict({"model": {"url": model_url}} if model_url else {})
    assert problems == []
    services = build_services(settings, with_cache=False)

    async def go() -> EvalResult:
        try:
            return await run_eval(options, services, stream=_Sink())
        finally:
            if services.backend is not None:
                await services.backend.aclose()

    return asyncio.run(go())


class _Sink:
    """stderr for the progress bar, kept so a test can read it."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        return None


def _lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]


def _summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text())


def _first_functions(n: int) -> list[str]:
    entries = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]
    entries = sorted((e for e in entries if e["kind"] == "function"), key=lambda e: e["id"])
    return [e["function"] for e in entries[:n]]


def _code(prompt: str) -> str:
    return prompt.split("<code>", 1)[1].rsplit("</code>", 1)[0]


# --- LLVM-only ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llvm_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalOptions, EvalResult]:
    out = tmp_path_factory.mktemp("eval-passes")
    options = EvalOptions(
        task="passes", corpus=CORPUS, out=out, limit=3, jobs=3, budget=1.0, max_compilations=12
    )
    return options, _run(options)


def test_llvm_only_passes_writes_every_file(llvm_only: tuple[EvalOptions, EvalResult]) -> None:
    options, result = llvm_only
    names = {p.name for p in result.files}
    assert {"summary.json", "report.md", "size-change.png"} <= names
    assert all(p.is_file() and p.stat().st_size > 0 for p in result.files)
    assert result.ran == 3 and result.skipped == 0
    report = (options.out / "report.md").read_text()
    assert "LLVM only (no model)" in report
    assert "local search, 1 s a function" in report
    assert "pass list" not in report.split("\n\n")[2]  # no model row in the table


def test_llvm_only_numbers_are_consistent(llvm_only: tuple[EvalOptions, EvalResult]) -> None:
    options, _ = llvm_only
    records = _lines(options.out)
    assert [r["status"] for r in records] == ["ok"] * 3
    for r in records:
        assert r["searchBackupSize"] <= r["ozSize"]
        assert r["searchAloneSize"] == (
            r["searchSize"] if r["searchSize"] is not None else r["ozSize"]
        )
        assert "modelSize" not in r
        # The search's checked offer measures -Oz by the same definition as the eval.
        assert r["searchOzSize"] == r["ozSize"]
    metrics = _summary(options.out)["metrics"]
    search = metrics["methods"]["search"]
    assert metrics["ozSize"] == sum(r["ozSize"] for r in records)
    assert search["size"] == sum(r["searchAloneSize"] for r in records)
    assert metrics["methods"]["searchBackup"]["size"] == sum(r["searchBackupSize"] for r in records)
    assert search["improved"] == sum(r["searchAloneSize"] < r["ozSize"] for r in records)
    assert search["improved"] + search["same"] + search["worse"] == 3
    assert metrics["searchCompilations"] == sum(r["searchCompilations"] for r in records)
    assert "modelAlone" not in metrics["methods"]


def test_resume_does_not_redo_items(llvm_only: tuple[EvalOptions, EvalResult]) -> None:
    options, _ = llvm_only
    before = (options.out / "items.jsonl").read_text()
    again = _run(options)
    assert (again.ran, again.skipped) == (0, 3)
    assert (options.out / "items.jsonl").read_text() == before
    more = _run(replace(options, limit=4))
    assert (more.ran, more.skipped) == (1, 3)
    records = _lines(options.out)
    assert len(records) == 4 and records[:3] == [json.loads(x) for x in before.splitlines()]
    assert _summary(options.out)["metrics"]["functions"] == 4


def test_other_settings_in_the_same_directory_are_refused(
    llvm_only: tuple[EvalOptions, EvalResult],
) -> None:
    options, _ = llvm_only
    with pytest.raises(EvalError, match="budget"):
        _run(replace(options, budget=5.0))


def test_tasks_that_need_a_model_say_so(tmp_path: Path) -> None:
    for task in ("emulate", "lift"):
        with pytest.raises(EvalError, match="needs a model: pass --model-url"):
            _run(EvalOptions(task=task, corpus=CORPUS, out=tmp_path / task))


# --- a fake model ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def opt_path() -> str:
    from lsp_server.llvm.toolchain import discover

    return discover().path("opt")


def _pass_lists(names: list[str]) -> Any:
    rejected, worse, repaired = names[0], names[1], names[2]

    def respond(prompt: str, body: dict[str, Any]) -> str:
        assert body["temperature"] == 0.0, "the paper decodes greedily"
        if f"@{rejected}(" in prompt:
            return " Sorry, I cannot help with that."
        if f"@{worse}(" in prompt:
            return " opt -p 'mem2reg' And the LLVM-IR will have instruction count 1"
        if f"@{repaired}(" in prompt:
            return " opt -p 'no-such-pass,instcombine<no-verify-fixpoint>'"
        return " opt -p 'module(default<Oz>),function(instcombine<no-verify-fixpoint>)'"

    return respond


def test_fake_model_pass_lists_alone_and_with_oz_backup(tmp_path: Path) -> None:
    names = _first_functions(3)
    with FakeOpenAIServer(_pass_lists(names)) as fake:
        options = EvalOptions(task="passes", corpus=CORPUS, out=tmp_path, limit=3, budget=0.0)
        _run(options, fake.url)
    by_function = {r["function"]: r for r in _lines(tmp_path)}
    rejected, worse, repaired = (by_function[n] for n in names)
    assert not rejected["modelValid"] and rejected["modelStatus"] == "rejected"
    assert rejected["modelAloneSize"] == rejected["ozSize"]
    assert worse["modelValid"] and worse["modelPipeline"] == "mem2reg"
    assert worse["modelSize"] > worse["ozSize"], "mem2reg alone should lose to -Oz"
    assert worse["modelBackupSize"] == worse["ozSize"]
    # As in the suggest feature, an unknown pass is dropped and the rest measured.
    assert repaired["modelStatus"] == "repaired" and repaired["modelValid"]
    assert "no-such-pass" not in repaired["modelPipeline"]
    for r in by_function.values():
        assert r["modelBackupSize"] <= r["ozSize"]
        assert r["modelBackupSize"] == min(r["modelAloneSize"], r["ozSize"])
        assert "searchSize" not in r
    metrics = _summary(tmp_path)["metrics"]
    assert metrics["invalidLists"] == 1 and metrics["modelLists"] == 3
    assert metrics["repairedLists"] == 1
    alone = metrics["methods"]["modelAlone"]
    assert alone["size"] == sum(r["modelAloneSize"] for r in by_function.values())
    assert alone["worse"] >= 1
    assert metrics["methods"]["modelBackup"]["worse"] == 0
    report = (tmp_path / "report.md").read_text()
    assert "LLM Compiler pass list (`fake-llm-compiler`)" in report
    assert "1 (33.3%)" in report


def _emulator(opt: str) -> Any:
    def respond(prompt: str, body: dict[str, Any]) -> str:
        passes = re.search(r"opt -p '([^']*)'", prompt)
        assert passes is not None
        ir = _code(prompt)
        if passes[1] == "instcombine":
            ir = subprocess.run(
                [opt, "-S", "-passes=instcombine", "-o", "-"],
                input=ir,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        # Otherwise the unchanged input: wrong for any pass that changes the function.
        return f" The LLVM-IR will have instruction count 7 and binary sise 90 bytes:\n\n<code>{ir}</code>"

    return respond


def test_fake_model_emulation_exact_matches_and_errors(tmp_path: Path, opt_path: str) -> None:
    with FakeOpenAIServer(_emulator(opt_path)) as fake:
        options = EvalOptions(
            task="emulate",
            corpus=CORPUS,
            out=tmp_path,
            limit=2,
            pipelines=("instcombine", "sroa"),
        )
        result = _run(options, fake.url)
    records = _lines(tmp_path)
    assert len(records) == 4 and result.ran == 4
    for r in records:
        assert r["status"] == "ok" and r["valid"]
        assert r["instsError"] == 7 - r["trueInsts"]
        assert r["sizeError"] == 90 - r["trueSize"]
        assert r["exact"] == (r["pipeline"] == "instcombine")
        assert r["bleu"] == 1.0 if r["exact"] else r["bleu"] < 1.0
    metrics = _summary(tmp_path)["metrics"]
    assert metrics["pipelines"]["instcombine"]["exactShare"] == 1.0
    assert metrics["pipelines"]["sroa"]["exactShare"] == 0.0
    assert metrics["all"]["exact"] == 2 and metrics["all"]["items"] == 4
    report = (tmp_path / "report.md").read_text()
    assert report.index("`instcombine`") < report.index("`sroa`") < report.index("all pipelines")


def test_inputs_too_long_for_the_context_are_counted_not_dropped(
    tmp_path: Path, opt_path: str
) -> None:
    with FakeOpenAIServer(_emulator(opt_path)) as fake:
        options = EvalOptions(
            task="emulate",
            corpus=CORPUS,
            out=tmp_path,
            limit=2,
            pipelines=("instcombine",),
            context_tokens=200,
        )
        _run(options, fake.url)
        assert fake.requests == [], "a prompt that cannot fit is not sent"
    records = _lines(tmp_path)
    assert [r["status"] for r in records] == ["too_long", "too_long"]
    summary = _summary(tmp_path)
    assert summary["tooLong"] == 2 and summary["metrics"]["all"]["items"] == 0
    assert "2 too long for the model's 200-token context" in (tmp_path / "report.md").read_text()


def _lifter(with_ir: dict[str, str], garbage_for: str) -> Any:
    def respond(prompt: str, body: dict[str, Any]) -> str:
        asm = _code(prompt)
        if f"{garbage_for}:" in asm:
            return "<code>this is not IR</code>"
        return "<code>" + with_ir[asm] + "</code>"

    return respond


def test_fake_model_lift_round_trips(tmp_path: Path) -> None:
    files = sorted((CORPUS / "asm" / "x86_64").glob("*.s"))[:3]
    with_ir = {normalize_asm(s.read_text()).text: s.with_suffix(".ll").read_text() for s in files}
    entries = {
        json.loads(line)["id"]: json.loads(line)
        for line in (CORPUS / "manifest.jsonl").read_text().splitlines()
    }
    garbage_for = entries[files[2].stem]["function"]
    with FakeOpenAIServer(_lifter(with_ir, garbage_for)) as fake:
        options = EvalOptions(
            task="lift",
            corpus=CORPUS,
            out=tmp_path,
            limit=3,
            inputs=InputOptions(arch="x86_64"),
        )
        _run(options, fake.url)
    records = _lines(tmp_path)
    assert [r["status"] for r in records] == ["ok"] * 3
    metrics = _summary(tmp_path)["metrics"]
    assert metrics["functions"] == 3
    assert metrics["roundTrips"] == 2 and metrics["exact"] == 2
    assert metrics["bleu"] == 1.0 and metrics["bleuAll"] == pytest.approx(2 / 3, abs=1e-6)
    failed = next(r for r in records if r["exact"] == 0)
    assert (
        failed["perFunction"][0]["status"] == "failed" and failed["perFunction"][0]["bleu"] == 0.0
    )
    assert (tmp_path / "bleu.png").is_file()


# --- inputs and the command line ------------------------------------------------------------


async def test_c_files_are_compiled_in_the_training_form_and_split(toolchain: Toolchain) -> None:
    from lsp_server.eval.inputs import Source

    source = Source("example", EXAMPLES / "example.c")
    units, problems = await load_units(toolchain, [source], "ir")
    assert problems == []
    assert {u.function for u in units} >= {"crc32", "scale_samples", "main"}
    for unit in units:
        assert unit.id == f"example@{unit.function}"
        assert "minsize" in unit.text and "optsize" in unit.text
        assert unit.text.count("define ") == 1


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def missing() -> Any:
        raise plots.PlotsUnavailable("plots skipped: matplotlib is not installed")

    monkeypatch.setattr(plots, "_pyplot", missing)
    yield


def test_the_command_without_matplotlib_writes_everything_but_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_matplotlib: None
) -> None:
    argv = ["eval", "passes", str(CORPUS), "--limit", "1", "--out", str(tmp_path)]
    assert main([*argv, "--budget", "0.5", "--max-compilations", "3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["task"] == "passes" and summary["records"] == 1
    assert summary["plots"].startswith("plots skipped: matplotlib is not installed")
    assert not list(tmp_path.glob("*.png"))


def test_the_command_explains_a_missing_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "lift", str(CORPUS), "--out", str(tmp_path)]) == 2
    assert "needs a model" in capsys.readouterr().err
    assert main(["eval", "passes", str(CORPUS), "--budget", "0", "--out", str(tmp_path)]) == 2
    assert "nothing to compare" in capsys.readouterr().err


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    names = _first_functions(3)
    options = EvalOptions(task="passes", corpus=CORPUS, out=tmp_path, limit=3, jobs=1, budget=0.0)

    class CancelAfterFirst(_Sink):
        """The progress bar's stream: cancels the run once the first item is written."""

        task: asyncio.Task[EvalResult] | None = None

        def write(self, text: str) -> int:
            if " 1/3 " in text and self.task is not None:
                self.task.cancel()
            return super().write(text)

    with FakeOpenAIServer(_pass_lists(names)) as fake:
        settings, _ = config.from_dict({"model": {"url": fake.url}})

        async def interrupted() -> None:
            services = build_services(settings, with_cache=False)
            stream = CancelAfterFirst()
            stream.task = asyncio.ensure_future(run_eval(options, services, stream=stream))
            with pytest.raises(asyncio.CancelledError):
                await stream.task
            assert services.backend is not None
            await services.backend.aclose()

        asyncio.run(interrupted())
        assert [r["function"] for r in _lines(tmp_path)] == names[:1]
        resumed = _run(options, fake.url)
    assert (resumed.ran, resumed.skipped) == (2, 1)
    keys = [r["key"] for r in _lines(tmp_path)]
    assert len(keys) == 3 == len(set(keys))
    assert _summary(tmp_path)["records"] == 3


def test_assembly_too_long_for_the_context_is_counted(tmp_path: Path) -> None:
    with FakeOpenAIServer(lambda prompt, body: "<code></code>") as fake:
        options = EvalOptions(
            task="lift",
            corpus=CORPUS,
            out=tmp_path,
            limit=2,
            context_tokens=300,
            inputs=InputOptions(arch="x86_64"),
        )
        _run(options, fake.url)
        assert fake.requests == [], "a piece that cannot fit is not sent"
    assert [r["status"] for r in _lines(tmp_path)] == ["too_long", "too_long"]
    summary = _summary(tmp_path)
    assert summary["tooLong"] == 2
    assert summary["metrics"]["functions"] == 0 and summary["metrics"]["tooLongFunctions"] == 2

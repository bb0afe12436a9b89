"""``irlens lift`` from the command line, with a FAKE model server and the real LLVM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lsp_server.lift.normalize import normalize_asm
from tests.support.data import CORPUS
from tests.support.openai_fake import FakeOpenAIServer

SOURCE = sorted((CORPUS / "asm" / "aarch64").glob("*.s"))[3]


def irlens(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A private cache directory: the CLI caches model answers on disk.
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        timeout=120,
    )


def answer(prompt: str, body: dict) -> str:
    asm = prompt.split("<code>", 1)[1].rsplit("</code>", 1)[0]
    assert asm == normalize_asm(SOURCE.read_text()).text
    return "<code>" + SOURCE.with_suffix(".ll").read_text() + "</code>"


def test_lift_writes_the_lifted_file_beside_the_input(tmp_path: Path) -> None:
    source = tmp_path / "f.s"
    source.write_text(SOURCE.read_text())
    with FakeOpenAIServer(answer, model="fake-ftd") as fake:
        run = irlens("lift", str(source), "--model-url", fake.url, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert "1 exact, 0 similar, 0 failed" in run.stdout
        written = (tmp_path / "f.lifted.ll").read_text()
        assert written.startswith("; Lifted to LLVM IR by irlens from f.s.")
        assert "aarch64-unknown-linux-gnu" in written
        # A second run never replaces the first file.
        again = irlens("lift", str(source), "--model-url", fake.url, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["output"] == str(tmp_path / "f.lifted.2.ll")
    assert report["functions"][0]["status"] == "exact"
    assert report["pieces"][0]["cached"] is True, "the second run reuses the cached answer"
    assert (tmp_path / "f.lifted.ll").read_text() == written


def test_lift_without_a_model_says_how_to_get_one(tmp_path: Path) -> None:
    run = irlens("lift", str(SOURCE), "-o", str(tmp_path / "out.ll"), cwd=tmp_path)
    assert run.returncode == 2
    assert "needs an LLM Compiler -ftd model" in run.stderr
    assert "irlens daemon --model" in run.stderr
    assert not (tmp_path / "out.ll").exists()


def test_lift_of_a_failed_round_trip_exits_1_and_prints_to_stdout(tmp_path: Path) -> None:
    broken = "<code>define void @f( {\n</code>"
    with FakeOpenAIServer(lambda prompt, body: broken) as fake:
        run = irlens("lift", str(SOURCE), "--model-url", fake.url, "-o", "-", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout.startswith("; Lifted to LLVM IR by irlens")
    assert "failed: the IR does not parse" in run.stdout


def test_lift_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    source = tmp_path / "a.s"
    source.write_text(SOURCE.read_text())
    alias = tmp_path / "alias.s"
    os.link(source, alias)
    with FakeOpenAIServer(answer, model="fake-ftd") as fake:
        for output in (source, alias, tmp_path / "." / "a.s"):
            run = irlens(
                "lift", str(source), "-o", str(output), "--model-url", fake.url, cwd=tmp_path
            )
            assert run.returncode == 2, run.stdout
            assert "is the input file" in run.stderr
    assert source.read_text() == SOURCE.read_text()


def test_lift_never_follows_a_symlink_at_its_output(tmp_path: Path) -> None:
    source = tmp_path / "b.s"
    source.write_text(SOURCE.read_text())
    victim = tmp_path / "victim.txt"
    (tmp_path / "b.lifted.ll").symlink_to(victim)  # dangling: the default name
    (tmp_path / "out.ll").symlink_to(source)
    with FakeOpenAIServer(answer, model="fake-ftd") as fake:
        run = irlens("lift", str(source), "--model-url", fake.url, "--json", cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["output"] == str(tmp_path / "b.lifted.2.ll")
        refused = irlens(
            "lift",
            str(source),
            "-o",
            str(tmp_path / "out.ll"),
            "--model-url",
            fake.url,
            cwd=tmp_path,
        )
    assert refused.returncode == 2
    assert "symbolic link" in refused.stderr
    assert not victim.exists()
    assert source.read_text() == SOURCE.read_text()
    assert not list(tmp_path.glob(".irlens-*")), "no temporary file is left behind"

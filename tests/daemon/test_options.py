"""The command line: every option documented, and describing it loads nothing heavy."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_server.daemon import options


def test_the_options_module_imports_no_heavy_library() -> None:
    code = (
        "import sys, argparse; from lsp_server.daemon import options; "
        "options.add_arguments(argparse.ArgumentParser()); "
        "print(','.join(m for m in ('torch', 'transformers', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_documents_every_option_and_the_gated_model_token() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lsp_server.daemon", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for flag in (
        "--model",
        "--revision",
        "--dtype",
        "--device",
        "--host",
        "--port",
        "--api-key",
        "--max-batch-size",
        "--batch-window-ms",
        "--max-queue",
        "--served-model-name",
        "--compile",
        "--threads",
        "--no-compile",
        "--prompt-lookup",
        "--draft-tokens",
        "--max-prefill-tokens",
    ):
        assert flag in out.stdout
    assert "HF_TOKEN" in out.stdout
    assert "huggingface-cli login" in out.stdout
    assert "IRLENS_API_KEY" in out.stdout


def test_defaults_bind_loopback_on_8787() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    args = parser.parse_args(["--model", "m"])
    assert (args.host, args.port, args.compile, args.prompt_lookup) == (
        "127.0.0.1",
        8787,
        False,
        False,
    )


@pytest.mark.parametrize(
    "bad", [["--max-batch-size", "0"], ["--batch-window-ms", "-1"], ["--dtype", "int8"]]
)
def test_bad_option_values_are_rejected(bad: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--model", "m", *bad])


def test_a_checkpoint_that_cannot_load_is_a_clear_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    args = parser.parse_args(["--model", str(tmp_path), "--device", "cpu", "--port", "0"])
    with caplog.at_level(logging.ERROR):
        assert options.run(args) == 1
    assert "the daemon stopped" in caplog.text
    assert str(tmp_path) in caplog.text

"""Cached model answers belong to the server and checkpoint that gave them, through a real
LSP client: two FAKE servers serve the same model id with different answers, one after the
other behind the same URL, in one session and across restarts of the language server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.support.data import EXAMPLES
from tests.support.lsp_session import initialize_params, open_document
from tests.support.openai_fake import FakeOpenAIServer

EXAMPLE = (EXAMPLES / "example.ll").read_text()
LINES = EXAMPLE.splitlines()
RUN = next(i for i, line in enumerate(LINES) if "RUN:" in line)
SROA = types.Position(line=RUN, character=LINES[RUN].index("sroa") + 1)
MODEL = "llm-compiler-7b-ftd"
# The language server with its on-disk cache (the other e2e tests run it with --no-cache).
SERVER = [sys.executable, "-m", "lsp_server", "serve"]


def _opt(ir: str, passes: str = "") -> str:
    argv = ["opt-19", "-S", "-o", "-"] + ([f"-passes={passes}"] if passes else [])
    return subprocess.run(argv, input=ir, capture_output=True, text=True, check=True).stdout


def _answer(ir: str) -> str:
    return (
        f"The LLVM-IR will have instruction count 1 and binary sise 1 bytes:\n\n<code>{ir}</code>"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fake(answer: str, fingerprint: str, port: int) -> FakeOpenAIServer:
    fake = FakeOpenAIServer(
        lambda prompt, body: answer,
        model=MODEL,
        model_fields={"fingerprint": fingerprint},
        port=port,
    )
    # Longer than the hover budget: a prediction that is asked arrives as an update.
    fake.delay_seconds = 1.0
    return fake


async def _session(cache: Path, url: str) -> LanguageClient:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    client = await ClientServerConfig(server_command=SERVER, server_env=env).start()
    options = {"model": {"url": url}, "preview": {"timeBudgetMs": 50}}
    await client.initialize_session(initialize_params("visual-studio-code", options))
    return client


async def _hover(client: LanguageClient, uri: str) -> str:
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=SROA)
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


async def _asked(client: LanguageClient, uri: str) -> tuple[str, object]:
    """Hover: the model is asked (no cached answer fits); the update brings its verdict."""
    update = client.wait_for_notification("irlens/previewUpdated")
    first = await _hover(client, uri)
    assert "prediction still running" in first, first
    assert "exact match" not in first and "**differs**" not in first
    params = await update
    return params.markdown, params.data.prediction


async def test_an_answer_is_shown_only_for_the_server_that_gave_it(tmp_path: Path) -> None:
    sroa = _opt(_opt(EXAMPLE), "sroa")
    wrong = sroa.replace("define dso_local i32 @main()", "define dso_local i32 @main() #9", 1)
    assert wrong != sroa
    port = _free_port()
    uri = "file:///tmp/irlens-test/identity.ll"

    # One session: server A (right), then server B (wrong) behind the same URL, same id.
    with _fake(_answer(sroa), "checkpoint-a", port) as a:
        url = a.url
        client = await _session(tmp_path, url)
        open_document(client, uri, EXAMPLE)
        markdown, prediction = await _asked(client, uri)
        assert "**exact match**" in markdown and "_answered now by" in markdown
        assert prediction.answeredBy.fingerprint == "checkpoint-a"
    with _fake(_answer(wrong), "checkpoint-b", port) as b:
        markdown, prediction = await _asked(client, uri)
        assert "**differs**" in markdown and "exact match" not in markdown
        assert prediction.answeredBy.fingerprint == "checkpoint-b"
        assert prediction.fromCache is False
        assert len(b.requests) == 1
        await client.shutdown_session()

    # Restarts: each server finds its own answer in the on-disk cache and is asked nothing.
    for answer, fingerprint, verdict in [
        (sroa, "checkpoint-a", "**exact match**"),
        (wrong, "checkpoint-b", "**differs**"),
    ]:
        with _fake(_answer(answer), fingerprint, port) as fake:
            client = await _session(tmp_path, url)
            open_document(client, uri, EXAMPLE)
            shown = await _hover(client, uri)
            await client.shutdown_session()
            assert verdict in shown, shown
            assert "_answer from the on-disk cache: given by `llm-compiler-7b-ftd`" in shown
            assert f"checkpoint {fingerprint[:12]}" in shown
            assert fake.requests == []

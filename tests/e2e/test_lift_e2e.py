"""Lift to IR through a real LSP client, with a FAKE model server (no model runs here).

The server runs as a subprocess and talks to a FakeOpenAIServer in this process that
answers with the IR each corpus assembly file was compiled from, or with broken IR. The
client answers ``workspace/applyEdit`` like an editor and records what it was asked to do.
"""

from __future__ import annotations

import ast
import asyncio
import threading

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_server.lift.normalize import normalize_asm
from lsp_server.syntax.asm import parse_asm
from tests.support.data import CORPUS
from tests.support.lsp_session import (
    CLIENTS,
    SERVER,
    initialize_params,
    next_diagnostics,
    open_document,
)
from tests.support.openai_fake import FakeOpenAIServer

SOURCE = sorted((CORPUS / "asm" / "x86_64").glob("*.s"))[0]
BROKEN = "<code>define i32 @nope(ptr %0 {\n</code>"


def corpus_answer(prompt: str, body: dict) -> str:
    table = {
        normalize_asm(path.read_text()).text: path.with_suffix(".ll").read_text()
        for path in (CORPUS / "asm").glob("*/*.s")
    }
    asm = prompt.split("<code>", 1)[1].rsplit("</code>", 1)[0]
    ir = table.get(asm)
    return f"<code>{ir}</code>" if ir else "no idea"


@pytest.fixture
def fake():
    with FakeOpenAIServer(corpus_answer, model="fake-llm-compiler-ftd") as server:
        yield server


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER))
async def model_client(request, lsp_client: LanguageClient, fake: FakeOpenAIServer):
    """A session whose model.url points at the fake; applied edits are recorded."""
    lsp_client.applied_edits = []

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        lsp_client.applied_edits.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    options = {"model": {"url": fake.url}}
    await lsp_client.initialize_session(initialize_params(request.param, options))
    yield
    await lsp_client.shutdown_session()


async def lift(client: LanguageClient, *arguments) -> dict:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="irlens.liftToIR", arguments=list(arguments))
    )


async def open_source(client: LanguageClient, tmp_path, text: str) -> str:
    path = tmp_path / "crc.s"
    path.write_text(text)
    uri = path.as_uri()
    open_document(client, uri, text, language_id="asm")
    assert await next_diagnostics(client, uri) == []
    return uri


async def test_lifting_creates_and_shows_a_new_document_and_never_overwrites(
    model_client, tmp_path
) -> None:
    client = model_client
    uri = await open_source(client, tmp_path, SOURCE.read_text())
    result = await lift(client, uri)
    target = tmp_path / "crc.lifted.ll"
    assert result["ok"] and result["uri"] == target.as_uri()
    assert [f["status"] for f in result["functions"]] == ["exact"]
    [edit] = client.applied_edits
    create, insert = edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri == target.as_uri()
    assert create.options.overwrite is False
    text = insert.edits[0].new_text
    assert text.startswith("; Lifted to LLVM IR by irlens from crc.s.")
    assert ": exact (llc -O2)" in text and "Model: fake-llm-compiler-ftd" in text
    assert SOURCE.with_suffix(".ll").read_text() in text
    assert client.shown_documents[-1].uri == target.as_uri()
    reports = [
        r for token, r in client.progress_reports.items() if str(token).startswith("irlens-lift")
    ]
    assert reports and isinstance(reports[-1][0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1][-1], types.WorkDoneProgressEnd)
    assert any("1 exact, 0 similar, 0 failed" in m.message for m in client.messages)

    # Once the editor has saved it, lifting again picks a new name.
    target.write_text("; mine\n")
    again = await lift(client, {"uri": uri})
    assert again["uri"] == (tmp_path / "crc.lifted.2.ll").as_uri()
    assert target.read_text() == "; mine\n"


async def test_a_function_that_does_not_round_trip_gets_a_diagnostic(
    model_client, fake, tmp_path
) -> None:
    client = model_client
    fake.responder = lambda prompt, body: BROKEN
    text = SOURCE.read_text()
    uri = await open_source(client, tmp_path, text)
    result = await lift(client, uri)
    assert result["ok"] and [f["status"] for f in result["functions"]] == ["failed"]
    found = client.diagnostics[uri]
    [diagnostic] = [d for d in found if d.source == "irlens lift"]
    label = result["functions"][0]["line"]
    assert text.splitlines()[label].startswith(result["functions"][0]["name"] + ":")
    assert diagnostic.range.start.line == label
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert "does not parse" in diagnostic.message
    document = client.applied_edits[-1].document_changes[1].edits[0].new_text
    assert "failed: the IR does not parse" in document


@pytest.mark.parametrize("model_client", ["visual-studio-code"], indirect=True)
async def test_the_code_action_offers_lifting_on_assembly(model_client, tmp_path) -> None:
    client = model_client
    text = SOURCE.read_text()
    uri = await open_source(client, tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines()) if row.startswith("\tretq"))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=0),
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    titles = [a.title for a in actions]
    assert any(
        t.startswith("Lift ") and t.endswith(" to LLVM IR") and "file" not in t for t in titles
    )
    assert "Lift this file to LLVM IR" in titles
    first = actions[0]
    if isinstance(first, types.CodeAction):
        command = first.command
        assert command is not None
        sent = {"command": command.command, "arguments": command.arguments}
    else:
        # lsprotocol's client-side hook structures any code action that carries a command
        # as a bare Command, turning the nested command object into its repr.
        sent = ast.literal_eval(first.command)
    assert sent["command"] == "irlens.liftToIR"
    assert sent["arguments"] == [{"uri": uri, "function": parse_asm(text).functions[0].name}]
    result = await lift(client, *sent["arguments"])
    assert result["ok"]


@pytest.mark.parametrize("model_client", ["neovim@v0.11.0"], indirect=True)
async def test_cancelling_the_progress_stops_the_lift(model_client, fake, tmp_path) -> None:
    client = model_client
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()
    release = threading.Event()

    def slow(prompt: str, body: dict) -> str:
        loop.call_soon_threadsafe(arrived.set)
        release.wait(30)
        return "no idea"

    fake.responder = slow
    uri = await open_source(client, tmp_path, SOURCE.read_text())
    pending = asyncio.ensure_future(lift(client, uri))
    await arrived.wait()
    token = next(t for t in client.progress_reports if str(t).startswith("irlens-lift"))
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await pending
    release.set()
    assert result == {"ok": False, "cancelled": True, "error": "cancelled"}
    assert client.applied_edits == []
    assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)


async def test_without_a_model_lifting_explains_what_it_needs(client, tmp_path) -> None:
    uri = await open_source(client, tmp_path, SOURCE.read_text())
    result = await lift(client, uri)
    assert result["ok"] is False
    assert "needs an LLM Compiler -ftd model" in result["error"]
    assert any("irlens daemon" in m.message for m in client.messages)


@pytest.mark.parametrize("model_client", ["visual-studio-code"], indirect=True)
async def test_cancelling_the_request_stops_the_lift(model_client, fake, tmp_path) -> None:
    client = model_client
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()
    release = threading.Event()

    def slow(prompt: str, body: dict) -> str:
        loop.call_soon_threadsafe(arrived.set)
        release.wait(30)
        return "no idea"

    fake.responder = slow
    uri = await open_source(client, tmp_path, SOURCE.read_text())
    before = set(client.protocol._request_futures)
    pending = asyncio.ensure_future(lift(client, uri))
    await arrived.wait()
    [request_id] = set(client.protocol._request_futures) - before
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    with pytest.raises(Exception, match="cancel"):
        await pending
    token = next(t for t in client.progress_reports if str(t).startswith("irlens-lift"))
    while not isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd):
        await client.wait_for_notification(types.PROGRESS)
    release.set()
    assert "Cancelled" in client.progress_reports[token][-1].message
    assert client.applied_edits == []

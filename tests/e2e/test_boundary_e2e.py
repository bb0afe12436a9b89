"""The document boundary through a real client (issue 18): lone surrogates, documents never
opened, ill-typed params, positions past the end, a document that changed under a request,
the status after the model server went away and came back, diagnostics on close."""

from __future__ import annotations

import asyncio
import sys
import uuid
from concurrent.futures import Future

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import JsonRPCRequestMessage
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.support.lsp_session import (
    change_document,
    initialize_params,
    next_diagnostics,
    open_document,
)
from tests.support.openai_fake import FakeOpenAIServer

SERVER = [sys.executable, "-m", "lsp_server", "serve", "--no-cache"]
CONTENT_MODIFIED = -32801
FUNCTION = "define i32 @f(i32 %x) {\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def vscode(lsp_client: LanguageClient):
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield lsp_client
    await lsp_client.shutdown_session()


async def _raw_request(client: LanguageClient, method: str, params: object) -> object:
    """Send ``params`` as they are (the client's own requests are typed: these are not)."""
    protocol = client.protocol
    msg_id = str(uuid.uuid4())
    future: Future[object] = Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data(
        JsonRPCRequestMessage(id=msg_id, method=method, params=params, jsonrpc="2.0")
    )
    return await asyncio.wrap_future(future)


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_a_lone_surrogate_is_marked_and_every_feature_keeps_working(vscode) -> None:
    client = vscode
    uri = "file:///tmp/irlens-test/surrogate.ll"
    # A comment with half an emoji (as a JavaScript client sends it after splitting a pair),
    # and a real error further down that llvm-as must still find.
    text = "; note \ud83d here\n" + FUNCTION + "define void @g() {\n  ret i32 0\n}\n"
    open_document(client, uri, text)
    found = await next_diagnostics(client, uri)
    surrogate = [d for d in found if "surrogate" in d.message]
    assert len(surrogate) == 1
    assert surrogate[0].range.start == types.Position(line=0, character=7)
    assert surrogate[0].range.end == types.Position(line=0, character=8)
    assert any("value doesn't match function result type" in d.message for d in found)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc(uri))
    )
    assert [s.name for s in symbols] == ["@f", "@g"]
    # The error fixed, the surrogate stays marked, and the module's passes run.
    change_document(client, uri, 2, "; note \ud83d here\n" + FUNCTION)
    found = await next_diagnostics(client, uri)
    assert [d.range.start for d in found] == [types.Position(line=0, character=7)]
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=types.Position(line=1, character=2))
    )
    assert hover is not None and "@f" in hover.contents.value
    steps = await client.protocol.send_request_async(
        "irlens/pipelineSteps", {"uri": uri, "function": "f", "pipeline": "instcombine"}
    )
    assert steps.function == "f" and steps.error is None
    assert [(s.on, s.changed) for s in steps.steps] == [("f", False)]


async def test_a_document_never_opened_is_read_from_disk_or_named_in_the_error(
    vscode, tmp_path
) -> None:
    client = vscode
    path = tmp_path / "on-disk.ll"
    path.write_text(FUNCTION)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=_doc(path.as_uri()))
    )
    assert [s.name for s in symbols] == ["@f"]
    missing = (tmp_path / "missing.ll").as_uri()
    with pytest.raises(JsonRpcInvalidParams, match=r"missing\.ll is not open"):
        await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(missing), position=types.Position(0, 0))
        )


async def test_ill_typed_params_are_invalid_params_and_positions_past_the_end_clamp(
    vscode,
) -> None:
    client = vscode
    uri = "file:///tmp/irlens-test/params.ll"
    open_document(client, uri, FUNCTION)
    bad = [
        ("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": "x"}}),
        ("textDocument/definition", {"textDocument": {"uri": uri}, "position": None}),
        ("textDocument/codeAction", {"textDocument": {"uri": uri}}),
    ]
    for method, params in bad:
        with pytest.raises(JsonRpcInvalidParams, match=method):
            await _raw_request(client, method, params)
    # Past the end of a line and of the document: clamped, and answered.
    far = types.Position(line=10_000, character=5)
    await client.text_document_hover_async(types.HoverParams(text_document=_doc(uri), position=far))
    steps = await client.protocol.send_request_async(
        "irlens/pipelineSteps",
        {"uri": uri, "position": {"line": 1, "character": 9999}, "pipeline": "instcombine"},
    )
    assert steps.function == "f"


async def test_closing_a_document_publishes_empty_diagnostics(vscode) -> None:
    client = vscode
    uri = "file:///tmp/irlens-test/closed.ll"
    open_document(client, uri, "define void @g() {\n  ret i32 0\n}\n")
    assert await next_diagnostics(client, uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=_doc(uri)))
    assert await next_diagnostics(client, uri) == []


# -- the status bar follows the model server ----------------------------------------------


@pytest.fixture
def fake():
    server = FakeOpenAIServer(lambda prompt, body: "opt -p 'module(default<Oz>)'\n").start()
    yield server
    server.stop()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def with_model(lsp_client: LanguageClient, fake):
    options = {
        "model": {"url": fake.url, "timeoutSeconds": 2},
        "suggest": {"budgetSeconds": 0.2, "maxCompilations": 5, "samples": 0},
        "preview": {"timeBudgetMs": 2000},
    }
    lsp_client.statuses = asyncio.Queue()

    @lsp_client.feature("irlens/status")
    def status(params) -> None:
        lsp_client.statuses.put_nowait(params)

    await lsp_client.initialize_session(initialize_params("visual-studio-code", options))
    yield lsp_client
    await lsp_client.shutdown_session()


async def _status(client: LanguageClient, state: str) -> object:
    """The next ``irlens/status`` with the model in ``state`` (the earlier ones are dropped)."""
    while True:
        params = await asyncio.wait_for(client.statuses.get(), timeout=60)
        if params.model.state == state:
            return params


async def test_the_status_follows_the_model_server_going_away_and_back(with_model, fake) -> None:
    client = with_model
    await _status(client, "ready")
    port = fake.port
    fake.stop()
    # The doctor asks the model server, as any model request does.
    doctor = types.ExecuteCommandParams(command="irlens.doctor", arguments=[])
    report = await client.workspace_execute_command_async(doctor)
    assert report["model"]["state"] == "unavailable", report
    await _status(client, "unavailable")
    again = FakeOpenAIServer(lambda prompt, body: "opt -p 'module(default<Oz>)'\n", port=port)
    again.start()
    try:
        await client.workspace_execute_command_async(doctor)
        await _status(client, "ready")
        # Once per change: another request that sees the same state sends nothing.
        await client.workspace_execute_command_async(doctor)
        assert client.statuses.empty()
    finally:
        again.stop()


async def test_a_request_whose_document_changed_answers_content_modified(with_model, fake) -> None:
    client = with_model
    await _status(client, "ready")
    uri = "file:///tmp/irlens-test/changed.ll"
    open_document(client, uri, FUNCTION)
    # The model takes its time: the hover waits for it (up to its budget), and the edit
    # arrives while it waits, once the server has asked the model.
    fake.delay_seconds = 5.0
    asked = len(fake.requests)
    pending = asyncio.ensure_future(
        client.text_document_hover_async(
            types.HoverParams(text_document=_doc(uri), position=types.Position(line=0, character=2))
        )
    )
    while len(fake.requests) == asked and not pending.done():
        await asyncio.sleep(0.01)  # polls the fake model server, in this process
    change_document(client, uri, 2, FUNCTION.replace("add", "sub"))
    with pytest.raises(JsonRpcException, match="changed") as raised:
        await pending
    assert raised.value.code == CONTENT_MODIFIED

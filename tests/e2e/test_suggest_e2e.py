"""Suggest passes through a real LSP client: lazy listing, resolve, apply, command, model.

The server runs as a subprocess in LLVM-only mode, or pointed at a FakeOpenAIServer (a FAKE
model server in this process answering canned pass lists). Search budgets are a couple of
dozen compilations, so a search takes a second or two.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_server.llvm import extract, size
from tests.support.data import EXAMPLES
from tests.support.llvm import llvm_as_accepts
from tests.support.lsp_session import (
    CLIENTS,
    SERVER,
    apply_edits,
    initialize_params,
    next_diagnostics,
    open_document,
)
from tests.support.openai_fake import FakeOpenAIServer

EXAMPLE = (EXAMPLES / "example.ll").read_text()
BUDGET = {"suggest": {"budgetSeconds": 30, "maxCompilations": 25, "samples": 1}}
FUNCTION_KIND = "refactor.rewrite.irlens.suggestPasses"
MODULE_KIND = "source.irlens.suggestPasses"


def record_notifications(client: LanguageClient) -> None:
    client.suggest_progress = []
    client.searching = asyncio.Event()

    @client.feature("irlens/suggestProgress")
    def suggest_progress(params) -> None:
        client.suggest_progress.append(params)
        if params.phase == "search":
            client.searching.set()


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER))
async def client(request, lsp_client: LanguageClient):
    """LLVM-only mode with a small search budget."""
    record_notifications(lsp_client)
    await lsp_client.initialize_session(initialize_params(request.param, BUDGET))
    yield lsp_client
    await lsp_client.shutdown_session()


def pass_list_answer(prompt: str, body: dict) -> str:
    assert prompt.startswith("[INST] Tell me how to optimize this LLVM-IR for object file size:")
    if body.get("temperature", 0) == 0:
        return " opt -p 'function(sroa<modify-cfg>,instcombin,simplifycfg)'"
    return "Sorry, no."


@pytest.fixture
def fake():
    with FakeOpenAIServer(pass_list_answer, model="fake-llm-compiler-13b-ftd") as server:
        yield server


@pytest_lsp.fixture(params=CLIENTS[:1], config=ClientServerConfig(server_command=SERVER))
async def model_client(request, lsp_client: LanguageClient, fake: FakeOpenAIServer):
    """A session whose model.url points at the FAKE model server."""
    record_notifications(lsp_client)
    options = {**BUDGET, "model": {"url": fake.url}}
    await lsp_client.initialize_session(initialize_params(request.param, options))
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(params=CLIENTS[:1], config=ClientServerConfig(server_command=SERVER))
async def long_client(request, lsp_client: LanguageClient):
    """A session whose searches would run for a minute unless cancelled."""
    record_notifications(lsp_client)
    options = {"suggest": {"budgetSeconds": 60, "maxCompilations": 1000000}}
    await lsp_client.initialize_session(initialize_params(request.param, options))
    yield lsp_client
    await lsp_client.shutdown_session()


async def open_example(client: LanguageClient, tmp_path, text: str = EXAMPLE) -> str:
    path = tmp_path / "example.ll"
    path.write_text(text)
    uri = path.as_uri()
    open_document(client, uri, text)
    assert await next_diagnostics(client, uri) == []
    return uri


def at(text: str, needle: str) -> types.Range:
    line = next(i for i, x in enumerate(text.split("\n")) if needle in x)
    return types.Range(
        start=types.Position(line=line + 2, character=2),
        end=types.Position(line=line + 2, character=2),
    )


async def actions(client, uri: str, where: types.Range, only=None) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    edit = action.edit
    assert edit is not None, action.title
    if edit.document_changes:
        [change] = edit.document_changes
        assert change.text_document.uri == uri
        return list(change.edits)
    return list(edit.changes[uri])


async def test_listing_is_lazy_and_resolving_applies_a_smaller_valid_function(
    client, tmp_path, toolchain
) -> None:
    uri = await open_example(client, tmp_path)
    found = await actions(client, uri, at(EXAMPLE, "define dso_local i32 @crc32"))
    mine = [a for a in found if a.kind in (FUNCTION_KIND, MODULE_KIND)]
    assert [a.title for a in mine] == [
        "Find a pass list that makes @crc32 smaller than -Oz",
        "Find a pass list that makes the module smaller than -Oz",
    ]
    assert all(a.edit is None for a in mine)

    resolved = await client.code_action_resolve_async(mine[0])
    edited = apply_edits(EXAMPLE, edits_of(resolved, uri))
    assert llvm_as_accepts(toolchain, edited)
    crc_before = await extract.extract_function(toolchain, EXAMPLE, "crc32")
    crc_after = await extract.extract_function(toolchain, edited, "crc32")
    oz = await size.size_after(toolchain, crc_before, "default<Oz>")
    assert await size.binary_size(toolchain, crc_after) < oz

    [message] = [m.message for m in client.messages if "@crc32" in m.message]
    assert message.startswith("Optimize @crc32 for size: `")
    assert f"{oz} \u2192 " in message
    phases = [p.phase for p in client.suggest_progress]
    assert phases[0] == "baseline" and phases[-1] == "done" and "search" in phases
    assert client.suggest_progress[-1].ozSize == oz
    reports = [r for t, r in client.progress_reports.items() if str(t).startswith("irlens-suggest")]
    assert isinstance(reports[-1][0], types.WorkDoneProgressBegin)
    assert isinstance(reports[-1][-1], types.WorkDoneProgressEnd)

    # The finished result is now listed itself, with a second action for the comment.
    again = await actions(client, uri, at(EXAMPLE, "define dso_local i32 @crc32"))
    titles = [a.title for a in again if a.kind == FUNCTION_KIND]
    assert titles == [message, "Insert the pass list for @crc32 as a comment"]
    comment = await client.code_action_resolve_async(
        next(a for a in again if a.title.startswith("Insert"))
    )
    commented = apply_edits(EXAMPLE, edits_of(comment, uri))
    assert "\n; irlens: passes=" in commented and llvm_as_accepts(toolchain, commented)


async def test_the_module_source_action_and_the_command(client, tmp_path, toolchain) -> None:
    uri = await open_example(client, tmp_path)
    [module] = await actions(client, uri, at(EXAMPLE, "@main.msg"), only=["source"])
    assert module.kind == MODULE_KIND
    resolved = await client.code_action_resolve_async(module)
    edited = apply_edits(EXAMPLE, edits_of(resolved, uri))
    assert llvm_as_accepts(toolchain, edited)
    assert edited.startswith("; irlens example")  # the leading comments survive

    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="irlens.suggestPasses", arguments=[{"uri": uri, "function": "clamp"}]
        )
    )
    assert result["function"] == "clamp" and result["offer"] is not None
    assert result["outcome"] in ("improved", "oz-best")
    assert result["offer"]["size"] <= result["ozSize"]
    assert result["search"]["optRuns"] >= 1

    # Unusable arguments are a JSON-RPC InvalidParams error naming what was expected.
    with pytest.raises(JsonRpcInvalidParams, match=r"irlens\.suggestPasses takes"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="irlens.suggestPasses", arguments=[42])
        )


async def test_a_fake_model_answer_with_an_unknown_pass_is_repaired_and_said(
    model_client, tmp_path
) -> None:
    client = model_client
    uri = await open_example(client, tmp_path)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="irlens.suggestPasses", arguments=[{"uri": uri, "function": "crc32"}]
        )
    )
    model = result["model"]
    assert model["name"] == "fake-llm-compiler-13b-ftd" and model["error"] is None
    greedy, sample = model["candidates"]
    assert greedy["status"] == "repaired" and greedy["unknown"] == ["instcombin"]
    assert greedy["pipeline"] == "function(sroa<modify-cfg>,simplifycfg)"
    assert greedy["size"] is not None
    assert sample["status"] == "rejected"
    assert any("unknown pass 'instcombin'" in note for note in result["notes"])
    assert result["offer"]["size"] <= result["ozSize"]


async def test_cancelling_the_progress_stops_the_search(long_client, tmp_path) -> None:
    client = long_client
    uri = await open_example(client, tmp_path)
    command = asyncio.ensure_future(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="irlens.suggestPasses", arguments=[{"uri": uri, "function": "crc32"}]
            )
        )
    )
    await client.searching.wait()
    [token] = [t for t in client.progress_reports if str(t).startswith("irlens-suggest")]
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await command
    assert result == {"ok": False, "cancelled": True, "error": "cancelled"}
    last = client.progress_reports[token][-1]
    assert isinstance(last, types.WorkDoneProgressEnd) and last.message == "Cancelled"
    assert client.suggest_progress[-1].phase == "search"

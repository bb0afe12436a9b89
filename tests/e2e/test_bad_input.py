"""Bad input keeps the server serving: a 50 MB module, no LLVM at all, unusable arguments."""

from __future__ import annotations

import os
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_server import config
from tests.support.lsp_session import initialize_params, next_diagnostics, open_document


def _huge_module(megabytes: int = 50) -> str:
    function = (
        "define i32 @f{n}(i32 %a, i32 %b) {{\n"
        "entry:\n  %s = add i32 %a, %b\n  %m = mul i32 %s, {n}\n  %x = xor i32 %m, %a\n"
        "  %c = icmp sgt i32 %x, 0\n  br i1 %c, label %yes, label %no\n"
        "yes:\n  ret i32 %x\nno:\n  %neg = sub i32 0, %x\n  ret i32 %neg\n}}\n\n"
    )
    parts, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        chunk = function.format(n=n)
        parts.append(chunk)
        size += len(chunk)
        n += 1
    return "".join(parts)


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "lsp_server", "serve", "--no-cache"]
    )
)
async def vscode_client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_a_50_mb_module_gets_checked_and_outlined(vscode_client) -> None:
    client = vscode_client
    text = _huge_module()
    text += "define void @broken() {\n  ret i32 0\n}\n"
    uri = "file:///tmp/irlens-test/huge.ll"
    open_document(client, uri, text)
    found = await next_diagnostics(client, uri)
    assert len(found) == 1
    assert "value doesn't match function result type" in found[0].message
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    # 130,000 functions: the outline answers its first ``limits.maxSymbols`` and says so, so
    # that one answer is not tens of MB of JSON serialised on the event loop.
    assert len(symbols) == config.LimitsSettings().max_symbols
    assert symbols[0].name == "@f0"
    while not any("irlens.limits.maxSymbols" in m.message for m in client.messages):
        await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "lsp_server", "serve", "--no-cache"],
        server_env={**os.environ, "PATH": "/nonexistent"},
    )
)
async def no_llvm_client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(initialize_params("visual-studio-code"))
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_no_llvm_at_all_is_told_once_and_symbols_still_work(no_llvm_client) -> None:
    client = no_llvm_client
    uri = "file:///tmp/irlens-test/plain.ll"
    text = "define void @f() {\n  ret void\n}\n"
    open_document(client, uri, text)
    while not any("llvm-as" in m.message for m in client.messages):
        await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    told = [m.message for m in client.messages if "llvm-as" in m.message]
    assert "apt install llvm" in told[0]
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["@f"]


async def test_unusable_arguments_are_invalid_params_naming_the_field(vscode_client) -> None:
    client = vscode_client
    uri = "file:///tmp/irlens-test/args.ll"
    open_document(client, uri, "define void @f() {\n  ret void\n}\n")
    with pytest.raises(JsonRpcInvalidParams, match="irlens/pipelineSteps needs a document uri"):
        await client.protocol.send_request_async("irlens/pipelineSteps", {"function": "f"})
    with pytest.raises(JsonRpcInvalidParams, match=r"position\.line must be"):
        await client.protocol.send_request_async(
            "irlens/pipelineSteps", {"uri": uri, "position": {"line": "one", "character": 0}}
        )
    bad_commands = [
        ("irlens.liftToIR", [{"uri": uri, "function": 3}], "function must be a string"),
        ("irlens.suggestPasses", [{"uri": uri, "budgetSeconds": "soon"}], "budgetSeconds"),
        ("irlens.doctor", ["file:///x"], "takes no arguments"),
    ]
    for command, arguments, message in bad_commands:
        with pytest.raises(JsonRpcInvalidParams, match=message):
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=arguments)
            )
    # The server goes on: the same document still answers.
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in symbols] == ["@f"]


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "lsp_server", "serve", "--no-cache"]
    )
)
async def small_index_client(lsp_client: LanguageClient):
    options = {"limits": {"indexMegabytes": 0.5}}
    await lsp_client.initialize_session(initialize_params("visual-studio-code", options))
    yield lsp_client
    await lsp_client.shutdown_session()


async def test_the_module_index_limit_is_a_setting(small_index_client) -> None:
    """With ``limits.indexMegabytes`` at 0.5, a 1 MB module gets no index (the warning names
    the setting) and a small one still navigates."""
    client = small_index_client
    big, small = "file:///tmp/irlens-test/big-index.ll", "file:///tmp/irlens-test/small-index.ll"
    text = _huge_module(1)
    open_document(client, big, text)
    open_document(client, small, text[: text.index("\n\n") + 2])  # its first function
    line = text.splitlines()[2]
    at = types.Position(line=2, character=line.index("%a") + 1)  # in `add i32 %a, %b`
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=big), position=at)
    )
    assert found is None or found == []
    while not any("irlens.limits.indexMegabytes" in m.message for m in client.messages):
        await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=small), position=at)
    )
    assert isinstance(found, types.Location) and found.range.start.line == 0

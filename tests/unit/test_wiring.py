"""The server's wiring: what create_server() registers, the one code action handler that
gathers every feature's actions, and the custom methods documented in docs/lsp-extensions.md."""

from __future__ import annotations

import ast
import inspect
import logging
import re
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp_server import server as wiring
from lsp_server.features import hover, status, suggest
from lsp_server.handlers import code_actions
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.session import IrlensServer
from tests.support.data import ROOT

DOCS = ROOT / "docs" / "lsp-extensions.md"


def _call(server: IrlensServer, method: str, params: Any) -> Any:
    return server.protocol.fm.features[method](params)


def _params(only: list[str] | None = None) -> types.CodeActionParams:
    at = types.Position(line=0, character=0)
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri="file:///w/a.ll"),
        range=types.Range(start=at, end=at),
        context=types.CodeActionContext(diagnostics=[], only=only),
    )


def _source(name: str, kind: str, *, fails: bool = False, resolves: bool = False):
    async def listed(ls: IrlensServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        if fails:
            raise RuntimeError(f"{name} broke")
        return [types.CodeAction(title=name, kind=kind)]

    async def resolve(ls: IrlensServer, action: types.CodeAction) -> types.CodeAction | None:
        if action.title != name:
            return None
        return types.CodeAction(title=f"{name} resolved", kind=kind)

    return CodeActionSource(name, (kind,), listed, resolve if resolves else None)


def test_create_server_registers_every_feature_once_in_order() -> None:
    server = wiring.create_server(with_cache=False)
    fm = server.protocol.fm
    assert set(fm.commands) == {"irlens.doctor", "irlens.liftToIR", "irlens.suggestPasses"}
    assert {
        types.TEXT_DOCUMENT_HOVER,
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CODE_ACTION_RESOLVE,
        types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
        types.TEXT_DOCUMENT_DEFINITION,
        hover.PIPELINE_STEPS,
    } <= set(fm.features)
    # One codeAction handler advertising every feature's kinds, and resolve for suggest's.
    options = fm.feature_options[types.TEXT_DOCUMENT_CODE_ACTION]
    assert options == types.CodeActionOptions(
        code_action_kinds=[
            suggest.FUNCTION_KIND,
            suggest.MODULE_KIND,
            "refactor.rewrite.irlens.liftToIR",
        ],
        resolve_provider=True,
    )


async def test_one_handler_lists_each_source_in_order_skipping_unwanted_kinds() -> None:
    server = IrlensServer()
    code_actions.register(
        server,
        [_source("first", "refactor.rewrite.a"), _source("second", "source.b", resolves=True)],
    )
    options = server.protocol.fm.feature_options[types.TEXT_DOCUMENT_CODE_ACTION]
    assert options.code_action_kinds == ["refactor.rewrite.a", "source.b"]
    assert options.resolve_provider is True
    found = await _call(server, types.TEXT_DOCUMENT_CODE_ACTION, _params())
    assert [a.title for a in found] == ["first", "second"]
    found = await _call(server, types.TEXT_DOCUMENT_CODE_ACTION, _params(["source"]))
    assert [a.title for a in found] == ["second"]
    found = await _call(server, types.TEXT_DOCUMENT_CODE_ACTION, _params(["refactor.rew"]))
    assert found == [], "kinds are hierarchical: a prefix must end at a dot"


async def test_a_failing_source_is_logged_and_the_others_still_listed(caplog) -> None:
    server = IrlensServer()
    code_actions.register(
        server, [_source("broken", "refactor.a", fails=True), _source("fine", "refactor.b")]
    )
    with caplog.at_level(logging.ERROR):
        found = await _call(server, types.TEXT_DOCUMENT_CODE_ACTION, _params())
    assert [a.title for a in found] == ["fine"]
    assert "irlens broken code actions failed" in caplog.text


async def test_resolve_asks_each_source_whether_the_action_is_its_own() -> None:
    server = IrlensServer()
    code_actions.register(
        server,
        [_source("a", "refactor.a", resolves=True), _source("b", "refactor.b", resolves=True)],
    )
    resolved = await _call(server, types.CODE_ACTION_RESOLVE, types.CodeAction(title="b"))
    assert resolved.title == "b resolved"
    stranger = types.CodeAction(title="somebody else's")
    assert await _call(server, types.CODE_ACTION_RESOLVE, stranger) is stranger


def test_without_a_resolving_source_no_resolve_is_advertised() -> None:
    server = IrlensServer()
    code_actions.register(server, [_source("a", "refactor.a")])
    fm = server.protocol.fm
    assert fm.feature_options[types.TEXT_DOCUMENT_CODE_ACTION].resolve_provider is False
    assert types.CODE_ACTION_RESOLVE not in fm.features


def _notified_constants() -> set[str]:
    """The names of the constants passed to ``protocol.notify`` anywhere in the server."""
    names = set()
    for path in (ROOT / "lsp_server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "notify"
                and node.args
            ):
                first = node.args[0]
                assert isinstance(first, ast.Name | ast.Attribute), f"{path}: notify a constant"
                names.add(first.id if isinstance(first, ast.Name) else first.attr)
    return names


def test_every_notification_sent_is_listed() -> None:
    modules = (status, hover, suggest)
    values = {
        name: value
        for module in modules
        for name, value in inspect.getmembers(module)
        if isinstance(value, str)
    }
    sent = {values[name] for name in _notified_constants()}
    assert sent == set(wiring.NOTIFICATIONS)


def test_the_extensions_doc_has_one_section_per_custom_method_notification_and_command() -> None:
    headings = re.findall(r"^## (.+)$", DOCS.read_text(), flags=re.MULTILINE)
    fm = wiring.create_server(with_cache=False).protocol.fm
    registered = {m for m in fm.features if m.startswith("irlens/")} | set(fm.commands)
    assert len(headings) == len(set(headings)), "one section each"
    assert set(headings) == registered | set(wiring.NOTIFICATIONS)


@pytest.mark.parametrize("register", wiring.FEATURES)
def test_each_feature_registers_with_a_fresh_server(register) -> None:
    sources = register(IrlensServer())
    assert all(isinstance(source, CodeActionSource) for source in sources)


def test_the_architecture_table_names_every_method_command_and_notification() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    table = text[text.index("## LSP surface") :].split("\n## ", 1)[0]
    fm = wiring.create_server(with_cache=False).protocol.fm
    names = {m.removeprefix("textDocument/") for m in fm.features}
    missing = [
        name
        for name in sorted(names | set(fm.commands) | set(wiring.NOTIFICATIONS))
        if f"`{name}`" not in table and f"`textDocument/{name}`" not in table
    ]
    assert missing == []


def test_an_invalid_params_answer_is_logged_in_one_line_without_a_traceback(caplog) -> None:
    IrlensServer()  # installs the filter on pygls' logger
    pygls_log = logging.getLogger("pygls.protocol.json_rpc")
    for error in (JsonRpcInvalidParams("irlens.x: budgetSeconds must be a number"), KeyError("x")):
        try:
            raise error
        except Exception:
            pygls_log.exception('Exception occurred for message "%s"', 7)
    invalid, other = caplog.records[-2:]
    assert (
        invalid.getMessage() == "answered InvalidParams: irlens.x: budgetSeconds must be a number"
    )
    assert invalid.exc_info is None and invalid.levelno == logging.INFO
    assert other.exc_info is not None, "a server error keeps its traceback"

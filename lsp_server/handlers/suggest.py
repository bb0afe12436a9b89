"""LSP wiring of "suggest passes for code size": code actions (resolved lazily), the
``irlens.suggestPasses`` command, ``$/progress`` and ``irlens/suggestProgress``.

The search is :mod:`lsp_server.search`; the LSP values are made in
:mod:`lsp_server.features.suggest`, and the results and searches in flight are kept by a
:class:`~lsp_server.features.suggest_state.SuggestState` per server.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features import actions
from lsp_server.features import documents as boundary
from lsp_server.features import suggest as feature
from lsp_server.features.arguments import ArgumentError
from lsp_server.features.suggest_state import SuggestState
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.handlers.work import CANCELLED, Progress, cancel_with_request, plain

# Imported at run time, not only for type checking: pygls reads the command handler's
# annotations to tell the server parameter from the command's arguments.
from lsp_server.session import IrlensServer

if TYPE_CHECKING:
    # The search is imported when a search runs, not when the server starts.
    from lsp_server.search.engine import ProgressEvent, Suggestion


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the command to ``server``; return the code actions and their resolution."""
    state = SuggestState()
    server.on_close.append(state.forget_document)

    async def code_actions(
        ls: IrlensServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        snapshot = await ls.document(uri)
        if snapshot.kind != "ir" or _too_large(ls, snapshot.text) is not None:
            return []  # the command says why, if asked
        text = snapshot.text
        return feature.code_actions(
            text,
            uri,
            params.range,
            cached=state.cached(uri, feature.text_key(text)),
            resolve_support=feature.resolve_support(ls.client_capabilities),
            only=actions.only_of(params),
        )

    async def resolve(ls: IrlensServer, action: types.CodeAction) -> types.CodeAction | None:
        data = feature.ActionData.from_json(plain(action.data))
        if data is None:
            return None  # not one of ours
        return await ls.guarded("suggest passes", _resolve(ls, state, action, data), action)

    @server.command(feature.COMMAND)
    async def suggest_passes(ls: IrlensServer, *args: Any) -> dict[str, Any]:
        try:
            request = feature.parse_arguments([plain(a) for a in args])
        except ArgumentError as err:
            raise err.to_jsonrpc() from None
        task = asyncio.ensure_future(_command(ls, state, request))
        cancel_with_request(ls, task)
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            return dict(CANCELLED)

    return [
        CodeActionSource(
            "suggest passes",
            (feature.FUNCTION_KIND, feature.MODULE_KIND),
            code_actions,
            resolve,
        )
    ]


def _too_large(ls: IrlensServer, text: str) -> str | None:
    limit = ls.settings.limits.suggest_megabytes
    return boundary.too_large(text, "pass suggestions", limit, "suggestMegabytes")


async def _search(
    ls: IrlensServer, uri: str, text: str, function: str | None, budget: float | None
) -> Suggestion:
    from lsp_server.search.engine import options_from, suggest

    services = await ls.services()
    options = options_from(services.settings.suggest, budget)
    progress = await Progress.start(ls, feature.search_title(function), "suggest")
    task = asyncio.current_task()
    if task is not None:
        progress.cancel_with(task)

    def on_progress(event: ProgressEvent) -> None:
        progress.report(event.message, event.percent)
        ls.protocol.notify(
            feature.PROGRESS_NOTIFICATION, feature.progress_payload(uri, function, event)
        )

    try:
        result = await suggest(text, function, services, options, on_progress=on_progress)
    except asyncio.CancelledError:
        progress.end("Cancelled")
        raise
    progress.end(result.headline())
    kind = types.MessageType.Warning if result.error else types.MessageType.Info
    ls.window_show_message(types.ShowMessageParams(type=kind, message=result.headline()))
    return result


async def _run(
    ls: IrlensServer,
    state: SuggestState,
    uri: str,
    text: str,
    function: str | None,
    budget: float | None = None,
) -> Suggestion:
    return await state.run(
        uri,
        text,
        function,
        lambda: _search(ls, uri, text, function, budget),
        reuse=budget is None,
    )


async def _resolve(
    ls: IrlensServer, state: SuggestState, action: types.CodeAction, data: feature.ActionData
) -> types.CodeAction:
    snapshot = await ls.document(data.uri)
    text, version = snapshot.text, snapshot.version
    if _too_large(ls, text) is not None:
        return action
    result = await _run(ls, state, data.uri, text, data.function)
    edits = feature.edits_for(text, data, result, ls.encoding)
    if edits:
        action.edit = feature.workspace_edit(
            data.uri,
            version,
            edits,
            document_changes=feature.document_changes(ls.client_capabilities),
        )
    return action


async def _command(
    ls: IrlensServer, state: SuggestState, request: feature.SuggestRequest
) -> dict[str, Any]:
    uri, function = request.uri, request.function
    snapshot = await ls.document(uri)
    text, version = snapshot.text, snapshot.version
    too_large = _too_large(ls, text)
    if too_large is not None:
        return {"ok": False, "uri": uri, "error": too_large}
    result = await _run(ls, state, uri, text, function, request.budget)
    payload = feature.command_payload(uri, result)
    if request.apply and result.offer is not None:
        data = feature.ActionData(uri, function, feature.APPLY, feature.text_key(text))
        edit = feature.workspace_edit(
            uri,
            version,
            feature.edits_for(text, data, result, ls.encoding),
            document_changes=feature.document_changes(ls.client_capabilities),
        )
        applied = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit))
        payload["applied"] = bool(applied.applied)
    return payload

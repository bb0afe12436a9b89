"""LSP wiring of "suggest passes for code size": code actions (resolved lazily), the
``irlens.suggestPasses`` command, ``$/progress`` and ``irlens/suggestProgress``.

The logic is in :mod:`lsp_server.features.suggest` and :mod:`lsp_server.search`. This module
keeps, per server, the finished results by document text (so the next code action request
lists the concrete offer) and the searches in flight (a newer request for the same function
with a changed text cancels the older one; the same text joins it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.features import diagnostics
from lsp_server.features import suggest as feature
from lsp_server.handlers.work import Progress, cancel_with_request, plain

# Imported at run time, not only for type checking: pygls reads the command handler's
# annotations to tell the server parameter from the command's arguments.
from lsp_server.server import IrlensServer

if TYPE_CHECKING:
    # The search is imported when a search runs, not when the server starts.
    from lsp_server.search.engine import ProgressEvent, Suggestion

log = logging.getLogger(__name__)

_KEEP_RESULTS = 32


class _State:
    """Finished results and running searches of one server."""

    def __init__(self) -> None:
        self.results: OrderedDict[tuple[str, str, str | None], Suggestion] = OrderedDict()
        self.running: dict[tuple[str, str | None], tuple[str, asyncio.Task[Suggestion]]] = {}

    def cached(self, uri: str, key: str) -> dict[str | None, Suggestion]:
        return {f: r for (u, k, f), r in self.results.items() if u == uri and k == key}

    def remember(self, uri: str, key: str, result: Suggestion) -> None:
        self.results[(uri, key, result.function)] = result
        self.results.move_to_end((uri, key, result.function))
        while len(self.results) > _KEEP_RESULTS:
            self.results.popitem(last=False)

    async def run(
        self,
        ls: IrlensServer,
        uri: str,
        text: str,
        function: str | None,
        budget: float | None = None,
    ) -> Suggestion:
        """The result for this text: remembered, joined while running, or searched now."""
        key = feature.text_key(text)
        done = self.results.get((uri, key, function))
        if done is not None and done.offer is not None and budget is None:
            return done
        running = self.running.get((uri, function))
        if running is not None:
            if running[0] == key and budget is None:
                return await asyncio.shield(running[1])
            running[1].cancel()  # a newer request supersedes it
        task = asyncio.ensure_future(self._search(ls, uri, text, function, budget))
        self.running[(uri, function)] = (key, task)
        try:
            result = await task
        finally:
            if self.running.get((uri, function), (None, None))[1] is task:
                del self.running[(uri, function)]
        # A failure is remembered too, so the next listing can say why; asking again retries.
        self.remember(uri, key, result)
        return result

    async def _search(
        self, ls: IrlensServer, uri: str, text: str, function: str | None, budget: float | None
    ) -> Suggestion:
        from lsp_server.search.engine import options_from, suggest

        services = await ls.services()
        options = options_from(services.settings.suggest, budget)
        scope = f"@{function}" if function else "the module"
        progress = await Progress.start(ls, f"irlens: searching passes for {scope}", "suggest")
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


def _resolve_support(ls: IrlensServer) -> bool:
    text_document = ls.client_capabilities.text_document
    action = text_document.code_action if text_document is not None else None
    support = action.resolve_support if action is not None else None
    return bool(support and "edit" in support.properties)


def _document_changes(ls: IrlensServer) -> bool:
    workspace = ls.client_capabilities.workspace
    edit = workspace.workspace_edit if workspace is not None else None
    return bool(edit and edit.document_changes)


def register(server: IrlensServer) -> None:
    """Add the code actions, their resolution and the command to ``server``."""
    state = _State()

    async def code_action(
        ls: IrlensServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        if diagnostics.document_kind(uri, document.language_id) != "ir":
            return []
        text = document.source
        return feature.code_actions(
            text,
            uri,
            params.range,
            cached=state.cached(uri, feature.text_key(text)),
            resolve_support=_resolve_support(ls),
            only=[str(kind) for kind in params.context.only or []] or None,
        )

    _add_code_action(server, code_action)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: IrlensServer, action: types.CodeAction) -> types.CodeAction:
        data = feature.ActionData.from_json(plain(action.data))
        if data is None:
            return action
        work = _resolve(ls, state, action, data)
        return await ls.guarded("suggest passes", work, action)

    @server.command(feature.COMMAND)
    async def suggest_passes(ls: IrlensServer, *args: Any) -> dict[str, Any]:
        task = asyncio.ensure_future(_command(ls, state, [plain(a) for a in args]))
        cancel_with_request(ls, task)
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            return {"ok": False, "cancelled": True, "error": "cancelled"}


def _add_code_action(
    server: IrlensServer,
    handler: Callable[[IrlensServer, types.CodeActionParams], Any],
) -> None:
    """Register the code action handler, joining one another feature registered first."""
    fm = server.protocol.fm
    kinds = [feature.FUNCTION_KIND, feature.MODULE_KIND]
    existing = fm.features.get(types.TEXT_DOCUMENT_CODE_ACTION)
    if existing is None:
        server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION,
            types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True),
        )(handler)
        return

    async def both(params: types.CodeActionParams) -> list[types.CodeAction | types.Command]:
        found = existing(params)
        if asyncio.iscoroutine(found) or isinstance(found, asyncio.Future):
            found = await found
        return [*(found or []), *await handler(server, params)]

    fm.features[types.TEXT_DOCUMENT_CODE_ACTION] = both
    options = fm.feature_options.get(types.TEXT_DOCUMENT_CODE_ACTION)
    if isinstance(options, types.CodeActionOptions):
        known = list(options.code_action_kinds or [])
        options.code_action_kinds = known + [k for k in kinds if k not in known] or None
        options.resolve_provider = True


async def _resolve(
    ls: IrlensServer, state: _State, action: types.CodeAction, data: feature.ActionData
) -> types.CodeAction:
    document = ls.workspace.get_text_document(data.uri)
    text, version = document.source, document.version
    result = await state.run(ls, data.uri, text, data.function)
    edits = feature.edits_for(text, data, result, ls.encoding)
    if edits:
        action.edit = feature.workspace_edit(
            data.uri, version, edits, document_changes=_document_changes(ls)
        )
    return action


async def _command(ls: IrlensServer, state: _State, args: list[Any]) -> dict[str, Any]:
    request = feature.parse_arguments(args)
    if isinstance(request, str):
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=request)
        )
        return {"ok": False, "error": request}
    uri, function, budget, apply = request.uri, request.function, request.budget, request.apply
    try:
        document = ls.workspace.get_text_document(uri)
        text, version = document.source, document.version
    except OSError as err:
        return {"ok": False, "error": f"cannot read {uri}: {err}"}
    result = await state.run(ls, uri, text, function, budget)
    payload: dict[str, Any] = {"ok": result.offer is not None, "uri": uri, **result.to_json()}
    if apply and result.offer is not None:
        data = feature.ActionData(uri, function, feature.APPLY, feature.text_key(text))
        edit = feature.workspace_edit(
            uri,
            version,
            feature.edits_for(text, data, result, ls.encoding),
            document_changes=_document_changes(ls),
        )
        applied = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit))
        payload["applied"] = bool(applied.applied)
    return payload

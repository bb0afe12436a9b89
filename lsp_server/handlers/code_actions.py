"""The one ``textDocument/codeAction`` handler, gathering every feature's actions, and the one
``codeAction/resolve`` handler, asking each feature in turn whether the action is its own.

pygls keeps one handler per method; features do not register these methods themselves but
hand a :class:`CodeActionSource` to ``create_server()``, which registers both handlers here,
advertising the union of the features' kinds (and ``resolveProvider`` when one resolves).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from lsp_server.features import actions
from lsp_server.session import IrlensServer


@dataclass(frozen=True)
class CodeActionSource:
    """One feature's code actions."""

    #: The feature's name, for the log when its listing fails.
    feature: str
    #: The kinds of its actions: a request whose ``only`` wants none of them skips it.
    kinds: tuple[str, ...]
    #: Lists the actions for a request (never waits for a model or a long compilation).
    actions: Callable[[IrlensServer, types.CodeActionParams], Awaitable[list[types.CodeAction]]]
    #: Resolves one of its actions; returns None for an action that is not its own.
    resolve: (
        Callable[[IrlensServer, types.CodeAction], Awaitable[types.CodeAction | None]] | None
    ) = None


def register(server: IrlensServer, sources: Sequence[CodeActionSource]) -> None:
    """Register the code action handlers for ``sources``, in their order."""
    if not sources:
        return
    resolvers = [s.resolve for s in sources if s.resolve is not None]
    options = actions.options((s.kinds for s in sources), resolve=bool(resolvers))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)
    async def code_action(
        ls: IrlensServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        only = actions.only_of(params)
        found: list[types.CodeAction] = []
        for source in sources:
            if any(actions.kind_wanted(kind, only) for kind in source.kinds):
                listed = source.actions(ls, params)
                found.extend(await ls.guarded(f"{source.feature} code actions", listed, []))
        return found

    if not resolvers:
        return

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: IrlensServer, action: types.CodeAction) -> types.CodeAction:
        for resolve in resolvers:
            resolved = await resolve(ls, action)
            if resolved is not None:
                return resolved
        return action

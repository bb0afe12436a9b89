"""The language server's wiring: every feature's handlers, registered from one ordered list.

Architecture invariant: no feature logic here or in ``handlers/``. A handler reads the
document, calls an engine (``preview/``, ``search/``, ``lift/``, ...) and turns its values
into lsprotocol ones with ``features/``; every feature call is guarded so an unexpected
exception is logged with the feature's name and the session goes on. The session's state
is :class:`~lsp_server.session.IrlensServer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lsp_server.features import hover as hover_feature
from lsp_server.features import suggest as suggest_feature
from lsp_server.features.status import STATUS_NOTIFICATION
from lsp_server.handlers import code_actions, doctor, documents, hover, lift, navigation, suggest
from lsp_server.handlers.code_actions import CodeActionSource
from lsp_server.session import IrlensServer

#: Every feature's ``register``, in order. Each adds its methods, commands and notifications
#: to the server and returns the code actions it offers; ``textDocument/codeAction`` lists
#: them in this order from one handler (see ARCHITECTURE.md for the method-to-handler table).
FEATURES: tuple[Callable[[IrlensServer], Sequence[CodeActionSource]], ...] = (
    documents.register,
    navigation.register,
    hover.register,
    suggest.register,
    lift.register,
    doctor.register,
)


#: The custom notifications the features send (server to client); docs/lsp-extensions.md
#: documents each, with the custom requests and commands the features register.
NOTIFICATIONS = (
    STATUS_NOTIFICATION,
    hover_feature.PREVIEW_UPDATED,
    suggest_feature.PROGRESS_NOTIFICATION,
)


def create_server(*, with_cache: bool = True) -> IrlensServer:
    """Build a server with every feature wired. Tests build their own variants."""
    server = IrlensServer(with_cache=with_cache)
    sources: list[CodeActionSource] = []
    for register in FEATURES:
        sources.extend(register(server))
    code_actions.register(server, sources)
    return server

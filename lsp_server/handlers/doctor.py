"""LSP wiring of ``irlens.doctor``: what irlens found on this machine (:mod:`lsp_server.doctor`)."""

from __future__ import annotations

from typing import Any

from lsp_server.features.arguments import ArgumentError, no_arguments
from lsp_server.handlers.code_actions import CodeActionSource

# Imported at run time, not only for type checking: pygls reads the command handler's
# annotations to tell the server parameter from the command's arguments.
from lsp_server.session import IrlensServer

#: Command: the doctor's report as JSON (what ``irlens doctor --json`` prints).
DOCTOR_COMMAND = "irlens.doctor"


def register(server: IrlensServer) -> list[CodeActionSource]:
    """Add the doctor command to ``server``."""

    @server.command(DOCTOR_COMMAND)
    async def doctor(ls: IrlensServer, *args: Any) -> dict[str, Any]:
        from lsp_server.doctor import collect

        try:
            no_arguments(args, DOCTOR_COMMAND)
        except ArgumentError as err:
            raise err.to_jsonrpc() from None
        services = await ls.services()
        report = await collect(services)
        return report.to_json()

    return []

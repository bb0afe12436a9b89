"""``irlens/status``: the LLVM and model backend state, for status bars."""

from __future__ import annotations

from typing import Any

from lsp_server import __version__
from lsp_server.services import Services

#: Custom notification (server to client), sent after initialisation and every settings change.
STATUS_NOTIFICATION = "irlens/status"


def status_payload(services: Services) -> dict[str, Any]:
    """What ``irlens/status`` carries: the LLVM in use and the model backend's state."""
    toolchain = services.toolchain
    backend = services.backend
    return {
        "version": __version__,
        "llvm": {
            "version": toolchain.version_text if toolchain.tools else None,
            "source": toolchain.source,
            "tools": {name: tool.path for name, tool in toolchain.tools.items()},
        },
        "model": {
            "state": backend.state.value if backend is not None else "unconfigured",
            "name": backend.model_name if backend is not None else None,
            "detail": backend.detail if backend is not None else "LLVM-only mode",
        },
    }

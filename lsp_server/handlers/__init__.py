"""LSP handlers for the model-backed features, one module per feature.

Each module here that defines ``register(server)`` adds its handlers to an
:class:`~lsp_server.server.IrlensServer`; :func:`registrars` finds them, so a feature wires
itself without editing a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsp_server.server import IrlensServer


def registrars() -> list[Callable[[IrlensServer], Any]]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            found.append(register)
    return found

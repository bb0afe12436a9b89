"""CLI subcommands for the features (``irlens preview|suggest|lift|eval``).

Each module here that defines ``add_parser(subparsers, add_common_flags) -> None`` and
``run(args) -> int`` is a subcommand named after the module; :func:`command_modules` finds
them, so a feature adds its command without editing a shared list.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "add_parser") and hasattr(module, "run"):
            found.append(module)
    return found

"""What features need from the outside world, bundled: settings, LLVM, model, cache.

A ``Services`` value is rebuilt whenever the settings change; features receive it as an
argument and never reach for globals.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsp_server.config import Settings
from lsp_server.llvm import toolchain as tc
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.opt_options import OptOptions, load_opt_options
from lsp_server.llvm.passes import PassRegistry, load_registry
from lsp_server.llvm.runner import ToolLimits

if TYPE_CHECKING:
    from lsp_server.model.backend import ModelBackend
    from lsp_server.model.cache import ResultCache

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    toolchain: tc.Toolchain
    backend: ModelBackend | None = None
    cache: ResultCache | None = None
    _registry: PassRegistry | None = field(default=None, repr=False)
    _registry_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _opt_options: OptOptions | None = field(default=None, repr=False)
    _opt_options_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def triple(self) -> str:
        """The triple for IR or assembly that names none (setting, else llc's default)."""
        return self.settings.target.triple or tc.host_triple(self.toolchain)

    async def registry(self) -> PassRegistry:
        """The local opt's pass registry, loaded once."""
        async with self._registry_lock:
            if self._registry is None:
                self._registry = await load_registry(self.toolchain)
            return self._registry

    async def opt_options(self) -> OptOptions | None:
        """The local opt's options (``--help-list-hidden``), read once; None when opt cannot
        say (callers then fall back to a fixed table of common options)."""
        async with self._opt_options_lock:
            if self._opt_options is None:
                try:
                    self._opt_options = await load_opt_options(self.toolchain)
                except (ToolError, tc.MissingToolError) as err:
                    log.warning("could not read opt's options: %s", err)
                    return None
            return self._opt_options


def make_toolchain(settings: Settings) -> tc.Toolchain:
    """Discover LLVM as the settings say (blocking: a few ``--version`` calls)."""
    return tc.discover(
        settings.llvm.bin_dir,
        default_triple=settings.target.triple,
        timeout=settings.llvm.tool_timeout_seconds,
        limits=ToolLimits(settings.llvm.max_output_mb, settings.llvm.max_memory_mb),
    )


def make_backend(settings: Settings) -> ModelBackend | None:
    """The model client, or None in LLVM-only mode. Imports httpx only when configured."""
    if not settings.model.url:
        return None
    from lsp_server.model.client import backend_from_settings

    return backend_from_settings(settings.model)


def make_cache() -> ResultCache:
    from lsp_server.model.cache import ResultCache

    return ResultCache()


def build_services(settings: Settings, *, with_cache: bool = True) -> Services:
    return Services(
        settings=settings,
        toolchain=make_toolchain(settings),
        backend=make_backend(settings),
        cache=make_cache() if with_cache else None,
    )

"""What features need from a model server, without the HTTP client behind it.

Kept apart from :mod:`lsp_server.model.client` so that features can name these types without
importing httpx: an LLVM-only session never loads it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class BackendState(enum.Enum):
    """Where the model backend stands, as features and ``irlens doctor`` show it."""

    UNCONFIGURED = "unconfigured"
    CONNECTING = "connecting"
    READY = "ready"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Completion:
    """The answer to one completions request: one text per sample, in sample order."""

    texts: tuple[str, ...]
    finish_reasons: tuple[str, ...]
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None


class ModelError(Exception):
    """A model request failed; ``str(err)`` is a sentence a user can act on.

    ``status`` is the HTTP status when the server answered, None when it could not be reached.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@runtime_checkable
class ModelBackend(Protocol):
    """What features need from a model server."""

    @property
    def state(self) -> BackendState: ...

    @property
    def model_name(self) -> str | None: ...

    @property
    def detail(self) -> str:
        """One human-readable line about the state, e.g. ``ready: MODEL at URL``."""
        ...

    async def check(self) -> BackendState:
        """Ask the server which models it serves and update the state."""
        ...

    async def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float = 0.0,
        n: int = 1,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> Completion:
        """Generate ``n`` completions of a raw prompt (no chat template); raises ModelError."""
        ...

    async def aclose(self) -> None:
        """Release the connections."""
        ...

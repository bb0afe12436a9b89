"""Which model answered: the server and the served model's identity, for cache keys and display.

A model id alone does not identify a model: a second checkpoint, a fine-tune or another
quantisation can be served under the same name. A cached answer is therefore filed under
everything the server tells about what it serves: its base URL, the model id, and the
``/v1/models`` fields that describe the checkpoint (``root`` and ``parent`` from vLLM,
``owned_by``, ``max_model_len``, and ``fingerprint``, which ``irlens daemon`` computes from the
loaded checkpoint's config and weights).

``created`` is left out on purpose: vLLM and llama.cpp's server set it to the time of the
request, and ``irlens daemon`` to its start time, so it would change the key of every answer
on every request or restart without telling one checkpoint from another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The ``/v1/models`` fields that describe the served checkpoint (see the module docstring).
IDENTITY_FIELDS = ("root", "parent", "owned_by", "max_model_len", "fingerprint")


@dataclass(frozen=True)
class ModelIdentity:
    """The server and the model it serves, as far as the server tells.

    ``fields`` holds the :data:`IDENTITY_FIELDS` the server reported, as strings.
    """

    server: str
    model: str
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_entry(cls, server: str, model: str, entry: Mapping[str, Any] | None) -> ModelIdentity:
        """The identity of ``model`` at ``server`` from its ``/v1/models`` entry (or None)."""
        fields: list[tuple[str, str]] = []
        for name in IDENTITY_FIELDS:
            value = entry.get(name) if entry is not None else None
            if value is not None and not isinstance(value, (dict, list)):
                fields.append((name, str(value)))
        return cls(server, model, tuple(fields))

    @property
    def key(self) -> str:
        """A stable string that changes with any part of the identity (for cache keys)."""
        canonical = json.dumps(
            {"server": self.server, "model": self.model, "fields": dict(self.fields)},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def fingerprint(self) -> str | None:
        """The checkpoint fingerprint the server reported (``irlens daemon`` does)."""
        return dict(self.fields).get("fingerprint")

    @property
    def label(self) -> str:
        """How the hover names the model: its id, the checkpoint and the server."""
        facts = dict(self.fields)
        parts = [f"`{self.model or 'the default model'}`"]
        root = facts.get("root")
        if root and root != self.model:
            parts.append(f"from `{root}`")
        fingerprint = facts.get("fingerprint")
        if fingerprint:
            parts.append(f"checkpoint {fingerprint[:12]}")
        if self.server:
            parts.append(f"at {self.server}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The identity for ``irlens/previewUpdated`` and the hover's data."""
        return {"server": self.server, "model": self.model, **dict(self.fields)}


def fallback_identity(server: str, model: str | None) -> ModelIdentity:
    """The identity of a backend that cannot say more than its model's name."""
    return ModelIdentity(server, model or "")


async def identity_of(backend: object) -> ModelIdentity | None:
    """The backend's current identity (asking the server when it can), or None when the
    backend knows of no model yet.

    Backends other than :class:`~lsp_server.model.client.OpenAIClient` (test fakes) may lack
    ``identity()``; they are known by their model name.
    """
    getter = getattr(backend, "identity", None)
    if callable(getter):
        found = await getter()
        return found if isinstance(found, ModelIdentity) else None
    name = getattr(backend, "model_name", None)
    return fallback_identity("", name) if isinstance(name, str) and name else None

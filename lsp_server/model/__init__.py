"""The model side of the language server: prompts and answer parsers, the client, the cache.

Nothing here imports torch or transformers: models run in a separate server (the irlens
daemon, vLLM, TGI, llama.cpp) reached over the OpenAI-compatible completions API.
"""

from lsp_server.model.cache import ResultCache
from lsp_server.model.client import (
    BackendState,
    Completion,
    ModelBackend,
    ModelError,
    OpenAIClient,
    backend_from_settings,
)

__all__ = [
    "BackendState",
    "Completion",
    "ModelBackend",
    "ModelError",
    "OpenAIClient",
    "ResultCache",
    "backend_from_settings",
]

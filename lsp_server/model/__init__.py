"""The model side of the language server: prompts and answer parsers, the client, the cache.

Nothing here imports torch or transformers: models run in a separate server (the irlens
daemon, vLLM, TGI, llama.cpp) reached over the OpenAI-compatible completions API. Import the
modules themselves (``model.backend`` for the types, ``model.client`` for the HTTP client):
this package imports nothing, so an LLVM-only session never loads httpx.
"""

"""The model daemon: an OpenAI-compatible completions server around a transformers model.

This package is the only part of irlens that imports torch or transformers, and it does
so lazily: :mod:`lsp_server.daemon.options` (the command line) and the pure modules
(:mod:`.protocol`, :mod:`.sequence`, :mod:`.lookup`, :mod:`.metrics`) import neither, so
``irlens --help`` and the language server stay light.

Module map:

- ``options``: command-line options and ``run()``, the entry point.
- ``loader``: loads a checkpoint (local directory or hub id) with transformers.
- ``protocol``: validation of ``/v1/completions`` bodies, OpenAI-style errors.
- ``sequence``: per-sequence bookkeeping: incremental detokenizing, stop strings, finish.
- ``sampling``, ``batch``: the torch side: one batched decoding step at a time.
- ``kvcache``: a KV cache layer that grows in place instead of copying every step.
- ``lookup``: prompt-lookup (n-gram) drafts for speculative decoding.
- ``scheduler``: the asyncio queue that batches requests and runs steps on a worker thread.
- ``server``: the aiohttp application.
- ``metrics``: Prometheus text exposition.
- ``tiny``: writes a tiny random checkpoint for tests and benchmarks.
"""

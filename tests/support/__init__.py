"""Helpers every test tier shares, imported as ``tests.support.NAME`` (tests and bench alike).

- ``data``: where the test data lives (the corpus, LLVM's tests, the examples).
- ``openai_fake``: a FAKE OpenAI-compatible server, for the plumbing around a model.
- ``lsp_session``: the server command and LSP messages for end-to-end sessions.
- ``daemon``: a real model daemon in a thread, for the daemon tier.
- ``neovim_session``: a real headless Neovim with the irlens plugin.
- ``llvm``: small checks with the real LLVM tools (``llvm-as`` accepts a text).
- ``tiers``: the tier markers each tier's ``conftest.py`` applies.

This package imports none of them: the daemon helpers load the model stack, which the other
tiers never need. Everything FAKE says so in its name; nothing here judges a model's quality.
"""

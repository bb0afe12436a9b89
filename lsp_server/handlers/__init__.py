"""LSP handlers, one module per feature; ``lsp_server.server.FEATURES`` lists them in order.

Each module's ``register(server)`` adds its methods and commands to an
:class:`~lsp_server.session.IrlensServer` and returns the code actions it offers, which
:mod:`.code_actions` serves from one ``textDocument/codeAction`` handler. The handlers are a
few lines each: the LSP values are made in ``features/``, the work is done by the engines.
"""

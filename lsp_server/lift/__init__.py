"""Lifting assembly to LLVM IR: the parts that need no editor and no model.

- ``normalize``: assembly toward ``clang -S`` form (``.file "-"``, no ``.ident``).
- ``split``: a file's functions and data as units; pieces that fit the model's context.
- ``budget``: a conservative token estimate for the 16k context.
- ``bleu``: the similarity score (BLEU over assembly tokens, as the paper) and diffs.
- ``targets``: which triple a file is for, and whether the local llc can build it.
- ``roundtrip``: the check of a lifted module: llvm-as, the verifier, llc back, compare.
- ``link``: joining lifted pieces into one module with llvm-link.

Architecture invariant: nothing here imports lsprotocol or calls a model; the feature
(``lsp_server.features.lift``) drives the model and these check what it said.
"""

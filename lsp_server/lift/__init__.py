"""Lifting assembly to LLVM IR: the parts that need no editor and no model.

- ``normalize``: assembly toward ``clang -S`` form (``.file "-"``, no ``.ident``).
- ``split``: a file's functions and data as units; pieces that fit the model's context.
- ``budget``: a conservative token estimate for the 16k context.
- ``bleu``: the similarity score (BLEU over assembly tokens, as the paper) and diffs.
- ``targets``: which triple a file is for, and whether the local llc can build it.
- ``roundtrip``: the check of a lifted module: llvm-as, the verifier, llc back, compare.
- ``link``: joining lifted pieces into one module with llvm-link.
- ``engine``: the whole lift, :func:`~lsp_server.lift.engine.lift_assembly`: it drives the
  model over the pieces and checks every answer with the modules above.
- ``report``: :class:`~lsp_server.lift.report.LiftResult` and the ``.lifted.ll`` document.

Architecture invariant: nothing here imports lsprotocol or pygls; only ``engine`` calls a
model, and nothing it returns is called verified unless the round trip checked it.
``lsp_server.features.lift`` turns a result into LSP values.
"""

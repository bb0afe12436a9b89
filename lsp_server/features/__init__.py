"""The LSP translation of each feature: engine values to and from lsprotocol types.

Architecture invariant: this is the only package (besides ``handlers/``, which calls it) that
converts between domain values and lsprotocol types. The engines it translates live in
``syntax/``, ``preview/``, ``search/`` and ``lift/`` and know nothing of LSP.
"""

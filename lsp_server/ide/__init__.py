"""Language intelligence over the module index, as plain values (no LSP types).

Definition, references, highlights, rename, completion candidates, hover contents and the
CFG of a function. Positions are the ``syntax`` layer's (0-based lines, columns in ``str``
indices); ``features/`` converts them to LSP. Architecture invariant: nothing here does IO,
imports lsprotocol or pygls, or raises on any text.
"""

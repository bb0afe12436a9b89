"""Text as bytes and as a cache key, for any ``str`` a client or a file can hand us.

JSON allows a lone surrogate (``"\\ud800"``) and Python decodes it into the ``str``, where
``text.encode()`` then raises. Everything that hashes text or hands it to a tool goes
through here instead: ``surrogatepass`` writes a lone surrogate as the three bytes UTF-8
would give a code point there, so the bytes are the same for every other text, a column
counts the same, and the LLVM tools see an invalid byte sequence (which they report, in a
comment they ignore) rather than irlens raising.
"""

from __future__ import annotations

import hashlib


def text_bytes(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate included (see the module docstring)."""
    return text.encode("utf-8", "surrogatepass")


def text_key(text: str) -> str:
    """The sha256 of ``text`` (hex): what identifies a text's content in caches."""
    return hashlib.sha256(text_bytes(text)).hexdigest()

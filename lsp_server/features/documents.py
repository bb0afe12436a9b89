"""The document boundary: what a handler gets to read, decided once for every feature.

A :class:`Snapshot` is one version of a document (uri, version, text, kind) that every engine
can take as it is:

- **Lone surrogates** (JSON carries ``"\\ud83d"``; a JavaScript client sends one when an edit
  splits a surrogate pair) cannot be encoded to UTF-8, so every tool run, hash and encoder
  would raise on them. Each becomes U+FFFD: one code point for one, so str indices stay put,
  and U+FFFD takes as many UTF-16, UTF-8 (with ``surrogatepass``) and UTF-32 code units as a
  lone surrogate does, so every position the client sends or gets back stays the same. The
  diagnostics say so at each spot (:func:`surrogate_diagnostics`).
- **A document that was never opened** (a client may ask about one) is read from disk when it
  is a local file; otherwise :class:`DocumentError` names the URI, and the handler answers
  ``InvalidParams`` with it (``features/arguments.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lsprotocol import types

from lsp_server.features.arguments import ArgumentError
from lsp_server.features.diagnostics import SOURCE, document_kind
from lsp_server.features.positions import Lines

_SURROGATE = re.compile("[\ud800-\udfff]")
#: What a lone surrogate becomes.
REPLACEMENT = "\ufffd"
#: At most this many surrogate diagnostics per document (one per spot, then a summary).
MAX_SPOTS = 20


class DocumentError(ArgumentError):
    """The document a request names cannot be read: not open, and not a readable file."""


@dataclass(frozen=True)
class Snapshot:
    """One version of a document, safe to hand to any engine.

    ``version`` is None for a file read from disk (the client never opened it).
    ``surrogates`` are the (line, str index) spots where a lone surrogate was replaced.
    """

    uri: str
    version: int | None
    text: str
    kind: str | None
    surrogates: tuple[tuple[int, int], ...] = ()

    @property
    def opened(self) -> bool:
        """Whether the client opened it (else it was read from disk)."""
        return self.version is not None


def clean_text(text: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``text`` with each lone surrogate replaced by U+FFFD, and the (line, index) spots.

    Lines are counted as LSP counts them (``\\r\\n``, ``\\r`` and ``\\n``); only the first
    :data:`MAX_SPOTS` + 1 spots are located (the diagnostics show no more).
    """
    if text.isascii():
        return text, ()  # the common case, read in a few ms on a 30 MB module
    first = _SURROGATE.search(text)
    if first is None:
        return text, ()
    spots: list[tuple[int, int]] = []
    line, line_start, scanned = 0, 0, 0
    for match in _SURROGATE.finditer(text, first.start()):
        if len(spots) > MAX_SPOTS:
            break
        offset = match.start()
        # Count the line breaks since the last spot only: one pass over the text in all.
        chunk = text[scanned:offset]
        line += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
        if scanned > 0 and text[scanned - 1] == "\r" and chunk.startswith("\n"):
            line -= 1  # a \r\n split between two chunks is one break
        last_break = max(chunk.rfind("\n"), chunk.rfind("\r"))
        if last_break >= 0:
            line_start = scanned + last_break + 1
        spots.append((line, offset - line_start))
        scanned = offset
    return _SURROGATE.sub(REPLACEMENT, text), tuple(spots)


def snapshot_of(uri: str, version: int | None, text: str, language_id: str | None) -> Snapshot:
    """The snapshot of an open document's text (cleaned of lone surrogates)."""
    cleaned, spots = clean_text(text)
    return Snapshot(uri, version, cleaned, document_kind(uri, language_id), spots)


def read_unopened(uri: str, max_bytes: int) -> Snapshot:
    """A document the client never opened, read from disk (call it off the event loop).

    Raises :class:`DocumentError` naming the URI when it is no readable local file, or is
    larger than ``max_bytes``.
    """
    parts = urlsplit(uri)
    if parts.scheme != "file":
        raise DocumentError(f"irlens: {uri} is not open, and is not a local file to read")
    path = Path(unquote(parts.path))
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DocumentError(f"irlens: {uri} is not open, and is not a file")
        if size > max_bytes:
            raise DocumentError(
                f"irlens: {uri} is not open, and is too large to read "
                f"({size / 1e6:.1f} MB; limit {max_bytes / 1e6:.0f} MB, "
                "setting irlens.limits.documentMegabytes)"
            )
        data = path.read_bytes()
    except OSError as err:
        raise DocumentError(
            f"irlens: {uri} is not open, and cannot be read: {err.strerror or err}"
        ) from None
    # Bytes that are not UTF-8 become U+FFFD, as an editor shows them.
    text = data.decode("utf-8", errors="replace")
    return Snapshot(uri, None, text, document_kind(uri, None))


def surrogate_diagnostics(snapshot: Snapshot, encoding: str) -> list[types.Diagnostic]:
    """One warning at each spot where a lone surrogate was replaced by U+FFFD."""
    if not snapshot.surrogates:
        return []
    lines = Lines(snapshot.text, encoding)
    found = []
    for line, index in snapshot.surrogates[:MAX_SPOTS]:
        found.append(
            types.Diagnostic(
                range=types.Range(
                    start=lines.position(line, index), end=lines.position(line, index + 1)
                ),
                message=(
                    "A lone UTF-16 surrogate here is not text; irlens reads it as U+FFFD "
                    "(\ufffd) for every feature. Retype the character."
                ),
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
            )
        )
    if len(snapshot.surrogates) > MAX_SPOTS:
        found[-1].message += " (more lone surrogates follow; only the first are marked)"
    return found


def megabytes(text: str) -> float:
    """The size of ``text`` in UTF-8, in MB (10^6 bytes)."""
    if text.isascii():
        return len(text) / 1_000_000
    return len(text.encode("utf-8", errors="surrogatepass")) / 1_000_000


def too_large(text: str, feature: str, limit_mb: float, setting: str) -> str | None:
    """Why ``feature`` does not run on ``text``, or None when it is within its budget.

    ``setting`` is the key under ``irlens.limits`` that raises the budget.
    """
    size = megabytes(text)
    if size <= limit_mb:
        return None
    return (
        f"irlens: this document is too large for {feature} ({size:.1f} MB; limit "
        f"{limit_mb:g} MB, setting irlens.limits.{setting})"
    )


def notice(
    message: str, severity: types.DiagnosticSeverity = types.DiagnosticSeverity.Warning
) -> types.Diagnostic:
    """A diagnostic about the whole document, at its first character."""
    start = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=start, end=start), message=message, severity=severity, source=SOURCE
    )

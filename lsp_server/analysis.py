"""The module index of each open document, built off the event loop.

A request asks for the index of the version it sees; the index is built in a worker thread
(from the previous version's, so an edit re-reads one function), shared by every request
for that version, and dropped when a newer version has been indexed meanwhile. A document
larger than the budget is not indexed: requests get a clear message instead of a stall.
Nothing of a closed document is kept.

Architecture invariant: no LSP types here; the handlers translate.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from lsp_server.offload import run_sized
from lsp_server.syntax.index import ModuleIndex, build_index

log = logging.getLogger(__name__)

#: The largest document (in bytes of UTF-8) the module index reads by default (the setting
#: ``irlens.limits.indexMegabytes``). Indexing costs about 13 ms of CPU per 1,000 lines, so
#: this bounds one build at a few seconds of a worker.
INDEX_LIMIT_BYTES = 16 * 1024 * 1024


class TooLarge(Exception):
    """The document is over the index's budget; the message says so for the user."""


@dataclass
class _Entry:
    version: int
    index: ModuleIndex


class DocumentIndexes:
    """Per-URI module indexes, one version each."""

    def __init__(self, limit_bytes: int = INDEX_LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._done: dict[str, _Entry] = {}
        self._building: dict[tuple[str, int], asyncio.Future[ModuleIndex]] = {}

    def too_large(self, text: str) -> str | None:
        """Why ``text`` is not indexed, or ``None`` when it is within the budget."""
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size <= self.limit_bytes:
            return None
        return (
            f"this document is too large for the module index ({size / 2**20:.1f} MB; "
            f"limit {self.limit_bytes / 2**20:g} MB, setting irlens.limits.indexMegabytes): "
            "navigation, rename, completion, semantic tokens and the built-in checks are off "
            "for it"
        )

    async def get(self, uri: str, version: int | None, text: str) -> ModuleIndex:
        """The index of ``text`` (version ``version`` of ``uri``). Raises :class:`TooLarge`."""
        number = version if version is not None else -1
        done = self._done.get(uri)
        if done is not None and done.version == number and done.index.text == text:
            return done.index
        reason = self.too_large(text)
        if reason is not None:
            raise TooLarge(reason)
        key = (uri, number)
        future = self._building.get(key)
        if future is None:
            previous = done.index if done is not None else None
            future = asyncio.ensure_future(run_sized(len(text), build_index, text, previous))
            self._building[key] = future
            future.add_done_callback(lambda f: self._finished(uri, number, f))
        return await asyncio.shield(future)

    def _finished(self, uri: str, version: int, future: asyncio.Future[ModuleIndex]) -> None:
        forgotten = self._building.pop((uri, version), None) is not future
        if future.cancelled() or future.exception() is not None:
            if not future.cancelled():
                log.error("irlens: indexing %s failed", uri, exc_info=future.exception())
            return
        if forgotten:
            return  # the document closed while it was being indexed
        current = self._done.get(uri)
        # A build for an older version than the one kept is dropped.
        if current is None or current.version <= version:
            self._done[uri] = _Entry(version, future.result())

    def forget(self, uri: str) -> None:
        """Drop everything about ``uri`` (its document closed)."""
        self._done.pop(uri, None)
        for key in [k for k in self._building if k[0] == uri]:
            self._building.pop(key, None)

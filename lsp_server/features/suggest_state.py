"""The suggest feature's memory in one server: finished results by document text, so the
next code action listing shows the concrete offer, and the searches in flight, so a newer
request for the same function with a changed text cancels the older one and the same text
joins it.

It knows nothing of LSP or of how a search runs: :meth:`SuggestState.run` is handed a
function that starts one.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from lsp_server.features.suggest import text_key

if TYPE_CHECKING:
    from lsp_server.search.engine import Suggestion

#: Finished results kept (the oldest goes first), and what they may weigh together (about
#: the bytes of their texts: a result holds the optimised module).
KEEP_RESULTS = 32
KEEP_BYTES = 32 * 1024 * 1024


def weight(result: Suggestion) -> int:
    """About the bytes ``result`` holds: the characters of its texts, found wherever they are."""
    seen: set[int] = set()

    def size(value: object) -> int:
        if isinstance(value, str | bytes):
            return len(value)
        if id(value) in seen or value is None or isinstance(value, int | float | bool):
            return 8
        seen.add(id(value))
        if isinstance(value, dict):
            return sum(size(k) + size(v) for k, v in value.items())
        if isinstance(value, list | tuple | set | frozenset):
            return sum(size(v) for v in value)
        fields = getattr(value, "__dataclass_fields__", None)
        if fields is not None:
            return sum(size(getattr(value, name, None)) for name in fields)
        return 64

    return size(result)


class SuggestState:
    """Finished results and running searches of one server."""

    def __init__(self, keep: int = KEEP_RESULTS, keep_bytes: int = KEEP_BYTES) -> None:
        self.keep = keep
        self.keep_bytes = keep_bytes
        self.results: OrderedDict[tuple[str, str, str | None], Suggestion] = OrderedDict()
        self._weights: dict[tuple[str, str, str | None], int] = {}
        self.running: dict[tuple[str, str | None], tuple[str, asyncio.Task[Suggestion]]] = {}

    def cached(self, uri: str, key: str) -> dict[str | None, Suggestion]:
        """The finished results for this text of ``uri``, by function (None: the module)."""
        return {f: r for (u, k, f), r in self.results.items() if u == uri and k == key}

    def remember(self, uri: str, key: str, result: Suggestion) -> None:
        """Keep ``result``, forgetting the oldest beyond :attr:`keep` results or
        :attr:`keep_bytes` (a result heavier than that is not kept)."""
        entry = (uri, key, result.function)
        self.results[entry] = result
        self.results.move_to_end(entry)
        self._weights[entry] = weight(result)
        while self.results and (
            len(self.results) > self.keep or sum(self._weights.values()) > self.keep_bytes
        ):
            dropped, _ = self.results.popitem(last=False)
            self._weights.pop(dropped, None)

    def forget_document(self, uri: str) -> None:
        """Drop a closed document's results. A search still running for it finishes for
        the command that asked (the results stay bounded by count and bytes)."""
        for entry in [e for e in self.results if e[0] == uri]:
            del self.results[entry]
            self._weights.pop(entry, None)

    async def run(
        self,
        uri: str,
        text: str,
        function: str | None,
        search: Callable[[], Awaitable[Suggestion]],
        *,
        reuse: bool = True,
    ) -> Suggestion:
        """The result for this text: remembered, joined while running, or ``search()`` now.

        With ``reuse=False`` (a command with its own budget) the search always runs anew.
        A running search for the same function and another text is cancelled.
        """
        key = text_key(text)
        done = self.results.get((uri, key, function))
        if done is not None and done.offer is not None and reuse:
            return done
        running = self.running.get((uri, function))
        if running is not None:
            if running[0] == key and reuse:
                return await asyncio.shield(running[1])
            running[1].cancel()  # a newer request supersedes it
        task = asyncio.ensure_future(search())
        self.running[(uri, function)] = (key, task)
        try:
            result = await task
        finally:
            if self.running.get((uri, function), (None, None))[1] is task:
                del self.running[(uri, function)]
        # A failure is remembered too, so the next listing can say why; asking again retries.
        self.remember(uri, key, result)
        return result

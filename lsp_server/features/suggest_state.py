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

#: Finished results kept (the oldest goes first).
KEEP_RESULTS = 32


class SuggestState:
    """Finished results and running searches of one server."""

    def __init__(self, keep: int = KEEP_RESULTS) -> None:
        self.keep = keep
        self.results: OrderedDict[tuple[str, str, str | None], Suggestion] = OrderedDict()
        self.running: dict[tuple[str, str | None], tuple[str, asyncio.Task[Suggestion]]] = {}

    def cached(self, uri: str, key: str) -> dict[str | None, Suggestion]:
        """The finished results for this text of ``uri``, by function (None: the module)."""
        return {f: r for (u, k, f), r in self.results.items() if u == uri and k == key}

    def remember(self, uri: str, key: str, result: Suggestion) -> None:
        """Keep ``result``, forgetting the oldest beyond :attr:`keep`."""
        self.results[(uri, key, result.function)] = result
        self.results.move_to_end((uri, key, result.function))
        while len(self.results) > self.keep:
            self.results.popitem(last=False)

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

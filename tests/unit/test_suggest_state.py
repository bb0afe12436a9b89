"""The suggest feature's memory: finished results by text, and searches joined or superseded."""

from __future__ import annotations

import asyncio

import pytest

from lsp_server.features.suggest import text_key
from lsp_server.features.suggest_state import SuggestState
from lsp_server.search.engine import Offer, Suggestion
from lsp_server.search.verify import Edited

URI = "file:///w/a.ll"


def _found(function: str | None, *, offer: bool = True) -> Suggestion:
    result = Suggestion(function, "x86_64-unknown-linux-gnu")
    if offer:
        edited = Edited("text", 0, 1, "text", "")
        result.offer = Offer("default<Oz>", 10, 10, False, edited, "skipped", "19.1.7")
    else:
        result.error = "the IR does not compile"
    return result


class Searches:
    """Counts the searches started; each waits for ``release`` before answering."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.release = asyncio.Event()

    def start(self, name: str, function: str | None = "f", *, offer: bool = True):
        async def search() -> Suggestion:
            self.started.append(name)
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled.append(name)
                raise
            return _found(function, offer=offer)

        return search


async def test_the_same_text_joins_the_running_search_and_is_remembered() -> None:
    state, searches = SuggestState(), Searches()
    first = asyncio.ensure_future(state.run(URI, "v1", "f", searches.start("a")))
    second = asyncio.ensure_future(state.run(URI, "v1", "f", searches.start("b")))
    await asyncio.sleep(0)  # allowed: one loop turn, not a wait for time: both runs have begun
    searches.release.set()
    a, b = await asyncio.gather(first, second)
    assert searches.started == ["a"] and a is b
    assert state.cached(URI, text_key("v1")) == {"f": a}
    # Asked again, the remembered offer answers without a search.
    assert await state.run(URI, "v1", "f", searches.start("c")) is a
    assert searches.started == ["a"] and not state.running


async def test_a_changed_text_cancels_the_older_search() -> None:
    state, searches = SuggestState(), Searches()
    old = asyncio.ensure_future(state.run(URI, "v1", "f", searches.start("old")))
    await asyncio.sleep(0)  # allowed: one loop turn, not a wait for time: the old search has begun
    new = asyncio.ensure_future(state.run(URI, "v2", "f", searches.start("new")))
    await asyncio.sleep(0)  # allowed: one loop turn, not a wait for time: the new search has begun
    searches.release.set()
    with pytest.raises(asyncio.CancelledError):
        await old
    assert (await new).function == "f"
    assert searches.cancelled == ["old"]
    assert state.cached(URI, text_key("v1")) == {}
    assert set(state.cached(URI, text_key("v2"))) == {"f"}


async def test_a_budget_runs_anew_and_a_failure_is_remembered_but_retried() -> None:
    state, searches = SuggestState(), Searches()
    searches.release.set()
    failed = await state.run(URI, "v1", None, searches.start("fail", None, offer=False))
    assert state.cached(URI, text_key("v1")) == {None: failed}
    retried = await state.run(URI, "v1", None, searches.start("retry", None))
    assert retried.offer is not None and retried is not failed
    again = await state.run(URI, "v1", None, searches.start("budget", None), reuse=False)
    assert again is not retried
    assert searches.started == ["fail", "retry", "budget"]


def test_only_the_newest_results_are_kept() -> None:
    state = SuggestState(keep=2)
    for name in ("a", "b", "c"):
        state.remember(URI, "k", _found(name))
    assert set(state.cached(URI, "k")) == {"b", "c"}
    assert state.cached("file:///w/other.ll", "k") == {}

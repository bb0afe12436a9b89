"""The per-document index store: built off the event loop, one per version, bounded."""

from __future__ import annotations

import asyncio

import pytest

from lsp_server.analysis import DocumentIndexes, TooLarge

FUNCTION = "define i32 @f{n}(i32 %a) {{\n  %b = add i32 %a, {n}\n  ret i32 %b\n}}\n"
BIG = "".join(FUNCTION.format(n=n) for n in range(4000))


async def test_the_event_loop_runs_while_a_big_module_is_indexed() -> None:
    store = DocumentIndexes()
    loop = asyncio.get_running_loop()
    turns = 0

    def tick() -> None:  # a callback that runs on every turn of the loop until the build ends
        nonlocal turns
        turns += 1
        if not build.done():
            loop.call_soon(tick)

    build = asyncio.ensure_future(store.get("file:///big.ll", 1, BIG))
    loop.call_soon(tick)
    index = await build
    assert len(index.functions) == 4000
    assert turns > 1  # the loop kept turning: the index was built in a worker thread


async def test_one_build_per_version_and_reuse_after_an_edit() -> None:
    store = DocumentIndexes()
    first, again = await asyncio.gather(
        store.get("file:///a.ll", 1, BIG), store.get("file:///a.ll", 1, BIG)
    )
    assert first is again
    edited = BIG.replace("add i32 %a, 7\n", "add i32 %a, 8\n")
    second = await store.get("file:///a.ll", 2, edited)
    assert second.reused == len(second.functions) - 1


async def test_an_older_version_finishing_late_is_dropped() -> None:
    store = DocumentIndexes()
    newer = await store.get("file:///a.ll", 3, "define void @g() {\n  ret void\n}\n")
    older = await store.get("file:///a.ll", 2, BIG)
    assert older is not newer
    assert await store.get("file:///a.ll", 3, "define void @g() {\n  ret void\n}\n") is newer


async def test_too_large_documents_get_a_clear_message() -> None:
    store = DocumentIndexes(limit_bytes=1000)
    with pytest.raises(
        TooLarge,
        match=r"too large for the module index \(0\.\d MB; limit 0\.\d+ MB, setting irlens\.limits\.indexMegabytes\)",
    ):
        await store.get("file:///big.ll", 1, BIG[:5000])


async def test_closing_drops_the_document() -> None:
    store = DocumentIndexes()
    first = await store.get("file:///a.ll", 1, BIG[:1000])
    store.forget("file:///a.ll")
    assert await store.get("file:///a.ll", 1, BIG[:1000]) is not first

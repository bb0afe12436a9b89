"""CPU work off the event loop, in two lanes: small documents never wait behind big ones.

Work on a tiny document (at most :data:`TINY_CHARS` characters: a millisecond of work)
runs at once, on the loop: in a pool it would wait behind every other request's work (the
stress run's probe waited about 190 ms for a three-line outline behind 32 requests).

``asyncio.to_thread`` shares one pool: while a 30 MB module is indexed or outlined in every
one of its workers, the outline of a three-line document waits for them (the stress run's
probe, ``bench/stress_bench.py``, waited seconds). Work on a document of at most
:data:`SMALL_CHARS` characters goes to a pool of its own that big documents never enter;
the rest shares the other pool, as many workers as CPUs.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: The largest document (in characters) whose work runs at once, on the event loop.
TINY_CHARS = 4 * 1024
#: The largest document (in characters) whose work runs in the small lane.
SMALL_CHARS = 256 * 1024

_small = ThreadPoolExecutor(2, thread_name_prefix="irlens-small")
_large = ThreadPoolExecutor(max(2, os.cpu_count() or 2), thread_name_prefix="irlens-large")


def lane(size: int) -> str:
    """Which lane work on a document of ``size`` characters takes ("tiny": on the loop,
    "small" or "large")."""
    if size <= TINY_CHARS:
        return "tiny"
    return "small" if size <= SMALL_CHARS else "large"


async def run_sized(size: int, fn: Callable[..., T], /, *args: object) -> T:
    """``fn(*args)`` in a worker thread of the lane for a document of ``size`` characters
    (with the caller's context variables, as ``asyncio.to_thread``), or at once for a tiny
    one."""
    where = lane(size)
    if where == "tiny":
        return fn(*args)
    pool = _small if where == "small" else _large
    call = functools.partial(contextvars.copy_context().run, fn, *args)
    return await asyncio.get_running_loop().run_in_executor(pool, call)

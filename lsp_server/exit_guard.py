"""The last word on exiting: after ``exit``, the process ends within a few seconds, whatever runs.

pygls stops its event loop on ``exit``, and ``asyncio.run`` then cancels every task left and
waits for them. A task that does not finish when cancelled (one waiting on work it shields)
would keep the process alive with its pipes open, and an editor waiting for the server to go
would wait for ever. So ``exit`` also arms a timer on a daemon thread: if the process is still
there when it fires, the tasks still pending are logged (that is a defect to fix) and the
process ends with the exit code LSP gives (0 after ``shutdown``, else 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

#: How long the event loop may take to wind down after ``exit``.
GRACE_SECONDS = 5.0


def arm(
    loop: asyncio.AbstractEventLoop, code: int, grace: float = GRACE_SECONDS
) -> threading.Timer:
    """End the process with ``code`` unless it has ended by itself within ``grace`` seconds."""

    def fire() -> None:
        with contextlib.suppress(Exception):
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                stack = io.StringIO()
                task.print_stack(limit=8, file=stack)
                log.error("irlens: still running %.0f s after exit: %s", grace, stack.getvalue())
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(code)

    timer = threading.Timer(grace, fire)
    timer.daemon = True
    timer.start()
    return timer

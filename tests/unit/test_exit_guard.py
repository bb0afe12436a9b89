"""After ``exit`` the server process ends, even when a task refuses to finish when cancelled."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.data import ROOT

STUBBORN = textwrap.dedent(
    """
    import asyncio, logging
    from lsp_server import exit_guard

    logging.basicConfig(level=logging.INFO)

    async def stubborn(started):
        started.set()
        while True:
            try:
                await asyncio.Event().wait()  # never set
            except asyncio.CancelledError:
                continue  # the defect the guard is for: a task that will not end

    async def main():
        started = asyncio.Event()
        asyncio.ensure_future(stubborn(started))
        await started.wait()
        exit_guard.arm(asyncio.get_running_loop(), 3, grace=0.5)

    asyncio.run(main())  # cancels stubborn() at close and would wait for it for ever
    """
)


def test_a_task_that_ignores_cancellation_cannot_keep_the_process_alive() -> None:
    done = subprocess.run(
        [sys.executable, "-c", STUBBORN], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 3
    assert (
        "still running 0 s after exit" in done.stderr
        or "still running 1 s after exit" in done.stderr
    )
    assert "stubborn" in done.stderr, "the log names the task that would not end"


def test_a_process_that_ends_by_itself_keeps_its_own_code() -> None:
    code = (
        "import asyncio, sys\n"
        "from lsp_server import exit_guard\n"
        "async def main():\n"
        "    exit_guard.arm(asyncio.get_running_loop(), 3, grace=30)\n"
        "asyncio.run(main())\n"
        "sys.exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert done.returncode == 0

"""The eval tasks, by name: ``emulate``, ``passes``, ``lift``."""

from __future__ import annotations

from lsp_server.eval.tasks.base import Task


def get_task(name: str) -> Task:
    """The task called ``name``; raises KeyError for an unknown one."""
    if name == "emulate":
        from lsp_server.eval.tasks.emulate import EmulateTask

        return EmulateTask()
    if name == "passes":
        from lsp_server.eval.tasks.passes import PassesTask

        return PassesTask()
    if name == "lift":
        from lsp_server.eval.tasks.lift import LiftTask

        return LiftTask()
    raise KeyError(name)

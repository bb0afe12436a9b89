"""What long-running commands share: ``$/progress`` with a cancel button, and cancellation
when the client cancels the request."""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Future
from typing import Any

from lsprotocol import types

from lsp_server.session import IrlensServer

log = logging.getLogger(__name__)

#: What a long command answers when the user cancelled it (its progress or the request).
CANCELLED: dict[str, Any] = {"ok": False, "cancelled": True, "error": "cancelled"}


class Progress:
    """Server-initiated ``$/progress`` with a cancel button, when the client supports it.

    Every method is a no-op when the client has no progress support or refused the token.
    """

    def __init__(self, ls: IrlensServer, token: str | None) -> None:
        self.ls = ls
        self.token = token
        self.last = ""

    @classmethod
    async def start(cls, ls: IrlensServer, title: str, feature: str) -> Progress:
        window = ls.client_capabilities.window
        if window is None or not window.work_done_progress:
            return cls(ls, None)
        token = f"irlens-{feature}-{uuid.uuid4()}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:
            log.info("the client refused a progress token; %s goes on without progress", feature)
            return cls(ls, None)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0)
        )
        return cls(ls, token)

    def cancel_with(self, task: asyncio.Future[Any]) -> None:
        """Cancel ``task`` when the user presses the progress' cancel button."""
        if self.token is None:
            return
        future = self.ls.work_done_progress.tokens.get(self.token)
        if future is not None:
            future.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)

    def report(self, message: str, percentage: int) -> None:
        if self.token is None or message == self.last:
            return
        self.last = message
        self.ls.work_done_progress.report(
            self.token,
            types.WorkDoneProgressReport(message=message, percentage=percentage, cancellable=True),
        )

    def end(self, message: str) -> None:
        if self.token is None:
            return
        self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self.token = None


def cancel_with_request(ls: IrlensServer, task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` when the client cancels the request being handled now.

    pygls answers a cancelled executeCommand but does not cancel the command's coroutine (it
    runs behind pygls' own request future), so the work would go on without this.
    """
    futures = getattr(ls.protocol, "_request_futures", None)
    request = futures.get(ls.protocol.msg_id) if isinstance(futures, dict) else None
    if isinstance(request, Future | asyncio.Future):
        request.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)


def plain(value: Any) -> Any:
    """pygls hands custom params over as namedtuples; turn them back into dicts and lists."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value

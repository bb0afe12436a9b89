"""The JSON-RPC boundary's output (``lsp_server/rpc.py``): messages leave in the order they
were sent, from a thread, all of them by the time ``exit`` closes the writer; which answers
are big enough to be turned into JSON off the event loop."""

from __future__ import annotations

import io
import threading

from lsprotocol import types
from pygls.io_ import StdoutWriter

from lsp_server.rpc import _BIG_RESULT, _is_big, _QueuedWriter


class _SlowStream(io.BytesIO):
    """A client slow to read: each write waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()

    def write(self, data) -> int:  # type: ignore[override]
        self.go.wait(5)
        return super().write(data)

    def close(self) -> None:
        self.closed_with = self.getvalue()
        super().close()


def test_writes_do_not_wait_for_the_client_and_keep_their_order() -> None:
    stream = _SlowStream()
    writer = _QueuedWriter(StdoutWriter(stream))
    for number in range(200):
        writer.write(b"%d;" % number)  # returns at once though the client reads nothing
    assert stream.getvalue() == b""
    stream.go.set()
    writer.close()
    assert stream.closed_with == b"".join(b"%d;" % n for n in range(200))


class _Answer:
    def __init__(self, result: object) -> None:
        self.result = result


def test_only_long_answers_are_big() -> None:
    assert not _is_big(_Answer([1] * _BIG_RESULT))
    assert _is_big(_Answer([1] * (_BIG_RESULT + 1)))
    assert _is_big(_Answer(types.SemanticTokens(data=[0] * (5 * _BIG_RESULT + 1))))
    assert not _is_big(_Answer(types.SemanticTokens(data=[0] * 10)))
    assert not _is_big(_Answer(None)) and not _is_big(object())

"""A FAKE OpenAI-compatible completions server, for testing the plumbing around a model.

It runs no model: a ``responder`` function decides every answer (:func:`scripted_responder`
maps prompt substrings to answers). Use it to test the client, the features and the language
server end to end without a GPU. It serves ``GET /v1/models`` and ``POST /v1/completions``
(``n``, ``stop``, ``max_tokens``; not ``stream``, which irlens's client does not use) on
127.0.0.1, and can misbehave on request: a delay, an error status, a failure for the next few
requests, a body that is not JSON, a required API key.

In a test::

    with FakeOpenAIServer(lambda prompt, body: "answer") as fake:
        client = OpenAIClient(fake.url)

A language server under test in a subprocess points its ``model.url`` at ``fake.url``.
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

Responder = Callable[[str, dict[str, Any]], "str | list[str]"]


class FakeHTTPError(Exception):
    """Raise from a responder to answer with an HTTP error in the OpenAI shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def scripted_responder(script: Mapping[str, str | list[str]]) -> Responder:
    """A responder that answers with the first script entry whose key occurs in the prompt.

    A prompt that matches no key gets a 400 saying so, which makes a missing script entry
    visible in the test's failure instead of an empty answer.
    """

    def respond(prompt: str, body: dict[str, Any]) -> str | list[str]:
        for needle, answer in script.items():
            if needle in prompt:
                return answer
        raise FakeHTTPError(400, f"fake server: no scripted answer for prompt {prompt[:80]!r}")

    return respond


def _apply_stop(text: str, stop: list[str]) -> str:
    """Cut ``text`` at the earliest stop string, as real servers do (the stop is dropped)."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return text[:cut] if cut >= 0 else text


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Close the kept-alive connections too, as a server process that exits does;
        otherwise their handler threads would go on answering after :meth:`stop`."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                log.debug("fake openai server: a connection was already closed")

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a cancelled request) is normal, not an error.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            log.debug("fake openai server: %s went away", client_address)
            return
        super().handle_error(request, client_address)


class FakeOpenAIServer:
    """A fake OpenAI-compatible server in a background thread; see the module docstring.

    Misbehaviour, settable at any time: ``delay_seconds`` before each completion (ended early
    by :meth:`stop`); ``status`` answers every request with that HTTP status and
    ``error_message``; :meth:`fail_next` fails only the next few completions; ``garbage_body``
    answers completions with 200 and that body; ``api_key`` requires ``Authorization: Bearer``.

    ``chars_per_token`` is the fake's tokenizer: the usage counts use it, and when it is set
    an answer longer than ``max_tokens`` tokens is cut with ``finish_reason: "length"``.
    """

    def __init__(
        self,
        responder: Responder,
        model: str = "fake-llm-compiler",
        *,
        api_key: str | None = None,
        chars_per_token: float | None = None,
        models: list[str] | None = None,
        port: int = 0,
        model_fields: dict[str, Any] | None = None,
    ) -> None:
        self.responder = responder
        self.model = model
        self.models = models if models is not None else [model]
        #: Extra fields of every /v1/models entry (``root``, ``fingerprint``, ...), to play
        #: two servers that serve different checkpoints under one model id.
        self.model_fields = dict(model_fields or {})
        self.api_key = api_key
        self.chars_per_token = chars_per_token
        self.delay_seconds = 0.0
        self.status: int | None = None
        self.error_message = "fake server failure"
        self.garbage_body: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.gets: list[str] = []
        self._failures: collections.deque[tuple[int, str]] = collections.deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _Server(("127.0.0.1", self._port), handler)
        self._stopping.clear()
        # A short poll interval keeps stop() quick: shutdown() waits for the next poll.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_connections()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fake server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def fail_next(self, status: int, times: int = 1, message: str | None = None) -> None:
        """Answer the next ``times`` completion requests with ``status``."""
        with self._lock:
            for _ in range(times):
                self._failures.append((status, message or f"fake failure {status}"))

    # --- answers (called from the handler threads) --------------------------------------

    def _tokens(self, text: str) -> int:
        return round(len(text) / (self.chars_per_token or 4.0))

    def _choices(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int, int]:
        """The choices for a completions body, with prompt and completion token counts."""
        prompts = body.get("prompt", "")
        prompts = prompts if isinstance(prompts, list) else [prompts]
        n = body.get("n", 1)
        stop = body.get("stop") or []
        stop = [stop] if isinstance(stop, str) else list(stop)
        max_tokens = body.get("max_tokens", 16)
        if not isinstance(n, int) or n < 1 or not isinstance(max_tokens, int) or max_tokens < 1:
            raise FakeHTTPError(400, "fake server: n and max_tokens must be positive integers")
        choices: list[dict[str, Any]] = []
        prompt_tokens = completion_tokens = 0
        for prompt in prompts:
            if not isinstance(prompt, str):
                raise FakeHTTPError(400, "fake server: prompt must be a string")
            prompt_tokens += self._tokens(prompt)
            answer = self.responder(prompt, body)
            samples = [answer] if isinstance(answer, str) else list(answer)
            for i in range(n):
                # A stop string and the answer's natural end both finish with "stop".
                text = _apply_stop(samples[i % len(samples)], stop)
                finish = "stop"
                if self.chars_per_token is not None:
                    limit = int(max_tokens * self.chars_per_token)
                    if len(text) > limit:
                        text, finish = text[:limit], "length"
                completion_tokens += self._tokens(text)
                choices.append(
                    {"index": len(choices), "text": text, "finish_reason": finish, "logprobs": None}
                )
        return choices, prompt_tokens, completion_tokens

    def _misbehaviour(self) -> tuple[int, str] | None:
        with self._lock:
            if self._failures:
                return self._failures.popleft()
        if self.status is not None:
            return self.status, self.error_message
        return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the client's
    # delayed ACK would add about 40 ms to every answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake openai server: " + format, *args)

    # --- helpers ------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode())

    def _error(self, status: int, message: str) -> None:
        self._json(
            status,
            {"error": {"message": message, "type": "fake_error", "code": status}},
        )

    def _authorised(self) -> bool:
        key = self.fake.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._error(401, "fake server: missing or wrong API key")
        return False

    # --- endpoints ----------------------------------------------------------------------

    def do_GET(self) -> None:
        with self.fake._lock:
            self.fake.gets.append(self.path)
        if not self._authorised():
            return
        if self.fake.status is not None:
            self._error(self.fake.status, self.fake.error_message)
            return
        if self.path.rstrip("/") == "/v1/models":
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                | self.fake.model_fields
                for m in self.fake.models
            ]
            self._json(200, {"object": "list", "data": data})
        elif self.path == "/health":
            self._json(200, {"status": "ok", "fake": True})
        else:
            self._error(404, f"fake server: no route {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            self._error(400, "fake server: the body is not JSON")
            return
        with self.fake._lock:
            self.fake.requests.append(body)
        if not self._authorised():
            return
        if self.path.rstrip("/") != "/v1/completions":
            self._error(404, f"fake server: no route {self.path}")
            return
        if self.fake.delay_seconds > 0 and self.fake._stopping.wait(self.fake.delay_seconds):
            self.close_connection = True
            return
        failure = self.fake._misbehaviour()
        if failure is not None:
            self._error(*failure)
            return
        if self.fake.garbage_body is not None:
            self._send(200, self.fake.garbage_body.encode(), "text/plain")
            return
        if not isinstance(body, dict):
            self._error(400, "fake server: the body must be a JSON object")
            return
        if body.get("stream"):
            self._error(400, "fake server: streaming is not supported")
            return
        try:
            choices, prompt_tokens, completion_tokens = self.fake._choices(body)
        except FakeHTTPError as err:
            self._error(err.status, err.message)
            return
        model = body.get("model") or self.fake.model
        self._json(
            200,
            {
                "id": "cmpl-fake",
                "object": "text_completion",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

"""One async client for any OpenAI-compatible completions server.

The irlens daemon, vLLM, TGI and llama.cpp's server all speak ``/v1/completions`` and
``/v1/models``, so the language server has exactly one model client. Features see it only
through the :class:`ModelBackend` protocol, which tests replace with a fake.

Base URL rule: trailing slashes are dropped, ``http://`` is assumed when no scheme is given,
and ``/v1`` is appended unless the URL already ends with it. So ``http://127.0.0.1:8787``,
``127.0.0.1:8787/`` and ``http://127.0.0.1:8787/v1`` all mean ``http://127.0.0.1:8787/v1``.

Failures are :class:`ModelError` with a message meant for the user, and they move the
client's :class:`BackendState`: a server that cannot be reached is ``unavailable`` until a
request succeeds again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from lsp_server import __version__
from lsp_server.model.backend import BackendState, Completion, ModelBackend, ModelError
from lsp_server.model.identity import ModelIdentity

if TYPE_CHECKING:
    from lsp_server.config import ModelSettings

log = logging.getLogger(__name__)

__all__ = [
    "BackendState",
    "Completion",
    "ModelBackend",
    "ModelError",
    "OpenAIClient",
    "backend_from_settings",
    "normalize_base_url",
]

NOT_A_COMPLETION = "model server returned something that is not a completion"


def normalize_base_url(url: str) -> str:
    """Apply the base URL rule (see the module docstring); ``""`` stays ``""``."""
    url = url.strip().rstrip("/")
    if not url:
        return ""
    if "://" not in url:
        url = "http://" + url
    if not url.endswith("/v1"):
        url += "/v1"
    return url


def _error_message(response: httpx.Response) -> str:
    """The server's own words about a failed request, whatever JSON shape it uses."""
    text = response.text
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    message: Any = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error  # TGI's shape
        message = message or body.get("message") or body.get("detail")  # vLLM, FastAPI
    if not isinstance(message, str) or not message.strip():
        message = text.strip() or response.reason_phrase or "no details"
    words = " ".join(str(message).split())
    return words if len(words) <= 300 else words[:297] + "..."


def _reason(err: httpx.TransportError) -> str:
    """A short reason for a transport failure: "connection refused", not a traceback."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    text = str(err).strip()
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host"
    if isinstance(err, httpx.ConnectTimeout):
        return "connection timed out"
    return text or type(err).__name__


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _parse_completion(body: Any, fallback_model: str) -> Completion:
    """A Completion from a ``/completions`` JSON body; ModelError when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        raise ModelError(NOT_A_COMPLETION)
    choices = body["choices"]
    if not choices or not all(
        isinstance(c, dict) and isinstance(c.get("text"), str) for c in choices
    ):
        raise ModelError(NOT_A_COMPLETION)
    ordered = sorted(choices, key=lambda c: c["index"] if isinstance(c.get("index"), int) else 0)
    raw_usage = body.get("usage")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    model = body.get("model")
    return Completion(
        texts=tuple(c["text"] for c in ordered),
        finish_reasons=tuple(
            c["finish_reason"] if isinstance(c.get("finish_reason"), str) else "unknown"
            for c in ordered
        ),
        model=model if isinstance(model, str) and model else fallback_model,
        prompt_tokens=_optional_int(usage.get("prompt_tokens")),
        completion_tokens=_optional_int(usage.get("completion_tokens")),
    )


class _Retryable(Exception):
    """A failure worth another try: the server could not be reached, or answered 5xx/429."""

    def __init__(self, error: ModelError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


class OpenAIClient:
    """A :class:`ModelBackend` for any OpenAI-compatible completions endpoint.

    ``retries`` is how many times a request is tried again after a connection failure, a 5xx
    or a 429, waiting ``backoff`` seconds, then twice that, and so on (a 429's Retry-After is
    honoured up to ``max_backoff``). A 4xx other than 429 is the request's fault and is not
    retried; neither is a timeout, which already waited ``timeout`` seconds. At most
    ``max_concurrent`` requests are in flight; more wait their turn.

    :meth:`identity` asks ``/models`` again when its last answer is older than
    ``identity_ttl`` seconds (0: on every call, shared by concurrent callers), so that a
    server replaced behind the same URL is noticed before a cached answer is shown for it.
    """

    def __init__(
        self,
        base_url: str,
        model: str = "",
        api_key: str = "",
        timeout: float = 120.0,
        retries: int = 2,
        max_concurrent: int = 4,
        *,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        identity_ttl: float = 0.0,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self._requested_model = model.strip()
        self._model_name: str | None = self._requested_model or None
        self._api_key = api_key
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._semaphore = asyncio.Semaphore(max(1, max_concurrent))
        self._http: httpx.AsyncClient | None = None
        self._check_lock = asyncio.Lock()
        self._state = BackendState.CONNECTING if self.base_url else BackendState.UNCONFIGURED
        self._problem = ""
        self._note = ""
        self.identity_ttl = identity_ttl
        self._identity: ModelIdentity | None = None
        self._identity_checked = float("-inf")
        self._identity_lock = asyncio.Lock()

    # --- state --------------------------------------------------------------------------

    @property
    def state(self) -> BackendState:
        return self._state

    @property
    def model_name(self) -> str | None:
        return self._model_name

    @property
    def detail(self) -> str:
        if self._state is BackendState.UNCONFIGURED:
            return "unconfigured: no model server set (model.url is empty); LLVM-only mode"
        if self._state is BackendState.CONNECTING:
            return f"connecting to {self.base_url}"
        if self._state is BackendState.READY:
            name = self._model_name or "the server's default model"
            return f"ready: {name} at {self.base_url}{self._note}"
        return f"unavailable: {self._problem}"

    def _set_ready(self) -> None:
        if self._state is not BackendState.READY:
            log.info("model server ready: %s at %s", self._model_name, self.base_url)
        self._state = BackendState.READY
        self._problem = ""

    def _set_unavailable(self, error: ModelError) -> None:
        if self._state is not BackendState.UNAVAILABLE or self._problem != error.message:
            log.warning("model server unavailable: %s", error.message)
        self._state = BackendState.UNAVAILABLE
        self._problem = error.message

    # --- plumbing -----------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"User-Agent": f"irlens/{__version__}"}
            if self._api_key:
                headers["Authorization"] = f"Bearer {self._api_key}"
            self._http = httpx.AsyncClient(
                base_url=self.base_url + "/",
                headers=headers,
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            )
        return self._http

    def _unreachable(self, err: httpx.TransportError) -> ModelError:
        return ModelError(f"model server at {self.base_url} is not reachable: {_reason(err)}")

    def _timed_out(self) -> ModelError:
        return ModelError(f"model server timed out after {self.timeout:g} s")

    def _require_configured(self) -> None:
        if not self.base_url:
            raise ModelError("no model server configured (set model.url)")

    def _status_error(self, response: httpx.Response) -> ModelError:
        message = f"model server answered {response.status_code}: {_error_message(response)}"
        if response.status_code in (401, 403):
            message += " (check model.apiKey)"
        return ModelError(message, status=response.status_code)

    def _classify(self, response: httpx.Response) -> None:
        """Raise for a failed response: _Retryable for 5xx/429, ModelError for other 4xx.

        401, 403 and 404 fail every request alike (a wrong key, URL or model name), so they
        make the backend unavailable; other 4xx are this request's fault and leave it ready.
        """
        if response.is_success:
            return
        error = self._status_error(response)
        if response.status_code in (401, 403, 404):
            self._set_unavailable(error)
            raise error
        if response.status_code == 429 or response.status_code >= 500:
            retry_after: float | None = None
            try:
                retry_after = float(response.headers.get("retry-after", ""))
            except ValueError:
                retry_after = None
            raise _Retryable(error, retry_after)
        raise error

    async def _wait_before_retry(self, attempt: int, failure: _Retryable) -> None:
        delay = min(self.backoff * (2**attempt), self.max_backoff)
        if failure.retry_after is not None:
            delay = min(max(delay, failure.retry_after), self.max_backoff)
        log.info("model request failed (%s); retrying in %.2f s", failure.error.message, delay)
        await asyncio.sleep(delay)

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        """POST JSON with retries; returns the decoded JSON body."""
        attempt = 0
        while True:
            try:
                try:
                    response = await self._client().post(path, json=payload)
                except httpx.TimeoutException as err:
                    if isinstance(err, httpx.ConnectTimeout):
                        raise _Retryable(self._unreachable(err)) from err
                    raise self._timed_out() from err
                except httpx.TransportError as err:
                    raise _Retryable(self._unreachable(err)) from err
                self._classify(response)
            except _Retryable as failure:
                if attempt >= self.retries:
                    self._set_unavailable(failure.error)
                    raise failure.error from failure
                await self._wait_before_retry(attempt, failure)
                attempt += 1
                continue
            try:
                return response.json()
            except ValueError as err:
                raise ModelError(NOT_A_COMPLETION) from err

    async def _ensure_model(self) -> None:
        """Learn the model name from the server when none was configured."""
        if self._model_name is None and self._state is not BackendState.READY:
            state = await self.check()
            if state is not BackendState.READY:
                raise ModelError(self._problem)

    def _payload(
        self,
        prompt: str,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if self._model_name:
            payload["model"] = self._model_name
        if stop:
            payload["stop"] = list(stop)
        return payload

    # --- the protocol -------------------------------------------------------------------

    async def check(self) -> BackendState:
        """GET ``{base}/models``; pick the first model when none is configured."""
        if not self.base_url:
            return self._state
        async with self._check_lock:
            if self._state is not BackendState.READY:
                self._state = BackendState.CONNECTING
            try:
                response = await self._client().get("models")
            except httpx.TimeoutException as err:
                self._set_unavailable(
                    self._unreachable(err)
                    if isinstance(err, httpx.ConnectTimeout)
                    else self._timed_out()
                )
                return self._state
            except httpx.TransportError as err:
                self._set_unavailable(self._unreachable(err))
                return self._state
            if response.status_code == 404 and self._requested_model:
                # Some servers have no model list; a configured name is all we need.
                self._note = " (the server lists no models)"
                self._learn_identity(ModelIdentity(self.base_url, self._requested_model))
                self._set_ready()
                return self._state
            if not response.is_success:
                self._set_unavailable(self._status_error(response))
                return self._state
            entries = self._model_entries(response)
            if entries is None:
                self._set_unavailable(
                    ModelError(
                        f"model server at {self.base_url} did not answer /models as expected"
                    )
                )
                return self._state
            ids = [entry["id"] for entry in entries]
            self._note = ""
            if self._requested_model:
                if self._requested_model not in ids:
                    served = ", ".join(ids) or "none"
                    self._note = f" (not in the server's list: {served})"
                    log.warning(
                        "model %r is not listed by %s (it lists: %s); asking for it anyway",
                        self._requested_model,
                        self.base_url,
                        served,
                    )
            elif ids:
                self._model_name = ids[0]
            else:
                self._set_unavailable(
                    ModelError(f"model server at {self.base_url} serves no models")
                )
                return self._state
            name = self._model_name or ""
            entry = next((e for e in entries if e["id"] == name), None)
            self._learn_identity(ModelIdentity.from_entry(self.base_url, name, entry))
            self._set_ready()
            return self._state

    def _learn_identity(self, identity: ModelIdentity) -> None:
        if self._identity is not None and self._identity != identity:
            log.info(
                "model server %s now serves %s (was %s)",
                self.base_url,
                identity.label,
                self._identity.label,
            )
        self._identity = identity
        self._identity_checked = time.monotonic()

    async def identity(self) -> ModelIdentity | None:
        """The server and the served model's identity (see :mod:`lsp_server.model.identity`).

        Asks ``/models`` unless an answer younger than ``identity_ttl`` is known; a caller
        that arrives while another asks shares that answer. When the server cannot be
        reached the last identity it gave is returned (None if it never answered).
        """
        if not self.base_url:
            return None
        asked = time.monotonic()
        async with self._identity_lock:
            fresh = self._identity_checked >= asked - self.identity_ttl
            if self._identity is None or not fresh:
                await self.check()
        return self._identity

    @staticmethod
    def _model_entries(response: httpx.Response) -> list[dict[str, Any]] | None:
        """The ``/models`` list's entries that have a string id, or None for another shape."""
        try:
            body = response.json()
        except ValueError:
            return None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            return None
        return [m for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]

    async def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        temperature: float = 0.0,
        n: int = 1,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
    ) -> Completion:
        """POST ``{base}/completions``; raises ModelError with a user-readable message."""
        self._require_configured()
        await self._ensure_model()
        payload = self._payload(prompt, max_tokens, temperature, stop)
        payload["n"] = n
        if seed is not None:
            payload["seed"] = seed
        async with self._semaphore:
            body = await self._post("completions", payload)
        completion = _parse_completion(body, self._model_name or "")
        self._set_ready()
        return completion

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def backend_from_settings(settings: ModelSettings) -> OpenAIClient | None:
    """The client for ``settings``, or None when no URL is set (LLVM-only mode)."""
    if not settings.url.strip():
        return None
    return OpenAIClient(
        settings.url,
        model=settings.name,
        api_key=settings.api_key,
        timeout=settings.timeout_seconds,
        max_concurrent=settings.max_concurrent,
    )

"""The daemon's settings: one frozen value, resolved from the command line or built by tests.

Pure Python and import-light (no torch, no aiohttp): :mod:`.options` turns flags into
a :class:`DaemonSettings`, the server reads it, and tests and benchmarks build one
directly.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
API_KEY_ENV = "IRLENS_API_KEY"
#: A 16k-token prompt is about 64 KB of text; a few dozen of them fit.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class DaemonSettings:
    """Everything the daemon needs to start."""

    model: str
    revision: str | None = None
    dtype: str = "auto"
    device: str = "auto"
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    served_model_name: str | None = None
    max_batch_size: int = 32
    batch_window_ms: float = 2.0
    max_queue: int = 256
    max_prefill_tokens: int = 16384
    compile: bool = False
    #: With ``compile``: columns of each row's fixed KV slot (prompt plus completion);
    #: 0 sizes them from the KV budget on a GPU, the context on the CPU.
    slot_tokens: int = 0
    prompt_lookup: bool = False
    draft_tokens: int = 8
    threads: int = 0
    #: Largest request body accepted; more is answered 413 before it is read.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: A connection must send a request's headers within this long (idle or half-sent).
    header_timeout_s: float = 10.0
    #: ... and its body within this long once the headers are in.
    body_timeout_s: float = 30.0
    #: Open connections at once; more are answered 503 and closed. Also bounded by
    #: the process's open-file limit.
    max_connections: int = 256
    #: ``Host`` header values accepted besides the bound address (``*``: any).
    allowed_hosts: tuple[str, ...] = ()
    #: ``Origin`` header values accepted (``*``: any); requests from browsers carry one.
    allowed_origins: tuple[str, ...] = ()

    @property
    def model_name(self) -> str:
        """The id clients ask for and ``/v1/models`` lists."""
        return self.served_model_name or self.model

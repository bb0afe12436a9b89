"""``irlens daemon``: its command-line options, and ``run()``, which starts it.

Only flag parsing lives here; the settings type is :mod:`lsp_server.daemon.settings`.

This module imports neither torch, transformers nor aiohttp, so the CLI can describe
the daemon (``irlens daemon --help``) without the ``model`` extra installed; ``run()``
imports the heavy modules only when the daemon really starts.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os

from lsp_server.daemon.settings import (
    API_KEY_ENV,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DaemonSettings,
)

__all__ = ["API_KEY_ENV", "DEFAULT_HOST", "DEFAULT_PORT", "DaemonSettings", "add_arguments", "run"]

logger = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the daemon's options to ``parser`` (``irlens daemon`` or ``python -m ...``)."""
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model",
        required=True,
        help=(
            "the checkpoint to serve: a local directory saved with save_pretrained, or a "
            "Hugging Face hub id such as facebook/llm-compiler-7b-ftd. The LLM Compiler "
            "checkpoints are gated: accept Meta's license on the model page, then give your "
            "own token with `hf auth login` (older: `huggingface-cli login`) or the HF_TOKEN "
            "environment variable "
            "(irlens never ships or re-hosts weights)"
        ),
    )
    model.add_argument(
        "--revision", default=None, help="hub branch, tag or commit to load (default: main)"
    )
    model.add_argument(
        "--dtype",
        choices=["auto", "bfloat16", "float16", "float32"],
        default="auto",
        help="weight precision; auto is bfloat16 on GPUs that support it, else float16, "
        "and float32 on the CPU (default: auto)",
    )
    model.add_argument(
        "--device",
        choices=["auto", "cuda", "cpu"],
        default="auto",
        help="where to run; auto is the GPU when torch sees one (default: auto)",
    )
    model.add_argument(
        "--served-model-name",
        default=None,
        help="the model id clients send and /v1/models lists (default: the --model value)",
    )

    server = parser.add_argument_group("server")
    server.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to bind (default: {DEFAULT_HOST}); any address that is not loopback "
        "needs --api-key",
    )
    server.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"TCP port; 0 picks a free one (default: {DEFAULT_PORT})",
    )
    server.add_argument(
        "--api-key",
        default=None,
        help=f"require `Authorization: Bearer KEY` on every endpoint but /health; also read "
        f"from the {API_KEY_ENV} environment variable (safer: it stays out of `ps`)",
    )
    server.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a Host header to accept besides the bound address (repeatable; `*` accepts "
        "any). Without it a loopback daemon answers only requests addressed to loopback, "
        "which stops DNS-rebinding pages from reaching it",
    )
    server.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser Origin (such as http://localhost:3000) allowed to call the daemon "
        "(repeatable; `*` allows any). Requests with any other Origin get 403, so a web "
        "page cannot use a key-less loopback daemon",
    )
    server.add_argument(
        "--max-body-mb",
        type=_positive_float,
        default=DaemonSettings.max_body_bytes / 2**20,
        help="largest request body in MiB; larger ones get 413 "
        f"(default: {DaemonSettings.max_body_bytes / 2**20:g})",
    )
    server.add_argument(
        "--max-connections",
        type=_positive_int,
        default=DaemonSettings.max_connections,
        help="open connections at once (also kept below the open-file limit); more get 503 "
        f"(default: {DaemonSettings.max_connections})",
    )
    server.add_argument(
        "--header-timeout",
        type=_positive_float,
        default=DaemonSettings.header_timeout_s,
        help="seconds a connection may take to send a request's headers, or stay idle "
        f"(default: {DaemonSettings.header_timeout_s:g})",
    )
    server.add_argument(
        "--body-timeout",
        type=_positive_float,
        default=DaemonSettings.body_timeout_s,
        help="seconds a request may take to send its body; slower ones get 408 "
        f"(default: {DaemonSettings.body_timeout_s:g})",
    )
    server.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="info",
        help="logging verbosity, to stderr (default: info)",
    )

    batching = parser.add_argument_group("batching")
    batching.add_argument(
        "--max-batch-size",
        type=_positive_int,
        default=DaemonSettings.max_batch_size,
        help="most sequences generated together; also the largest n a request may ask for "
        f"(default: {DaemonSettings.max_batch_size})",
    )
    batching.add_argument(
        "--batch-window-ms",
        type=_non_negative_float,
        default=DaemonSettings.batch_window_ms,
        help="when idle, how long to wait after a request for others to batch with it "
        f"(default: {DaemonSettings.batch_window_ms:g})",
    )
    batching.add_argument(
        "--max-queue",
        type=_positive_int,
        default=DaemonSettings.max_queue,
        help="most prompts waiting for a place in the batch; more get HTTP 429 "
        f"(default: {DaemonSettings.max_queue})",
    )
    batching.add_argument(
        "--max-prefill-tokens",
        type=_positive_int,
        default=DaemonSettings.max_prefill_tokens,
        help="most (padded) prompt tokens prefilled in one forward pass, which bounds its "
        f"memory (default: {DaemonSettings.max_prefill_tokens})",
    )

    speed = parser.add_argument_group("speed")
    speed.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="decode with fixed shapes (a KV slot of --slot-tokens per row, batch sizes "
        "rounded up to a power of two) compiled by torch.compile: CUDA graphs on a GPU. "
        "A prompt plus its completion must then fit one slot; each batch size compiles "
        "the first time it runs (default: off)",
    )
    speed.add_argument(
        "--slot-tokens",
        type=int,
        default=0,
        help="with --compile: tokens (prompt plus completion) each row's KV slot holds; "
        "0 fits --max-batch-size slots in the KV budget on a GPU, the context on the CPU "
        "(default: 0)",
    )
    speed.add_argument(
        "--prompt-lookup",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="prompt-lookup (n-gram) speculative decoding for a lone greedy request: "
        "drafts tokens by copying from the prompt and checks them in one pass; helps "
        "answers that copy their input, such as emulation and lifting (default: off)",
    )
    speed.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads for torch; 0 keeps torch's default (one per core). On a machine "
        "shared with other work, 1 avoids threads waiting on each other (default: 0)",
    )
    speed.add_argument(
        "--draft-tokens",
        type=_positive_int,
        default=DaemonSettings.draft_tokens,
        help="tokens drafted per prompt-lookup step at first; the draft doubles while whole "
        "drafts are accepted (up to 64) and falls back after a rejection "
        f"(default: {DaemonSettings.draft_tokens})",
    )


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (``localhost``, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        # A hostname may resolve to anything; only a literal loopback address is trusted.
        return False


def bind_problem(host: str, api_key: str | None) -> str | None:
    """Why the daemon must not start with this host and key, or None."""
    if is_loopback(host) or api_key:
        return None
    return (
        f"refusing to bind {host!r} without an API key: any machine that can reach it "
        f"could use the model. Pass --api-key (or set {API_KEY_ENV}), or bind {DEFAULT_HOST}."
    )


def settings_from_args(args: argparse.Namespace) -> DaemonSettings:
    """Resolve parsed options (and the API-key variable) into settings."""
    return DaemonSettings(
        model=args.model,
        revision=args.revision,
        dtype=args.dtype,
        device=args.device,
        host=args.host,
        port=args.port,
        api_key=args.api_key or os.environ.get(API_KEY_ENV) or None,
        served_model_name=args.served_model_name,
        max_batch_size=args.max_batch_size,
        batch_window_ms=args.batch_window_ms,
        max_queue=args.max_queue,
        max_prefill_tokens=args.max_prefill_tokens,
        compile=args.compile,
        slot_tokens=args.slot_tokens,
        prompt_lookup=args.prompt_lookup,
        draft_tokens=args.draft_tokens,
        threads=args.threads,
        max_body_bytes=int(args.max_body_mb * 2**20),
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
        max_connections=args.max_connections,
        allowed_hosts=tuple(args.allowed_host),
        allowed_origins=tuple(args.allowed_origin),
    )


def run(args: argparse.Namespace) -> int:
    """Start the daemon and serve until SIGINT or SIGTERM; return an exit status."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=args.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    settings = settings_from_args(args)
    problem = bind_problem(settings.host, settings.api_key)
    if problem:
        logger.error("%s", problem)
        return 2
    try:
        from lsp_server.daemon.server import serve
    except ImportError as exc:
        logger.error(
            "the daemon needs the model extra (torch, transformers, aiohttp): "
            "pip install 'irlens[model]' (%s)",
            exc,
        )
        return 1
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        logger.error(
            "the daemon stopped (model %s): %s",
            settings.model,
            exc,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        if "gated" in str(exc).lower() or "401" in str(exc) or "403" in str(exc):
            logger.error(
                "%s is gated: accept its license on the Hugging Face model page, then run "
                "`huggingface-cli login` or set HF_TOKEN to your own token",
                settings.model,
            )
        return 1
    return 0

"""Which batch runner the daemon runs: the slab cache (default) or fixed slots (``--compile``)."""

from __future__ import annotations

import logging

from lsp_server.daemon.batch import BatchRunner
from lsp_server.daemon.loader import LoadedModel
from lsp_server.daemon.settings import DaemonSettings
from lsp_server.daemon.slots import SlotBatchRunner, buckets

logger = logging.getLogger(__name__)


def slot_columns(loaded: LoadedModel, settings: DaemonSettings) -> int:
    """Columns per slot: as asked, else what the KV budget gives each of the slots."""
    if settings.slot_tokens > 0:
        return min(settings.slot_tokens, loaded.context_limit)
    if loaded.kv_budget_tokens is None:
        return loaded.context_limit
    return max(1, min(loaded.context_limit, loaded.kv_budget_tokens // settings.max_batch_size))


def make_runner(loaded: LoadedModel, settings: DaemonSettings) -> BatchRunner:
    """The runner ``settings`` ask for: the slab cache, eager (the default), or fixed
    slots compiled (``--compile``), which also bound a request to one slot."""
    if not settings.compile:
        return BatchRunner(
            loaded.model,
            device=loaded.device,
            pad_id=loaded.pad_id,
            prompt_lookup=settings.prompt_lookup,
            draft_tokens=settings.draft_tokens,
        )
    columns = slot_columns(loaded, settings)
    if columns < loaded.context_limit:
        logger.warning(
            "--compile: each request's prompt plus completion is limited to %d tokens "
            "(%d slots of %d; the context is %d)",
            columns,
            settings.max_batch_size,
            columns,
            loaded.context_limit,
        )
    # Requests are checked against the slot, as they would be against the context.
    loaded.context_limit = columns
    logger.info("--compile: fixed-shape decoding, buckets %s", buckets(settings.max_batch_size))
    return SlotBatchRunner(
        loaded.model,
        device=loaded.device,
        pad_id=loaded.pad_id,
        slots=settings.max_batch_size,
        columns=columns,
        prompt_lookup=settings.prompt_lookup,
        draft_tokens=settings.draft_tokens,
    )

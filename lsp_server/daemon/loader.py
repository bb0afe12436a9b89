"""Loading a checkpoint with transformers: a local directory or a hub id the user can read.

Gated hub ids (every LLM Compiler checkpoint) are fetched with the user's own token,
which the Hugging Face libraries find by themselves (``huggingface-cli login`` or the
``HF_TOKEN`` variable); this module never handles it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from lsp_server.daemon.sequence import PROMPT_WINDOW, Detokenizer, IncrementalDetokenizer

logger = logging.getLogger(__name__)

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
#: Used when a config names no context length; every Llama config does.
FALLBACK_CONTEXT = 2048
#: Share of the GPU memory left free after loading that the KV cache may plan to use.
#: Well under 1: merging a new prompt into the batch briefly holds two copies of the
#: cache, and prefill needs room for its activations.
KV_MEMORY_FRACTION = 0.4


@dataclass
class LoadedModel:
    """A model ready to generate, with the facts the server reports about it."""

    model: Any
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    context_limit: int
    eos_ids: frozenset[int]
    pad_id: int
    #: How many (sequence x position) KV entries fit in memory; None on the CPU.
    kv_budget_tokens: int | None = None
    #: :func:`checkpoint_fingerprint` of the loaded weights ("" when not computed).
    fingerprint: str = ""
    #: The Rust tokenizer may not be used from two threads while one changes its settings
    #: (transformers does that lazily on encode), so encoding, on pool threads, holds
    #: this lock; decoding, on the generation thread, uses a copy of its own and never
    #: waits for a long prompt to be tokenised.
    _tokenizer_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _decoder: Any = field(default=None, repr=False)
    #: The longest token's text: a prompt of c characters has at least c / this tokens.
    max_token_chars: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is not None and self._decoder is None:
            from tokenizers import Tokenizer

            self._decoder = Tokenizer.from_str(backend.to_str())
        if not self.max_token_chars:
            vocab = self.tokenizer.get_vocab()
            self.max_token_chars = max((len(t) for t in vocab), default=1) or 1

    def min_prompt_tokens(self, prompt: str) -> int:
        """A lower bound on the tokens of ``prompt``, found without tokenising it."""
        return -(-len(prompt) // self.max_token_chars)

    def encode(self, prompts: list[str]) -> list[list[int]]:
        """Token ids of each prompt exactly as given; the tokenizer adds BOS itself."""
        with self._tokenizer_lock:
            ids: list[list[int]] = self.tokenizer(prompts, add_special_tokens=True)["input_ids"]
        return ids

    def decode(self, ids: Any) -> str:
        """Text of ``ids`` without special tokens and without any whitespace clean-up."""
        if self._decoder is not None:
            return str(self._decoder.decode(list(ids), skip_special_tokens=True))
        with self._tokenizer_lock:
            text: str = self.tokenizer.decode(
                list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False
            )
        return text

    def detokenizer(self, prompt_ids: Sequence[int]) -> Detokenizer:
        """A streaming detokenizer for one sequence that follows ``prompt_ids``."""
        if self._decoder is None:
            return IncrementalDetokenizer(self.decode, prompt_ids)
        return StreamDetokenizer(self._decoder, prompt_ids)


class StreamDetokenizer:
    """``tokenizers.decoders.DecodeStream`` behind the :class:`Detokenizer` interface.

    The Rust stream keeps the prefix window and the incomplete character itself; this
    wrapper remembers the tokens it has not yet turned into text, so that ``flush`` can
    return them (an incomplete character, as the replacement character) at the end.
    """

    def __init__(self, decoder: Any, prompt_ids: Sequence[int]) -> None:
        from tokenizers.decoders import DecodeStream

        self._decoder = decoder
        self._stream = DecodeStream(ids=list(prompt_ids[-PROMPT_WINDOW:]), skip_special_tokens=True)
        self._held: list[int] = []

    def push(self, token: int) -> str:
        """Add ``token``; return the text it completes (possibly empty)."""
        text = self._stream.step(self._decoder, token)
        if text is None:
            self._held.append(token)
            return ""
        self._held.clear()
        return str(text)

    def flush(self) -> str:
        """Whatever is held back, even an incomplete character."""
        if not self._held:
            return ""
        text = str(self._decoder.decode(self._held, skip_special_tokens=True))
        self._held.clear()
        return text


def resolve_device(name: str) -> torch.device:
    """``auto`` is the GPU when there is one."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but torch sees no CUDA device")
    return torch.device(name)


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """``auto``: bfloat16 on GPUs that have it (float16 on older ones), float32 on the CPU."""
    if name != "auto":
        return DTYPES[name]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    ids: set[int] = set()
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif isinstance(configured, list):
        ids.update(i for i in configured if isinstance(i, int))
    if isinstance(tokenizer.eos_token_id, int):
        ids.add(tokenizer.eos_token_id)
    return frozenset(ids)


def kv_bytes_per_token(config: Any, dtype: torch.dtype) -> int:
    """Bytes of keys and values one position of one sequence takes over all layers."""
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    return int(2 * config.num_hidden_layers * kv_heads * head_dim * dtype.itemsize)


#: Elements read from each end of every parameter for the fingerprint.
_SAMPLE_ELEMENTS = 64


def checkpoint_fingerprint(model: Any, source: str = "") -> str:
    """A short hash of what the loaded checkpoint is: its config (without its path), the
    weight index when ``source`` is a directory that has one, and every parameter's name,
    shape, dtype and first and last few values.

    A fine-tune or another quantisation of the same architecture has the same config and
    index but other values, so a checkpoint served under another's name is told apart
    without hashing gigabytes.
    """
    digest = hashlib.sha256()
    config = model.config.to_dict()
    config.pop("_name_or_path", None)
    config.pop("transformers_version", None)
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    index = Path(source) / "model.safetensors.index.json" if source else None
    if index is not None and index.is_file():
        digest.update(index.read_bytes())
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters(), key=lambda item: item[0]):
            flat = parameter.detach().reshape(-1)
            digest.update(f"{name}:{tuple(parameter.shape)}:{parameter.dtype}".encode())
            for piece in (flat[:_SAMPLE_ELEMENTS], flat[-_SAMPLE_ELEMENTS:]):
                raw = piece.contiguous().cpu().view(torch.uint8)
                digest.update(bytes(raw.tolist()))
    return digest.hexdigest()[:32]


def load_model(
    model_id: str,
    *,
    revision: str | None = None,
    dtype: str = "auto",
    device: str = "auto",
    threads: int = 0,
) -> LoadedModel:
    """Load tokenizer and weights, logging each stage; raise on any failure."""
    start = time.perf_counter()
    if threads > 0:
        torch.set_num_threads(threads)
    target = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, target)
    logger.info("loading tokenizer of %s (revision %s)", model_id, revision or "default")
    tokenizer = AutoTokenizer.from_pretrained(model_id, revision=revision)
    logger.info(
        "loading weights of %s as %s onto %s (a 7B model is about 13.5 GB in 16-bit)",
        model_id,
        str(torch_dtype).removeprefix("torch."),
        target,
    )
    model: Any = AutoModelForCausalLM.from_pretrained(
        model_id,
        revision=revision,
        dtype=torch_dtype,
        # SDPA picks flash or memory-efficient kernels on GPUs and works on CPUs.
        attn_implementation="sdpa",
    )
    # Moved after loading: device_map would need the accelerate package.
    model.to(target)
    model.eval()
    parameters = sum(p.numel() for p in model.parameters())
    size_gb = sum(p.numel() * p.element_size() for p in model.parameters()) / 1e9
    limit = getattr(model.config, "max_position_embeddings", None)
    if not isinstance(limit, int) or limit <= 0:
        logger.warning("config has no max_position_embeddings; assuming %d", FALLBACK_CONTEXT)
        limit = FALLBACK_CONTEXT
    eos = _eos_ids(model, tokenizer)
    pad = tokenizer.pad_token_id
    if not isinstance(pad, int):
        pad = min(eos) if eos else 0
    budget = None
    if target.type == "cuda":
        free, _ = torch.cuda.mem_get_info(target)
        budget = int(free * KV_MEMORY_FRACTION) // kv_bytes_per_token(model.config, torch_dtype)
        logger.info(
            "KV cache budget: %d tokens (e.g. %d sequences of %d)", budget, budget // limit, limit
        )
    logger.info(
        "loaded %s: %.2fB parameters, %.1f GB, context %d tokens, in %.1f s",
        model_id,
        parameters / 1e9,
        size_gb,
        limit,
        time.perf_counter() - start,
    )
    fingerprint = checkpoint_fingerprint(model, model_id)
    logger.info("checkpoint fingerprint %s", fingerprint)
    return LoadedModel(
        model, tokenizer, target, torch_dtype, limit, eos, pad, budget, fingerprint=fingerprint
    )

"""Build a tiny random Llama checkpoint on disk, for tests, benchmarks and smoke runs.

The checkpoint has the same files as a real one (``config.json``, safetensors weights,
``tokenizer.json`` with a byte-level BPE vocabulary, ``generation_config.json``), so the
daemon loads it through exactly the code path it uses for LLM Compiler. Nothing is
downloaded: the tokenizer is trained on a little LLVM IR and the weights are random.

Run ``python -m lsp_server.daemon.tiny DIR`` to write one and then
``irlens daemon --model DIR`` to try the daemon without a GPU or a gated model.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

BOS = "<s>"
EOS = "</s>"
UNK = "<unk>"

#: Enough LLVM IR and assembly to give the tokenizer the shape of the real inputs.
SAMPLE_TEXT = """\
; ModuleID = 'example.c'
source_filename = "example.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

define dso_local i32 @add(i32 noundef %a, i32 noundef %b) #0 {
entry:
  %a.addr = alloca i32, align 4
  %b.addr = alloca i32, align 4
  store i32 %a, ptr %a.addr, align 4, !tbaa !5
  store i32 %b, ptr %b.addr, align 4, !tbaa !5
  %0 = load i32, ptr %a.addr, align 4, !tbaa !5
  %1 = load i32, ptr %b.addr, align 4, !tbaa !5
  %add = add nsw i32 %0, %1
  ret i32 %add
}

attributes #0 = { minsize nounwind optsize uwtable "frame-pointer"="none" }

[INST] Give the LLVM-IR for the following code when optimized using opt -p 'module(default<Oz>)':
The input code has instruction count 8 and binary size 65 bytes. [/INST]
The LLVM-IR will have instruction count 2 and binary sise 17 bytes:
[INST] Tell me how to optimize this LLVM-IR for object file size: [/INST]
[INST] Disassemble this code to LLVM-IR: [/INST]
\t.text
\t.file\t"-"
\t.globl\tadd
\t.type\tadd,@function
add:
\tleal\t(%rdi,%rsi), %eax
\tretq
.Lfunc_end0:
\t.size\tadd, .Lfunc_end0-add
"""


@dataclass(frozen=True)
class TinyShape:
    """The size of a tiny model: small enough for a CPU, shaped like a Llama."""

    hidden_size: int = 64
    intermediate_size: int = 176
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 4
    vocab_size: int = 512
    max_position_embeddings: int = 4096
    initializer_range: float = 0.02


def build_tiny_checkpoint(
    path: Path,
    *,
    shape: TinyShape | None = None,
    texts: Iterable[str] = (),
    seed: int = 0,
) -> Path:
    """Write a random ``LlamaForCausalLM`` and a byte-level BPE tokenizer to ``path``.

    ``texts`` are extra training text for the tokenizer (IR or assembly files); the
    built-in sample is always included. Returns ``path``.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import (
        GenerationConfig,
        LlamaConfig,
        LlamaForCausalLM,
        PreTrainedTokenizerFast,
    )

    shape = shape or TinyShape()
    path.mkdir(parents=True, exist_ok=True)

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    # Byte-level pre-tokenization makes every string encodable and decode(encode(s)) == s,
    # the property the daemon's byte-exact prompts rely on.
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=shape.vocab_size,
        special_tokens=[BOS, EOS, UNK],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([SAMPLE_TEXT, *texts], trainer=trainer)
    bos_id = tokenizer.token_to_id(BOS)
    eos_id = tokenizer.token_to_id(EOS)
    # Like Llama's tokenizer, this one adds BOS itself, so prompts are sent as they are.
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    # transformers' constructors are untyped; Any keeps mypy --strict quiet honestly.
    tokenizer_class: Any = PreTrainedTokenizerFast
    fast = tokenizer_class(tokenizer_object=tokenizer, bos_token=BOS, eos_token=EOS, unk_token=UNK)
    fast.save_pretrained(path)

    config = LlamaConfig(
        vocab_size=shape.vocab_size,
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_hidden_layers,
        num_attention_heads=shape.num_attention_heads,
        num_key_value_heads=shape.num_key_value_heads,
        max_position_embeddings=shape.max_position_embeddings,
        initializer_range=shape.initializer_range,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0},
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    generation_class: Any = GenerationConfig
    model.generation_config = generation_class(bos_token_id=bos_id, eos_token_id=eos_id)
    model.save_pretrained(path)
    logger.info("wrote a tiny random Llama checkpoint to %s", path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m lsp_server.daemon.tiny DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", type=Path, help="directory to write the checkpoint to")
    parser.add_argument("--hidden-size", type=int, default=TinyShape.hidden_size)
    parser.add_argument("--layers", type=int, default=TinyShape.num_hidden_layers)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    shape = TinyShape(hidden_size=args.hidden_size, num_hidden_layers=args.layers)
    build_tiny_checkpoint(args.path, shape=shape, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The batch runner on the tiny model, without HTTP: prompt-lookup decoding changes nothing but speed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from lsp_server.daemon.batch import BatchRunner
from lsp_server.daemon.loader import LoadedModel, load_model
from lsp_server.daemon.protocol import SamplingParams
from lsp_server.daemon.sequence import Group

PROMPTS = [
    "define i32 @add(i32 %a, i32 %b) {\nentry:\n  %add = add nsw i32 %a, %b\n  ret i32 %add\n}\n"
    * 2,
    "[INST] Disassemble this code to LLVM-IR:\n\n<code>\t.text\n\tretq\n</code> [/INST]",
]


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint: Path) -> LoadedModel:
    return load_model(str(tiny_checkpoint), device="cpu")


def generate(loaded: LoadedModel, runner: BatchRunner, prompt: str, max_tokens: int) -> str:
    group = Group(
        key=0,
        prompt_ids=loaded.encode([prompt])[0],
        params=SamplingParams(max_tokens=max_tokens, temperature=0, ignore_eos=True),
        first_index=0,
        n=1,
        decode=loaded.decode,
        eos_ids=loaded.eos_ids,
    )
    runner.step([group], set())
    while runner.num_rows:
        runner.step([], set())
    assert group.seqs[0].finish_reason == "length"
    return group.seqs[0].text


def test_prompt_lookup_gives_the_same_greedy_text(loaded: LoadedModel) -> None:
    plain = BatchRunner(loaded.model, device=loaded.device, pad_id=loaded.pad_id)
    lookup = BatchRunner(
        loaded.model, device=loaded.device, pad_id=loaded.pad_id, prompt_lookup=True, draft_tokens=6
    )
    accepted = 0
    for prompt in PROMPTS:
        expected = generate(loaded, plain, prompt, 80)
        accepted_before = lookup_accepted(lookup)
        assert generate(loaded, lookup, prompt, 80) == expected
        accepted += lookup_accepted(lookup) - accepted_before
    assert accepted > 0, "no draft token was ever accepted, so lookup was not exercised"


def lookup_accepted(runner: BatchRunner) -> int:
    return runner.accepted_total


def _group(loaded: LoadedModel, key: int, prompt: str, max_tokens: int) -> Group:
    return Group(
        key=key,
        prompt_ids=loaded.encode([prompt])[0],
        params=SamplingParams(max_tokens=max_tokens, temperature=0, ignore_eos=True),
        first_index=0,
        n=1,
        decode=loaded.decode,
        eos_ids=loaded.eos_ids,
    )


def _transformers_greedy(loaded: LoadedModel, prompt_ids: list[int], tokens: int) -> list[int]:
    """Plain transformers: ``generate`` with its own dynamic cache, one prompt alone."""
    inputs = torch.tensor([prompt_ids])
    with torch.inference_mode():
        out = loaded.model.generate(
            inputs,
            attention_mask=torch.ones_like(inputs),
            max_new_tokens=tokens,
            min_new_tokens=tokens,
            do_sample=False,
            pad_token_id=loaded.pad_id,
        )
    new: list[int] = out[0, inputs.shape[1] :].tolist()
    return new


def test_rows_joining_and_leaving_give_transformers_greedy_tokens(loaded: LoadedModel) -> None:
    # A long prompt runs alone (no mask), then a wider and a narrower one join (holes and
    # left padding), and rows leave at different steps (rows move, the window narrows).
    runner = BatchRunner(loaded.model, device=loaded.device, pad_id=loaded.pad_id)
    first = _group(loaded, 0, PROMPTS[1], 30)
    wider = _group(loaded, 1, PROMPTS[0] * 2, 12)
    narrow = _group(loaded, 2, "x", 20)
    late = _group(loaded, 3, PROMPTS[0], 9)
    runner.step([first], set())
    for _ in range(5):
        runner.step([], set())
    runner.step([wider, narrow], set())
    for _ in range(4):
        runner.step([], set())
    runner.step([late], set())
    while runner.num_rows:
        runner.step([], set())
    for group in (first, wider, narrow, late):
        seq = group.seqs[0]
        assert seq.finish_reason == "length"
        assert seq.token_ids == _transformers_greedy(loaded, group.prompt_ids, seq.max_tokens)


class MaskSpy:
    """The model, recording the attention mask of every forward pass."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.config = model.config
        self.masks: list[torch.Tensor | None] = []

    def forward(self, *, cache: Any = None, attention_mask: Any = None, **kwargs: Any) -> Any:
        self.masks.append(attention_mask)
        return self.model(cache=cache, attention_mask=attention_mask, **kwargs)

    __call__ = forward


def test_a_lone_unpadded_row_runs_without_a_mask(loaded: LoadedModel) -> None:
    spy = MaskSpy(loaded.model)
    runner = BatchRunner(spy, device=loaded.device, pad_id=loaded.pad_id)
    alone = _group(loaded, 0, PROMPTS[1], 6)
    runner.step([alone], set())
    while runner.num_rows:
        runner.step([], set())
    assert spy.masks and all(m is None for m in spy.masks)
    # Two prompts of different lengths need one.
    spy.masks.clear()
    runner.step([_group(loaded, 1, PROMPTS[1], 3), _group(loaded, 2, "x", 3)], set())
    assert spy.masks[-1] is not None

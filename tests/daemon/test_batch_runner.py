"""The batch runner on the tiny model, without HTTP: prompt-lookup decoding changes nothing but speed."""

from __future__ import annotations

from pathlib import Path

import pytest

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

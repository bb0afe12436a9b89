"""The fixed-shape decode path (``--compile``) gives transformers' greedy tokens, compiled or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from lsp_server.daemon.batch import BatchRunner
from lsp_server.daemon.loader import LoadedModel, load_model
from lsp_server.daemon.protocol import SamplingParams
from lsp_server.daemon.runners import make_runner
from lsp_server.daemon.sequence import Group
from lsp_server.daemon.slots import SlotBatchRunner, buckets
from tests.support.daemon import settings

PROMPT = (
    "define i32 @add(i32 %a, i32 %b) {\nentry:\n  %add = add nsw i32 %a, %b\n  ret i32 %add\n}\n"
)
ASM = "[INST] Disassemble this code to LLVM-IR:\n\n<code>\t.text\n\tretq\n</code> [/INST]"


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint: Path) -> LoadedModel:
    return load_model(str(tiny_checkpoint), device="cpu")


def group(loaded: LoadedModel, key: int, prompt: str, max_tokens: int, n: int = 1) -> Group:
    return Group(
        key=key,
        prompt_ids=loaded.encode([prompt])[0],
        params=SamplingParams(max_tokens=max_tokens, temperature=0, ignore_eos=True),
        first_index=0,
        n=n,
        decode=loaded.decode,
        eos_ids=loaded.eos_ids,
    )


def transformers_greedy(loaded: LoadedModel, prompt_ids: list[int], tokens: int) -> list[int]:
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


def run_scenario(loaded: LoadedModel, runner: BatchRunner) -> list[Group]:
    """Rows join while others run, one prompt fans out to three rows, rows leave at
    different steps: the batch passes through buckets 1, 8, 2 and 1."""
    first = group(loaded, 0, ASM, 24)
    fan = group(loaded, 1, PROMPT * 2, 10, n=3)
    narrow = group(loaded, 2, "x", 16)
    late = group(loaded, 3, PROMPT, 7)
    runner.step([first], set())
    for _ in range(3):
        runner.step([], set())
    runner.step([fan, narrow], set())
    for _ in range(2):
        runner.step([], set())
    runner.step([late], set())
    while runner.num_rows:
        runner.step([], set())
    return [first, fan, narrow, late]


def test_buckets_are_powers_of_two_then_the_slot_count() -> None:
    assert buckets(1) == [1]
    assert buckets(16) == [1, 2, 4, 8, 16]
    assert buckets(24) == [1, 2, 4, 8, 16, 24]


def test_fixed_slots_give_transformers_greedy_tokens(loaded: LoadedModel) -> None:
    runner = SlotBatchRunner(
        loaded.model,
        device=loaded.device,
        pad_id=loaded.pad_id,
        slots=8,
        columns=160,
        compile=False,
    )
    for done in run_scenario(loaded, runner):
        expected = transformers_greedy(loaded, done.prompt_ids, done.params.max_tokens)
        for seq in done.seqs:
            assert seq.finish_reason == "length"
            assert seq.token_ids == expected


class GraphCounter:
    """A torch.compile backend that records each graph's input shapes, then runs it
    through AOT autograd (functionalised, as inductor and CUDA graphs see it)."""

    def __init__(self) -> None:
        self.shapes: list[list[tuple[int, ...]]] = []

    def __call__(self, gm: Any, example_inputs: list[Any]) -> Any:
        self.shapes.append([tuple(t.shape) for t in example_inputs if isinstance(t, torch.Tensor)])
        compiler = torch._dynamo.lookup_backend("aot_eager")
        return compiler(gm, example_inputs)


def test_the_compiled_step_gives_the_eager_tokens_with_one_graph_per_bucket(
    loaded: LoadedModel,
) -> None:
    # On the CPU the daemon compiles with inductor: up to 2 minutes per bucket here, cold;
    # this traces the very same step with dynamo (fullgraph: a graph break is an error)
    # and runs it through AOT autograd, without inductor's C++ code generation.
    torch._dynamo.reset()
    counter = GraphCounter()
    compiled = SlotBatchRunner(
        loaded.model,
        device=loaded.device,
        pad_id=loaded.pad_id,
        slots=8,
        columns=160,
        backend=counter,
    )
    eager = SlotBatchRunner(
        loaded.model,
        device=loaded.device,
        pad_id=loaded.pad_id,
        slots=8,
        columns=160,
        compile=False,
    )
    got = [[s.token_ids for s in g.seqs] for g in run_scenario(loaded, compiled)]
    want = [[s.token_ids for s in g.seqs] for g in run_scenario(loaded, eager)]
    assert got == want
    # Dozens of steps at changing lengths, yet one graph per bucket: shapes are fixed.
    # A graph's batch size is that of its input ids, the one [B, 1] input.
    sizes = [{shape[0] for shape in shapes if shape[1:] == (1,)} for shapes in counter.shapes]
    assert sizes == [{1}, {8}, {2}], counter.shapes


def test_prompt_lookup_on_slots_changes_only_the_passes(loaded: LoadedModel) -> None:
    plain = SlotBatchRunner(
        loaded.model,
        device=loaded.device,
        pad_id=loaded.pad_id,
        slots=2,
        columns=400,
        compile=False,
    )
    lookup = SlotBatchRunner(
        loaded.model,
        device=loaded.device,
        pad_id=loaded.pad_id,
        slots=2,
        columns=400,
        compile=False,
        prompt_lookup=True,
        draft_tokens=6,
    )
    texts = []
    for runner in (plain, lookup):
        g = group(loaded, 0, PROMPT * 2, 80)
        runner.step([g], set())
        while runner.num_rows:
            runner.step([], set())
        texts.append(g.seqs[0].token_ids)
    assert texts[0] == texts[1]
    assert lookup.accepted_total > 0


def test_compile_setting_bounds_requests_by_the_slot(tiny_checkpoint: Path) -> None:
    fresh = load_model(str(tiny_checkpoint), device="cpu")
    context = fresh.context_limit
    runner = make_runner(fresh, settings(tiny_checkpoint, compile=True, slot_tokens=300))
    assert isinstance(runner, SlotBatchRunner)
    assert (runner.slots, runner.columns) == (16, 300)
    assert fresh.context_limit == 300 < context
    assert type(make_runner(fresh, settings(tiny_checkpoint))) is BatchRunner

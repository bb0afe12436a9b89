"""Admission: which waiting prompts join the running batch (rows, prefill size, KV memory)."""

from __future__ import annotations

from collections.abc import Sequence

from lsp_server.daemon.metrics import DaemonMetrics
from lsp_server.daemon.protocol import SamplingParams
from lsp_server.daemon.scheduler import Scheduler
from lsp_server.daemon.sequence import Group


class FakeRunner:
    """A runner holding ``running`` groups; admission never steps it."""

    def __init__(self, running: Sequence[Group] = ()) -> None:
        self.running = list(running)

    @property
    def num_rows(self) -> int:
        return sum(len(g.seqs) for g in self.running)

    def groups(self) -> list[Group]:
        return self.running

    def reset(self) -> list[Group]:
        return []

    def step(self, admit: Sequence[Group], drop: set[int]) -> object:
        raise AssertionError("admission tests never step")


def group(prompt_tokens: int, max_tokens: int = 16, n: int = 1) -> Group:
    return Group(
        key=0,
        prompt_ids=[1] * prompt_tokens,
        params=SamplingParams(max_tokens=max_tokens),
        first_index=0,
        n=n,
        decode=lambda ids: "",
        eos_ids=frozenset(),
    )


def scheduler(runner: FakeRunner, **limits: int | None) -> Scheduler:
    values = {"max_batch_size": 8, "max_prefill_tokens": 1000, "kv_budget_tokens": None}
    values.update(limits)
    return Scheduler(
        runner,
        DaemonMetrics(queue_depth=lambda: 0, running=lambda: 0),
        decode=lambda ids: "",
        eos_ids=frozenset(),
        batch_window_s=0,
        max_queue=100,
        **values,  # type: ignore[arg-type]
    )


def admitted(s: Scheduler, waiting: list[Group]) -> list[int]:
    s._waiting.extend(waiting)
    return [waiting.index(g) for g in s.take_admissible()]


def test_rows_are_bounded_by_the_batch_size_counting_n() -> None:
    s = scheduler(FakeRunner([group(10, n=3)]))
    assert admitted(s, [group(10, n=4), group(10, n=2), group(10)]) == [0]


def test_a_prefill_is_bounded_in_padded_tokens_but_one_prompt_always_goes() -> None:
    s = scheduler(FakeRunner(), max_prefill_tokens=1000)
    assert admitted(s, [group(900), group(200)]) == [0]
    s = scheduler(FakeRunner(), max_prefill_tokens=1000)
    assert admitted(s, [group(5000)]) == [0]


def test_the_kv_budget_counts_rows_times_the_longest_reach() -> None:
    running = FakeRunner([group(1000, max_tokens=1000)])
    s = scheduler(running, kv_budget_tokens=5000)
    # 2 rows x 2000 fits; a third row would need 3 x 2000.
    assert admitted(s, [group(10, max_tokens=10), group(10, max_tokens=10)]) == [0]


def test_a_lone_request_is_admitted_even_over_the_kv_budget() -> None:
    s = scheduler(FakeRunner(), kv_budget_tokens=100)
    assert admitted(s, [group(500, max_tokens=500)]) == [0]


def test_cancelled_waiting_groups_are_skipped() -> None:
    s = scheduler(FakeRunner())
    first, second = group(10), group(10)
    first.cancelled = True
    assert admitted(s, [first, second]) == [1]


class ScriptedRunner(FakeRunner):
    """Emits "a" per step for every sequence; fails any step that admits a poisoned prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[tuple[int, int], int] = {}

    def reset(self) -> list[Group]:
        dropped, self.running = self.running, []
        return dropped

    def step(self, admit: Sequence[Group], drop: set[int]) -> object:
        from lsp_server.daemon.batch import StepResult, Update

        if any(g.prompt_ids == [666] for g in admit):
            raise RuntimeError("poisoned prompt")
        self.running = [g for g in self.running if g.key not in drop] + list(admit)
        result = StepResult(decode_batch=sum(len(g.seqs) for g in self.running))
        for g in self.running:
            for s in g.seqs:
                count = self.counts.get((g.key, s.index), 0) + 1
                self.counts[(g.key, s.index)] = count
                s.finish_reason = "length" if count >= g.params.max_tokens else None
                result.updates.append(Update(g.key, s.index, "a", 1, s.finish_reason))
        self.running = [g for g in self.running if not g.finished]
        return result


async def collect(handle: object) -> str:
    return "".join([e.text async for e in handle.events()])  # type: ignore[attr-defined]


async def test_a_failing_step_fails_its_requests_and_the_next_ones_still_run() -> None:
    import pytest

    from lsp_server.daemon.protocol import ApiError

    s = scheduler(ScriptedRunner())
    s.start()
    try:
        params = SamplingParams(max_tokens=3)
        with pytest.raises(ApiError) as failure:
            await collect(s.submit([[666]], 1, params))
        assert failure.value.status == 500
        assert "poisoned prompt" in failure.value.message
        assert await collect(s.submit([[1, 2]], 1, params)) == "aaa"
        both = await collect(s.submit([[1], [2]], 2, SamplingParams(max_tokens=2)))
        assert both == "a" * 8
    finally:
        await s.close()

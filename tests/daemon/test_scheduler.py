"""Admission: which waiting prompts join the running batch (rows, prefill size, KV memory)."""

from __future__ import annotations

import itertools
import time
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


_keys = itertools.count()


def group(
    prompt_tokens: int, max_tokens: int = 16, n: int = 1, request: int | None = None
) -> Group:
    """A group of its own request, or of ``request``."""
    made = Group(
        key=next(_keys),
        prompt_ids=[1] * prompt_tokens,
        params=SamplingParams(max_tokens=max_tokens),
        first_index=0,
        n=n,
        decode=lambda ids: "",
        eos_ids=frozenset(),
    )
    if request is not None:
        made.request = request
    return made


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
    # 3 + 4 rows fit, 2 more do not; the group that does not fit blocks no one behind it.
    assert admitted(s, [group(10, n=4), group(10, n=2), group(10)]) == [0, 2]


def test_fan_outs_leave_rows_for_single_requests() -> None:
    # Three n=8 streams hold 24 of 32 rows: a fourth may not take the last eighth,
    # so a small request behind it starts now instead of waiting for a stream to end.
    running = FakeRunner([group(10, n=8) for _ in range(3)])
    s = scheduler(running, max_batch_size=32)
    assert admitted(s, [group(10, n=8), group(10)]) == [1]


def test_a_request_over_its_share_of_rows_lets_others_in_first() -> None:
    running = FakeRunner([group(10, n=4, request=100)])
    s = scheduler(running, max_batch_size=8)
    # Two requests share 8 rows: request 100 holds its 4 already.
    assert admitted(s, [group(10, n=4, request=100), group(10)]) == [1]


def test_a_group_passed_over_too_long_stops_the_queue_behind_it() -> None:
    running = FakeRunner([group(10, n=8) for _ in range(3)])
    s = scheduler(running, max_batch_size=32)
    starving = group(10, n=8)
    starving.queued_at = time.perf_counter() - 60
    assert admitted(s, [starving, group(10)]) == []
    assert s._waiting[0] is starving


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

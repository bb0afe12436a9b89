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

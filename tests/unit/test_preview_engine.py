"""One opt computation in flight per document: a newer hover cancels a stale one, an
identical hover shares it, a cancelled request stops its work. Pipeline-steps parsing."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from lsp_server.config import Settings
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.preview import engine as hover
from lsp_server.preview.engine import PreviewState, Superseded
from lsp_server.preview.remarks import Remark
from lsp_server.preview.run import Stage, Truth
from lsp_server.preview.steps import (
    END_OF_PIPELINE,
    Step,
    attribute_remarks,
    close_steps,
    dump_facts,
    last_silent_pass,
    parse_steps,
)
from lsp_server.preview.target import Target
from lsp_server.services import Services
from lsp_server.syntax.span import Pos, Span

TARGET = Target(
    kind="pass",
    pipeline="sroa,gvn",
    pass_text="gvn",
    before="sroa",
    after="sroa,gvn",
    model_passes="gvn",
    args=(),
    function="f",
    extract=False,
    span=Span(Pos(0, 0), Pos(0, 3)),
)


class Gate:
    """A fake compute_truth that waits until the test lets it finish."""

    def __init__(self) -> None:
        self.started: list[Target] = []
        self.cancelled: list[Target] = []
        self.release = asyncio.Event()
        self.running = asyncio.Event()

    async def __call__(
        self, text: str, target: Target, services: Services, memo: object, warm: object = None
    ) -> Truth:
        self.started.append(target)
        self.running.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.append(target)
            raise
        stage = Stage(target.after, "define void @f() {\n  ret void\n}\n")
        return Truth(target, "19.1.7", text, stage, stage)


async def running(gate: Gate, *tasks: asyncio.Future[object]) -> None:
    """Wait until the fake computation runs; a request that failed first fails the test
    instead of leaving it waiting forever."""
    started = asyncio.ensure_future(gate.running.wait())
    await asyncio.wait([started, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        if task.done():
            task.result()
    assert started.done()


@pytest.fixture
def gate(monkeypatch) -> Gate:
    fake = Gate()
    monkeypatch.setattr(hover, "compute_truth", fake)
    return fake


@pytest.fixture
def services() -> Services:
    return Services(settings=Settings(), toolchain=Toolchain())


async def test_a_newer_hover_cancels_the_stale_computation(gate: Gate, services) -> None:
    state = PreviewState()
    first = asyncio.ensure_future(state.truth("doc", "v1", TARGET, services))
    await running(gate, first)
    other = replace(TARGET, pass_text="sroa", before="", after="sroa")
    second = asyncio.ensure_future(state.truth("doc", "v1", other, services))
    await asyncio.sleep(0)  # allowed: one loop turn, not a wait: the second hover starts
    gate.release.set()
    with pytest.raises(Superseded):
        await first
    assert (await second).target == other
    assert gate.cancelled == [TARGET]
    assert state.max_in_flight == 1
    assert state.in_flight() == 0


async def test_the_newer_computation_starts_after_the_stale_one_stopped(
    gate: Gate, services, monkeypatch
) -> None:
    """Tools of two computations never run side by side on one document."""
    reaped = asyncio.Event()
    original = gate.__call__

    async def stopping(text, target, services_, memo, warm=None):
        try:
            return await original(text, target, services_, memo, warm)
        except asyncio.CancelledError:
            await reaped.wait()  # a killed tool still being waited for
            raise

    monkeypatch.setattr(hover, "compute_truth", stopping)
    state = PreviewState()
    first = asyncio.ensure_future(state.truth("doc", "v1", TARGET, services))
    await running(gate, first)
    other = replace(TARGET, pass_text="sroa", before="", after="sroa")
    second = asyncio.ensure_future(state.truth("doc", "v1", other, services))
    for _ in range(5):
        await asyncio.sleep(0)  # allowed: loop turns, not a wait for time
    assert gate.started == [TARGET]  # the second waits for the first to stop
    reaped.set()
    gate.release.set()
    with pytest.raises(Superseded):
        await first
    await second
    assert gate.started == [TARGET, other]


async def test_an_identical_hover_shares_the_computation(gate: Gate, services) -> None:
    state = PreviewState()
    first = asyncio.ensure_future(state.truth("doc", "v1", TARGET, services))
    second = asyncio.ensure_future(state.truth("doc", "v1", TARGET, services))
    await running(gate, first, second)
    gate.release.set()
    assert (await first) is (await second)
    assert gate.started == [TARGET]
    # And a repeat is remembered: nothing runs again.
    assert (await state.truth("doc", "v1", TARGET, services)) is (await first)
    assert gate.started == [TARGET]


async def test_documents_do_not_cancel_each_other(gate: Gate, services) -> None:
    state = PreviewState()
    one = asyncio.ensure_future(state.truth("one", "v1", TARGET, services))
    two = asyncio.ensure_future(state.truth("two", "v1", TARGET, services))
    await running(gate, one, two)
    await asyncio.sleep(0)  # allowed: one loop turn, not a wait for time
    gate.release.set()
    await one
    await two
    assert gate.cancelled == []
    assert state.max_in_flight == 2


async def test_a_cancelled_request_stops_its_computation(gate: Gate, services) -> None:
    state = PreviewState()
    request = asyncio.ensure_future(state.truth("doc", "v1", TARGET, services))
    await running(gate, request)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.sleep(0)  # allowed: one loop turn, not a wait for time
    assert gate.cancelled == [TARGET]


DUMP = """\
*** IR Dump At Start ***
; ModuleID = '<stdin>'
define i32 @f(i32 %x) {
  %a = add i32 %x, 0
  ret i32 %a
}

define i32 @g() {
  ret i32 1
}
*** IR Dump After SROAPass on f omitted because no change ***
*** IR Dump After SROAPass on g filtered out ***
*** IR Pass PassManager<Function> on f ignored ***
*** IR Dump After InstCombinePass on f ***
; ModuleID = '<stdin>'
define i32 @f(i32 %x) {
  ret i32 %x
}

define i32 @g() {
  ret i32 1
}
*** IR Dump After InlinerPass on (g) omitted because no change ***
*** IR Dump After LICMPass on loop %l in function g omitted because no change ***
*** IR Dump After GlobalOptPass on [module] ***
; ModuleID = '<stdin>'
define i32 @f(i32 %x) {
  ret i32 %x
}
"""


def test_steps_follow_one_function_through_the_dumps() -> None:
    initial, steps, truncated = parse_steps(DUMP, "f")
    assert not truncated
    assert initial is not None and "%a = add" in initial
    assert [(s.pass_name, s.unit, s.changed) for s in steps] == [
        ("SROAPass", "f", False),
        ("InstCombinePass", "f", True),
        # @g went away, but @f is the same: not a change for @f.
        ("GlobalOptPass", "[module]", False),
    ]
    assert steps[1].ir == "define i32 @f(i32 %x) {\n  ret i32 %x\n}"
    assert steps[0].ir is None and steps[2].ir is None


def test_steps_of_the_whole_module_keep_every_unit() -> None:
    _, steps, _ = parse_steps(DUMP, None)
    assert [s.pass_name for s in steps] == [
        "SROAPass",
        "InstCombinePass",
        "InlinerPass",
        "LICMPass",
        "GlobalOptPass",
    ]
    assert [s.changed for s in steps] == [False, True, False, False, True]
    assert steps[-1].ir is not None and "@g" not in steps[-1].ir


INLINED = """\
*** IR Dump At Start ***
define internal i32 @foo() {
  ret i32 1
}
define i32 @bar() {
  %r = call i32 @foo()
  ret i32 %r
}
*** IR Dump After InlinerPass on (foo) omitted because no change ***
*** IR Dump After InlinerPass on (bar) ***
define internal i32 @foo() {
  unreachable
}
define i32 @bar() {
  ret i32 1
}
*** IR Pass PassManager<LazyCallGraph::SCC, CGSCCAnalysisManager, LazyCallGraph &, CGSCCUpdateResult &> on (bar) ignored ***
*** IR Pass ModuleToPostOrderCGSCCPassAdaptor on [module] ignored ***
*** IR Pass VerifierPass on [module] ignored ***
"""


def test_a_change_after_the_last_dump_closes_the_steps_as_opt_prints() -> None:
    """The inliner empties a dead function in its dumps; the CGSCC adaptor, which
    -print-changed ignores, erases it. The steps end in what opt -S prints, named after
    that adaptor and marked unreported."""
    initial, steps, _ = parse_steps(INLINED, None)
    printed = "define i32 @bar() {\n  ret i32 1\n}"
    assert last_silent_pass(INLINED) == "ModuleToPostOrderCGSCCPassAdaptor"
    closed = close_steps(initial, steps, printed, last_silent_pass(INLINED))
    assert [(s.pass_name, s.changed, s.unreported) for s in closed] == [
        ("InlinerPass", False, False),
        ("InlinerPass", True, False),
        ("ModuleToPostOrderCGSCCPassAdaptor", True, True),
    ]
    assert closed[-1].ir == printed and closed[-1].index == 2
    assert closed[-1].to_json()["unreported"] is True
    # When the last dump is what opt prints, nothing is added.
    assert close_steps(initial, steps, steps[-1].ir, "X") == steps
    # Without opt's output nothing can be said.
    assert close_steps(initial, steps, None, "X") == steps


def test_the_silent_pass_is_only_one_after_the_last_reported_step() -> None:
    reported_last = (
        INLINED + "*** IR Dump After GlobalDCEPass on [module] omitted because no change ***\n"
    )
    assert last_silent_pass(reported_last) == END_OF_PIPELINE
    assert last_silent_pass("") == END_OF_PIPELINE
    # An invalidated unit after the last change: the closing step brings the IR back.
    gone = [Step(0, "LoopUnrollPass", "", True, None, invalidated=True)]
    assert close_steps("x", gone, "y", END_OF_PIPELINE)[-1].ir == "y"


def test_remarks_go_to_the_step_that_made_them_printed_or_not() -> None:
    """opt prints the remark on @bar before the InlinerPass on (bar) dump; the one on @foo it
    writes to the YAML only: it goes to the step that ran on foo."""
    printed = "'foo' inlined into 'bar'"
    dump = INLINED.replace(
        "*** IR Dump After InlinerPass on (bar) ***",
        f"remark: <unknown>:0:0: {printed}\n*** IR Dump After InlinerPass on (bar) ***",
    )
    unprinted = Remark("missed", "inline", "NoDefinition", "foo", "init will not be inlined")
    inlined = Remark("passed", "inline", "Inlined", "bar", printed)
    trailing = Remark("analysis", "inline", "Late", "zed", "after every dump")
    _, sections = dump_facts(dump)
    made = attribute_remarks(sections, [unprinted, inlined, trailing])
    _, steps, _ = parse_steps(dump, None, None, made)
    assert [step.remarks for step in steps] == [(unprinted,), (inlined, trailing)]
    # A printed line that the YAML lacks is left out; nothing is given twice.
    assert sum(map(len, attribute_remarks(sections, []))) == 0


async def test_a_chain_of_hovers_never_overlaps_computations(
    gate: Gate, services, monkeypatch
) -> None:
    """Three quick hovers: the third starts only after the first has stopped, even though
    the second (which was waiting for the first) was cancelled at once."""
    reaped = asyncio.Event()
    original = gate.__call__
    live: list[Target] = []
    most = 0

    async def tracked(text, target, services_, memo, warm=None):
        nonlocal most
        live.append(target)
        most = max(most, len(live))
        try:
            return await original(text, target, services_, memo, warm)
        except asyncio.CancelledError:
            await reaped.wait()
            raise
        finally:
            live.remove(target)

    monkeypatch.setattr(hover, "compute_truth", tracked)
    state = PreviewState()
    targets = [replace(TARGET, after=f"sroa,gvn{i}") for i in range(3)]
    first = asyncio.ensure_future(state.truth("doc", "v1", targets[0], services))
    await running(gate, first)
    rest = [asyncio.ensure_future(state.truth("doc", "v1", t, services)) for t in targets[1:]]
    for _ in range(5):
        await asyncio.sleep(0)  # allowed: loop turns, not a wait for time
    reaped.set()
    gate.release.set()
    results = await asyncio.gather(first, *rest, return_exceptions=True)
    assert isinstance(results[0], Superseded) and isinstance(results[1], Superseded)
    assert results[2].target == targets[2]
    assert most == 1

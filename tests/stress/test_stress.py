"""The quick subset of the stress harness: hostile documents and faults never cost an answer.

A seeded run of about a minute per position encoding (``harness.Plan``'s defaults). It fails on
any traceback in the server's log, any internal error answered, any request left unanswered,
files left in the server's TMPDIR, or the server dying. The probe budget here only catches a
server that stopped answering (a hang), not a slow one: responsiveness is measured by
``bench/stress_bench.py``.
"""

from __future__ import annotations

import pytest

from tests.stress.harness import Plan, run

#: A probe waiting this long means the event loop was blocked, not merely busy.
HANG_SECONDS = 10.0


@pytest.mark.parametrize(("seed", "encoding"), [(1, "utf-16"), (2, "utf-8")])
def test_a_stress_session_costs_no_answer(seed: int, encoding: str, tmp_path) -> None:
    report = run(Plan(seed=seed, encoding=encoding, documents=40, seconds=45), tmp_path)
    assert report.requests > 50, report.to_json()
    assert report.failures(probe_budget=HANG_SECONDS) == [], report.to_json()

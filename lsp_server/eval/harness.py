"""Running a task over a corpus: items in parallel, a JSON line per item, then the report.

Files written into the output directory:

- ``config.json``: the options a resumed run must share (a different task, model or
  budget in the same directory is refused instead of mixing records);
- ``items.jsonl``: one record per item, appended as each finishes (see ``records``);
- ``summary.json``, ``report.md`` and the task's PNG plots, rebuilt from every record in
  ``items.jsonl`` at the end of each run, so the summary's totals are the sums of the lines.

An item that fails is recorded with ``status: error`` and the run goes on; only a problem
that would fail every item (no model for a task that needs one) stops the run up front.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lsp_server.eval import records as rec
from lsp_server.eval.inputs import InputProblem, find_sources, load_units
from lsp_server.eval.progress import Progress
from lsp_server.eval.report import write_report
from lsp_server.eval.tasks import get_task
from lsp_server.eval.tasks.base import EvalContext, EvalOptions, Item, Task
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.toolchain import MissingToolError
from lsp_server.model.backend import BackendState, ModelError
from lsp_server.services import Services

log = logging.getLogger(__name__)

ITEMS_FILE = "items.jsonl"
CONFIG_FILE = "config.json"


class EvalError(Exception):
    """The run cannot start; ``str(err)`` says why and what to do."""


@dataclass
class EvalResult:
    """What a run left behind."""

    summary: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0


def _problem_record(problem: InputProblem) -> rec.Record:
    return {
        "key": f"input:{problem.id}",
        "id": problem.id,
        "source": problem.source,
        "status": rec.INPUT_ERROR,
        "error": problem.message,
    }


def _check_config(out: Path, fingerprint: dict[str, Any], *, fresh: bool) -> None:
    """Refuse to mix records of different settings in one directory."""
    path = out / CONFIG_FILE
    if path.exists() and not fresh:
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = None
        if previous is not None and previous != fingerprint:
            changed = sorted(
                k for k in set(previous) | set(fingerprint) if previous.get(k) != fingerprint.get(k)
            )
            raise EvalError(
                f"{out} holds a run with other settings ({', '.join(changed)} differ); "
                "use another --out, or --fresh to start over"
            )
    path.write_text(json.dumps(fingerprint, indent=2, sort_keys=True) + "\n")


async def _ready_backend(task: Task, services: Services) -> str | None:
    """The model name, after checking the server; None in LLVM-only mode."""
    backend = services.backend
    if backend is None:
        if task.needs_model:
            raise EvalError(
                f"the {task.name} task needs a model: pass --model-url URL (an irlens daemon, "
                "vLLM or any OpenAI-compatible server); see docs/eval.md"
            )
        return None
    state = await backend.check()
    if state is not BackendState.READY:
        raise EvalError(f"the model server is not ready: {backend.detail}")
    return backend.model_name


async def _run_item(task: Task, item: Item, context: EvalContext) -> rec.Record:
    start = time.monotonic()
    base: rec.Record = {
        "key": item.key,
        "id": item.unit.id,
        "source": item.unit.source,
        "function": item.unit.function,
    }
    try:
        fields = await task.run(item, context)
    except (ToolError, ModelError, MissingToolError) as err:
        fields = {"status": rec.ERROR, "error": str(err)}
    except Exception as err:
        # One odd input must not end a run of thousands; the log has the traceback.
        log.exception("eval %s: %s failed", task.name, item.key)
        fields = {"status": rec.ERROR, "error": f"{type(err).__name__}: {err}"}
    record = {**base, **fields}
    record["seconds"] = round(time.monotonic() - start, 3)
    return record


async def run_eval(
    options: EvalOptions, services: Services, *, stream: TextIO | None = None
) -> EvalResult:
    """Run ``options.task`` on ``options.corpus``, resuming from ``options.out``.

    Raises EvalError when the run cannot start. Interrupting (cancelling) it leaves every
    finished item in ``items.jsonl``; running it again continues from there.
    """
    stream = stream or sys.stderr
    task = get_task(options.task)
    model = await _ready_backend(task, services)
    refusal = task.problem(options, services.backend is not None)
    if refusal is not None:
        raise EvalError(refusal)
    options.out.mkdir(parents=True, exist_ok=True)
    fingerprint = options.fingerprint(task)
    fingerprint["model"] = model
    _check_config(options.out, fingerprint, fresh=options.fresh)
    log_file = rec.ResultLog(options.out / ITEMS_FILE)
    if options.fresh:
        log_file.clear()

    try:
        sources = find_sources(options.corpus, task.input_kind, options.inputs)
    except FileNotFoundError as err:
        raise EvalError(str(err)) from err
    units, problems = await load_units(
        services.toolchain, sources, task.input_kind, options=options.inputs, limit=options.limit
    )
    done = rec.done_keys(log_file.read(), retry_errors=options.retry_errors)
    for problem in problems:
        record = _problem_record(problem)
        if record["key"] not in done:
            log_file.append(record)
    planned = [item for unit in units for item in task.items(unit, options)]
    todo = [item for item in planned if item.key not in done]

    cores = max(1, _cpu_count())
    jobs = max(1, options.jobs)
    context = EvalContext(services, options, tool_concurrency=max(1, cores // jobs))
    progress = Progress(f"eval {task.name}", len(todo), stream)
    progress.begin()
    semaphore = asyncio.Semaphore(jobs)

    async def one(item: Item) -> None:
        async with semaphore:
            record = await _run_item(task, item, context)
        log_file.append(record)
        status = record.get("status")
        progress.advance(None if status == rec.OK else str(status))

    await asyncio.gather(*(one(item) for item in todo))

    all_records = rec.latest(log_file.read())
    summary = _summary(task, all_records, options, services, model)
    files = write_report(task, all_records, summary, options.out, plots=options.plots, model=model)
    return EvalResult(summary, files, ran=len(todo), skipped=len(planned) - len(todo))


def _summary(
    task: Task,
    records: list[rec.Record],
    options: EvalOptions,
    services: Services,
    model: str | None,
) -> dict[str, Any]:
    counts = {status: 0 for status in rec.STATUSES}
    for record in records:
        status = str(record.get("status"))
        counts[status] = counts.get(status, 0) + 1
    return {
        "task": task.name,
        "title": task.title,
        "model": model,
        "llvm": services.toolchain.version_text,
        "corpus": str(options.corpus),
        "records": len(records),
        "statusCounts": counts,
        "tooLong": counts[rec.TOO_LONG],
        "errors": counts[rec.ERROR],
        "inputErrors": counts[rec.INPUT_ERROR],
        "options": options.fingerprint(task),
        "metrics": task.summarise(records, options),
    }


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

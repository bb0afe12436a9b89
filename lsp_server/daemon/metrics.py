"""The daemon's counters, gauges and histograms, rendered in the Prometheus text format.

A few dozen lines instead of a dependency: the daemon needs counters, gauges read at
scrape time and fixed-bucket histograms, all updated from the event loop thread.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


@dataclass
class Counter:
    """A monotonically increasing value, optionally split by one set of labels."""

    name: str
    help: str
    values: dict[tuple[tuple[str, str], ...], float] = field(default_factory=dict)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` to the series named by ``labels``."""
        key = tuple(sorted(labels.items()))
        self.values[key] = self.values.get(key, 0.0) + amount

    def get(self, **labels: str) -> float:
        """The current value of one series (0 if never incremented)."""
        return self.values.get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> list[str]:
        """Exposition lines."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        series = self.values or {(): 0.0}
        lines += [f"{self.name}{_labels(dict(k))} {v:g}" for k, v in sorted(series.items())]
        return lines


@dataclass
class Gauge:
    """A value read when scraped."""

    name: str
    help: str
    read: Callable[[], float]

    def render(self) -> list[str]:
        """Exposition lines."""
        return [
            f"# HELP {self.name} {self.help}",
            f"# TYPE {self.name} gauge",
            f"{self.name} {self.read():g}",
        ]


@dataclass
class Histogram:
    """Observations counted in cumulative buckets, with their sum and count."""

    name: str
    help: str
    buckets: Sequence[float]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        """Record one observation."""
        i = bisect.bisect_left(self.buckets, value)
        if i < len(self.counts):
            self.counts[i] += 1
        self.total += value
        self.count += 1

    def render(self) -> list[str]:
        """Exposition lines."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        cumulative = 0
        for bound, n in zip(self.buckets, self.counts, strict=True):
            cumulative += n
            lines.append(f'{self.name}_bucket{{le="{bound:g}"}} {cumulative}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {self.total:g}")
        lines.append(f"{self.name}_count {self.count}")
        return lines


class DaemonMetrics:
    """Every metric the daemon exports; gauges read the scheduler's live state."""

    def __init__(self, queue_depth: Callable[[], float], running: Callable[[], float]) -> None:
        p = "irlens_daemon_"
        self.requests = Counter(f"{p}requests_total", "Completion requests accepted.")
        self.finished = Counter(f"{p}requests_finished_total", "Requests answered in full.")
        self.cancelled = Counter(
            f"{p}requests_cancelled_total", "Requests cancelled because the client went away."
        )
        self.errors = Counter(f"{p}request_errors_total", "Requests answered with an error.")
        self.prompt_tokens = Counter(f"{p}prompt_tokens_total", "Prompt tokens prefilled.")
        self.generation_tokens = Counter(f"{p}generation_tokens_total", "Tokens generated.")
        self.steps = Counter(f"{p}steps_total", "Batched forward passes (prefill or decode).")
        self.draft_tokens = Counter(
            f"{p}draft_tokens_total", "Prompt-lookup draft tokens proposed."
        )
        self.accepted_tokens = Counter(
            f"{p}draft_accepted_tokens_total", "Prompt-lookup draft tokens accepted."
        )
        self.latency = Histogram(
            f"{p}request_duration_seconds", "Time from request to last token.", LATENCY_BUCKETS
        )
        self.ttft = Histogram(
            f"{p}time_to_first_token_seconds",
            "Time from request to its first generated token.",
            LATENCY_BUCKETS,
        )
        self.batch_size = Histogram(
            f"{p}decode_batch_size", "Sequences in each decoding step.", BATCH_BUCKETS
        )
        self.queue_depth = Gauge(f"{p}queue_depth", "Prompts waiting to be scheduled.", queue_depth)
        self.running = Gauge(f"{p}running_sequences", "Sequences being generated.", running)

    def render(self) -> str:
        """The whole exposition, for ``GET /metrics``."""
        lines: list[str] = []
        for metric in (
            self.requests,
            self.finished,
            self.cancelled,
            self.errors,
            self.prompt_tokens,
            self.generation_tokens,
            self.steps,
            self.draft_tokens,
            self.accepted_tokens,
            self.latency,
            self.ttft,
            self.batch_size,
            self.queue_depth,
            self.running,
        ):
            lines += metric.render()
        return "\n".join(lines) + "\n"

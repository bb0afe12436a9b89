"""A progress bar with an ETA, on stderr (stdout is for the result).

On a terminal the bar redraws in place; elsewhere (a log file, CI) it prints a line at each
tenth of the way and at the end, so logs stay short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def format_seconds(seconds: float) -> str:
    """``75`` -> ``1:15``, ``3725`` -> ``1:02:05``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts finished items and shows ``label  done/total [bar] pct elapsed ETA``.

    The ETA is the mean time per item of this run times the items left; items skipped on
    resume are not counted in ``total``.
    """

    def __init__(
        self,
        label: str,
        total: int,
        stream: TextIO,
        *,
        width: int = 28,
        clock: Callable[[], float] = time.monotonic,
        interactive: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream
        self.width = width
        self.clock = clock
        self.start = clock()
        self.done = 0
        self.notes: dict[str, int] = {}
        isatty = getattr(stream, "isatty", None)
        self.interactive = interactive if interactive is not None else bool(isatty and isatty())
        self._last_tenth = -1

    def eta(self) -> float | None:
        """Seconds left, or None before the first item finishes."""
        if self.done == 0:
            return None
        per_item = (self.clock() - self.start) / self.done
        return per_item * (self.total - self.done)

    def line(self) -> str:
        """The current progress line, without a line break."""
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = format_seconds(self.clock() - self.start)
        eta = self.eta()
        left = "ETA --:--" if eta is None else f"ETA {format_seconds(eta)}"
        notes = "".join(f", {n} {what}" for what, n in sorted(self.notes.items()) if n)
        return (
            f"{self.label} {self.done}/{self.total} [{bar}] {fraction:4.0%} "
            f"{elapsed} elapsed, {left}{notes}"
        )

    def advance(self, note: str | None = None) -> None:
        """One more item finished; ``note`` counts it under a name (``too_long``, ...)."""
        self.done += 1
        if note:
            self.notes[note] = self.notes.get(note, 0) + 1
        self._draw()

    def _draw(self) -> None:
        if self.interactive:
            self.stream.write("\r" + self.line())
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
            return
        tenth = (self.done * 10) // self.total if self.total else 10
        if tenth != self._last_tenth or self.done >= self.total:
            self._last_tenth = tenth
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def begin(self) -> None:
        """Show the bar before the first item finishes."""
        if not self.total:
            return
        if self.interactive:
            self.stream.write("\r" + self.line())
        else:
            self._last_tenth = 0
            self.stream.write(self.line() + "\n")
        self.stream.flush()

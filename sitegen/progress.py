"""What a build tells its author: progress while notebooks execute, one screen at the end.

A cold build of the site runs for about a minute. ``ExecutionProgress`` says how far along
the notebook execution is (done / total, the notebooks running, elapsed, an estimate of
what remains): one line redrawn in place on a terminal, a plain line per finished notebook
elsewhere (CI logs, files). ``BuildSummary`` is the one screen printed at the end:
notebooks executed and taken from the cache, pages read and written, warnings, time.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO


def clock(seconds: float) -> str:
    """``0:42``, ``12:05``: minutes and seconds, as a person reads a timer."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def estimate_left(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate so far (notebooks finished per second); None before any."""
    if done == 0:
        return None
    return elapsed / done * (total - done)


class ExecutionProgress:
    """Reports the pre-executor's progress; ``names`` are the notebooks in submission order.

    The pool starts notebooks in submission order, so the ``workers`` earliest unfinished
    ones are the ones running.
    """

    def __init__(
        self,
        names: Sequence[str],
        workers: int,
        stream: TextIO,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.names, self.workers, self.stream, self.now = list(names), workers, stream, now
        self.pending = list(names)
        self.started = now()
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.width = shutil.get_terminal_size((100, 20)).columns
        self.write(
            f"[sitegen] executing {len(self.names)} notebook(s) on {workers} worker(s)",
            final=True,
        )
        self.show()

    @property
    def done(self) -> int:
        return len(self.names) - len(self.pending)

    def status(self) -> str:
        elapsed = self.now() - self.started
        left = estimate_left(self.done, len(self.names), elapsed)
        running = ", ".join(self.pending[: self.workers]) or "-"
        remaining = "estimating" if left is None else f"~{clock(left)} left"
        # What matters first: a narrow terminal cuts the end of the line.
        return (
            f"[sitegen] {self.done}/{len(self.names)} executed, {clock(elapsed)} elapsed, "
            f"{remaining} | running: {running}"
        )

    def show(self) -> None:
        if self.live:
            self.write(self.status())

    def finished(self, name: str, seconds: float, ok: bool) -> None:
        """One notebook finished (``ok``: without a failing cell)."""
        if name in self.pending:
            self.pending.remove(name)
        if self.live:
            self.show()
            return
        outcome = f"{seconds:.1f} s" if ok else f"FAILED after {seconds:.1f} s"
        elapsed = self.now() - self.started
        left = estimate_left(self.done, len(self.names), elapsed)
        tail = "" if left is None or not self.pending else f", ~{clock(left)} left"
        self.write(
            f"[sitegen] executed {self.done}/{len(self.names)}: {name} ({outcome}); "
            f"{clock(elapsed)} elapsed{tail}",
            final=True,
        )

    def close(self) -> None:
        if self.live:
            elapsed = clock(self.now() - self.started)
            self.write(f"[sitegen] {self.done}/{len(self.names)} executed in {elapsed}", True)

    def write(self, line: str, final: bool = False) -> None:
        if self.live:
            # Redraw in place: carriage return, the line cut to the terminal, clear the rest.
            self.stream.write("\r" + line[: self.width - 1] + "\x1b[K" + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


@dataclass
class BuildSummary:
    """Counted during one build; ``lines()`` is the screen printed at its end."""

    started: float = field(default_factory=time.monotonic)
    executed: int = 0  # notebooks run in this build
    shared: int = 0  # same code as one run in this build: executed once, stored once
    from_cache: int = 0  # changed pages whose notebook was already in jupyter-cache
    failed: int = 0  # notebooks allowed to fail (raise_on_error: false) that did
    execution_seconds: float = 0.0  # wall time of the parallel execution
    pages_read: int = 0
    pages_written: int = 0

    def lines(self, warnings: int, output: str, now: float | None = None) -> list[str]:
        total = (time.monotonic() if now is None else now) - self.started
        notebooks = f"{self.executed} executed"
        if self.shared:
            notebooks += f" (+{self.shared} with the same code, run once)"
        notebooks += f", {self.from_cache} from the cache"
        if self.failed:
            notebooks += f", {self.failed} failed (allowed)"
        if self.executed:
            notebooks += f"; executing took {self.execution_seconds:.1f} s"
        return [
            "[sitegen] build summary",
            f"  notebooks  {notebooks}",
            f"  pages      {self.pages_read} read, {self.pages_written} written",
            f"  warnings   {warnings}",
            f"  time       {total:.1f} s",
            f"  site       {output}",
        ]

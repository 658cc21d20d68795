"""Injectable clocks: the type every time-reading class here accepts, and a hand-set fake.

Code that reads the time takes a ``clock`` argument (``time.time`` by default), so a test, a
post or a lab can move time (token expiry, leeway, replay windows) exactly, without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds since the epoch, like :func:`time.time`."""


class FakeClock:
    """A clock that moves only when told: calling it returns ``now``; assign ``now`` to move it."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

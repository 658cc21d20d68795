"""Latency statistics and micro-benchmark timing, reported the way the posts need them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np


def percentiles(samples: Iterable[float], qs: Sequence[float] = (50, 95, 99)) -> dict[str, float]:
    """Percentiles of ``samples`` keyed ``"p50"``, ``"p95"``... (linear interpolation)."""
    values = np.asarray(list(samples), dtype=float)
    if values.size == 0:
        raise ValueError("percentiles of an empty sample are undefined")
    return {f"p{q:g}": float(np.percentile(values, q)) for q in qs}


def _round_seconds(fn: Callable[[], object], repeat: int, number: int) -> list[float]:
    """Seconds per call in each of ``repeat`` rounds of ``number`` calls."""
    if repeat < 1 or number < 1:
        raise ValueError("repeat and number must be at least 1")
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return rounds


def median_seconds(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> float:
    """Median wall time of ``number`` calls of ``fn`` over ``repeat`` rounds, in seconds per call.

    Medians, not means: these machines are shared and noisy, and a median shrugs off the one
    round where another process took the core.
    """
    return statistics.median(_round_seconds(fn, repeat, number))


def best_seconds(fn: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Fastest of ``repeat`` rounds of ``number`` calls, in seconds per call.

    For comparing *work* (hash cost factors, algorithmic scaling): another process can only
    add time to a round, never remove it, so the minimum is the least disturbed estimate.
    """
    return min(_round_seconds(fn, repeat, number))

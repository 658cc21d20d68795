"""Tests for englogs.retry: backoff schedules, the SQS-like queue and the simulations."""

from __future__ import annotations

import random
import statistics
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from englogs.retry import (
    STRATEGIES,
    Delivery,
    Dependency,
    SimQueue,
    backoff_delay,
    dead_letter_probability,
    max_receive_count_for,
    simulate_at_least_once,
    simulate_contention,
    simulate_poison,
    simulate_queued_chain,
    simulate_sync_chain,
)

# --- backoff_delay ---------------------------------------------------------------------------


def test_exponential_doubles_then_caps() -> None:
    rng = random.Random(0)
    delays = [backoff_delay("exponential", n, base=1.0, cap=10.0, rng=rng) for n in range(1, 6)]
    assert delays == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_no_backoff_retries_immediately() -> None:
    assert backoff_delay("none", 7, base=1.0, cap=10.0, rng=random.Random(0)) == 0.0


@pytest.mark.parametrize("attempt", [1, 3, 8])
def test_jittered_delays_stay_in_their_documented_ranges(attempt: int) -> None:
    rng = random.Random(1)
    ceiling = min(100.0, 1.0 * 2**attempt)
    full = [backoff_delay("full", attempt, base=1.0, cap=100.0, rng=rng) for _ in range(500)]
    equal = [backoff_delay("equal", attempt, base=1.0, cap=100.0, rng=rng) for _ in range(500)]
    assert all(0.0 <= d <= ceiling for d in full)
    assert all(ceiling / 2 <= d <= ceiling for d in equal)
    # Full jitter really spreads over the whole window (mean near ceiling / 2).
    assert statistics.mean(full) == pytest.approx(ceiling / 2, rel=0.1)


def test_decorrelated_grows_from_the_previous_sleep_and_respects_the_cap() -> None:
    rng = random.Random(2)
    previous = None
    for attempt in range(1, 50):
        delay = backoff_delay(
            "decorrelated", attempt, base=1.0, cap=20.0, rng=rng, previous=previous
        )
        upper = min(20.0, 3 * (1.0 if previous is None else previous))
        assert 1.0 <= delay <= upper
        previous = delay


def test_huge_attempt_numbers_stay_finite() -> None:
    assert backoff_delay("exponential", 10_000, base=0.1, cap=30.0, rng=random.Random(0)) == 30.0


@pytest.mark.parametrize(
    ("strategy", "attempt", "base", "cap"),
    [("full", 0, 1.0, 2.0), ("full", 1, 0.0, 2.0), ("full", 1, 3.0, 2.0), ("linear", 1, 1.0, 2.0)],
)
def test_bad_arguments_are_rejected(strategy: Any, attempt: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError):
        backoff_delay(strategy, attempt, base=base, cap=cap, rng=random.Random(0))


# --- simulate_contention ---------------------------------------------------------------------


def test_contention_is_deterministic_per_seed_and_counts_every_write() -> None:
    first = simulate_contention("full", 20, seed=5)
    assert first == simulate_contention("full", 20, seed=5)
    assert first.calls >= 20  # every client writes at least once
    assert simulate_contention("exponential", 1, seed=5).calls == 1


def test_jitter_beats_plain_exponential_on_work_and_time() -> None:
    def mean(strategy: Any, field: str) -> float:
        runs = [simulate_contention(strategy, 40, seed=s) for s in range(10)]
        return statistics.mean(getattr(r, field) for r in runs)

    assert mean("full", "calls") < 0.7 * mean("exponential", "calls")
    assert mean("decorrelated", "calls") < 0.8 * mean("exponential", "calls")
    assert mean("full", "completion_ms") < 0.5 * mean("exponential", "completion_ms")


def test_every_strategy_finishes() -> None:
    for strategy in STRATEGIES:
        result = simulate_contention(strategy, 15, seed=1)
        assert result.completion_ms > 0


# --- SimQueue ---------------------------------------------------------------------------------


def _run(env: simpy.Environment, process: Generator[simpy.Event, Any, None]) -> None:
    env.process(process)
    env.run(until=1000)


def test_message_comes_back_after_the_visibility_timeout_with_a_new_receipt() -> None:
    env = simpy.Environment()
    queue = SimQueue(env, visibility_timeout=30)
    queue.send(1, "hello")
    seen: list[tuple[float, Delivery]] = []

    def consumer() -> Generator[simpy.Event, Any, None]:
        for _ in range(2):
            delivery = yield from queue.receive()
            seen.append((env.now, delivery))

    _run(env, consumer())
    (t1, first), (t2, second) = seen
    assert (t1, t2) == (0, 30)
    assert (first.receive_count, second.receive_count) == (1, 2)
    assert first.receipt != second.receipt
    assert not queue.delete(first)  # stale handle: nothing deleted
    assert queue.depth == 1
    assert queue.delete(second)
    assert queue.depth == 0


def test_change_visibility_reschedules_the_message() -> None:
    env = simpy.Environment()
    queue = SimQueue(env, visibility_timeout=30)
    queue.send(1)
    times: list[float] = []

    def consumer() -> Generator[simpy.Event, Any, None]:
        delivery = yield from queue.receive()
        assert queue.change_visibility(delivery, 5)
        delivery = yield from queue.receive()
        times.append(env.now)
        queue.delete(delivery)

    _run(env, consumer())
    assert times == [5]


def test_redrive_moves_the_message_after_max_receive_count() -> None:
    env = simpy.Environment()
    queue = SimQueue(env, visibility_timeout=1, max_receive_count=3)
    queue.send(7, "poison")
    counts: list[int] = []

    def consumer() -> Generator[simpy.Event, Any, None]:
        while True:
            delivery = yield from queue.receive()
            counts.append(delivery.receive_count)  # never deleted: always fails

    _run(env, consumer())
    assert counts == [1, 2, 3]
    assert [d.message_id for d in queue.dlq] == [7]
    assert queue.depth == 0


def test_queue_rejects_bad_configuration_and_duplicate_ids() -> None:
    env = simpy.Environment()
    with pytest.raises(ValueError):
        SimQueue(env, visibility_timeout=-1)
    with pytest.raises(ValueError):
        SimQueue(env, visibility_timeout=1, max_receive_count=0)
    queue = SimQueue(env, visibility_timeout=1)
    queue.send(1)
    with pytest.raises(ValueError):
        queue.send(1)


# --- the simulations ---------------------------------------------------------------------------


SHORT = Dependency(incident_start_s=20.0, incident_end_s=40.0)


def test_queue_finishes_all_the_work_the_synchronous_chain_drops() -> None:
    sync = simulate_sync_chain(SHORT, horizon_s=60.0, seed=2)
    queued = simulate_queued_chain(SHORT, horizon_s=60.0, drain_s=60.0, seed=2)
    in_incident = (sync.arrival_s >= 25) & (sync.arrival_s < 40)
    assert sync.caller_ok[in_incident].mean() < 0.2
    assert sync.caller_ok[sync.arrival_s < 15].mean() > 0.95
    assert sync.wasted_calls > 0
    assert queued.done.all()
    assert queued.dead_lettered == 0
    assert np.nanmax(queued.caller_latency_s) < 0.05  # the caller only waits for the enqueue


def test_atomic_store_prevents_every_double_effect() -> None:
    none = simulate_at_least_once("none", messages=800, seed=1)
    naive = simulate_at_least_once("check-then-act", messages=800, seed=1)
    atomic = simulate_at_least_once("atomic", messages=800, seed=1)
    assert none.duplicate_deliveries > 0 and none.double_effects > 0
    assert naive.double_effects > 0
    assert atomic.duplicate_deliveries > 0
    assert atomic.double_effects == 0
    assert atomic.effects == atomic.messages


def test_heartbeat_removes_overrun_duplicates() -> None:
    result = simulate_at_least_once(
        "none", visibility_timeout_s=2.0, crash_rate=0.0, heartbeat=True
    )
    assert result.duplicate_deliveries == 0


def test_unknown_store_is_rejected() -> None:
    with pytest.raises(ValueError):
        simulate_at_least_once("redis")  # type: ignore[arg-type]


def test_dead_letter_queue_isolates_poison_only() -> None:
    result = simulate_poison(3, horizon_s=120.0, drain_s=120.0)
    assert result.poison_sent > 0
    assert result.dlq_poison == result.poison_sent
    assert result.dlq_good == 0
    assert result.good_done == result.good_sent


# --- a fair synchronous baseline ------------------------------------------------------------------


def test_deadlines_and_shedding_help_the_sync_chain_but_cannot_beat_its_capacity() -> None:
    plain = simulate_sync_chain(SHORT, horizon_s=60.0, seed=2)
    fair = simulate_sync_chain(
        SHORT, horizon_s=60.0, deadline_propagation=True, max_queue=8, seed=2
    )
    in_incident = (plain.arrival_s >= 25) & (plain.arrival_s < 40)
    assert fair.caller_ok[in_incident].mean() > 3 * plain.caller_ok[in_incident].mean()
    assert fair.shed_calls > 0 and fair.wasted_calls < plain.wasted_calls
    # Successful calls cannot exceed what the degraded dependency can complete.
    degraded_capacity = SHORT.workers / SHORT.incident_service_s * (1 - SHORT.incident_failure_rate)
    assert fair.caller_ok[in_incident].mean() <= 1.15 * degraded_capacity / 40.0


def test_deadline_propagation_drops_work_whose_caller_left() -> None:
    result = simulate_sync_chain(SHORT, horizon_s=60.0, deadline_propagation=True, seed=2)
    assert result.expired_calls > 0
    assert result.shed_calls == 0


def test_shedding_with_free_workers_never_refuses() -> None:
    calm = Dependency(incident_start_s=1e9, incident_end_s=1e9)
    result = simulate_sync_chain(calm, arrival_rate=5.0, horizon_s=30.0, max_queue=0, seed=3)
    assert result.shed_calls < 0.05 * len(result.arrival_s)
    with pytest.raises(ValueError):
        simulate_sync_chain(calm, max_queue=-1)


# --- backlog and redrive budget -----------------------------------------------------------------


def test_backlog_drains_at_the_fluid_rate_and_extra_consumers_do_not_help() -> None:
    calm = Dependency(incident_start_s=1e9, incident_end_s=1e9)
    runs = {
        c: simulate_queued_chain(
            calm,
            arrival_rate=20.0,
            horizon_s=120.0,
            drain_s=120.0,
            consumers=c,
            consumers_start_s=60.0,
            seed=4,
        )
        for c in (4, 8, 16)
    }

    def drain_s(r: object) -> float:
        t, depth = r.backlog[:, 0], r.backlog[:, 1]  # type: ignore[attr-defined]
        return float(t[(t > 60) & (depth <= 0.01 * depth.max())][0] - 60)

    fluid = {
        c: 20.0 * 60 / (min(c, 8) / calm.service_s * (1 - calm.failure_rate) - 20.0) for c in runs
    }
    for c, r in runs.items():
        assert r.done.all()
        assert abs(drain_s(r) - fluid[c]) <= 0.25 * fluid[c] + 2, (c, drain_s(r), fluid[c])
    assert abs(drain_s(runs[16]) - drain_s(runs[8])) <= 2


def test_dead_letter_probability_matches_a_hand_computed_case() -> None:
    # Exponential (no jitter), base 1: delays 2, 4, 8 -> the 4th failure comes at 14 s.
    kw = {"base_s": 1.0, "cap_s": 100.0, "strategy": "exponential"}
    assert dead_letter_probability(4, 15.0, **kw) == 1.0
    assert dead_letter_probability(4, 14.0, **kw) == 0.0
    # Uniform arrival in a 28 s outage: dead-lettered iff time left > 14 s, half of arrivals.
    share = dead_letter_probability(4, 28.0, uniform_arrival=True, **kw)
    assert share == pytest.approx(0.5, abs=0.02)
    # A lost (throttled) receive removes one delay: 2 + 4 = 6 s.
    assert dead_letter_probability(4, 7.0, lost_receives=1, **kw) == 1.0
    assert dead_letter_probability(4, 5.0, lost_receives=1, **kw) == 0.0


def test_redrive_budget_grows_with_the_outage_and_with_throttles() -> None:
    budgets = [max_receive_count_for(o, base_s=2.0, cap_s=300.0) for o in (60, 300, 900)]
    assert budgets == sorted(budgets) and budgets[0] >= 5
    assert max_receive_count_for(900, base_s=2.0, cap_s=300.0, lost_receives=2) == budgets[2] + 2
    chosen = budgets[2]
    assert dead_letter_probability(chosen, 900, base_s=2.0, cap_s=300.0) <= 0.015
    assert dead_letter_probability(chosen - 1, 900, base_s=2.0, cap_s=300.0) > 0.005


def test_the_old_shipped_budget_dead_letters_most_of_a_minute_outage() -> None:
    share = dead_letter_probability(3, 60.0, base_s=2.0, cap_s=900.0, uniform_arrival=True)
    assert 0.85 < share < 0.95  # 2 retries of at most 4 + 8 s: the 3rd failure comes by 12 s


def test_decorrelated_strategy_is_supported_and_bad_arguments_rejected() -> None:
    p = dead_letter_probability(
        8, 60.0, base_s=1.0, cap_s=30.0, strategy="decorrelated", samples=500
    )
    assert 0.0 <= p <= 1.0
    with pytest.raises(ValueError):
        dead_letter_probability(0, 60.0, base_s=1.0, cap_s=30.0)
    with pytest.raises(ValueError):
        dead_letter_probability(5, 60.0, base_s=0.0, cap_s=30.0)
    with pytest.raises(ValueError):
        max_receive_count_for(60.0, base_s=1.0, cap_s=30.0, risk=0.0)


def test_an_outage_no_budget_can_ride_out_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="no maxReceiveCount"):
        max_receive_count_for(1e7, base_s=1.0, cap_s=10.0)
    with pytest.raises(ValueError):
        max_receive_count_for(60.0, base_s=1.0, cap_s=10.0, lost_receives=-1)

"""Unit tests for englogs.queueing: closed forms against known values and the simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from englogs.queueing import (
    erlang_b,
    erlang_c,
    mmc_mean_wait,
    mmc_response_quantile,
    mmc_response_survival,
    mmc_wait_quantile,
    mmck_blocking,
    simulate_fcfs,
    simulate_overload,
)


def test_erlang_b_known_values() -> None:
    # B(1, a) = a / (1 + a); B(2, 1) = 0.2 (textbook example).
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(0, 5.0) == 1.0


def test_erlang_c_known_values() -> None:
    # One server: the probability of waiting is the utilisation.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    # c = 2, a = 1: C = 2B / (2 - a(1 - B)) with B = 0.2 -> 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    # Large systems stay finite and in [0, 1].
    assert 0.0 < erlang_c(200, 190.0) < 1.0


def test_erlang_c_rejects_unstable_load() -> None:
    with pytest.raises(ValueError):
        erlang_c(2, 2.0)
    with pytest.raises(ValueError):
        mmc_mean_wait(10.0, 1.0, 4)


def test_mm1_mean_wait_matches_closed_form() -> None:
    lam, mu = 0.8, 1.0
    # M/M/1: Wq = rho / (mu - lambda).
    assert mmc_mean_wait(lam, mu, 1) == pytest.approx(0.8 / 0.2)


def test_wait_quantile_is_zero_when_most_requests_do_not_wait() -> None:
    assert mmc_wait_quantile(0.5, 1.0, 4, 0.5) == 0.0
    t99 = mmc_wait_quantile(3.6, 1.0, 4, 0.99)
    p_wait = erlang_c(4, 3.6)
    assert p_wait * math.exp(-(4 - 3.6) * t99) == pytest.approx(0.01)


def test_response_quantile_inverts_survival() -> None:
    for lam, c in [(0.5, 1), (3.0, 4), (7.9, 8), (1.0, 2)]:  # (1.0, 2) has theta == mu
        for q in (0.5, 0.9, 0.99):
            t = mmc_response_quantile(lam, 1.0, c, q)
            assert mmc_response_survival(t, lam, 1.0, c) == pytest.approx(1 - q, rel=1e-6)


def test_mm1_response_time_is_exponential() -> None:
    # M/M/1 response time is Exp(mu - lambda).
    lam, mu = 0.6, 1.0
    assert mmc_response_quantile(lam, mu, 1, 0.99) == pytest.approx(math.log(100) / 0.4)


def test_mmck_blocking_reduces_to_erlang_b_without_queue() -> None:
    assert mmck_blocking(3.0, 1.0, 4, 4) == pytest.approx(erlang_b(4, 3.0))
    # M/M/1/K at rho = 1 is uniform over K + 1 states.
    assert mmck_blocking(1.0, 1.0, 1, 9) == pytest.approx(0.1)


def test_simulator_agrees_with_erlang_c() -> None:
    rng = np.random.default_rng(3)
    lam, mu, c, n = 3.2, 1.0, 4, 200_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(1 / mu, n)
    result = simulate_fcfs(arrivals, services, c)
    assert result.admitted.all()
    assert np.nanmean(result.wait) == pytest.approx(mmc_mean_wait(lam, mu, c), rel=0.1)
    assert np.mean(result.wait > 0) == pytest.approx(erlang_c(c, lam / mu), abs=0.02)


def test_simulator_capacity_matches_mmck_blocking() -> None:
    rng = np.random.default_rng(5)
    lam, mu, c, k, n = 6.0, 1.0, 4, 8, 200_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(1 / mu, n)
    result = simulate_fcfs(arrivals, services, c, capacity=k)
    assert result.rejected_fraction == pytest.approx(mmck_blocking(lam, mu, c, k), abs=0.01)
    assert np.isnan(result.wait[~result.admitted]).all()


def test_simulator_deterministic_single_server() -> None:
    result = simulate_fcfs(np.array([0.0, 0.5, 1.0]), np.array([1.0, 1.0, 1.0]), 1)
    assert result.wait.tolist() == [0.0, 0.5, 1.0]


def test_simulator_validates_input() -> None:
    with pytest.raises(ValueError):
        simulate_fcfs(np.array([1.0, 0.0]), np.array([1.0, 1.0]), 1)
    with pytest.raises(ValueError):
        simulate_fcfs(np.array([0.0]), np.array([1.0, 1.0]), 1)
    with pytest.raises(ValueError):
        simulate_fcfs(np.array([0.0]), np.array([1.0]), 2, capacity=1)


def _poisson(load: float, n: int, seed: int = 3, servers: int = 4, mu: float = 100.0):
    rng = np.random.default_rng(seed)
    lam = load * servers * mu
    return np.cumsum(rng.exponential(1 / lam, n)), rng.exponential(1 / mu, n)


def test_overload_fifo_without_deadline_pressure_matches_simulate_fcfs() -> None:
    arrivals, services = _poisson(0.9, 4000)
    result = simulate_overload(arrivals, services, 4, deadline=1e9)
    fcfs = simulate_fcfs(arrivals, services, 4)
    assert result.succeeded == result.requests == result.attempts == 4000
    np.testing.assert_allclose(np.sort(result.latencies), np.sort(fcfs.wait + services))
    assert result.wasted_time == 0 and result.busy_time == pytest.approx(services.sum())


def test_overload_capacity_rejects_like_simulate_fcfs() -> None:
    arrivals, services = _poisson(1.5, 4000)
    result = simulate_overload(arrivals, services, 4, deadline=1e9, capacity=10)
    fcfs = simulate_fcfs(arrivals, services, 4, capacity=10)
    assert result.rejected == int((~fcfs.admitted).sum())


def test_overload_retries_are_capped_by_count_and_by_budget() -> None:
    arrivals, services = _poisson(1.3, 3000)
    unlimited = simulate_overload(arrivals, services, 4, deadline=0.05, max_retries=3)
    budget = simulate_overload(
        arrivals, services, 4, deadline=0.05, max_retries=3, retry_budget=0.1
    )
    assert unlimited.attempts <= 4 * unlimited.requests
    assert unlimited.amplification > 2  # overloaded: most attempts time out and retry
    assert budget.attempts - budget.requests <= 0.1 * budget.requests
    no_retry = simulate_overload(arrivals, services, 4, deadline=0.05)
    assert no_retry.attempts == no_retry.requests


def test_overload_drop_expired_never_serves_an_expired_attempt() -> None:
    arrivals, services = _poisson(1.3, 3000)
    kept = simulate_overload(arrivals, services, 4, deadline=0.05)
    dropped = simulate_overload(arrivals, services, 4, deadline=0.05, drop_expired=True)
    assert dropped.dropped_expired > 0 and kept.dropped_expired == 0
    assert dropped.busy_time < kept.busy_time
    assert dropped.succeeded >= kept.succeeded


def test_adaptive_lifo_with_a_huge_threshold_is_fifo_and_helps_when_overloaded() -> None:
    arrivals, services = _poisson(1.2, 3000)
    fifo = simulate_overload(arrivals, services, 4, deadline=0.1)
    same = simulate_overload(
        arrivals, services, 4, deadline=0.1, discipline="adaptive_lifo", lifo_threshold=10**9
    )
    lifo = simulate_overload(
        arrivals, services, 4, deadline=0.1, discipline="adaptive_lifo", lifo_threshold=8
    )
    assert same.succeeded == fifo.succeeded
    np.testing.assert_array_equal(same.latencies, fifo.latencies)
    assert lifo.succeeded > 2 * fifo.succeeded


@pytest.mark.parametrize(
    "kwargs",
    [
        {"deadline": 0},
        {"deadline": 1, "discipline": "random"},
        {"deadline": 1, "capacity": 1},
        {"deadline": 1, "max_retries": -1},
        {"deadline": 1, "retry_budget": -0.1},
    ],
)
def test_overload_rejects_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        simulate_overload(np.array([0.0, 1.0]), np.array([0.1, 0.1]), 2, **kwargs)


def test_overload_rejects_unsorted_or_mismatched_input() -> None:
    with pytest.raises(ValueError, match="sorted"):
        simulate_overload(np.array([1.0, 0.0]), np.array([0.1, 0.1]), 1, deadline=1)
    with pytest.raises(ValueError, match="shape"):
        simulate_overload(np.array([0.0]), np.array([0.1, 0.1]), 1, deadline=1)

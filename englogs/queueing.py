"""Queueing theory for the posts: M/M/c (Erlang C) predictions and a fast FCFS simulator.

The formulas are the textbook ones (Kleinrock, *Queueing Systems*, vol. 1; Harchol-Balter,
*Performance Modeling and Design of Computer Systems*, ch. 14). Rates are per unit time; use
the same unit (seconds or milliseconds) for every argument.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np


def _check_stable(arrival_rate: float, service_rate: float, servers: int) -> float:
    if servers < 1:
        raise ValueError("servers must be at least 1")
    if arrival_rate < 0 or service_rate <= 0:
        raise ValueError("arrival_rate must be >= 0 and service_rate > 0")
    offered = arrival_rate / service_rate
    if offered >= servers:
        raise ValueError(f"unstable: offered load {offered:.3g} >= {servers} servers")
    return offered


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of an M/M/c/c loss system (no queue), by the stable recurrence."""
    if servers < 0 or offered_load < 0:
        raise ValueError("servers and offered_load must be non-negative")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue (offered load a = lambda/mu)."""
    if servers < 1:
        raise ValueError("servers must be at least 1")
    if not 0 <= offered_load < servers:
        raise ValueError(f"unstable: offered load {offered_load:.3g} >= {servers} servers")
    b = erlang_b(servers, offered_load)
    return servers * b / (servers - offered_load * (1.0 - b))


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue (excluding service) of an M/M/c queue: C / (c*mu - lambda)."""
    offered = _check_stable(arrival_rate, service_rate, servers)
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def mmc_wait_quantile(arrival_rate: float, service_rate: float, servers: int, q: float) -> float:
    """The q-quantile of the queueing delay: P(W > t) = C * exp(-(c*mu - lambda) * t)."""
    if not 0 < q < 1:
        raise ValueError("q must be in (0, 1)")
    offered = _check_stable(arrival_rate, service_rate, servers)
    p_wait = erlang_c(servers, offered)
    if p_wait <= 1.0 - q:
        return 0.0
    return math.log(p_wait / (1.0 - q)) / (servers * service_rate - arrival_rate)


def mmc_response_survival(
    t: float, arrival_rate: float, service_rate: float, servers: int
) -> float:
    """P(T > t) for the response time T = wait + service of an M/M/c FCFS queue."""
    offered = _check_stable(arrival_rate, service_rate, servers)
    p_wait = erlang_c(servers, offered)
    mu, theta = service_rate, servers * service_rate - arrival_rate
    # Given a wait, T is the sum of Exp(theta) and Exp(mu): a hypoexponential distribution.
    if math.isclose(mu, theta, rel_tol=1e-9):
        waited = (1.0 + mu * t) * math.exp(-mu * t)
    else:
        waited = (mu * math.exp(-theta * t) - theta * math.exp(-mu * t)) / (mu - theta)
    return (1.0 - p_wait) * math.exp(-mu * t) + p_wait * waited


def mmc_response_quantile(
    arrival_rate: float, service_rate: float, servers: int, q: float
) -> float:
    """The q-quantile of the response time of an M/M/c FCFS queue (solved by bisection)."""
    if not 0 < q < 1:
        raise ValueError("q must be in (0, 1)")
    _check_stable(arrival_rate, service_rate, servers)
    lo, hi = 0.0, 1.0 / service_rate
    while mmc_response_survival(hi, arrival_rate, service_rate, servers) > 1.0 - q:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if mmc_response_survival(mid, arrival_rate, service_rate, servers) > 1.0 - q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def mmck_blocking(arrival_rate: float, service_rate: float, servers: int, capacity: int) -> float:
    """Probability an arrival is turned away by an M/M/c/K queue holding at most ``capacity``."""
    if servers < 1 or capacity < servers:
        raise ValueError("need servers >= 1 and capacity >= servers")
    if arrival_rate <= 0 or service_rate <= 0:
        raise ValueError("arrival_rate and service_rate must be positive")
    log_a = math.log(arrival_rate / service_rate)
    # Unnormalised stationary probabilities p_n, kept as logs to stay finite for large K.
    logs = [n * log_a - math.lgamma(n + 1) for n in range(servers + 1)]
    for n in range(servers + 1, capacity + 1):
        logs.append(logs[servers] + (n - servers) * (log_a - math.log(servers)))
    top = max(logs)
    weights = [math.exp(x - top) for x in logs]
    return weights[-1] / sum(weights)


@dataclass(frozen=True)
class FcfsResult:
    """Outcome of :func:`simulate_fcfs`: per-request queueing delay and admission."""

    wait: np.ndarray  # time in queue before service; NaN where the request was rejected
    admitted: np.ndarray  # bool

    @property
    def rejected_fraction(self) -> float:
        return float(1.0 - self.admitted.mean())


def simulate_fcfs(
    arrivals: np.ndarray,
    services: np.ndarray,
    servers: int,
    capacity: int | None = None,
) -> FcfsResult:
    """Simulate a first-come-first-served queue with ``servers`` identical servers.

    ``arrivals`` must be sorted. With ``capacity`` set, an arrival that finds ``capacity``
    requests already in the system (queued or in service) is rejected: admission control.
    """
    arrivals = np.asarray(arrivals, dtype=float)
    services = np.asarray(services, dtype=float)
    if arrivals.shape != services.shape:
        raise ValueError("arrivals and services must have the same shape")
    if servers < 1:
        raise ValueError("servers must be at least 1")
    if capacity is not None and capacity < servers:
        raise ValueError("capacity must be at least the number of servers")
    if arrivals.size and np.any(np.diff(arrivals) < 0):
        raise ValueError("arrivals must be sorted")
    wait = np.full(arrivals.size, np.nan)
    admitted = np.zeros(arrivals.size, dtype=bool)
    free_at = [0.0] * servers  # heap: when each server next becomes free
    in_system: list[float] = []  # heap of departure times of admitted requests
    for i, (t, s) in enumerate(zip(arrivals.tolist(), services.tolist(), strict=True)):
        if capacity is not None:
            while in_system and in_system[0] <= t:
                heapq.heappop(in_system)
            if len(in_system) >= capacity:
                continue
        start = max(t, free_at[0])
        heapq.heapreplace(free_at, start + s)
        if capacity is not None:
            heapq.heappush(in_system, start + s)
        wait[i] = start - t
        admitted[i] = True
    return FcfsResult(wait=wait, admitted=admitted)


@dataclass(frozen=True)
class OverloadResult:
    """Outcome of :func:`simulate_overload`, counted per logical request and per attempt."""

    requests: int  # logical requests (first attempts)
    succeeded: int  # answered while their client was still waiting
    attempts: int  # first attempts plus retries
    rejected: int  # attempts turned away at admission (queue full)
    dropped_expired: int  # attempts skipped because their client had already given up
    busy_time: float  # total service time spent
    wasted_time: float  # service time on attempts nobody was waiting for any more
    latencies: np.ndarray  # response time of each successful attempt
    answered: np.ndarray  # bool per request: answered in time by one of its attempts

    @property
    def goodput_fraction(self) -> float:
        return self.succeeded / self.requests if self.requests else 0.0

    @property
    def amplification(self) -> float:
        return self.attempts / self.requests if self.requests else 0.0


def simulate_overload(
    arrivals: np.ndarray,
    services: np.ndarray,
    servers: int,
    *,
    deadline: float,
    capacity: int | None = None,
    discipline: str = "fifo",
    lifo_threshold: int = 0,
    drop_expired: bool = False,
    max_retries: int = 0,
    retry_budget: float | None = None,
    retry_delay: float = 0.0,
) -> OverloadResult:
    """Simulate clients with a deadline (and optional retries) against a multi-server queue.

    Each client waits ``deadline`` for an attempt; if the attempt is rejected or not answered by
    then, it retries after ``retry_delay`` (at most ``max_retries`` times, and only while retries
    so far stay within ``retry_budget`` x first attempts so far, when a budget is set). Every
    attempt of request ``i`` needs ``services[i]`` of service. The server side:

    * ``capacity``: at most this many attempts queued or in service (admission control);
    * ``discipline``: ``"fifo"``, or ``"adaptive_lifo"``: serve the newest attempt first while
      more than ``lifo_threshold`` are queued (fresh requests still have a waiting client);
    * ``drop_expired``: skip queued attempts whose client has already given up.
    """
    arrivals = np.asarray(arrivals, dtype=float)
    services = np.asarray(services, dtype=float)
    if arrivals.shape != services.shape:
        raise ValueError("arrivals and services must have the same shape")
    if servers < 1 or deadline <= 0 or max_retries < 0 or retry_delay < 0:
        raise ValueError("need servers >= 1, deadline > 0, max_retries >= 0, retry_delay >= 0")
    if discipline not in ("fifo", "adaptive_lifo"):
        raise ValueError("discipline must be 'fifo' or 'adaptive_lifo'")
    if capacity is not None and capacity < servers:
        raise ValueError("capacity must be at least the number of servers")
    if retry_budget is not None and retry_budget < 0:
        raise ValueError("retry_budget must be >= 0")
    if arrivals.size and np.any(np.diff(arrivals) < 0):
        raise ValueError("arrivals must be sorted")

    events: list[tuple[float, int, str, int]] = []  # (time, tie-break, kind, attempt or request)
    seq = 0

    def push(time: float, kind: str, ident: int) -> None:
        nonlocal seq
        heapq.heappush(events, (time, seq, kind, ident))
        seq += 1

    for i, t in enumerate(arrivals.tolist()):
        push(t, "arrive", i)
    attempt_request: list[int] = []  # attempt id -> request id
    attempt_try: list[int] = []  # attempt id -> 1 for the first attempt, 2 for the first retry...
    attempt_start: list[float] = []
    tries = np.zeros(arrivals.size, dtype=int)
    done = np.zeros(arrivals.size, dtype=bool)
    queue: deque[int] = deque()
    idle, in_system = servers, 0
    first_attempts = retries = rejected = dropped = 0
    busy = wasted = 0.0
    latencies: list[float] = []

    def start_next(now: float) -> None:
        nonlocal idle, in_system, dropped, busy, wasted
        while idle and queue:
            lifo = discipline == "adaptive_lifo" and len(queue) > lifo_threshold
            attempt = queue.pop() if lifo else queue.popleft()
            if drop_expired and now >= attempt_start[attempt] + deadline:
                dropped += 1
                in_system -= 1
                continue
            idle -= 1
            service = float(services[attempt_request[attempt]])
            busy += service
            if now + service > attempt_start[attempt] + deadline:
                wasted += service  # finishes after its client gave up
            push(now + service, "depart", attempt)

    def new_attempt(now: float, request: int) -> None:
        nonlocal in_system, rejected
        attempt = len(attempt_request)
        attempt_request.append(request)
        attempt_start.append(now)
        tries[request] += 1
        attempt_try.append(int(tries[request]))
        if capacity is not None and in_system >= capacity:
            rejected += 1
            push(now, "give_up", attempt)  # a fast 503: the client knows at once
            return
        push(now + deadline, "give_up", attempt)
        in_system += 1
        queue.append(attempt)
        start_next(now)

    def may_retry(request: int) -> bool:
        if done[request] or tries[request] > max_retries:
            return False
        return retry_budget is None or retries + 1 <= retry_budget * first_attempts

    while events:
        now, _, kind, ident = heapq.heappop(events)
        if kind == "arrive":
            first_attempts += 1
            new_attempt(now, ident)
        elif kind == "retry":
            new_attempt(now, ident)
        elif kind == "depart":
            idle += 1
            in_system -= 1
            request = attempt_request[ident]
            if now <= attempt_start[ident] + deadline and not done[request]:
                done[request] = True
                latencies.append(now - attempt_start[ident])
            start_next(now)
        elif kind == "give_up":
            request = attempt_request[ident]
            # Only the newest attempt's timeout (or rejection) can trigger a retry.
            if attempt_try[ident] == tries[request] and may_retry(request):
                retries += 1  # counted when granted, so pending retries cannot overdraw the budget
                push(now + retry_delay, "retry", request)
    return OverloadResult(
        requests=int(arrivals.size),
        succeeded=int(done.sum()),
        attempts=len(attempt_request),
        rejected=rejected,
        dropped_expired=dropped,
        busy_time=busy,
        wasted_time=wasted,
        latencies=np.asarray(latencies),
        answered=done,
    )

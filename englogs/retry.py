"""Retries, backoff and SQS-style queues, simulated.

The lesson code of "Building Event-Driven Systems with Lambda, SQS & EventBridge", kept here
so that the post and its lab (``notebooks/queue-and-retry-lab.ipynb``) run the same models:

* :func:`backoff_delay` - the five retry schedules of Brooker's "Exponential Backoff and
  Jitter" (AWS Architecture Blog, 2015);
* :func:`simulate_contention` - his optimistic-concurrency contention experiment;
* :class:`SimQueue` - an SQS standard queue in SimPy: visibility timeouts, receipt handles,
  ``ChangeMessageVisibility`` and a dead-letter queue with ``maxReceiveCount``;
* :func:`simulate_sync_chain` / :func:`simulate_queued_chain` - the same work called
  synchronously or decoupled by a queue while the downstream dependency degrades;
* :func:`simulate_at_least_once` - duplicate deliveries and what an idempotency store does;
* :func:`simulate_poison` - poison messages with and without a dead-letter queue;
* :func:`dead_letter_probability` / :func:`max_receive_count_for` - sizing the redrive budget
  against the longest outage the queue must ride out.

Times are in seconds except in :func:`simulate_contention`, which keeps the blog's milliseconds.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import simpy

Strategy = Literal["none", "exponential", "equal", "full", "decorrelated"]
STRATEGIES: tuple[Strategy, ...] = ("none", "exponential", "equal", "full", "decorrelated")
StoreKind = Literal["none", "check-then-act", "atomic"]
STORE_KINDS: tuple[StoreKind, ...] = ("none", "check-then-act", "atomic")

# 2**60 times any sane base is already far past any cap; clamping keeps floats finite.
_MAX_EXPONENT = 60


def backoff_delay(
    strategy: Strategy,
    attempt: int,
    *,
    base: float,
    cap: float,
    rng: random.Random,
    previous: float | None = None,
) -> float:
    """How long to sleep before retry number ``attempt`` (1 for the first retry).

    ``previous`` is the last sleep, used only by ``"decorrelated"`` (``None`` on the first retry).
    """
    if attempt < 1:
        raise ValueError(f"attempt counts retries from 1, got {attempt}")
    if base <= 0 or cap < base:
        raise ValueError(f"need 0 < base <= cap, got base={base}, cap={cap}")
    ceiling = min(cap, base * 2 ** min(attempt, _MAX_EXPONENT))
    if strategy == "none":
        return 0.0
    if strategy == "exponential":
        return ceiling
    if strategy == "full":
        return rng.uniform(0.0, ceiling)
    if strategy == "equal":
        return ceiling / 2 + rng.uniform(0.0, ceiling / 2)
    if strategy == "decorrelated":
        last = base if previous is None else previous
        return min(cap, rng.uniform(base, last * 3))
    raise ValueError(f"unknown backoff strategy {strategy!r}; expected one of {STRATEGIES}")


# --------------------------------------------------------------------------------------------
# Brooker's contention experiment: N clients each update one OCC row once.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContentionResult:
    """Work (write calls) and time (until the last client succeeded) for one run."""

    strategy: Strategy
    clients: int
    calls: int
    completion_ms: float


def simulate_contention(
    strategy: Strategy,
    clients: int,
    *,
    base_ms: float = 5.0,
    cap_ms: float = 2000.0,
    net_mean_ms: float = 10.0,
    net_sd_ms: float = 2.0,
    seed: int = 0,
) -> ContentionResult:
    """All ``clients`` start at t=0; each reads the row's version and writes it back.

    A write succeeds only if the version is unchanged since the client's read (optimistic
    concurrency); a client whose write fails sleeps ``backoff_delay`` and starts over. Every
    message crosses a network with |Normal(mean, sd)| delay. Same model as the blog's simulator.
    """
    if clients < 1:
        raise ValueError("need at least one client")
    rng = random.Random(seed)

    def net() -> float:
        return abs(rng.gauss(net_mean_ms, net_sd_ms))

    read, write = 0, 1
    order = itertools.count()
    # (arrival time at the server, tie-break, client, kind, version the client read)
    events: list[tuple[float, int, int, int, int]] = [
        (net(), next(order), c, read, 0) for c in range(clients)
    ]
    heapq.heapify(events)
    version = 0
    calls = 0
    failures = [0] * clients
    last_sleep: list[float | None] = [None] * clients
    completion = 0.0
    while events:
        now, _, client, kind, seen = heapq.heappop(events)
        if kind == read:
            # The reply travels back, then the client sends its write.
            heapq.heappush(events, (now + net() + net(), next(order), client, write, version))
            continue
        calls += 1
        if seen == version:
            version += 1
            completion = max(completion, now + net())
            continue
        failures[client] += 1
        sleep = backoff_delay(
            strategy,
            failures[client],
            base=base_ms,
            cap=cap_ms,
            rng=rng,
            previous=last_sleep[client],
        )
        last_sleep[client] = sleep
        heapq.heappush(events, (now + net() + sleep + net(), next(order), client, read, 0))
    return ContentionResult(strategy, clients, calls, completion)


# --------------------------------------------------------------------------------------------
# An SQS standard queue in SimPy.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One receive of one message: what a consumer gets back from ``ReceiveMessage``."""

    message_id: int
    body: Any
    receipt: int
    receive_count: int
    sent_at: float


@dataclass
class _Message:
    message_id: int
    body: Any
    sent_at: float
    receive_count: int = 0
    receipt: int = 0
    generation: int = 0


class SimQueue:
    """The SQS semantics the post relies on, and nothing more.

    * A received message is invisible for ``visibility_timeout`` seconds, then visible again
      unless it was deleted; each receive issues a new receipt handle.
    * ``delete`` and ``change_visibility`` with a stale receipt handle (the message was received
      again since) do nothing, as SQS documents ("the request succeeds, but the message might
      not be deleted").
    * With ``max_receive_count``, a message already received that many times moves to ``dlq``
      instead of being delivered again (SQS's redrive policy).
    * Visible messages are delivered oldest-visible first (SQS standard queues only try to).
    """

    def __init__(
        self,
        env: simpy.Environment,
        visibility_timeout: float,
        max_receive_count: int | None = None,
    ) -> None:
        if visibility_timeout < 0:
            raise ValueError("visibility_timeout must be >= 0")
        if max_receive_count is not None and max_receive_count < 1:
            raise ValueError("max_receive_count must be >= 1 (SQS allows 1 to 1000)")
        self.env = env
        self.visibility_timeout = visibility_timeout
        self.max_receive_count = max_receive_count
        self.dlq: list[Delivery] = []
        self.receives = 0
        self._visible: simpy.Store = simpy.Store(env)
        self._messages: dict[int, _Message] = {}

    @property
    def depth(self) -> int:
        """Messages sent and neither deleted nor dead-lettered (visible plus in flight)."""
        return len(self._messages)

    def send(self, message_id: int, body: Any = None) -> None:
        if message_id in self._messages:
            raise ValueError(f"message {message_id} is already in the queue")
        message = _Message(message_id, body, self.env.now)
        self._messages[message_id] = message
        self._visible.put((message_id, message.generation))

    def receive(self) -> Generator[simpy.Event, Any, Delivery]:
        """Wait for a visible message (``delivery = yield from queue.receive()``)."""
        while True:
            message_id, generation = yield self._visible.get()
            message = self._messages.get(message_id)
            if message is None or message.generation != generation:
                continue  # deleted, or its visibility changed after this entry was queued
            if self.max_receive_count is not None and (
                message.receive_count >= self.max_receive_count
            ):
                del self._messages[message_id]
                self.dlq.append(self._delivery(message))
                continue
            message.receive_count += 1
            message.receipt += 1
            self.receives += 1
            self._hide(message, self.visibility_timeout)
            return self._delivery(message)

    def delete(self, delivery: Delivery) -> bool:
        """``DeleteMessage``: True if the message is gone, False if the handle was stale."""
        message = self._messages.get(delivery.message_id)
        if message is None or message.receipt != delivery.receipt:
            return False
        del self._messages[delivery.message_id]
        return True

    def change_visibility(self, delivery: Delivery, timeout: float) -> bool:
        """``ChangeMessageVisibility``: visible again ``timeout`` seconds from now."""
        message = self._messages.get(delivery.message_id)
        if message is None or message.receipt != delivery.receipt:
            return False
        self._hide(message, max(0.0, timeout))
        return True

    def _hide(self, message: _Message, timeout: float) -> None:
        message.generation += 1
        generation = message.generation

        def reappear(_: simpy.Event) -> None:
            if self._messages.get(message.message_id) is message and (
                message.generation == generation
            ):
                self._visible.put((message.message_id, generation))

        self.env.timeout(timeout).callbacks.append(reappear)

    @staticmethod
    def _delivery(message: _Message) -> Delivery:
        return Delivery(
            message.message_id,
            message.body,
            message.receipt,
            message.receive_count,
            message.sent_at,
        )


# --------------------------------------------------------------------------------------------
# A synchronous call chain versus the same work behind a queue.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dependency:
    """The downstream service: ``workers`` concurrent slots, slow and flaky during an incident."""

    workers: int = 8
    service_s: float = 0.05
    failure_rate: float = 0.005
    incident_start_s: float = 60.0
    incident_end_s: float = 120.0
    incident_service_s: float = 0.4
    incident_failure_rate: float = 0.3

    def degraded(self, now: float) -> bool:
        return self.incident_start_s <= now < self.incident_end_s

    def service_time(self, now: float, rng: random.Random) -> float:
        mean = self.incident_service_s if self.degraded(now) else self.service_s
        return rng.expovariate(1.0 / mean)

    def fails(self, now: float, rng: random.Random) -> bool:
        rate = self.incident_failure_rate if self.degraded(now) else self.failure_rate
        return rng.random() < rate


@dataclass(frozen=True)
class ChainResult:
    """Per request: arrival time, what the caller waited, whether the work happened and when.

    ``caller_latency_s`` is the synchronous response time, or the enqueue acknowledgement
    for the queued design. ``done_latency_s`` is arrival to work done (NaN if never done).
    ``backlog`` holds (time, queue depth) samples, ``wasted_calls`` downstream calls that
    finished after their caller had given up, ``dead_lettered`` messages moved to the DLQ.
    """

    arrival_s: np.ndarray
    caller_latency_s: np.ndarray
    caller_ok: np.ndarray
    done_latency_s: np.ndarray
    backlog: np.ndarray
    downstream_calls: int
    wasted_calls: int
    dead_lettered: int
    shed_calls: int = 0  # refused at once by load shedding (bounded queue)
    expired_calls: int = 0  # dropped unserved because the caller's deadline had passed

    @property
    def done(self) -> np.ndarray:
        return ~np.isnan(self.done_latency_s)


def _arrivals(
    env: simpy.Environment, rate: float, horizon_s: float, rng: random.Random, start: Any
) -> Generator[simpy.Event, Any, None]:
    request_id = 0
    while True:
        yield env.timeout(rng.expovariate(rate))
        if env.now >= horizon_s:
            return
        env.process(start(request_id))
        request_id += 1


def simulate_sync_chain(
    dependency: Dependency = Dependency(),
    *,
    arrival_rate: float = 40.0,
    horizon_s: float = 180.0,
    timeout_s: float = 1.0,
    hop_s: float = 0.015,
    deadline_propagation: bool = False,
    max_queue: int | None = None,
    seed: int = 1,
) -> ChainResult:
    """Each request does ``hop_s`` of its own work, then calls the dependency and waits.

    The caller gives up after ``timeout_s``. By default the dependency does not know and
    finishes the call anyway (a zombie call that still occupies one of its workers). What a
    competent service adds:

    * ``deadline_propagation``: the caller's deadline travels with the call (gRPC deadlines,
      an ``X-Request-Deadline`` header) and the dependency skips work whose caller has gone;
    * ``max_queue``: load shedding - the dependency refuses a call at once when that many are
      already waiting for a worker, so the caller fails fast instead of timing out.
    """
    if max_queue is not None and max_queue < 0:
        raise ValueError("max_queue must be >= 0")
    env = simpy.Environment()
    rng = random.Random(seed)  # the dependency's draws
    arrivals_rng = random.Random(seed + 1)  # own stream: every design sees the same requests
    slots = simpy.Resource(env, capacity=dependency.workers)
    arrival: dict[int, float] = {}
    latency: dict[int, float] = {}
    ok: dict[int, bool] = {}
    counters = {"calls": 0, "wasted": 0, "shed": 0, "expired": 0}

    def downstream(request_id: int, deadline: float) -> Generator[simpy.Event, Any, bool]:
        if (
            max_queue is not None
            and slots.count >= slots.capacity
            and len(slots.queue) >= max_queue
        ):
            counters["shed"] += 1
            return False
        with slots.request() as slot:
            yield slot
            if deadline_propagation and env.now >= deadline:
                counters["expired"] += 1
                return False
            counters["calls"] += 1
            yield env.timeout(dependency.service_time(env.now, rng))
            succeeded = not dependency.fails(env.now, rng)
        if request_id in latency:
            counters["wasted"] += 1
        return succeeded

    def request(request_id: int) -> Generator[simpy.Event, Any, None]:
        arrival[request_id] = env.now
        yield env.timeout(hop_s)
        call = env.process(downstream(request_id, arrival[request_id] + timeout_s))
        outcome = yield call | env.timeout(timeout_s)
        ok[request_id] = call in outcome and bool(outcome[call])
        latency[request_id] = env.now - arrival[request_id]

    env.process(_arrivals(env, arrival_rate, horizon_s, arrivals_rng, request))
    env.run(until=horizon_s + 10 * timeout_s + 60.0)
    ids = sorted(arrival)
    lat = np.array([latency.get(i, np.nan) for i in ids])
    good = np.array([ok.get(i, False) for i in ids])
    return ChainResult(
        arrival_s=np.array([arrival[i] for i in ids]),
        caller_latency_s=lat,
        caller_ok=good,
        done_latency_s=np.where(good, lat, np.nan),
        backlog=np.empty((0, 2)),
        downstream_calls=counters["calls"],
        wasted_calls=counters["wasted"],
        dead_lettered=0,
        shed_calls=counters["shed"],
        expired_calls=counters["expired"],
    )


def simulate_queued_chain(
    dependency: Dependency = Dependency(),
    *,
    arrival_rate: float = 40.0,
    horizon_s: float = 180.0,
    drain_s: float = 120.0,
    enqueue_s: float = 0.015,
    visibility_timeout_s: float = 30.0,
    max_receive_count: int = 10,
    strategy: Strategy = "full",
    base_s: float = 1.0,
    cap_s: float = 30.0,
    sample_every_s: float = 1.0,
    consumers: int | None = None,
    consumers_start_s: float = 0.0,
    seed: int = 1,
) -> ChainResult:
    """The caller only enqueues; ``consumers`` (default ``dependency.workers``) call it.

    A failed call is retried by setting the message's visibility to ``backoff_delay`` of its
    receive count (``ChangeMessageVisibility``), and dead-lettered after
    ``max_receive_count`` receives. The dependency has ``dependency.workers`` slots: extra
    consumers wait for one, so concurrency beyond that buys nothing. Consumers start at
    ``consumers_start_s`` (a disabled event source mapping, a bad deploy): until then the
    backlog builds without spending receives.
    """
    n_consumers = dependency.workers if consumers is None else consumers
    if n_consumers < 1:
        raise ValueError("need at least one consumer")
    env = simpy.Environment()
    rng = random.Random(seed)  # the dependency's draws
    arrivals_rng = random.Random(seed + 1)  # own stream: every design sees the same requests
    queue = SimQueue(env, visibility_timeout_s, max_receive_count)
    slots = simpy.Resource(env, capacity=dependency.workers)
    arrival: dict[int, float] = {}
    ack: dict[int, float] = {}
    done: dict[int, float] = {}
    backlog: list[tuple[float, int]] = []

    def request(request_id: int) -> Generator[simpy.Event, Any, None]:
        arrival[request_id] = env.now
        yield env.timeout(enqueue_s)
        queue.send(request_id)
        ack[request_id] = env.now - arrival[request_id]

    def call() -> Generator[simpy.Event, Any, bool]:
        with slots.request() as slot:
            yield slot
            yield env.timeout(dependency.service_time(env.now, rng))
            return not dependency.fails(env.now, rng)

    def consumer() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(consumers_start_s)
        while True:
            delivery = yield from queue.receive()
            succeeded = yield from call()
            if not succeeded:
                delay = backoff_delay(
                    strategy, delivery.receive_count, base=base_s, cap=cap_s, rng=rng
                )
                queue.change_visibility(delivery, delay)
            elif queue.delete(delivery):
                done[delivery.message_id] = env.now - arrival[delivery.message_id]

    def sampler() -> Generator[simpy.Event, Any, None]:
        while True:
            backlog.append((env.now, queue.depth))
            yield env.timeout(sample_every_s)

    env.process(_arrivals(env, arrival_rate, horizon_s, arrivals_rng, request))
    for _ in range(n_consumers):
        env.process(consumer())
    env.process(sampler())
    env.run(until=horizon_s + drain_s)
    ids = sorted(arrival)
    return ChainResult(
        arrival_s=np.array([arrival[i] for i in ids]),
        caller_latency_s=np.array([ack.get(i, np.nan) for i in ids]),
        caller_ok=np.array([i in ack for i in ids]),
        done_latency_s=np.array([done.get(i, np.nan) for i in ids]),
        backlog=np.array(backlog, dtype=float),
        downstream_calls=queue.receives,
        wasted_calls=0,
        dead_lettered=len(queue.dlq),
    )


# --------------------------------------------------------------------------------------------
# At-least-once delivery and idempotency.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryResult:
    """What the consumers received and what side effects (say, card charges) they caused."""

    store: StoreKind
    messages: int
    deliveries: int
    duplicate_deliveries: int
    effects: int
    double_effects: int
    overruns: int
    crashes: int


def simulate_at_least_once(
    store: StoreKind,
    *,
    messages: int = 2000,
    consumers: int = 16,
    arrival_rate: float = 5.0,
    visibility_timeout_s: float = 10.0,
    median_processing_s: float = 1.0,
    processing_sigma: float = 1.0,
    crash_rate: float = 0.01,
    heartbeat: bool = False,
    seed: int = 3,
) -> DeliveryResult:
    """Consumers process messages whose handling time is log-normal and sometimes crash.

    A delivery that outlives the visibility timeout is delivered again to another consumer;
    a consumer that crashes (probability ``crash_rate``, after the side effect, before
    ``DeleteMessage``) leaves the message to be delivered again. ``store`` decides what
    stops a second side effect:

    * ``"none"``: nothing;
    * ``"check-then-act"``: look the key up before processing, record it after the effect
      (a crash between the two, or a concurrent duplicate, slips through);
    * ``"atomic"``: the effect and the key are committed in one conditional transaction.

    With ``heartbeat`` the consumer keeps extending the visibility while it works.
    """
    if store not in STORE_KINDS:
        raise ValueError(f"unknown store {store!r}; expected one of {STORE_KINDS}")
    env = simpy.Environment()
    rng = random.Random(seed)
    queue = SimQueue(env, visibility_timeout_s)
    effects = [0] * messages
    recorded: set[int] = set()
    counters = {"deliveries": 0, "overruns": 0, "crashes": 0}

    def producer() -> Generator[simpy.Event, Any, None]:
        for message_id in range(messages):
            yield env.timeout(rng.expovariate(arrival_rate))
            queue.send(message_id)

    def consumer() -> Generator[simpy.Event, Any, None]:
        while True:
            delivery = yield from queue.receive()
            key = delivery.message_id
            counters["deliveries"] += 1
            if store != "none" and key in recorded:
                queue.delete(delivery)  # already done: acknowledge, no second effect
                continue
            work = rng.lognormvariate(math.log(median_processing_s), processing_sigma)
            if heartbeat:
                queue.change_visibility(delivery, work + visibility_timeout_s)
            elif work > visibility_timeout_s:
                counters["overruns"] += 1
            yield env.timeout(work)
            # A crash lands between the effect and recording the key, or between recording
            # the key and DeleteMessage; either way the message comes back.
            crash = rng.random() < crash_rate
            crash_before_record = crash and rng.random() < 0.5
            if store == "atomic":
                if key not in recorded:  # conditional commit: effect and key together
                    recorded.add(key)
                    effects[key] += 1
            else:
                effects[key] += 1
                if store == "check-then-act" and not crash_before_record:
                    recorded.add(key)
            if crash:
                counters["crashes"] += 1
                continue  # died before DeleteMessage: redelivered after the timeout
            queue.delete(delivery)

    env.process(producer())
    for _ in range(consumers):
        env.process(consumer())
    env.run()
    return DeliveryResult(
        store=store,
        messages=messages,
        deliveries=counters["deliveries"],
        duplicate_deliveries=counters["deliveries"] - messages,
        effects=sum(effects),
        double_effects=sum(max(0, count - 1) for count in effects),
        overruns=counters["overruns"],
        crashes=counters["crashes"],
    )


# --------------------------------------------------------------------------------------------
# Poison messages and the dead-letter queue.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoisonResult:
    """Good traffic and poison messages through one queue, with or without a DLQ.

    ``series`` rows are (time, good messages waiting, share of consumer time spent on poison
    in the preceding interval).
    """

    max_receive_count: int | None
    good_sent: int
    good_done: int
    good_latency_s: np.ndarray
    poison_sent: int
    dlq_poison: int
    dlq_good: int
    series: np.ndarray


def simulate_poison(
    max_receive_count: int | None,
    *,
    arrival_rate: float = 10.0,
    poison_fraction: float = 0.02,
    consumers: int = 4,
    service_s: float = 0.2,
    poison_service_s: float = 2.0,
    transient_failure_rate: float = 0.02,
    visibility_timeout_s: float = 12.0,
    horizon_s: float = 300.0,
    drain_s: float = 120.0,
    sample_every_s: float = 5.0,
    seed: int = 4,
) -> PoisonResult:
    """Poison messages always fail (after ``poison_service_s``); good ones fail transiently.

    A failed message is simply not deleted, so it comes back after the visibility timeout.
    ``max_receive_count=None`` means no redrive policy: poison cycles forever.
    """
    env = simpy.Environment()
    rng = random.Random(seed)
    queue = SimQueue(env, visibility_timeout_s, max_receive_count)
    sent: dict[int, tuple[float, bool]] = {}
    latency: list[float] = []
    poison_work: list[tuple[float, float]] = []  # (start, end) of every poison receive
    waiting: list[tuple[float, int]] = []

    def producer() -> Generator[simpy.Event, Any, None]:
        message_id = 0
        while True:
            yield env.timeout(rng.expovariate(arrival_rate))
            if env.now >= horizon_s:
                return
            poison = rng.random() < poison_fraction
            sent[message_id] = (env.now, poison)
            queue.send(message_id, poison)
            message_id += 1

    def consumer() -> Generator[simpy.Event, Any, None]:
        while True:
            delivery = yield from queue.receive()
            if delivery.body:  # poison: fails every time, after a while
                start = env.now
                yield env.timeout(rng.expovariate(1.0 / poison_service_s))
                poison_work.append((start, env.now))
                continue
            yield env.timeout(rng.expovariate(1.0 / service_s))
            if rng.random() >= transient_failure_rate and queue.delete(delivery):
                latency.append(env.now - delivery.sent_at)

    def sampler() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(sample_every_s)
            good_sent = sum(1 for _, poison in sent.values() if not poison)
            dead = sum(1 for d in queue.dlq if not d.body)
            good = good_sent - len(latency) - dead
            waiting.append((env.now, good))

    env.process(producer())
    for _ in range(consumers):
        env.process(consumer())
    env.process(sampler())
    env.run(until=horizon_s + drain_s)
    times = np.array([t for t, _ in waiting])
    work = np.array(poison_work, dtype=float).reshape(-1, 2)
    share = np.array(
        [
            np.clip(
                np.minimum(work[:, 1], t) - np.maximum(work[:, 0], t - sample_every_s), 0, None
            ).sum()
            / (sample_every_s * consumers)
            for t in times
        ]
    )
    good_sent = sum(1 for _, poison in sent.values() if not poison)
    dlq_good = sum(1 for d in queue.dlq if not d.body)
    return PoisonResult(
        max_receive_count=max_receive_count,
        good_sent=good_sent,
        good_done=len(latency),
        good_latency_s=np.array(latency),
        poison_sent=len(sent) - good_sent,
        dlq_poison=len(queue.dlq) - dlq_good,
        dlq_good=dlq_good,
        series=np.column_stack([times, [w for _, w in waiting], share]),
    )


# --------------------------------------------------------------------------------------------
# Sizing maxReceiveCount against an outage.
# --------------------------------------------------------------------------------------------


def _retry_delays(
    strategy: Strategy, retries: int, *, base_s: float, cap_s: float, samples: int, seed: int
) -> np.ndarray:
    """``samples`` x ``retries`` backoff delays, the same schedule as :func:`backoff_delay`."""
    if strategy == "decorrelated":  # each delay depends on the previous: draw them in order
        rng = random.Random(seed)
        rows = []
        for _ in range(samples):
            row, previous = [], None
            for attempt in range(1, retries + 1):
                previous = backoff_delay(
                    strategy, attempt, base=base_s, cap=cap_s, rng=rng, previous=previous
                )
                row.append(previous)
            rows.append(row)
        return np.array(rows, dtype=float).reshape(samples, retries)
    for attempt in (1, retries):  # validates the arguments exactly as backoff_delay does
        backoff_delay(strategy, max(attempt, 1), base=base_s, cap=cap_s, rng=random.Random(0))
    exponent = np.minimum(np.arange(1, retries + 1), _MAX_EXPONENT)
    ceiling = np.minimum(cap_s, base_s * 2.0**exponent)
    u = np.random.default_rng(seed).uniform(size=(samples, retries))
    if strategy == "none":
        return np.zeros((samples, retries))
    if strategy == "exponential":
        return np.broadcast_to(ceiling, (samples, retries)).copy()
    if strategy == "equal":
        return ceiling / 2 + u * ceiling / 2
    return u * ceiling  # full jitter


def dead_letter_probability(
    max_receive_count: int,
    outage_s: float,
    *,
    base_s: float,
    cap_s: float,
    strategy: Strategy = "full",
    lost_receives: int = 0,
    uniform_arrival: bool = False,
    samples: int = 20_000,
    seed: int = 0,
) -> float:
    """Chance that a message caught by a hard outage of ``outage_s`` is dead-lettered.

    Every receive during the outage fails fast and schedules the next one ``backoff_delay``
    later; the message is dead-lettered at its ``max_receive_count``-th failed receive if that
    comes before the outage ends. ``lost_receives`` receives are spent with no backoff of
    ours (Lambda throttles: the poller received the message, the invoke was throttled). By
    default the message arrives as the outage starts (the worst case); with
    ``uniform_arrival`` anywhere in it (the share of the outage's traffic).
    """
    if max_receive_count < 1:
        raise ValueError("max_receive_count must be >= 1")
    retries = max_receive_count - 1 - lost_receives  # delays we control before the last failure
    if retries <= 0:
        return 1.0
    delays = _retry_delays(
        strategy, retries, base_s=base_s, cap_s=cap_s, samples=samples, seed=seed
    )
    remaining = outage_s * (np.random.default_rng(seed + 1).uniform(size=samples)
                            if uniform_arrival else np.ones(samples))  # fmt: skip
    return float(np.mean(delays.sum(axis=1) < remaining))


def max_receive_count_for(
    outage_s: float,
    *,
    base_s: float,
    cap_s: float,
    strategy: Strategy = "full",
    lost_receives: int = 0,
    risk: float = 0.01,
    floor: int = 5,
    samples: int = 4_000,
    seed: int = 0,
) -> int:
    """Smallest ``maxReceiveCount`` (at least ``floor``, AWS's minimum advice for Lambda) that
    dead-letters at most ``risk`` of the messages that arrive as an ``outage_s`` outage starts.

    Same model as :func:`dead_letter_probability`, evaluated for every budget from one draw.
    """
    if not 0 < risk < 1:
        raise ValueError("risk must be between 0 and 1")
    if lost_receives < 0:
        raise ValueError("lost_receives must be >= 0")
    first = max(1, floor)
    retries = 64
    while True:
        elapsed = _retry_delays(
            strategy, retries, base_s=base_s, cap_s=cap_s, samples=samples, seed=seed
        ).cumsum(axis=1)
        dead = np.mean(elapsed < outage_s, axis=0)  # [k]: P(dead-lettered | k + 1 retries)
        for mrc in range(first, min(retries + lost_receives + 1, 1000) + 1):
            k = mrc - 1 - lost_receives
            if k >= 1 and dead[k - 1] <= risk:
                return mrc
        if retries + lost_receives + 1 >= 1000:  # SQS allows 1 to 1000
            raise ValueError(
                f"no maxReceiveCount up to 1000 rides out {outage_s} s (cap {cap_s} s)"
            )
        first, retries = retries + lost_receives + 2, min(2 * retries, 1000)

"""englogs.idempotency against a real redis-server: replay, 409, 422, leases, races, scoping."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from englogs.idempotency import (
    Claim,
    IdempotencyStore,
    Response,
    fingerprint,
    validate_key,
)
from englogs.redis_local import LocalRedis, local_redis

FP = fingerprint("POST", "/charge", b'{"amount": 100}')


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRedis]:
    with local_redis() as running:
        yield running


@pytest.fixture
def store(server: LocalRedis) -> IdempotencyStore:
    server.client.flushdb()
    return IdempotencyStore(server.connect(decode_responses=True))


def _charge(log: list[int]) -> Response:
    log.append(1)
    return Response(201, json.dumps({"charge": len(log)}), (("Location", f"/charges/{len(log)}"),))


def test_retry_replays_the_stored_response_without_running_again(store: IdempotencyStore) -> None:
    charges: list[int] = []
    first = store.handle("alice", "k-1", FP, lambda: _charge(charges))
    again = store.handle("alice", "k-1", FP, lambda: _charge(charges))
    assert charges == [1]
    assert (again.status, again.body) == (first.status, first.body)
    assert ("Location", "/charges/1") in again.headers
    assert ("Idempotent-Replayed", "true") in again.headers


def test_same_key_other_payload_is_422_and_runs_nothing(store: IdempotencyStore) -> None:
    charges: list[int] = []
    store.handle("alice", "k-1", FP, lambda: _charge(charges))
    other = fingerprint("POST", "/charge", b'{"amount": 999}')
    reply = store.handle("alice", "k-1", other, lambda: _charge(charges))
    assert reply.status == 422 and charges == [1]
    assert "999" not in reply.body  # the problem never echoes the request


def test_duplicate_while_in_flight_is_409_with_retry_after(store: IdempotencyStore) -> None:
    claim = store.begin("alice", "k-1", FP)
    assert isinstance(claim, Claim)
    busy = store.begin("alice", "k-1", FP)
    assert isinstance(busy, Response) and busy.status == 409
    assert ("Retry-After", "1") in busy.headers
    assert store.complete(claim, Response(201, "{}"))
    replay = store.begin("alice", "k-1", FP)
    assert isinstance(replay, Response) and replay.status == 201


def test_keys_are_scoped_by_principal(store: IdempotencyStore) -> None:
    charges: list[int] = []
    store.handle("alice", "shared-key", FP, lambda: _charge(charges))
    reply = store.handle("mallory", "shared-key", FP, lambda: _charge(charges))
    assert charges == [1, 1]  # mallory's request ran on its own; alice's response stays hers
    assert ("Idempotent-Replayed", "true") not in reply.headers


def test_colons_in_principal_or_key_cannot_collide(store: IdempotencyStore) -> None:
    charges: list[int] = []
    store.handle("a:b", "c", FP, lambda: _charge(charges))
    store.handle("a", "b:c", FP, lambda: _charge(charges))
    assert len(charges) == 2


def test_failed_operation_releases_the_key_so_a_retry_runs(store: IdempotencyStore) -> None:
    def boom() -> Response:
        raise RuntimeError("card network down")

    with pytest.raises(RuntimeError):
        store.handle("alice", "k-1", FP, boom)
    charges: list[int] = []
    assert store.handle("alice", "k-1", FP, lambda: _charge(charges)).status == 201
    assert charges == [1]


def test_expired_lease_lets_a_retry_in_and_the_stale_owner_cannot_overwrite(
    server: LocalRedis,
) -> None:
    server.client.flushdb()
    store = IdempotencyStore(server.connect(decode_responses=True), lease_ms=1)
    stale = store.begin("alice", "k-1", FP)
    assert isinstance(stale, Claim)
    server.client.delete(stale.redis_key)  # what the lease expiring does, without sleeping
    fresh = store.begin("alice", "k-1", FP)
    assert isinstance(fresh, Claim)
    assert not store.complete(stale, Response(201, '{"owner": "stale"}'))
    assert store.complete(fresh, Response(201, '{"owner": "fresh"}'))
    replay = store.begin("alice", "k-1", FP)
    assert isinstance(replay, Response) and json.loads(replay.body) == {"owner": "fresh"}


def test_stored_response_expires_after_ttl(server: LocalRedis) -> None:
    server.client.flushdb()
    store = IdempotencyStore(server.connect(decode_responses=True), ttl_s=60)
    claim = store.begin("alice", "k-1", FP)
    assert isinstance(claim, Claim)
    assert server.client.pttl(claim.redis_key) <= store.lease_ms
    store.complete(claim, Response(201, "{}"))
    assert 0 < server.client.ttl(claim.redis_key) <= 60


@pytest.mark.parametrize("key", [None, "", "x" * 256, "has space", "tab\there", "ünïcode", "a\nb"])
def test_bad_keys_get_one_clear_400(store: IdempotencyStore, key: str | None) -> None:
    reply = store.handle("alice", key, FP, lambda: pytest.fail("must not run"))
    assert reply.status == 400
    assert json.loads(reply.body)["type"].startswith("idempotency_key_")
    assert validate_key(key) is not None


def test_fingerprint_separates_method_path_and_body() -> None:
    assert fingerprint("post", "/a", b"x") == fingerprint("POST", "/a", b"x")
    assert fingerprint("POST", "/ab", b"c") != fingerprint("POST", "/a", b"bc")
    assert fingerprint("POST", "/a", b"x") != fingerprint("PUT", "/a", b"x")


def test_racing_servers_run_the_operation_once(server: LocalRedis) -> None:
    server.client.flushdb()
    stores = [IdempotencyStore(server.connect(decode_responses=True)) for _ in range(8)]
    start, charges, statuses = threading.Barrier(len(stores)), [], []
    lock = threading.Lock()

    def api_server(store: IdempotencyStore) -> None:
        start.wait()
        for attempt in range(20):
            reply = store.handle("alice", f"k-{attempt}", FP, lambda: _charge(charges))
            with lock:
                statuses.append(reply.status)

    threads = [threading.Thread(target=api_server, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(charges) == 20  # one charge per key, whatever the interleaving
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 20


def test_rejects_nonsense_configuration(server: LocalRedis) -> None:
    with pytest.raises(ValueError):
        IdempotencyStore(server.client, lease_ms=0)


def test_handle_warns_when_the_lease_expired_before_completion(
    server: LocalRedis, caplog: pytest.LogCaptureFixture
) -> None:
    server.client.flushdb()
    store = IdempotencyStore(server.connect(decode_responses=True))

    def slow_charge() -> Response:
        server.client.flushdb()  # what the lease expiring mid-operation does, without sleeping
        return Response(201, "{}")

    with caplog.at_level("WARNING", logger="englogs.idempotency"):
        assert store.handle("alice", "k-1", FP, slow_charge).status == 201
    assert "lease expired" in caplog.text

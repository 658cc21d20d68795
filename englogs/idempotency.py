"""Idempotency keys for unsafe HTTP methods, stored in Redis.

A client that retries ``POST /charge`` after a timeout cannot know whether the first attempt
ran. With an ``Idempotency-Key`` header (IETF draft-ietf-httpapi-idempotency-key-header) the
server can make the retry safe:

* the first request with a key *claims* it (an in-flight record with a lease), runs, and stores
  its response under the key;
* a retry with the same key and the same request gets the stored response back, and the side
  effect does not run again;
* a retry while the first is still running gets ``409 Conflict`` (try again later);
* the same key with a *different* request gets ``422 Unprocessable Content``: a client bug.

Claim and completion are Lua scripts, so two API servers racing on one key cannot both win.
Keys are scoped by principal: one tenant's key can never replay another tenant's response.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

# Claim the key if it is free; otherwise return what is stored. One round trip, atomic.
_BEGIN = """
local stored = redis.call('GET', KEYS[1])
if stored then return stored end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""

# Store the response only if our claim still holds (its lease may have expired and been taken).
_COMPLETE = """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local record = cjson.decode(stored)
if record['state'] ~= 'in_flight' or record['token'] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""

# Give the key back (the handler failed before its side effect committed).
_RELEASE = """
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local record = cjson.decode(stored)
if record['state'] ~= 'in_flight' or record['token'] ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Claim:
    """This request owns the key: run the operation, then :meth:`IdempotencyStore.complete`."""

    redis_key: str
    token: str
    fingerprint: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    """A digest of what the request asks for; the same key with another digest is refused.

    Byte-exact on purpose: a retry resends the same bytes, so a different body under the same
    key (even one that re-serialises to equal JSON) is a client bug worth a 422.
    """
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        digest.update(part)
    return digest.hexdigest()


def _problem(status: int, code: str, detail: str, *headers: tuple[str, str]) -> Response:
    body = json.dumps({"type": code, "status": status, "detail": detail})
    return Response(status, body, (("Content-Type", "application/problem+json"), *headers))


def validate_key(key: str | None) -> Response | None:
    """None when ``key`` is usable, else the 400 response to send (never echoing the key)."""
    if key is None or key == "":
        return _problem(400, "idempotency_key_missing", f"{HEADER} header is required")
    if len(key) > MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        return _problem(400, "idempotency_key_invalid", f"1-{MAX_KEY_LENGTH} visible ASCII chars")
    return None


class IdempotencyStore:
    """Claims, stored responses and fingerprints in Redis; see the module docstring.

    ``lease_ms`` must exceed the slowest operation: once a claim's lease expires, a retry may
    run the operation again (and the late first run can no longer store its response).
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        namespace: str = "idem",
        lease_ms: int = 30_000,
        ttl_s: int = 24 * 3600,
    ) -> None:
        if lease_ms <= 0 or ttl_s <= 0:
            raise ValueError("lease_ms and ttl_s must be positive")
        self._redis, self._namespace = client, namespace
        self.lease_ms, self.ttl_s = lease_ms, ttl_s
        self._begin = client.register_script(_BEGIN)
        self._complete = client.register_script(_COMPLETE)
        self._release = client.register_script(_RELEASE)

    def _redis_key(self, principal: str, key: str) -> str:
        # Hash both parts: a principal or key containing ':' cannot collide with another pair.
        scoped = hashlib.sha256(f"{len(principal)}:{principal}:{key}".encode()).hexdigest()
        return f"{self._namespace}:{scoped}"

    def begin(self, principal: str, key: str | None, request_fingerprint: str) -> Claim | Response:
        """Claim ``key`` for this request, or the response to send instead (400/409/422/replay)."""
        if (invalid := validate_key(key)) is not None:
            return invalid
        if key is None:  # unreachable (validate_key refuses it); narrows the type
            raise TypeError("key is None")
        redis_key, token = self._redis_key(principal, key), secrets.token_hex(16)
        claim = {"state": "in_flight", "token": token, "fp": request_fingerprint}
        stored = self._begin(keys=[redis_key], args=[json.dumps(claim), self.lease_ms])
        if stored is None:
            return Claim(redis_key, token, request_fingerprint)
        record = json.loads(stored)
        if record["fp"] != request_fingerprint:
            return _problem(422, "idempotency_key_reused", "key already used for another request")
        if record["state"] == "in_flight":
            return _problem(
                409,
                "request_in_progress",
                "a request with this key is running",
                ("Retry-After", "1"),
            )
        headers = tuple((name, value) for name, value in record["headers"])
        return Response(
            record["status"], record["body"], (*headers, ("Idempotent-Replayed", "true"))
        )

    def complete(self, claim: Claim, response: Response) -> bool:
        """Store ``response`` for replays. False if the claim's lease expired first."""
        record = {
            "state": "done",
            "fp": claim.fingerprint,
            "status": response.status,
            "body": response.body,
            "headers": [list(pair) for pair in response.headers],
        }
        return bool(
            self._complete(
                keys=[claim.redis_key], args=[claim.token, json.dumps(record), self.ttl_s]
            )
        )

    def release(self, claim: Claim) -> None:
        """Forget the claim so a retry runs the operation again (nothing was committed)."""
        self._release(keys=[claim.redis_key], args=[claim.token])

    def handle(
        self,
        principal: str,
        key: str | None,
        request_fingerprint: str,
        operation: Callable[[], Response],
    ) -> Response:
        """Run ``operation`` at most once per (principal, key); replay its response after that.

        If ``operation`` raises, the claim is released and the exception propagates: the
        operation must not have committed its side effect (use one transaction for both).
        """
        outcome = self.begin(principal, key, request_fingerprint)
        if isinstance(outcome, Response):
            return outcome
        try:
            response = operation()
        except BaseException:
            self.release(outcome)
            raise
        if not self.complete(outcome, response):
            log.warning("idempotency lease expired before completion: raise lease_ms")
        return response

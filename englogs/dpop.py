"""DPoP: sender-constrained tokens (RFC 9449), as the JWT post ships them.

A bearer token works for whoever holds it. With DPoP the client keeps a private key (in a
browser: a non-extractable WebCrypto key) and signs a short *proof* JWT for every request:
method (``htm``), URL (``htu``), time (``iat``), a unique ``jti`` and, with an access token,
its hash (``ath``). The authorization server puts the key's thumbprint (``cnf.jkt``,
RFC 7638) in the access token and binds refresh tokens to it, so a copied token is useless
without the key.

* :class:`DPoPKey` — the client side: an ES256 key and :meth:`DPoPKey.proof`.
* :class:`DPoPVerifier` — the server side: every check of RFC 9449 section 4.3, each
  refusal with a reason; ``jti`` replay is caught by a :class:`ReplayCache`
  (:class:`MemoryReplayCache` for one instance, :class:`RedisReplayCache` for a fleet).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
import redis
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from englogs.clock import Clock

PROOF_TYPE = "dpop+jwt"
ALLOWED_ALGORITHMS = ("ES256", "EdDSA")  # asymmetric only: a MAC or "none" proves nothing
_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


MAX_JTI_LENGTH = 256  # a uuid4 is 32; anything long is an attempt to bloat the replay cache


def _key_fits(alg: str, key: object) -> bool:
    if alg == "ES256":
        return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    return alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey)


class DPoPRejected(Exception):
    """A DPoP proof was refused; ``reason`` is for logs and metrics."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: the required members only, sorted, no whitespace."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise ValueError("unsupported or incomplete JWK")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def access_token_hash(access_token: str) -> str:
    """The ``ath`` claim: base64url SHA-256 of the token's ASCII bytes."""
    return _b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def normalize_htu(url: str) -> str:
    """Scheme, host and path, lower-cased where case-insensitive, default port dropped, no
    query or fragment (RFC 9449 section 4.3, item 9)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port not in (None, default) else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path or '/'}"


@dataclass(frozen=True)
class DPoPKey:
    """The client's proof-of-possession key (P-256). Only the public JWK ever leaves it."""

    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> DPoPKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    def public_jwk(self) -> dict[str, str]:
        return jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)

    def thumbprint(self) -> str:
        return jwk_thumbprint(self.public_jwk())

    def proof(
        self,
        htm: str,
        htu: str,
        *,
        access_token: str | None = None,
        now: float | None = None,
        jti: str | None = None,
    ) -> str:
        claims: dict[str, Any] = {
            "jti": jti or uuid.uuid4().hex,
            "htm": htm,
            "htu": htu,
            "iat": int(time.time() if now is None else now),
        }
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        headers = {"typ": PROOF_TYPE, "jwk": self.public_jwk()}
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers=headers)


class ReplayCache(Protocol):
    def first_use(self, jti: str, ttl_s: float) -> bool:
        """True the first time ``jti`` is seen within ``ttl_s``; False on a replay."""
        ...


class MemoryReplayCache:
    """One instance's memory: enough for a single server, wrong behind a load balancer."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._seen: dict[str, float] = {}
        self._clock = clock

    def first_use(self, jti: str, ttl_s: float) -> bool:
        now = self._clock()
        self._seen = {k: until for k, until in self._seen.items() if until > now}
        if jti in self._seen:
            return False
        self._seen[jti] = now + ttl_s
        return True


class RedisReplayCache:
    """Shared by the fleet: ``SET key 1 NX PX ttl`` is one atomic round trip."""

    def __init__(self, client: redis.Redis, prefix: str = "dpop-jti:") -> None:
        self._redis, self._prefix = client, prefix

    def first_use(self, jti: str, ttl_s: float) -> bool:
        key = self._prefix + hashlib.sha256(jti.encode()).hexdigest()  # bounded key size
        return bool(self._redis.set(key, b"1", nx=True, px=max(1, int(ttl_s * 1000))))


class DPoPVerifier:
    """Checks a DPoP proof for one request and returns the thumbprint of the key behind it."""

    def __init__(
        self,
        replay: ReplayCache,
        *,
        max_age_s: int = 60,
        leeway_s: int = 5,
        clock: Clock = time.time,
    ) -> None:
        if max_age_s <= 0 or leeway_s < 0:
            raise ValueError("max_age_s must be positive and leeway_s non-negative")
        self._replay, self._max_age_s, self._leeway_s = replay, max_age_s, leeway_s
        self._clock = clock

    def verify(
        self,
        proof: str | None,
        *,
        htm: str,
        htu: str,
        access_token: str | None = None,
        expected_jkt: str | None = None,
    ) -> str:
        if not proof:
            raise DPoPRejected("missing-proof")
        try:
            header = jwt.get_unverified_header(proof)
        except jwt.InvalidTokenError as exc:
            raise DPoPRejected("malformed") from exc
        if header.get("typ") != PROOF_TYPE:
            raise DPoPRejected("wrong-type")
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise DPoPRejected("algorithm-not-allowed")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or "d" in jwk:  # a private key in a header: refuse
            raise DPoPRejected("bad-jwk")
        try:
            key = jwt.PyJWK.from_dict(jwk).key
            if not _key_fits(alg, key):  # the header's alg must match the jwk's type
                raise DPoPRejected("bad-jwk")
            claims = jwt.decode(
                proof, key, algorithms=[alg], options={"require": ["jti", "htm", "htu", "iat"]}
            )
            jkt = jwk_thumbprint(jwk)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            raise DPoPRejected("bad-jwk") from exc
        except jwt.InvalidSignatureError as exc:
            raise DPoPRejected("bad-signature") from exc
        except jwt.InvalidTokenError as exc:
            raise DPoPRejected("invalid-claims") from exc
        self._check_claims(claims, htm, htu, access_token)
        if expected_jkt is not None and jkt != expected_jkt:
            raise DPoPRejected("key-mismatch")  # signed, but not by the token's key
        # Last: a proof refused for another reason must not burn its jti.
        if not self._replay.first_use(str(claims["jti"]), self._max_age_s + self._leeway_s):
            raise DPoPRejected("replayed")
        return jkt

    def _check_claims(
        self, claims: Mapping[str, Any], htm: str, htu: str, access_token: str | None
    ) -> None:
        jti = claims["jti"]
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise DPoPRejected("invalid-claims")
        if claims["htm"] != htm:
            raise DPoPRejected("wrong-method")
        try:
            if normalize_htu(str(claims["htu"])) != normalize_htu(htu):
                raise DPoPRejected("wrong-url")
        except ValueError as exc:
            raise DPoPRejected("wrong-url") from exc
        iat, now = claims["iat"], self._clock()
        if type(iat) is not int or iat > now + self._leeway_s:
            raise DPoPRejected("bad-iat")
        if iat < now - self._max_age_s:
            raise DPoPRejected("stale")
        if access_token is not None and claims.get("ath") != access_token_hash(access_token):
            raise DPoPRejected("wrong-access-token")

"""Access and refresh tokens as the "JWT Authentication Is Not Enough" post ships them.

The post shows this code (``literalinclude``) because it *is* the lesson; the policy and
token lab imports it so readers can throw their own tokens at the same verifier.

* :class:`SigningKey` — an Ed25519 key pair with a ``kid``; only the public half leaves it.
* :class:`AccessTokenIssuer` / :class:`AccessTokenVerifier` — short-lived JWT access tokens
  (``typ: at+jwt``, RFC 9068). The verifier pins the algorithm *before* it looks at a key,
  looks the key up by ``kid`` in a set it owns, requires every claim it relies on and checks
  time against an injectable clock.
* :class:`RevocationList` — a deny list keyed by ``jti`` (one token), ``sid`` (one session)
  and a per-user session version ("sign out everywhere"); entries expire with the tokens.
  :class:`RedisRevocationList` is the same list on Redis, each entry a key whose TTL is the
  remaining lifetime of the tokens it can match.
* :class:`SessionService` — opaque refresh tokens stored as SHA-256 hashes, rotated on every
  use; presenting an already-rotated token is treated as theft and kills the whole family.
  A family also dies at an absolute lifetime, and may be bound to the client's DPoP key
  (``jkt``), so a thief who refreshes *first* is stopped too.

The *attack* helpers at the end (:func:`forge_alg_none`, :func:`forge_hmac_with_public_key`,
:func:`attack_variants`) and :func:`insecure_naive_verify` exist for tests, the post and the
lab. ``insecure_naive_verify`` is the bug being demonstrated: never use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import jwt
import redis
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from englogs.clock import Clock

EventSink = Callable[[str, Mapping[str, Any]], None]

ALGORITHM = "EdDSA"
ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti", "sid", "sv", "roles")
# Clock skew tolerated between issuer and verifier. RFC 7519 allows "a small leeway, usually
# no more than a few minutes"; every second of it also extends a stolen token's life.
DEFAULT_LEEWAY_S = 30
MAX_LEEWAY_S = 120


class TokenRejected(Exception):
    """An access token failed verification. ``reason`` is for logs and metrics, not clients."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefreshRejected(Exception):
    """A refresh token was refused; ``reason`` is ``"unknown"``, ``"expired"``, ``"revoked"``,
    ``"reuse-detected"``, ``"binding-mismatch"`` or ``"account-disabled"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair. Ed25519 has one parameter set and deterministic signatures:
    no curve choice, no nonce to get wrong, 64-byte signatures."""

    kid: str
    private_key: ed25519.Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        return cls(kid or uuid.uuid4().hex[:16], ed25519.Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self.private_key.public_key()

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK (RFC 8037), ready for a JWKS document."""
        jwk = jwt.algorithms.OKPAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


def jwks_document(keys: Sequence[SigningKey]) -> dict[str, list[dict[str, str]]]:
    """A JWKS (RFC 7517) publishing ``keys``: during a rotation, the old and the new key."""
    return {"keys": [k.public_jwk() for k in keys]}


def public_keys_from_jwks(document: Mapping[str, Any]) -> dict[str, ed25519.Ed25519PublicKey]:
    """``kid`` -> key for every Ed25519 signing key in a JWKS; anything else is skipped, so a
    key the verifier cannot pin to ``EdDSA`` never becomes usable."""
    try:
        key_set = jwt.PyJWKSet.from_dict(dict(document))
    except jwt.PyJWKSetError as exc:
        raise ValueError(f"unusable JWKS: {exc}") from exc
    return {
        k.key_id: k.key
        for k in key_set.keys
        if k.key_id and isinstance(k.key, ed25519.Ed25519PublicKey) and k.public_key_use != "enc"
    }


@dataclass(frozen=True)
class AccessClaims:
    """The verified claims the application is allowed to rely on."""

    sub: str
    roles: tuple[str, ...]
    sid: str
    sv: int
    jti: str
    iat: int
    exp: int
    jkt: str | None = None  # cnf.jkt: the token only works with a DPoP proof by this key

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> AccessClaims:
        jkt = None
        if "cnf" in payload:
            cnf = payload["cnf"]
            jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
            if not isinstance(jkt, str) or not jkt:
                raise TokenRejected("malformed-claims")
        ints = {name: payload[name] for name in ("sv", "iat", "exp")}
        strs = {name: payload[name] for name in ("sub", "sid", "jti")}
        roles = payload["roles"]
        if any(type(v) is not int for v in ints.values()):  # bool is an int: exclude it
            raise TokenRejected("malformed-claims")
        if any(not isinstance(v, str) or not v for v in strs.values()):
            raise TokenRejected("malformed-claims")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenRejected("malformed-claims")
        return cls(roles=tuple(roles), jkt=jkt, **strs, **ints)


class Revocations(Protocol):
    """What the verifier and the session service need from a deny list."""

    def check(self, claims: AccessClaims, now: float) -> str | None: ...
    def revoke_token(self, jti: str, until: float) -> None: ...
    def revoke_session(self, sid: str, until: float) -> None: ...
    def bump_user_version(self, sub: str) -> int: ...
    def user_version(self, sub: str) -> int: ...


class AccessTokenIssuer:
    """Signs short-lived access tokens with the current key."""

    def __init__(
        self,
        key: SigningKey,
        *,
        issuer: str,
        audience: str,
        ttl_s: int = 300,
        clock: Clock = time.time,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self.key, self.issuer, self.audience, self.ttl_s = key, issuer, audience, ttl_s
        self._clock = clock

    def issue(
        self, subject: str, roles: Sequence[str], *, sid: str, sv: int, jkt: str | None = None
    ) -> str:
        """A signed access token; with ``jkt`` it is DPoP-bound (``cnf.jkt``, RFC 9449)."""
        now = int(self._clock())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + self.ttl_s,
            "jti": uuid.uuid4().hex,
            "sid": sid,
            "sv": sv,
            "roles": list(roles),
        }
        if jkt is not None:
            payload["cnf"] = {"jkt": jkt}
        headers = {"kid": self.key.kid, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(payload, self.key.private_key, algorithm=ALGORITHM, headers=headers)


class AccessTokenVerifier:
    """Verifies access tokens. The algorithm is configuration, never read from the token."""

    def __init__(
        self,
        public_keys: Mapping[str, ed25519.Ed25519PublicKey],
        *,
        issuer: str,
        audience: str,
        revocations: Revocations | None = None,
        leeway_s: int = DEFAULT_LEEWAY_S,
        clock: Clock = time.time,
    ) -> None:
        if not public_keys:
            raise ValueError("at least one public key is required")
        if not 0 <= leeway_s <= MAX_LEEWAY_S:
            raise ValueError(f"leeway_s must be between 0 and {MAX_LEEWAY_S} seconds")
        self._keys = dict(public_keys)
        self.issuer, self.audience, self.leeway_s = issuer, audience, leeway_s
        self._revocations = revocations
        self._clock = clock

    def verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise TokenRejected("malformed") from exc
        # Pin first: the header is attacker-controlled, so it may only *select* among
        # choices we made (which key), never *decide* how to verify (which algorithm).
        if header.get("alg") != ALGORITHM:
            raise TokenRejected("algorithm-not-allowed")
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TokenRejected("wrong-token-type")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenRejected("unknown-kid")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                # Time is checked below against our clock, so tests and the deny list agree.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise TokenRejected("bad-signature") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRejected("missing-claim") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRejected("wrong-audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRejected("wrong-issuer") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenRejected("invalid") from exc
        claims = AccessClaims.from_payload(payload)
        now = self._clock()
        if claims.exp <= now - self.leeway_s:
            raise TokenRejected("expired")
        if claims.iat > now + self.leeway_s:
            raise TokenRejected("issued-in-future")
        if self._revocations is not None:
            reason = self._revocations.check(claims, now)
            if reason is not None:
                raise TokenRejected(reason)
        return claims


class RevocationList:
    """What the verifier consults on every request. Entries live only as long as a token
    they could match, so the list stays as small as the revocations of the last TTL."""

    def __init__(self) -> None:
        self._jti: dict[str, float] = {}
        self._sid: dict[str, float] = {}
        self._user_version: dict[str, int] = {}
        self._lock = threading.Lock()

    def revoke_token(self, jti: str, until: float) -> None:
        with self._lock:
            self._jti[jti] = max(until, self._jti.get(jti, until))

    def revoke_session(self, sid: str, until: float) -> None:
        with self._lock:
            self._sid[sid] = max(until, self._sid.get(sid, until))

    def bump_user_version(self, sub: str) -> int:
        """Invalidate every token issued to ``sub`` so far ("sign out everywhere")."""
        with self._lock:
            self._user_version[sub] = self._user_version.get(sub, 0) + 1
            return self._user_version[sub]

    def user_version(self, sub: str) -> int:
        return self._user_version.get(sub, 0)

    def check(self, claims: AccessClaims, now: float) -> str | None:
        if self._jti.get(claims.jti, -1.0) > now:
            return "revoked-token"
        if self._sid.get(claims.sid, -1.0) > now:
            return "revoked-session"
        if claims.sv < self.user_version(claims.sub):
            return "stale-session-version"
        return None

    def prune(self, now: float) -> int:
        """Drop entries no live token can match; returns how many were dropped."""
        with self._lock:
            dead_jti = [k for k, until in self._jti.items() if until <= now]
            dead_sid = [k for k, until in self._sid.items() if until <= now]
            for k in dead_jti:
                del self._jti[k]
            for k in dead_sid:
                del self._sid[k]
        return len(dead_jti) + len(dead_sid)

    def __len__(self) -> int:
        return len(self._jti) + len(self._sid)


class RedisRevocationList:
    """:class:`RevocationList` on Redis, shared by every instance. Each revoked ``jti`` or
    ``sid`` is one key whose TTL is the remaining lifetime of the tokens it can match, so
    Redis itself forgets entries no live token can hit: the key count is the deny list's size.

    If Redis is unreachable, ``check`` fails closed (``"revocation-unavailable"``) unless
    ``fail_open`` is set; choose per API (closed for admin, open plus an alert for reads).
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "deny:",
        fail_open: bool = False,
        clock: Clock = time.time,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._redis, self._prefix, self._fail_open = client, prefix, fail_open
        self._clock = clock
        self._on_error = on_error or (lambda _exc: None)

    def _set(self, kind: str, name: str, until: float) -> None:
        ttl_ms = int((until - self._clock()) * 1000) + 1  # round up: never expire early
        if ttl_ms > 1:  # already expired tokens need no entry
            self._redis.set(f"{self._prefix}{kind}:{name}", b"1", px=ttl_ms)

    def revoke_token(self, jti: str, until: float) -> None:
        self._set("jti", jti, until)

    def revoke_session(self, sid: str, until: float) -> None:
        self._set("sid", sid, until)

    def bump_user_version(self, sub: str) -> int:
        return int(self._redis.incr(f"{self._prefix}sv:{sub}"))

    def user_version(self, sub: str) -> int:
        value = self._redis.get(f"{self._prefix}sv:{sub}")
        return int(value) if value is not None else 0

    def check(self, claims: AccessClaims, now: float) -> str | None:
        keys = (f"{self._prefix}jti:{claims.jti}", f"{self._prefix}sid:{claims.sid}",
                f"{self._prefix}sv:{claims.sub}")  # fmt: skip
        try:
            jti_hit, sid_hit, version = self._redis.mget(keys)  # one round trip
        except redis.RedisError as exc:
            self._on_error(exc)
            return None if self._fail_open else "revocation-unavailable"
        if jti_hit is not None:
            return "revoked-token"
        if sid_hit is not None:
            return "revoked-session"
        if version is not None and claims.sv < int(version):
            return "stale-session-version"
        return None


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    session_id: str
    expires_in: int


@dataclass
class _RefreshRecord:
    session_id: str
    subject: str
    generation: int
    expires_at: float
    state: Literal["active", "rotated", "revoked"] = "active"


@dataclass
class _Session:
    subject: str
    started_at: float
    jkt: str | None = None  # thumbprint of the client's DPoP key, when the family is bound
    revoked: bool = False
    token_hashes: list[str] = field(default_factory=list)


def _hash_refresh(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionService:
    """Login, refresh with rotation and reuse detection, logout.

    ``directory(subject)`` returns the subject's *current* roles, or ``None`` if the account
    is disabled: every refresh re-reads it, so a role change or a ban lands within one
    access-token lifetime. Refresh tokens are opaque and stored only as hashes.

    Two clocks bound a stolen family: ``refresh_ttl_s`` (idle: each refresh token expires
    that long after it was issued) and ``max_session_s`` (absolute: no refresh extends a
    family past login + this). A thief who refreshes *before* the victim is caught when the
    victim presents its now-rotated token; if the victim never does, only the absolute
    lifetime or a binding (``jkt``: the client's DPoP key thumbprint, RFC 9449) stops it.
    """

    def __init__(
        self,
        issuer: AccessTokenIssuer,
        revocations: Revocations,
        directory: Callable[[str], Sequence[str] | None],
        *,
        refresh_ttl_s: float = 24 * 3600,
        max_session_s: float = 7 * 24 * 3600,
        clock: Clock = time.time,
        on_event: EventSink | None = None,
    ) -> None:
        if not 0 < refresh_ttl_s <= max_session_s:
            raise ValueError("need 0 < refresh_ttl_s <= max_session_s")
        self._issuer, self._revocations, self._directory = issuer, revocations, directory
        self._refresh_ttl_s, self._max_session_s = refresh_ttl_s, max_session_s
        self._clock = clock
        self._emit: EventSink = on_event or (lambda _name, _fields: None)
        self._records: dict[str, _RefreshRecord] = {}
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()  # rotation is a compare-and-set; in SQL: UPDATE ... WHERE

    def login(self, subject: str, *, jkt: str | None = None) -> TokenPair:
        """Start a session for an already-authenticated ``subject``; with ``jkt``, every
        refresh of this family must prove possession of that DPoP key."""
        roles = self._directory(subject)
        if roles is None:
            raise RefreshRejected("account-disabled")
        sid = uuid.uuid4().hex
        with self._lock:
            self._sessions[sid] = _Session(subject, self._clock(), jkt)
            pair = self._issue_pair(sid, subject, roles, generation=0)
        self._emit("login", {"sub": subject, "sid": sid})
        return pair

    def refresh(self, refresh_token: str, *, jkt: str | None = None) -> TokenPair:
        """Exchange ``refresh_token`` for a new pair. ``jkt`` is the thumbprint of the key
        that signed the request's *verified* DPoP proof (None without one)."""
        now = self._clock()
        with self._lock:
            record = self._records.get(_hash_refresh(refresh_token))
            if record is None:
                raise RefreshRejected("unknown")
            session = self._sessions[record.session_id]
            if record.state == "rotated":
                # A token we already exchanged came back: either the client or a thief
                # holds a copy. We cannot tell which, so the whole family dies.
                self._revoke_session_locked(record.session_id, now)
                self._emit(
                    "refresh_reuse_detected",
                    {"sub": record.subject, "sid": record.session_id, "gen": record.generation},
                )
                raise RefreshRejected("reuse-detected")
            if record.state == "revoked" or session.revoked:
                raise RefreshRejected("revoked")
            if session.jkt is not None and not hmac.compare_digest(session.jkt, jkt or ""):
                # The token is live but the caller lacks the client's key: it was copied.
                self._revoke_session_locked(record.session_id, now)
                self._emit(
                    "refresh_binding_mismatch", {"sub": record.subject, "sid": record.session_id}
                )
                raise RefreshRejected("binding-mismatch")
            if record.expires_at <= now:
                raise RefreshRejected("expired")
            roles = self._directory(record.subject)
            if roles is None:
                self._revoke_session_locked(record.session_id, now)
                raise RefreshRejected("account-disabled")
            record.state = "rotated"
            pair = self._issue_pair(record.session_id, record.subject, roles, record.generation + 1)
        self._emit("refresh", {"sub": record.subject, "sid": record.session_id})
        return pair

    def logout(self, session_id: str) -> None:
        with self._lock:
            self._revoke_session_locked(session_id, self._clock())
        self._emit("logout", {"sid": session_id})

    def logout_everywhere(self, subject: str) -> None:
        """Kill every session of ``subject``, including access tokens already issued."""
        now = self._clock()
        with self._lock:
            for sid, session in self._sessions.items():
                if session.subject == subject and not session.revoked:
                    self._revoke_session_locked(sid, now)
            version = self._revocations.bump_user_version(subject)
        self._emit("logout_everywhere", {"sub": subject, "sv": version})

    def _issue_pair(
        self, sid: str, subject: str, roles: Sequence[str], generation: int
    ) -> TokenPair:
        session = self._sessions[sid]
        now = self._clock()
        expires_at = min(now + self._refresh_ttl_s, session.started_at + self._max_session_s)
        refresh_token = secrets.token_urlsafe(32)
        token_hash = _hash_refresh(refresh_token)
        self._records[token_hash] = _RefreshRecord(sid, subject, generation, expires_at)
        session.token_hashes.append(token_hash)
        access = self._issuer.issue(
            subject, roles, sid=sid, sv=self._revocations.user_version(subject), jkt=session.jkt
        )
        return TokenPair(access, refresh_token, sid, self._issuer.ttl_s)

    def _revoke_session_locked(self, sid: str, now: float) -> None:
        session = self._sessions.get(sid)
        if session is None:
            return
        session.revoked = True
        for token_hash in session.token_hashes:
            self._records[token_hash].state = "revoked"
        # Access tokens already out there die too, not just at their exp. The entry must
        # outlive exp by any verifier's leeway, or the token would come back to life.
        self._revocations.revoke_session(sid, until=now + self._issuer.ttl_s + MAX_LEEWAY_S)


# --- Attack demonstrations: for tests, the post and the lab. Not for production. ---------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json_part(obj: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(obj, separators=(",", ":")).encode())


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWT, *without* verifying anything (for inspection)."""
    header_b64, payload_b64, _sig = token.split(".")
    return json.loads(_b64url_decode(header_b64)), json.loads(_b64url_decode(payload_b64))


def forge_alg_none(header: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """An unsigned token: ``alg`` set to ``none`` and an empty signature."""
    return f"{_json_part({**header, 'alg': 'none'})}.{_json_part(payload)}."


def forge_hmac_with_public_key(
    header: Mapping[str, Any], payload: Mapping[str, Any], public_pem: bytes
) -> str:
    """Key confusion: sign with HS256 using the server's *public* key bytes as the secret."""
    signing_input = f"{_json_part({**header, 'alg': 'HS256'})}.{_json_part(payload)}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def attack_variants(
    token: str, public_pem: bytes, escalate: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Tokens an attacker who holds ``token`` and the public key can build, with the payload
    changed by ``escalate`` (default: make the caller an admin)."""
    header, payload = unverified_parts(token)
    changed = {**payload, **(escalate if escalate is not None else {"roles": ["admin"]})}
    signing_input, signature = token.rsplit(".", 1)
    tampered = f"{_json_part(header)}.{_json_part(changed)}.{signature}"
    return {
        "unmodified (control)": token,
        "payload edited, signature kept": tampered,
        "alg: none": forge_alg_none(header, changed),
        "alg: HS256 signed with public key": forge_hmac_with_public_key(
            header, changed, public_pem
        ),
        "signature stripped": f"{_json_part(header)}.{_json_part(changed)}.",
        "kid swapped to attacker key": f"{_json_part({**header, 'kid': 'attacker'})}."
        f"{_json_part(changed)}.{signature}",
        "truncated": signing_input,
    }


def insecure_naive_verify(token: str, verification_key: bytes) -> dict[str, Any]:
    """INSECURE — the bug the post fixes. Trusts the token's own ``alg`` header to decide how
    to verify, and uses one configured key (a PEM) for whatever algorithm that is. This is
    how several pre-2015 JWT libraries behaved, and how hand-rolled verifiers still do."""
    header, payload = unverified_parts(token)
    signing_input, signature_b64 = token.rsplit(".", 1)
    signature = _b64url_decode(signature_b64)
    alg = header.get("alg")
    if alg == "none":
        return payload  # "no signature algorithm, so nothing to check"
    if alg == "HS256":
        expected = hmac.new(verification_key, signing_input.encode(), hashlib.sha256).digest()
        if hmac.compare_digest(expected, signature):
            return payload
        raise ValueError("bad HMAC signature")
    if alg == "EdDSA":
        public_key = serialization.load_pem_public_key(verification_key)
        if not isinstance(public_key, ed25519.Ed25519PublicKey):
            raise ValueError("not an Ed25519 key")
        try:
            public_key.verify(signature, signing_input.encode())
        except InvalidSignature as exc:
            raise ValueError("bad EdDSA signature") from exc
        return payload
    raise ValueError(f"unsupported alg {alg!r}")

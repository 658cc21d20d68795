"""Tests for englogs.tokens: pinned verification, rotation with reuse detection, revocation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import jwt
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from englogs.clock import FakeClock
from englogs.redis_local import local_redis
from englogs.tokens import (
    DEFAULT_LEEWAY_S,
    MAX_LEEWAY_S,
    AccessClaims,
    AccessTokenIssuer,
    AccessTokenVerifier,
    RedisRevocationList,
    RefreshRejected,
    RevocationList,
    SessionService,
    SigningKey,
    TokenRejected,
    attack_variants,
    forge_alg_none,
    forge_hmac_with_public_key,
    insecure_naive_verify,
    jwks_document,
    public_keys_from_jwks,
    unverified_parts,
)

ISS, AUD = "https://auth.example.test", "api"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate("k1")


@pytest.fixture
def revocations() -> RevocationList:
    return RevocationList()


@pytest.fixture
def issuer(key: SigningKey, clock: FakeClock) -> AccessTokenIssuer:
    return AccessTokenIssuer(key, issuer=ISS, audience=AUD, ttl_s=300, clock=clock)


@pytest.fixture
def verifier(key: SigningKey, clock: FakeClock, revocations: RevocationList) -> AccessTokenVerifier:
    return AccessTokenVerifier(
        {key.kid: key.public_key}, issuer=ISS, audience=AUD, revocations=revocations, clock=clock
    )


def _reason(verifier: AccessTokenVerifier, token: str) -> str:
    with pytest.raises(TokenRejected) as info:
        verifier.verify(token)
    return info.value.reason


def test_round_trip(issuer: AccessTokenIssuer, verifier: AccessTokenVerifier) -> None:
    claims = verifier.verify(issuer.issue("alice", ["editor"], sid="s1", sv=0))
    assert (claims.sub, claims.roles, claims.sid, claims.sv) == ("alice", ("editor",), "s1", 0)
    assert claims.exp - claims.iat == 300


def test_expiry_uses_injected_clock(
    issuer: AccessTokenIssuer, verifier: AccessTokenVerifier, clock: FakeClock
) -> None:
    token = issuer.issue("alice", [], sid="s1", sv=0)
    clock.now += 300 + DEFAULT_LEEWAY_S - 1  # exp plus the default leeway
    verifier.verify(token)
    clock.now += 1
    assert _reason(verifier, token) == "expired"


def test_leeway_accepts_small_skew_only(
    key: SigningKey, issuer: AccessTokenIssuer, clock: FakeClock
) -> None:
    """Regression: with leeway 0, a verifier 2 s behind the issuer refused fresh tokens."""
    token = issuer.issue("alice", [], sid="s1", sv=0)
    behind = FakeClock(clock.now - 2)
    strict = AccessTokenVerifier({key.kid: key.public_key}, issuer=ISS, audience=AUD,
                                 leeway_s=0, clock=behind)  # fmt: skip
    default = AccessTokenVerifier({key.kid: key.public_key}, issuer=ISS, audience=AUD, clock=behind)
    assert _reason(strict, token) == "issued-in-future"
    default.verify(token)
    behind.now = clock.now - DEFAULT_LEEWAY_S - 1  # skew beyond the leeway is still refused
    assert _reason(default, token) == "issued-in-future"
    for bad in (-1, MAX_LEEWAY_S + 1):
        with pytest.raises(ValueError, match="leeway_s"):
            AccessTokenVerifier({key.kid: key.public_key}, issuer=ISS, audience=AUD, leeway_s=bad)


def test_token_from_the_future_rejected(
    issuer: AccessTokenIssuer, verifier: AccessTokenVerifier, clock: FakeClock
) -> None:
    token = issuer.issue("alice", [], sid="s1", sv=0)
    clock.now -= DEFAULT_LEEWAY_S + 1
    assert _reason(verifier, token) == "issued-in-future"


def test_wrong_audience_issuer_and_unknown_kid(
    key: SigningKey, clock: FakeClock, verifier: AccessTokenVerifier
) -> None:
    other_aud = AccessTokenIssuer(key, issuer=ISS, audience="billing", clock=clock)
    other_iss = AccessTokenIssuer(key, issuer="https://evil.test", audience=AUD, clock=clock)
    stranger = AccessTokenIssuer(SigningKey.generate("k1"), issuer=ISS, audience=AUD, clock=clock)
    unknown = AccessTokenIssuer(SigningKey.generate("k9"), issuer=ISS, audience=AUD, clock=clock)
    assert _reason(verifier, other_aud.issue("a", [], sid="s", sv=0)) == "wrong-audience"
    assert _reason(verifier, other_iss.issue("a", [], sid="s", sv=0)) == "wrong-issuer"
    assert _reason(verifier, stranger.issue("a", [], sid="s", sv=0)) == "bad-signature"
    assert _reason(verifier, unknown.issue("a", [], sid="s", sv=0)) == "unknown-kid"


def test_missing_claim_and_wrong_typ(
    key: SigningKey, verifier: AccessTokenVerifier, clock: FakeClock
) -> None:
    now = int(clock())
    base = {"iss": ISS, "aud": AUD, "sub": "a", "iat": now, "exp": now + 60, "jti": "j"}
    no_sid = jwt.encode(
        {**base, "sv": 0, "roles": []}, key.private_key, "EdDSA", {"kid": "k1", "typ": "at+jwt"}
    )
    assert _reason(verifier, no_sid) == "missing-claim"
    full = {**base, "sid": "s", "sv": 0, "roles": []}
    id_token = jwt.encode(full, key.private_key, "EdDSA", {"kid": "k1", "typ": "JWT"})
    assert _reason(verifier, id_token) == "wrong-token-type"
    bool_sv = jwt.encode(
        {**full, "sv": True}, key.private_key, "EdDSA", {"kid": "k1", "typ": "at+jwt"}
    )
    assert _reason(verifier, bool_sv) == "malformed-claims"


def test_attacks_refused_by_pinned_verifier_but_two_fool_the_naive_one(
    key: SigningKey, issuer: AccessTokenIssuer, verifier: AccessTokenVerifier
) -> None:
    token = issuer.issue("mallory", ["viewer"], sid="s1", sv=0)
    variants = attack_variants(token, key.public_pem())
    pinned_ok, naive_ok = {}, {}
    for name, forged in variants.items():
        try:
            pinned_ok[name] = verifier.verify(forged).roles
        except TokenRejected:
            pinned_ok[name] = None
        try:
            naive_ok[name] = insecure_naive_verify(forged, key.public_pem())["roles"]
        except ValueError:
            naive_ok[name] = None
    assert pinned_ok == {n: (("viewer",) if n.startswith("unmodified") else None) for n in variants}
    assert naive_ok["alg: none"] == ["admin"]
    assert naive_ok["alg: HS256 signed with public key"] == ["admin"]
    assert naive_ok["payload edited, signature kept"] is None
    assert naive_ok["unmodified (control)"] == ["viewer"]


def test_pyjwt_itself_refuses_pem_as_hmac_secret(key: SigningKey) -> None:
    forged = forge_hmac_with_public_key({"kid": "k1"}, {"sub": "x"}, key.public_pem())
    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(forged, key.public_pem(), algorithms=["EdDSA", "HS256"])
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(forge_alg_none({}, {"sub": "x"}), key.public_key, algorithms=["EdDSA"])


def test_unverified_parts(issuer: AccessTokenIssuer) -> None:
    header, payload = unverified_parts(issuer.issue("alice", ["x"], sid="s", sv=3))
    assert header["alg"] == "EdDSA" and header["kid"] == "k1" and header["typ"] == "at+jwt"
    assert payload["sv"] == 3


def test_revocation_list_by_jti_sid_and_version(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    t1 = issuer.issue("alice", [], sid="s1", sv=0)
    t2 = issuer.issue("alice", [], sid="s2", sv=0)
    t3 = issuer.issue("bob", [], sid="s3", sv=0)
    revocations.revoke_token(verifier.verify(t1).jti, until=clock() + 300)
    assert _reason(verifier, t1) == "revoked-token"
    verifier.verify(t2)
    revocations.revoke_session("s2", until=clock() + 300)
    assert _reason(verifier, t2) == "revoked-session"
    assert revocations.bump_user_version("bob") == 1
    assert _reason(verifier, t3) == "stale-session-version"
    verifier.verify(issuer.issue("bob", [], sid="s4", sv=1))
    assert len(revocations) == 2
    clock.now += 301
    assert revocations.prune(clock()) == 2 and len(revocations) == 0


def _service(
    issuer: AccessTokenIssuer,
    revocations: RevocationList,
    clock: FakeClock,
    directory: dict[str, Sequence[str] | None],
    events: list[tuple[str, dict[str, Any]]],
) -> SessionService:
    return SessionService(
        issuer,
        revocations,
        directory.get,
        refresh_ttl_s=3600,
        max_session_s=7200,
        clock=clock,
        on_event=lambda name, fields: events.append((name, dict(fields))),
    )


def test_rotation_and_reuse_detection_kill_the_family(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    service = _service(issuer, revocations, clock, {"alice": ["editor"]}, events)
    first = service.login("alice")
    stolen = first.refresh_token
    second = service.refresh(first.refresh_token)  # victim rotates
    assert second.refresh_token != stolen and second.session_id == first.session_id
    third = service.refresh(second.refresh_token)
    verifier.verify(third.access_token)
    with pytest.raises(RefreshRejected) as info:
        service.refresh(stolen)  # attacker replays the old one
    assert info.value.reason == "reuse-detected"
    assert events[-1][0] == "refresh_reuse_detected"
    with pytest.raises(RefreshRejected) as info:
        service.refresh(third.refresh_token)  # the legitimate current token is dead too
    assert info.value.reason == "revoked"
    assert _reason(verifier, third.access_token) == "revoked-session"
    other = service.login("alice")  # a fresh login still works
    verifier.verify(service.refresh(other.refresh_token).access_token)


def test_refresh_expiry_absolute_cap_unknown_and_disabled(
    issuer: AccessTokenIssuer, revocations: RevocationList, clock: FakeClock
) -> None:
    directory: dict[str, Sequence[str] | None] = {"alice": ["editor"]}
    service = _service(issuer, revocations, clock, directory, [])
    with pytest.raises(RefreshRejected, match="unknown"):
        service.refresh("not-a-token")
    pair = service.login("alice")
    clock.now += 3601
    with pytest.raises(RefreshRejected, match="expired"):
        service.refresh(pair.refresh_token)
    pair = service.login("alice")  # sliding 1 h window, but the session is capped at 2 h
    clock.now += 2500
    pair = service.refresh(pair.refresh_token)
    clock.now += 2500
    pair = service.refresh(pair.refresh_token)  # would slide to +6100 s, capped at +7200 s
    clock.now += 2201
    with pytest.raises(RefreshRejected, match="expired"):
        service.refresh(pair.refresh_token)
    pair = service.login("alice")
    directory["alice"] = None
    with pytest.raises(RefreshRejected, match="account-disabled"):
        service.refresh(pair.refresh_token)
    with pytest.raises(RefreshRejected, match="account-disabled"):
        service.login("alice")


def test_roles_reread_on_refresh_and_logout_everywhere(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    directory: dict[str, Sequence[str] | None] = {"alice": ["admin"]}
    service = _service(issuer, revocations, clock, directory, [])
    laptop, phone = service.login("alice"), service.login("alice")
    directory["alice"] = ["viewer"]
    laptop = service.refresh(laptop.refresh_token)
    assert verifier.verify(laptop.access_token).roles == ("viewer",)
    service.logout_everywhere("alice")
    for pair in (laptop, phone):
        assert _reason(verifier, pair.access_token) in {"revoked-session", "stale-session-version"}
        with pytest.raises(RefreshRejected, match="revoked"):
            service.refresh(pair.refresh_token)
    fresh = service.login("alice")
    assert verifier.verify(fresh.access_token).sv == 1


def test_logout_kills_one_session_only(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    service = _service(issuer, revocations, clock, {"alice": []}, [])
    a, b = service.login("alice"), service.login("alice")
    service.logout(a.session_id)
    assert _reason(verifier, a.access_token) == "revoked-session"
    verifier.verify(b.access_token)
    service.refresh(b.refresh_token)


def test_bad_configuration_rejected(key: SigningKey) -> None:
    with pytest.raises(ValueError):
        AccessTokenIssuer(key, issuer=ISS, audience=AUD, ttl_s=0)
    with pytest.raises(ValueError):
        AccessTokenVerifier({}, issuer=ISS, audience=AUD)


def test_malformed_token(verifier: AccessTokenVerifier) -> None:
    assert _reason(verifier, "not.a.jwt") == "malformed"
    assert _reason(verifier, "garbage") == "malformed"


def test_revoked_session_stays_revoked_through_the_leeway(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    service = _service(issuer, revocations, clock, {"alice": []}, [])
    pair = service.login("alice")
    service.logout(pair.session_id)
    for offset in (0, 299, 300 + DEFAULT_LEEWAY_S - 1):  # up to the last accepted second
        clock.now = 1_700_000_000.0 + offset
        assert _reason(verifier, pair.access_token) == "revoked-session", offset
    clock.now += 1
    assert _reason(verifier, pair.access_token) == "expired"


def test_thief_refreshes_first_then_victim_trips_reuse_detection(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    service = _service(issuer, revocations, clock, {"alice": ["editor"]}, events)
    victim = service.login("alice")
    thief = service.refresh(victim.refresh_token)  # the copy is used first
    thief = service.refresh(thief.refresh_token)
    with pytest.raises(RefreshRejected, match="reuse-detected"):
        service.refresh(victim.refresh_token)  # the victim's client comes back
    assert [name for name, _ in events].count("refresh_reuse_detected") == 1
    assert _reason(verifier, thief.access_token) == "revoked-session"
    with pytest.raises(RefreshRejected, match="revoked"):
        service.refresh(thief.refresh_token)


def test_thief_alone_is_bounded_by_the_absolute_lifetime(
    issuer: AccessTokenIssuer, revocations: RevocationList, clock: FakeClock
) -> None:
    service = _service(issuer, revocations, clock, {"alice": []}, [])  # idle 1 h, absolute 2 h
    start = clock.now
    pair = service.login("alice")
    refreshes = 0
    with pytest.raises(RefreshRejected, match="expired"):
        while True:
            clock.now += 280
            pair = service.refresh(pair.refresh_token)
            refreshes += 1
    assert clock.now - start > 7200 - 280 and clock.now - start <= 7200 + 280
    assert refreshes == 7200 // 280


def test_bound_family_refuses_a_thief_without_the_key(
    issuer: AccessTokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    clock: FakeClock,
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    service = _service(issuer, revocations, clock, {"alice": []}, events)
    victim = service.login("alice", jkt="victim-thumbprint")
    victim = service.refresh(victim.refresh_token, jkt="victim-thumbprint")
    for thief_jkt in (None, "thief-thumbprint"):
        stolen = service.login("alice", jkt="victim-thumbprint")
        with pytest.raises(RefreshRejected, match="binding-mismatch"):
            service.refresh(stolen.refresh_token, jkt=thief_jkt)
        assert _reason(verifier, stolen.access_token) == "revoked-session"
    assert [name for name, _ in events].count("refresh_binding_mismatch") == 2
    service.refresh(victim.refresh_token, jkt="victim-thumbprint")  # other families unharmed
    with pytest.raises(ValueError):
        SessionService(issuer, revocations, {}.get, refresh_ttl_s=10, max_session_s=5)


def test_jwks_rotation_verifies_old_tokens_until_the_old_key_leaves(
    clock: FakeClock,
) -> None:
    old, new = SigningKey.generate("2025-09"), SigningKey.generate("2025-10")
    old_token = AccessTokenIssuer(old, issuer=ISS, audience=AUD, clock=clock).issue(
        "a", [], sid="s", sv=0
    )
    new_token = AccessTokenIssuer(new, issuer=ISS, audience=AUD, clock=clock).issue(
        "a", [], sid="s", sv=0
    )
    both = jwks_document([old, new])
    assert [k["kid"] for k in both["keys"]] == ["2025-09", "2025-10"]
    assert "d" not in both["keys"][0]  # never the private half
    during = AccessTokenVerifier(public_keys_from_jwks(both), issuer=ISS, audience=AUD, clock=clock)
    during.verify(old_token)
    during.verify(new_token)
    after = AccessTokenVerifier(
        public_keys_from_jwks(jwks_document([new])), issuer=ISS, audience=AUD, clock=clock
    )
    assert _reason(after, old_token) == "unknown-kid"
    after.verify(new_token)
    rsa_only = {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}
    assert public_keys_from_jwks(rsa_only) == {}  # a symmetric key is never accepted
    with pytest.raises(ValueError, match="unusable JWKS"):
        public_keys_from_jwks({"keys": []})


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    with local_redis() as server:
        yield server.client


def test_redis_revocation_list_ttl_is_remaining_lifetime(
    issuer: AccessTokenIssuer, clock: FakeClock, redis_client: redis.Redis
) -> None:
    deny = RedisRevocationList(redis_client, clock=clock)
    verifier = AccessTokenVerifier(
        {issuer.key.kid: issuer.key.public_key}, issuer=ISS, audience=AUD, revocations=deny,
        clock=clock,
    )  # fmt: skip
    t1, t2 = (issuer.issue("alice", [], sid=s, sv=0) for s in ("s1", "s2"))
    t3 = issuer.issue("bob", [], sid="s3", sv=0)
    deny.revoke_token(verifier.verify(t1).jti, until=clock() + 300)
    deny.revoke_session("s2", until=clock() + 120)
    deny.revoke_token("long-gone", until=clock() - 5)  # expired: no key written
    assert _reason(verifier, t1) == "revoked-token"
    assert _reason(verifier, t2) == "revoked-session"
    assert deny.bump_user_version("bob") == 1 and deny.user_version("bob") == 1
    assert _reason(verifier, t3) == "stale-session-version"
    assert redis_client.dbsize() == 3  # jti, sid, bob's version
    assert 299_000 < redis_client.pttl("deny:jti:" + verifier_jti(t1)) <= 300_001
    assert 119_000 < redis_client.pttl("deny:sid:s2") <= 120_001


def verifier_jti(token: str) -> str:
    return str(unverified_parts(token)[1]["jti"])


def test_redis_revocation_list_fails_closed_or_open() -> None:
    dead = redis.Redis(unix_socket_path="/nonexistent/redis.sock", retry=Retry(NoBackoff(), 0))
    claims = AccessClaims("a", (), "s", 0, "j", 0, 1)
    errors: list[Exception] = []
    closed = RedisRevocationList(dead, on_error=errors.append)
    opened = RedisRevocationList(dead, fail_open=True, on_error=errors.append)
    assert closed.check(claims, 0.0) == "revocation-unavailable"
    assert opened.check(claims, 0.0) is None
    assert len(errors) == 2 and all(isinstance(e, redis.ConnectionError) for e in errors)

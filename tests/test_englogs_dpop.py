"""Tests for englogs.dpop: RFC 9449 proofs, each refusal, replay on memory and on Redis."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from englogs.clock import FakeClock
from englogs.dpop import (
    DPoPKey,
    DPoPRejected,
    DPoPVerifier,
    MemoryReplayCache,
    RedisReplayCache,
    access_token_hash,
    jwk_thumbprint,
    normalize_htu,
)
from englogs.redis_local import local_redis
from englogs.tokens import AccessTokenIssuer, AccessTokenVerifier, SigningKey, TokenRejected

NOW = 1_700_000_000.0
URL = "https://api.example.test/orders"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def verifier(clock: FakeClock) -> DPoPVerifier:
    return DPoPVerifier(MemoryReplayCache(clock), clock=clock)


def _reason(verifier: DPoPVerifier, proof: str | None, **kwargs: object) -> str:
    kwargs = {"htm": "POST", "htu": URL, **kwargs}
    with pytest.raises(DPoPRejected) as info:
        verifier.verify(proof, **kwargs)  # type: ignore[arg-type]
    return info.value.reason


def test_thumbprint_matches_rfc9449_example() -> None:
    # RFC 9449 section 6.1: the example proof's EC key and its jkt.
    jwk = {
        "kty": "EC",
        "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
        "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
        "crv": "P-256",
    }
    assert jwk_thumbprint(jwk) == "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    assert jwk_thumbprint({**jwk, "kid": "x", "use": "sig"}) == jwk_thumbprint(jwk)  # extras
    with pytest.raises(ValueError):
        jwk_thumbprint({"kty": "RSA", "n": "AQAB", "e": "AQAB"})  # we only bind EC/OKP keys
    with pytest.raises(ValueError):
        jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": "AA"})  # incomplete
    key = DPoPKey.generate()
    assert key.thumbprint() == jwk_thumbprint(key.public_jwk())


def test_valid_proof_with_bound_access_token(verifier: DPoPVerifier, clock: FakeClock) -> None:
    client = DPoPKey.generate()
    signing = SigningKey.generate("k1")
    issuer = AccessTokenIssuer(signing, issuer="i", audience="a", clock=clock)
    token = issuer.issue("alice", [], sid="s", sv=0, jkt=client.thumbprint())
    claims = AccessTokenVerifier(
        {"k1": signing.public_key}, issuer="i", audience="a", clock=clock
    ).verify(token)
    assert claims.jkt == client.thumbprint()
    proof = client.proof("POST", URL + "?page=2", access_token=token, now=clock.now)
    assert verifier.verify(proof, htm="POST", htu=URL, access_token=token, expected_jkt=claims.jkt)
    assert _reason(verifier, proof, access_token=token, expected_jkt=claims.jkt) == "replayed"


def test_every_refusal(verifier: DPoPVerifier, clock: FakeClock) -> None:
    client, thief = DPoPKey.generate(), DPoPKey.generate()
    token, other_token = "header.payload.sig", "header.other.sig"
    bound = {"access_token": token, "expected_jkt": client.thumbprint()}
    now = clock.now
    ok = client.proof("POST", URL, access_token=token, now=now)
    cases = {
        "missing-proof": (None, bound),
        "malformed": ("not-a-jwt", bound),
        "key-mismatch": (thief.proof("POST", URL, access_token=token, now=now), bound),
        "wrong-method": (client.proof("GET", URL, access_token=token, now=now), bound),
        "wrong-url": (client.proof("POST", URL + "/1", access_token=token, now=now), bound),
        "stale": (client.proof("POST", URL, access_token=token, now=now - 61), bound),
        "bad-iat": (client.proof("POST", URL, access_token=token, now=now + 60), bound),
        "wrong-access-token": (client.proof("POST", URL, access_token=other_token, now=now), bound),
    }
    for want, (proof, kwargs) in cases.items():
        assert _reason(verifier, proof, **kwargs) == want, want
    assert verifier.verify(ok, htm="POST", htu=URL, **bound) == client.thumbprint()
    header = {"typ": "dpop+jwt", "jwk": client.public_jwk()}
    claims = {"jti": "j", "htm": "POST", "htu": URL, "iat": int(now)}
    hs = jwt.encode(claims, "secret-that-is-long-enough-32-bytes", "HS256", header)
    assert _reason(verifier, hs) == "algorithm-not-allowed"
    untyped = jwt.encode(claims, client.private_key, "ES256", {"jwk": client.public_jwk()})
    assert _reason(verifier, untyped) == "wrong-type"
    private_jwk = jwt.algorithms.ECAlgorithm.to_jwk(client.private_key, as_dict=True)
    leaky = jwt.encode(claims, client.private_key, "ES256", {**header, "jwk": private_jwk})
    assert _reason(verifier, leaky) == "bad-jwk"
    swapped = jwt.encode(claims, thief.private_key, "ES256", header)  # jwk says client's key
    assert _reason(verifier, swapped) == "bad-signature"


def test_refused_proof_does_not_burn_its_jti(verifier: DPoPVerifier, clock: FakeClock) -> None:
    client = DPoPKey.generate()
    proof = client.proof("POST", URL, now=clock.now, jti="once")
    assert _reason(verifier, proof, htm="GET") == "wrong-method"
    verifier.verify(proof, htm="POST", htu=URL)


def test_htu_normalisation() -> None:
    assert normalize_htu("HTTPS://API.example.test:443/a?q=1#f") == "https://api.example.test/a"
    assert normalize_htu("http://h:8080") == "http://h:8080/"
    with pytest.raises(ValueError):
        normalize_htu("ftp://h/x")
    assert access_token_hash("abc") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"


def test_replay_cache_on_real_redis() -> None:
    with local_redis() as server:
        r = server.client
        cache = RedisReplayCache(r)
        assert cache.first_use("jti-1", 60) and not cache.first_use("jti-1", 60)
        assert cache.first_use("jti-2", 60)
        assert r.dbsize() == 2 and 0 < r.pttl(r.keys("dpop-jti:*")[0]) <= 60_000


def test_bad_configuration() -> None:
    with pytest.raises(ValueError):
        DPoPVerifier(MemoryReplayCache(), max_age_s=0)


def test_bearer_use_of_bound_token_is_still_a_valid_jwt(clock: FakeClock) -> None:
    """The access-token verifier alone cannot stop bearer use: the caller must demand a proof
    whenever ``claims.jkt`` is set. This pins that contract."""
    signing = SigningKey.generate("k1")
    token = AccessTokenIssuer(signing, issuer="i", audience="a", clock=clock).issue(
        "alice", [], sid="s", sv=0, jkt="thumb"
    )
    verifier = AccessTokenVerifier(
        {"k1": signing.public_key}, issuer="i", audience="a", clock=clock
    )
    assert verifier.verify(token).jkt == "thumb"
    bad = AccessTokenIssuer(signing, issuer="i", audience="a", clock=clock).issue(
        "alice", [], sid="s", sv=0
    )
    assert verifier.verify(bad).jkt is None
    forged = jwt.encode(
        {**jwt.decode(bad, options={"verify_signature": False}), "cnf": "x"},
        signing.private_key,
        "EdDSA",
        {"kid": "k1", "typ": "at+jwt"},
    )
    with pytest.raises(TokenRejected, match="malformed-claims"):
        verifier.verify(forged)


def test_hostile_headers_and_claims_are_refused_not_crashed(
    verifier: DPoPVerifier, clock: FakeClock
) -> None:
    """Regression: an ES256 header over an Ed25519 jwk raised TypeError; an empty jti passed."""
    client, ed = DPoPKey.generate(), ed25519.Ed25519PrivateKey.generate()
    ed_jwk = jwt.algorithms.OKPAlgorithm.to_jwk(ed.public_key(), as_dict=True)
    claims = {"jti": "j", "htm": "POST", "htu": URL, "iat": int(clock.now)}

    def raw(header: dict[str, object], body: object, sign: Callable[[bytes], bytes]) -> str:
        part = [
            base64.urlsafe_b64encode(json.dumps(x).encode()).rstrip(b"=") for x in (header, body)
        ]
        signing_input = b".".join(part)
        return (
            signing_input + b"." + base64.urlsafe_b64encode(sign(signing_input)).rstrip(b"=")
        ).decode()

    mismatched = raw({"typ": "dpop+jwt", "alg": "ES256", "jwk": ed_jwk}, claims, ed.sign)
    assert _reason(verifier, mismatched) == "bad-jwk"
    p384 = ec.generate_private_key(ec.SECP384R1())
    p384_jwk = jwt.algorithms.ECAlgorithm.to_jwk(p384.public_key(), as_dict=True)
    wrong_curve = raw({"typ": "dpop+jwt", "alg": "ES256", "jwk": p384_jwk}, claims, lambda m: b"x")
    assert _reason(verifier, wrong_curve) == "bad-jwk"
    header = {"typ": "dpop+jwt", "jwk": client.public_jwk()}
    for bad in ({"jti": ""}, {"jti": "x" * 257}, {"iat": str(int(clock.now))}, {"htu": 5},
                {"htm": ["POST"]}, {"iat": True}):  # fmt: skip
        proof = jwt.encode({**claims, **bad}, client.private_key, "ES256", header)
        assert _reason(verifier, proof) in {"invalid-claims", "bad-iat", "wrong-url",
                                            "wrong-method"}, bad  # fmt: skip
    ed_ok = jwt.encode(claims, ed, "EdDSA", {"typ": "dpop+jwt", "jwk": ed_jwk})
    assert verifier.verify(ed_ok, htm="POST", htu=URL) == jwk_thumbprint(ed_jwk)

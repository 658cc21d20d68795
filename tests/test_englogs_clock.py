"""englogs.clock: the fake clock moves only when told, and drives token expiry without sleeping."""

from __future__ import annotations

import pytest

from englogs.clock import FakeClock
from englogs.tokens import AccessTokenIssuer, AccessTokenVerifier, SigningKey, TokenRejected


def test_fake_clock_returns_what_it_is_set_to() -> None:
    clock = FakeClock(100.0)
    assert clock() == clock() == 100.0
    clock.now += 2.5
    assert clock() == 102.5
    assert FakeClock()() == 1_750_000_000.0


def test_fake_clock_drives_expiry_in_the_code_that_reads_it() -> None:
    clock, key = FakeClock(), SigningKey.generate("k1")
    issuer = AccessTokenIssuer(key, issuer="https://i.test", audience="api", ttl_s=60, clock=clock)
    verifier = AccessTokenVerifier(
        {key.kid: key.public_key}, issuer="https://i.test", audience="api", leeway_s=0, clock=clock
    )
    token = issuer.issue("alice", [], sid="s1", sv=0)
    clock.now += 59
    assert verifier.verify(token).sub == "alice"
    clock.now += 2
    with pytest.raises(TokenRejected) as rejected:
        verifier.verify(token)
    assert rejected.value.reason == "expired"

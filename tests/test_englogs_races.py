"""Tests for englogs.races: forced interleavings on a real SQLite file, counted, not timed."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from englogs.races import (
    ACCOUNT_SCHEMA,
    REFRESH_SCHEMA,
    InsufficientFunds,
    connect,
    insecure_rotate_check_then_act,
    insecure_withdraw_check_then_act,
    rotate_once,
    run_concurrently,
    withdraw,
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "race.db")
    conn = connect(path)
    conn.executescript(REFRESH_SCHEMA + ACCOUNT_SCHEMA)
    conn.execute("INSERT INTO refresh_tokens (token_hash, family) VALUES ('h0', 'fam')")
    conn.execute("INSERT INTO accounts VALUES ('acct', 10000)")
    conn.close()
    return path


def _count(path: str, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("racers", [2, 4])
def test_check_then_act_rotation_forks_the_family(db: str, racers: int) -> None:
    barrier = threading.Barrier(racers, timeout=10)
    conns = [connect(db) for _ in range(racers)]
    results = run_concurrently(
        [
            lambda c=c, i=i: insecure_rotate_check_then_act(c, "h0", f"h{i + 1}", barrier.wait)
            for i, c in enumerate(conns)
        ]
    )
    assert results == [True] * racers  # every racer got a successor
    assert _count(db, "SELECT COUNT(*) FROM refresh_tokens WHERE used = 0") == racers


@pytest.mark.parametrize("racers", [2, 4])
def test_conditional_update_rotates_once(db: str, racers: int) -> None:
    barrier = threading.Barrier(racers, timeout=10)
    conns = [connect(db) for _ in range(racers)]
    results = run_concurrently(
        [
            lambda c=c, i=i: rotate_once(c, "h0", f"h{i + 1}", barrier.wait)
            for i, c in enumerate(conns)
        ]
    )
    assert sorted(results) == [False] * (racers - 1) + [True]
    assert _count(db, "SELECT COUNT(*) FROM refresh_tokens WHERE used = 0") == 1
    assert _count(db, "SELECT COUNT(DISTINCT family) FROM refresh_tokens") == 1
    assert rotate_once(conns[0], "h0", "again") is False  # a later replay: reuse
    assert rotate_once(conns[0], "unknown", "x") is False


def test_check_then_act_withdrawal_overdraws(db: str) -> None:
    barrier = threading.Barrier(2, timeout=10)
    conns = [connect(db) for _ in range(2)]
    results = run_concurrently(
        [lambda c=c: insecure_withdraw_check_then_act(c, "acct", 8000, barrier.wait) for c in conns]
    )
    assert results == [8000, 8000]  # 16,000 paid from 10,000
    assert _count(db, "SELECT balance FROM accounts") == 2000  # lost update: looks fine!


def test_conditional_withdrawal_never_overdraws(db: str) -> None:
    barrier = threading.Barrier(2, timeout=10)
    conns = [connect(db) for _ in range(2)]
    results = run_concurrently([lambda c=c: withdraw(c, "acct", 8000, barrier.wait) for c in conns])
    assert sorted(map(repr, results)) == [repr(8000), repr(InsufficientFunds("acct"))]
    assert _count(db, "SELECT balance FROM accounts") == 2000
    with pytest.raises(ValueError):
        withdraw(conns[0], "acct", 0)
    with pytest.raises(InsufficientFunds):
        withdraw(conns[0], "nobody", 1)
    with pytest.raises(InsufficientFunds):
        insecure_withdraw_check_then_act(conns[0], "acct", 2001)


def test_run_concurrently_reports_exceptions() -> None:
    def boom() -> int:
        raise KeyError("x")

    results = run_concurrently([lambda: 1, boom])
    assert results[0] == 1 and isinstance(results[1], KeyError)

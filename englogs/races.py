"""Check-then-act races on a real SQLite database, and the conditional writes that fix them.

Two posts use this: the JWT post (two requests presenting the same refresh token at once)
and the security-mistakes post (two withdrawals from one account at once). In both, the bug
is the same: a decision made on a value read earlier, written back later. The fix is the
same too: make the write itself conditional (``UPDATE ... WHERE <condition still holds>``)
and look at ``rowcount``.

Each ``insecure_*`` function takes a ``between`` hook called after its read and before its
write; tests and posts pass a barrier there, which forces the interleaving that production
only hits under load, so the race is reproduced every time instead of once in a while. The
safe versions accept the same hook (before their write) to show that no interleaving breaks
them. :func:`run_concurrently` starts the racers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Hook = Callable[[], object]


def _nothing() -> None:
    return None


def connect(path: str) -> sqlite3.Connection:
    """A connection per racer: autocommit (explicit BEGIN), wait up to 10 s for a lock."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def run_concurrently(fns: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    """Run each function in its own thread; results (or the exception raised) in order."""
    results: list[T | BaseException] = [RuntimeError("did not run")] * len(fns)

    def run(i: int) -> None:
        try:
            results[i] = fns[i]()
        except BaseException as exc:  # reported to the caller, never lost in a thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# --- refresh-token rotation ---------------------------------------------------------------

REFRESH_SCHEMA = """
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family     TEXT NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))
);
"""


def insecure_rotate_check_then_act(
    conn: sqlite3.Connection, old_hash: str, new_hash: str, between: Hook = _nothing
) -> bool:
    """INSECURE: reads ``used``, decides, then writes. Two callers that both read ``used = 0``
    both issue a successor: the family forks, and reuse detection never fires."""
    row = conn.execute(
        "SELECT family, used FROM refresh_tokens WHERE token_hash = ?", (old_hash,)
    ).fetchone()
    if row is None or row[1]:
        return False
    between()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?", (old_hash,))
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family) VALUES (?, ?)", (new_hash, row[0])
    )
    conn.execute("COMMIT")
    return True


def rotate_once(
    conn: sqlite3.Connection, old_hash: str, new_hash: str, between: Hook = _nothing
) -> bool:
    """Marks ``old_hash`` used and stores its successor, or returns False if it was already
    used (reuse: the caller revokes the family) or unknown. The ``UPDATE ... WHERE used = 0``
    is the compare-and-set: whatever the interleaving, exactly one caller sees rowcount 1."""
    between()
    conn.execute("BEGIN IMMEDIATE")
    try:
        claimed = conn.execute(
            "UPDATE refresh_tokens SET used = 1 WHERE token_hash = ? AND used = 0", (old_hash,)
        ).rowcount
        if claimed == 1:
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, family) "
                "SELECT ?, family FROM refresh_tokens WHERE token_hash = ?",
                (new_hash, old_hash),
            )
        conn.execute("COMMIT")
    except sqlite3.Error:
        conn.execute("ROLLBACK")
        raise
    return claimed == 1


# --- double spend -------------------------------------------------------------------------

ACCOUNT_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id      TEXT PRIMARY KEY,
    balance INTEGER NOT NULL  -- cents; no CHECK constraint, as in many real schemas
);
"""


class InsufficientFunds(Exception):
    pass


def insecure_withdraw_check_then_act(
    conn: sqlite3.Connection, account: str, cents: int, between: Hook = _nothing
) -> int:
    """INSECURE: checks the balance it read, then writes ``balance - cents`` computed from
    that stale read. Two withdrawals that both pass the check both pay out."""
    (balance,) = conn.execute("SELECT balance FROM accounts WHERE id = ?", (account,)).fetchone()
    if balance < cents:
        raise InsufficientFunds(account)
    between()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE accounts SET balance = ? WHERE id = ?", (balance - cents, account))
    conn.execute("COMMIT")
    return cents


def withdraw(conn: sqlite3.Connection, account: str, cents: int, between: Hook = _nothing) -> int:
    """Pays out ``cents`` or raises :class:`InsufficientFunds`. The check and the write are
    one statement, so no interleaving can spend the same money twice."""
    if cents <= 0:
        raise ValueError("amount must be positive")
    between()
    updated = conn.execute(
        "UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?",
        (cents, account, cents),
    ).rowcount
    if updated != 1:
        raise InsufficientFunds(account)
    return cents

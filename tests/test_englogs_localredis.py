"""Tests for englogs.localredis: a real server that starts, expires keys and stops."""

from __future__ import annotations

import time
from pathlib import Path

import psutil
import pytest

from englogs.localredis import local_redis


def test_real_server_round_trip_and_shutdown() -> None:
    with local_redis() as r:
        folders = [Path(r.socket_file).parent, Path(r.db).parent]
        pid = r.pid
        assert r.info("server")["redis_version"].startswith("6.")
        r.set("k", "v", px=60_000)
        assert r.get("k") == b"v" and 0 < r.pttl("k") <= 60_000
        assert psutil.pid_exists(pid)
    assert not any(folder.exists() for folder in folders)
    deadline = time.monotonic() + 5  # no timing claim: only waits for the process to exit
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "redis-server still running"
        time.sleep(0.05)


def test_server_stopped_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), local_redis() as r:
        folders = [Path(r.socket_file).parent, Path(r.db).parent]
        raise RuntimeError("boom")
    assert not any(folder.exists() for folder in folders)

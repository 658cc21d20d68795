"""englogs.redis_local: a real redis-server that starts, serves independent clients, and stops."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest
import redis

from englogs.redis_local import local_redis


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_server_is_real_redis_on_a_private_socket_and_is_stopped_after() -> None:
    with local_redis() as server:
        assert server.version.split(".")[0] >= "6"
        assert os.path.exists(server.socket_path)
        pid = server.client.pid
        gateway = server.connect(decode_responses=True)
        gateway.set("k", "v")
        assert server.client.get("k") == b"v"  # a second client sees the same data
        assert server.client.config_get("save") == {"save": ""}
        server.client.set("ttl", "v", px=60_000)
        assert 0 < server.client.pttl("ttl") <= 60_000  # a real server expires keys
        folders = [Path(server.data_dir), Path(server.socket_path).parent]
    assert not _alive(pid)
    assert not any(folder.exists() for folder in folders)
    with pytest.raises(redis.ConnectionError):
        gateway.ping()


def test_server_stops_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), local_redis({"maxmemory": "8mb"}) as server:
        assert server.client.config_get("maxmemory") == {"maxmemory": str(8 * 1024 * 1024)}
        pid = server.client.pid
        folders = [Path(server.data_dir), Path(server.socket_path).parent]
        raise RuntimeError("boom")
    assert not _alive(pid)
    assert not any(folder.exists() for folder in folders)


def test_own_client_fails_at_once_instead_of_retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    with local_redis() as server:
        client = server.client
    attempts = 0
    real_connect = redis.connection.UnixDomainSocketConnection._connect

    def counting_connect(self: redis.connection.UnixDomainSocketConnection) -> object:
        nonlocal attempts
        attempts += 1
        return real_connect(self)

    monkeypatch.setattr(redis.connection.UnixDomainSocketConnection, "_connect", counting_connect)
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert attempts == 1  # one try: redis-py's default retries with backoff (11 tries here)


def test_runs_lua_scripts() -> None:
    with local_redis() as server:
        incr = server.client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        assert incr(keys=["n"], args=[3]) == 3
        assert incr(keys=["n"], args=[4]) == 7

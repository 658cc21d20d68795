"""englogs.redis_local: a real redis-server that starts, serves independent clients, and stops."""

from __future__ import annotations

import os

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
        data_dir = server.data_dir
    assert not _alive(pid)
    assert not os.path.exists(data_dir)
    with pytest.raises(redis.ConnectionError):
        gateway.ping()


def test_server_stops_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), local_redis({"maxmemory": "8mb"}) as server:
        assert server.client.config_get("maxmemory") == {"maxmemory": str(8 * 1024 * 1024)}
        pid = server.client.pid
        raise RuntimeError("boom")
    assert not _alive(pid)


def test_runs_lua_scripts() -> None:
    with local_redis() as server:
        incr = server.client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        assert incr(keys=["n"], args=[3]) == 3
        assert incr(keys=["n"], args=[4]) == 7

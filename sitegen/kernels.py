"""The kernels sitegen starts talk over unix sockets in a private temporary folder.

Jupyter's default transport is TCP on 127.0.0.1, and ipykernel warns at every start
("Kernel is running over TCP without encryption"): twelve lines of noise in a cold build,
burying the lines an author needs. Unix sockets (ZeroMQ's ``ipc`` transport) in a folder
only this process can enter need no encryption, take no ports (two kernels starting at once
cannot race for the same one) and are reachable from nowhere else. The setting is passed to
nbclient as configuration, so nbclient still owns, starts and shuts down each kernel.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traitlets.config import Config


@contextmanager
def ipc_kernel_config() -> Iterator[Config]:
    """Configuration for one nbclient run: its kernel's sockets live in a temporary folder.

    ZeroMQ names the sockets ``<ip>-<port>``; a unix socket path must stay under 108 bytes,
    hence a short prefix in the system's temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="sitegen-kernel-") as folder:
        yield Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder) / "k")}})

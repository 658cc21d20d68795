"""The kernels sitegen starts talk over unix sockets in a private temporary folder.

Jupyter's default transport is TCP on 127.0.0.1, and ipykernel warns at every start
("Kernel is running over TCP without encryption"): twelve lines of noise in a cold build,
burying the lines an author needs. Unix sockets (ZeroMQ's ``ipc`` transport) in a folder
only this process can enter need no encryption, take no ports (two kernels starting at once
cannot race for the same one) and are reachable from nowhere else. The setting is passed to
nbclient as configuration, so nbclient still owns, starts and shuts down each kernel.

Shutting a kernel down: jupyter_client asks politely, waits half of ``shutdown_wait_time``
for the process to exit, sends SIGTERM, waits the other half, then kills it. ipykernel
7.4 exits within 0.1–0.2 s of the request, except that about one shutdown in eight it
never exits on its own (measured: 14 of 120 single-cell notebooks): with the default 5 s,
each of those cost 3.4 s after the notebook's last cell had run (2.5 s of waiting, then
0.9 s more closing channels), about a fifth of a 20-post cold build's execution time.
Two seconds leaves a well-behaved kernel ten times its usual exit time, even on a loaded
machine, and caps the stuck one at about 1 s. (Posts release what they start, such as a
Redis server, inside their cells, not in exit hooks: a kernel that is terminated loses
nothing.)
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from traitlets.config import Config

SHUTDOWN_WAIT_SECONDS = 2.0  # jupyter_client's default is 5.0: see the module docstring


@contextmanager
def ipc_kernel_config() -> Iterator[Config]:
    """Configuration for one nbclient run: its kernel's sockets live in a temporary folder.

    ZeroMQ names the sockets ``<ip>-<port>``; a unix socket path must stay under 108 bytes,
    hence a short prefix in the system's temporary folder.
    """
    with tempfile.TemporaryDirectory(prefix="sitegen-kernel-") as folder:
        manager = {
            "transport": "ipc",
            "ip": str(Path(folder) / "k"),
            "shutdown_wait_time": SHUTDOWN_WAIT_SECONDS,
        }
        yield Config({"KernelManager": manager})

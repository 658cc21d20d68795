"""Ctrl-C or SIGTERM stops the build and every process it started.

The build starts processes that outlive a plain interruption: the pool of spawned
executors, each executor's kernel (a grandchild: killing the executor alone orphans it),
multiprocessing's resource tracker and sphinx-sitemap's queue manager. While a build runs,
SIGINT and SIGTERM are handled here: every descendant is asked to stop (SIGTERM), the ones
still running after a grace period are killed, and the build ends with one line and the
conventional status (130 for SIGINT, 143 for SIGTERM). Executors ignore SIGINT (as kernels
do), so a terminal's Ctrl-C, sent to the whole process group, is handled here once. The
handlers are put back when the build finishes. What the next build needs is ensured
elsewhere: jupyter-cache only ever holds finished executions, and ``sitegen.publish``
rewrites every page after a build that did not finish.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

import psutil
from sphinx.application import Sphinx

GRACE_SECONDS = 3.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_descendants(grace: float = GRACE_SECONDS) -> list[int]:
    """Stop every process this one started, children of children included; their pids.

    The whole tree is listed before anything is signalled, so a kernel whose executor dies
    first is still known (and still stopped)."""
    me = psutil.Process()
    tree = me.children(recursive=True)
    for process in tree:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(tree, timeout=grace)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=grace)
    return [process.pid for process in tree]


class InterruptGuard:
    """Installs the handlers for one build (``builder-inited``) and restores the previous
    ones (``build-finished``)."""

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}

    def install(self, app: Sphinx) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers belong to the main thread (in-process test builds)
        for number in SIGNALS:
            self.previous[number] = signal.signal(number, self._handle)

    def restore(self, app: Sphinx, exception: BaseException | None) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        self.previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        for signum in SIGNALS:  # a second Ctrl-C must not interrupt the clean-up
            signal.signal(signum, signal.SIG_IGN)
        stopped = stop_descendants()
        name = signal.Signals(number).name
        print(
            f"Build interrupted by {name}; stopped {len(stopped)} process(es) it had started."
            " The next build rewrites every page.",
            file=sys.stderr,
            flush=True,
        )
        # Exit now: Python's clean-up would shut the executor pool down, whose finalizers
        # restart multiprocessing's resource tracker (a new orphan) and print its errors.
        # Nothing is lost: state files are written atomically, jupyter-cache's SQLite
        # journal keeps the cache whole, and the publish marker makes the next build whole.
        sys.stdout.flush()
        os._exit(128 + number)

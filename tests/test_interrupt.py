"""Ctrl-C or SIGTERM during a build stops every process it started; the next build is right."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from conftest import JUPYTER_BOOK, jupyter_book

pytestmark = pytest.mark.build

POST = "posts/queues-in-practice.md"
SLOW_CELL = "\n```{code-cell} ipython3\nimport time\ntime.sleep(300)\n```\n"


def _descendants_once_a_kernel_runs(process: subprocess.Popen[str]) -> list[psutil.Process]:
    """Every process under the build, taken once a kernel is executing the slow cell."""
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before a kernel started"
        tree = parent.children(recursive=True)
        if any("ipykernel" in " ".join(_cmdline(p)) for p in tree):
            time.sleep(1.0)  # let the pool, kernels and trackers all be up
            return parent.children(recursive=True)
        time.sleep(0.5)
    raise AssertionError("no kernel started within the wait")


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _running(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(_cmdline(process))[:120])
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_build_stops_everything_it_started(book: Path, signum: int) -> None:
    post = book / POST
    good = post.read_text(encoding="utf-8")
    post.write_text(good + SLOW_CELL, encoding="utf-8")
    process = subprocess.Popen(
        [JUPYTER_BOOK, "build", str(book)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so a failing test can still clean up the whole group
    )
    try:
        started = _descendants_once_a_kernel_runs(process)
        kinds = " ".join(" ".join(_cmdline(p)) for p in started)
        assert "ipykernel" in kinds and "multiprocessing" in kinds, kinds
        process.send_signal(signum)  # to the build only, as kill or a service manager does
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 128 + signum, output[-2000:]
        assert f"Build interrupted by {signal.Signals(signum).name}" in output
        assert "Traceback" not in output
        psutil.wait_procs(started, timeout=10)
        assert _running(started) == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    post.write_text(good, encoding="utf-8")
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = (book / "_build" / "html" / POST.replace(".md", ".html")).read_text(encoding="utf-8")
    assert "time.sleep(300)" not in page

#!/usr/bin/env python3
"""Cold builds of the real site while a CPU hog keeps every core busy: do the claims hold?

    python benchmarks/under_load.py            # 5 cold builds, 2 hog processes
    python benchmarks/under_load.py --runs 3 --hogs 4 --no-report

Each run copies the repository's tracked files into a fresh folder (so no `_build` and no
execution cache), starts `--hogs` busy-looping processes that stop by themselves, and runs
`jupyter-book build` there. A run passes when the build exits 0. The result table goes into
the "Under load" section of docs/benchmarks.md (between its markers), with the machine and
date; the first failing line of any failed build is shown so a flaky claim is named.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from synthetic import copy_tracked

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "docs" / "benchmarks.md"
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
START, END = "<!-- under-load:start -->", "<!-- under-load:end -->"
# A hog outlives any sane build by far but still stops by itself if this script is killed.
HOG_LIMIT_S = 30 * 60
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Run:
    number: int
    ok: bool
    seconds: float
    hogs_throughout: bool  # every hog was still spinning when the build ended
    failure: str


def hog(stop_at: float) -> None:
    """Spin until ``stop_at`` (monotonic seconds): one busy core."""
    x = 0
    while time.monotonic() < stop_at:
        x = (x * 31 + 7) % 1_000_003


def first_failure(log: str) -> str:
    """The line an author needs: the assertion or error, not the traceback around it."""
    lines = [line.strip() for line in ANSI.sub("", log).splitlines() if line.strip()]
    for pattern in ("AssertionError", "Error:", "error:", "failed"):
        for line in lines:
            if pattern in line:
                return line[:300]
    return lines[-1][:300] if lines else "no output"


def one_run(number: int, hogs: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="englogs-load-") as tmp:
        site = Path(tmp) / "site"
        copy_tracked(site)
        stop_at = time.monotonic() + HOG_LIMIT_S
        workers = [mp.Process(target=hog, args=(stop_at,), daemon=True) for _ in range(hogs)]
        for worker in workers:
            worker.start()
        start = time.monotonic()
        try:
            result = subprocess.run(
                [JUPYTER_BOOK, "build", str(site)], capture_output=True, text=True, check=False
            )
            seconds = time.monotonic() - start
            alive = all(worker.is_alive() for worker in workers)
        finally:
            for worker in workers:
                worker.terminate()
                worker.join()
        ok = result.returncode == 0
        log = result.stdout + result.stderr
        return Run(number, ok, seconds, alive, "" if ok else first_failure(log))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def report(runs: list[Run], hogs: int) -> str:
    passed = sum(run.ok for run in runs)
    rows = "\n".join(
        f"| {run.number} | {'pass' if run.ok else 'FAIL'} | {run.seconds:.0f} s | "
        f"{'yes' if run.hogs_throughout else 'no'} | {run.failure or ''} |"
        for run in runs
    )
    today = dt.date.today().isoformat()
    return (
        f"{START}\n## Under load: cold builds while every core is busy\n\n"
        f"Measured {today} on {machine()}. Reproduce: `python benchmarks/under_load.py "
        f"--runs {len(runs)} --hogs {hogs}`.\n"
        f"Each run is a fresh copy of the tracked files (no `_build`, no execution cache) built "
        f"with `jupyter-book build` while {hogs} busy-looping processes compete for the cores.\n\n"
        f"**{passed} of {len(runs)} cold builds passed.**\n\n"
        "| Run | Result | Wall time | Hogs ran throughout | First failing line |\n"
        "| --- | --- | --- | --- | --- |\n"
        f"{rows}\n{END}\n"
    )


def write_report(section: str) -> None:
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Build benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold builds to run (default 5)")
    parser.add_argument(
        "--hogs", type=int, default=os.cpu_count() or 2, help="busy processes (default: cores)"
    )
    parser.add_argument("--no-report", action="store_true", help="print, don't touch docs/")
    args = parser.parse_args(argv)
    runs = []
    for number in range(1, args.runs + 1):
        run = one_run(number, args.hogs)
        status = "pass" if run.ok else f"FAIL: {run.failure}"
        print(f"run {number}/{args.runs}: {run.seconds:.0f} s, {status}", flush=True)
        runs.append(run)
    section = report(runs, args.hogs)
    print(section)
    if not args.no_report:
        write_report(section)
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())

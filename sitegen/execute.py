"""Execute the notebooks that need it in parallel, before Sphinx reads them.

Jupyter Book 1 executes notebooks one at a time, as Sphinx reads each page. This module
finds the notebooks whose code has no record in the jupyter-cache, executes them across the
machine's cores (one kernel per process), and stores the results in the same cache, the
same way myst-nb would. When Sphinx then reads the pages, myst-nb finds every notebook in
the cache and executes nothing.

Safety: worker processes never touch the cache's SQLite database; only this (parent)
process writes to it, one record at a time, so there are no lock errors. A failed or timed
out notebook is never cached, so fixing it is all the next build needs.
"""

from __future__ import annotations

import importlib.metadata as metadata
import multiprocessing
import os
import platform
import re
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

from sitegen.failures import CellFailure, describe

WORKERS_ENV = "ENGLOGS_EXEC_WORKERS"
KERNEL_START_ATTEMPTS = 2
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)


@dataclass(frozen=True)
class Job:
    docname: str
    path: str  # the source file; also the cache record's URI, as myst-nb uses
    notebook: str  # nbformat JSON: picklable and exactly what gets executed
    timeout: int


@dataclass(frozen=True)
class Outcome:
    job: Job
    seconds: float
    notebook: str | None = None  # the executed notebook, when it succeeded
    failure: CellFailure | None = None  # where and why it failed, when it did not

    @property
    def error(self) -> str | None:
        return None if self.failure is None else self.failure.error


@dataclass
class Report:
    executed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)


def worker_count(jobs: int) -> int:
    pinned = os.environ.get(WORKERS_ENV)
    cores = int(pinned) if pinned else (os.cpu_count() or 1)
    return max(1, min(cores, jobs))


def _execute(job: Job) -> Outcome:
    """Run one notebook in a fresh kernel, in its own folder (as myst-nb does).

    A kernel that dies before answering (two kernels starting at once can race for the same
    ports) is started once more; a failing *cell* is reported, never retried.
    """
    start = time.perf_counter()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        notebook = nbformat.reads(job.notebook, as_version=4)
        try:
            result = single_nb_execution(
                notebook,
                cwd=str(Path(job.path).parent),
                timeout=job.timeout,
                allow_errors=False,
                meta_override=True,
            )
            break
        except RuntimeError as error:  # "Kernel died before replying to kernel_info"
            if attempt == KERNEL_START_ATTEMPTS:
                seconds = time.perf_counter() - start
                message = f"the kernel did not start: {error}"
                return Outcome(job, seconds, failure=CellFailure(None, "", None, message, message))
    seconds = time.perf_counter() - start
    if result.err is not None:
        return Outcome(job, seconds, failure=describe(notebook, result.err))
    return Outcome(job, seconds, notebook=nbformat.writes(notebook))


def imported_distributions(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Versions of the installed distributions a notebook imports (its "key libraries")."""
    modules = {
        match.group(1)
        for cell in notebook.cells
        if cell.cell_type == "code"
        for match in _IMPORT.finditer(cell.source)
    }
    owners = metadata.packages_distributions()
    versions = {}
    for module in sorted(modules):
        for dist in owners.get(module, []):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:  # pragma: no cover - broken installs
                continue
    return dict(sorted(versions.items(), key=lambda kv: kv[0].lower()))


def _provenance(record: Any) -> dict[str, Any]:
    return {
        "executed": record.created.isoformat(timespec="seconds"),
        "seconds": record.data.get("execution_seconds"),
        "python": record.data.get("python"),
        "packages": record.data.get("packages", {}),
    }


def execute_stale(
    cache_path: str, notebooks: Iterable[tuple[str, str, nbformat.NotebookNode]], timeout: int
) -> Report:
    """Execute every notebook missing from the cache, in parallel; cache the successes.

    ``notebooks`` yields (docname, source path, notebook as myst-nb reads it).
    """
    cache = get_cache(cache_path)
    report = Report()
    jobs = []
    for docname, path, notebook in notebooks:
        try:
            record = cache.match_cache_notebook(notebook)
        except KeyError:
            jobs.append(Job(docname, path, nbformat.writes(notebook), timeout))
        else:
            report.cached.append(docname)
            report.provenance[docname] = _provenance(record)
    if not jobs:
        return report

    context = multiprocessing.get_context("spawn")  # no inherited kernels, sockets or locks
    with ProcessPoolExecutor(worker_count(len(jobs)), mp_context=context) as pool:
        outcomes = list(pool.map(_execute, jobs))

    for outcome in outcomes:
        if outcome.notebook is None:
            report.failures.append(outcome)
            continue
        executed = nbformat.reads(outcome.notebook, as_version=4)
        data = {
            "execution_seconds": outcome.seconds,
            "python": platform.python_version(),
            "packages": imported_distributions(executed),
        }
        record = cache.cache_notebook_bundle(
            CacheBundleIn(executed, outcome.job.path, data=data),
            check_validity=False,
            overwrite=True,
        )
        report.executed.append(outcome.job.docname)
        report.provenance[outcome.job.docname] = _provenance(record)
    return report

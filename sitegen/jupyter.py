"""Everything sitegen does with Jupyter: read a post as myst-nb does, execute it, cache it.

Jupyter Book 1 executes notebooks one at a time, as Sphinx reads each page. Before Sphinx
reads anything, ``execute_before_reading`` finds the notebooks whose code has no record in
jupyter-cache, executes them across the machine's cores (one kernel per process), and
stores the results in the same cache, the same way myst-nb would. When Sphinx then reads
the pages, myst-nb finds every notebook in the cache and executes nothing.

* **myst-nb's own per-file configuration.** Each notebook is read with myst-nb's reader and
  its configuration is merged with the file's ``mystnb:`` metadata exactly as
  ``myst_nb.sphinx_.Parser.parse`` does (``NbParserConfig.copy``), so a post that sets
  ``execution_mode``, ``execution_timeout``, ``execution_allow_errors`` or
  ``execution_in_temp`` is executed as myst-nb would execute it; a post whose mode is not
  ``cache`` is left to myst-nb.
* **Identical code executes once.** jupyter-cache matches notebooks by a hash of their code
  (and kernel); stock Jupyter Book therefore executes 100 posts with the same code once and
  reuses the record 99 times. Notebooks are grouped by that hash (and working folder), one
  of each group executes, and every member finds the one record.
* **Safety.** Worker processes never touch the cache's SQLite database; only this (parent)
  process writes to it, one record at a time. A failed or timed-out notebook is never
  cached, so fixing it is all the next build needs. A failure stops the build with one
  line per notebook (``sitegen.failures``).
"""

from __future__ import annotations

import functools
import importlib.metadata as metadata
import multiprocessing
import os
import platform
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from sphinx.application import Sphinx
from sphinx.environment import CONFIG_OK, BuildEnvironment
from sphinx.util import logging

from sitegen import failures
from sitegen.failures import CellFailure, describe
from sitegen.kernels import ipc_kernel_config
from sitegen.progress import BuildSummary, ExecutionProgress
from sitegen.state import BuildState

WORKERS_ENV = "ENGLOGS_EXEC_WORKERS"
KERNEL_START_ATTEMPTS = 2
OWNERS = "module-owners.json"  # build-state record for _module_owners
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)
LOGGER = logging.getLogger(__name__)


class NotebookExecutionFailed(SystemExit):
    """Ends the build with status 1 and only this message on stderr.

    A ``SphinxError`` is printed by Sphinx, but jupyter-book then raises a ``RuntimeError``
    from it, whose traceback (some 60 lines) and generic "There was an error" box bury the
    one line that matters. Python prints a ``SystemExit``'s text and exits with status 1;
    Sphinx and jupyter-book let it through (they catch ``Exception``).
    """


@dataclass(frozen=True)
class Job:
    docname: str
    path: str  # the source file; also the cache record's URI, as myst-nb uses
    notebook: str  # nbformat JSON: picklable and exactly what gets executed
    timeout: int
    allow_errors: bool = False
    in_temp: bool = False  # execute in a temporary folder (myst-nb's execution_in_temp)


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
    shared: list[str] = field(default_factory=list)  # same code as a notebook executed now
    failures: list[Outcome] = field(default_factory=list)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Pending:
    """A notebook Sphinx will read, as myst-nb reads it, with its own configuration."""

    docname: str
    path: Path
    notebook: nbformat.NotebookNode
    timeout: int
    allow_errors: bool
    in_temp: bool
    raise_on_error: bool


def worker_count(jobs: int) -> int:
    pinned = os.environ.get(WORKERS_ENV)
    cores = int(pinned) if pinned else (os.cpu_count() or 1)
    return max(1, min(cores, jobs))


# --- reading: myst-nb's reader and per-file configuration ---------------------------------


def read_notebook(env: BuildEnvironment, path: Path) -> nbformat.NotebookNode | None:
    """The page as myst-nb reads it (its reader, kernel aliases applied): the notebook it
    executes and matches in the cache. None when myst-nb does not read it as a notebook."""
    from myst_nb.core.read import create_nb_reader

    nb_config = getattr(env, "mystnb_config")  # noqa: B009 - set by myst-nb
    text = path.read_text(encoding="utf-8-sig")  # as Sphinx reads it: a BOM is not text
    reader = create_nb_reader(str(path), getattr(env, "myst_config"), nb_config, text)  # noqa: B009
    if reader is None:
        return None
    notebook: nbformat.NotebookNode = reader.read(text)
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    for pattern, alias in (nb_config.kernel_rgx_aliases or {}).items():
        if kernel is not None and re.fullmatch(pattern, kernel):
            notebook.metadata["kernelspec"]["name"] = alias
            break
    return notebook


def read_for_execution(env: BuildEnvironment, docname: str, path: Path) -> Pending | None:
    """The notebook and its settings as myst-nb will see them; None when myst-nb will not
    execute it from the cache (not a notebook, another execution mode, excluded)."""
    from myst_nb.core.config import NbParserConfig
    from myst_nb.core.nb_to_tokens import nb_node_to_dict

    notebook = read_notebook(env, path)
    if notebook is None:
        return None
    nb_config: NbParserConfig = getattr(env, "mystnb_config")  # noqa: B009 - set by myst-nb
    if nb_config.metadata_key in notebook.metadata:
        overrides = nb_node_to_dict(notebook.metadata[nb_config.metadata_key])
        overrides.pop("output_folder", None)  # as myst-nb: not overridable per file
        with suppress(Exception):  # myst-nb warns about a bad override when it reads the page
            nb_config = nb_config.copy(**overrides)
    if nb_config.execution_mode != "cache":
        return None
    posix = PurePosixPath(path.as_posix())
    if any(posix.match(pattern) for pattern in nb_config.execution_excludepatterns):
        return None
    return Pending(
        docname=docname,
        path=path,
        notebook=notebook,
        timeout=nb_config.execution_timeout,
        allow_errors=nb_config.execution_allow_errors,
        in_temp=nb_config.execution_in_temp,
        raise_on_error=nb_config.execution_raise_on_error,
    )


def will_be_read(env: BuildEnvironment, docname: str, path: Path) -> bool:
    """Whether Sphinx will (re-)read this page in this build.

    Sphinx's rule (``BuildEnvironment.get_outdated_files``, which cannot run before the
    builder discovers the pages): a changed configuration re-reads everything; otherwise a
    page is read when it is new or its source's mtime, in microseconds, is newer than when
    it was last read (``env.all_docs``).
    """
    if env.config_status != CONFIG_OK or docname not in env.all_docs:
        return True
    return path.stat().st_mtime_ns // 1_000 > env.all_docs[docname]


# --- executing ------------------------------------------------------------------------------


def _execute(job: Job) -> Outcome:
    """Run one notebook in a fresh kernel, in its own folder (as myst-nb does).

    A kernel that dies before answering (two kernels starting at once can race for the same
    ports) is started once more; a failing *cell* is reported, never retried.
    """
    start = time.perf_counter()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        notebook = nbformat.reads(job.notebook, as_version=4)
        folder: AbstractContextManager[str] = (
            tempfile.TemporaryDirectory()
            if job.in_temp
            else nullcontext(str(Path(job.path).parent))
        )
        try:
            with folder as cwd, ipc_kernel_config() as config:
                result = single_nb_execution(
                    notebook,
                    cwd=cwd,
                    timeout=job.timeout,
                    allow_errors=job.allow_errors,
                    meta_override=True,
                    config=config,
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


def imported_distributions(notebook: nbformat.NotebookNode, root: Path) -> dict[str, str]:
    """Versions of the installed distributions a notebook imports (its "key libraries")."""
    modules = {
        match.group(1)
        for cell in notebook.cells
        if cell.cell_type == "code"
        for match in _IMPORT.finditer(cell.source)
    }
    owners = _module_owners(root)
    versions = {}
    for module in sorted(modules):
        for dist in owners.get(module, []):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:  # pragma: no cover - broken installs
                continue
    return dict(sorted(versions.items(), key=lambda kv: kv[0].lower()))


@functools.cache
def _module_owners(root: Path) -> Mapping[str, list[str]]:
    """Top-level module → distributions, as ``importlib.metadata.packages_distributions``.

    That call reads every installed distribution's file list (1.7 s of a 20 s one-post
    rebuild under load, profiled): kept in the build state and reused while no folder on
    ``sys.path`` has changed (installing or removing a package changes its folder's mtime).
    """
    key = [[entry, _mtime(entry)] for entry in sys.path]
    store = BuildState(root)
    stored = store.read_json(OWNERS)
    if isinstance(stored, dict) and stored.get("key") == key:
        return dict(stored["owners"])
    owners = metadata.packages_distributions()
    store.write_json(OWNERS, {"key": key, "owners": owners})
    return owners


def _mtime(entry: str) -> int | None:
    try:
        return os.stat(entry or ".").st_mtime_ns
    except OSError:
        return None


def _provenance(record: Any) -> dict[str, Any]:
    return {
        "executed": record.created.isoformat(timespec="seconds"),
        "seconds": record.data.get("execution_seconds"),
        "python": record.data.get("python"),
        "packages": record.data.get("packages", {}),
    }


def execute_stale(
    cache_path: str, pending: Iterable[Pending], root: Path, progress: TextIO | None = None
) -> Report:
    """Execute every notebook missing from the cache, in parallel; cache the successes.

    ``root``: the book, whose build state keeps what is worth keeping between builds.
    Notebooks with the same cache hash (the same code and kernel) and working folder
    execute once: the record cached for one is the record myst-nb finds for all.
    """
    cache = get_cache(cache_path)
    report = Report()
    groups: dict[tuple[str, str], list[Pending]] = {}
    for item in pending:
        try:
            record = cache.match_cache_notebook(item.notebook)
        except KeyError:
            _, digest = cache.create_hashed_notebook(item.notebook)
            folder = "" if item.in_temp else str(item.path.parent)
            groups.setdefault((digest, folder), []).append(item)
        else:
            report.cached.append(item.docname)
            report.provenance[item.docname] = _provenance(record)
    if not groups:
        return report

    jobs = [_job(members[0]) for members in groups.values()]
    outcomes = _run_all(jobs, progress)

    for outcome, members in zip(outcomes, groups.values(), strict=True):
        if outcome.notebook is None:
            report.failures.append(outcome)
            continue
        executed = nbformat.reads(outcome.notebook, as_version=4)
        data = {
            "execution_seconds": outcome.seconds,
            "python": platform.python_version(),
            "packages": imported_distributions(executed, root),
        }
        record = cache.cache_notebook_bundle(
            CacheBundleIn(executed, outcome.job.path, data=data),
            check_validity=False,
            overwrite=True,
        )
        report.executed.append(outcome.job.docname)
        report.shared += [member.docname for member in members[1:]]
        for member in members:
            report.provenance[member.docname] = _provenance(record)
    return report


def ignore_interrupts() -> None:
    """In each executor: Ctrl-C reaches the whole process group, and the build's own
    handler (``sitegen.interrupt``) stops the executors and their kernels."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_all(jobs: list[Job], stream: TextIO | None) -> list[Outcome]:
    """Execute the jobs across the pool; with a ``stream``, show the progress on it."""
    workers = worker_count(len(jobs))
    shown = ExecutionProgress([job.docname for job in jobs], workers, stream) if stream else None
    if len(jobs) == 1:
        # One notebook gains nothing from a pool: run it here, as myst-nb would, instead of
        # starting a process that imports all of this again (seconds on a loaded machine).
        outcome = _execute(jobs[0])
        if shown is not None:
            shown.finished(outcome.job.docname, outcome.seconds, outcome.notebook is not None)
            shown.close()
        return [outcome]
    context = multiprocessing.get_context("spawn")  # no inherited kernels, sockets or locks
    with ProcessPoolExecutor(workers, mp_context=context, initializer=ignore_interrupts) as pool:
        futures = [pool.submit(_execute, job) for job in jobs]
        waiting = set(futures)
        while waiting:
            # Wake every second, so that a terminal's elapsed time keeps moving.
            done, waiting = wait(waiting, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=futures.index):
                outcome = future.result()
                if shown is not None:
                    ok = outcome.notebook is not None
                    shown.finished(outcome.job.docname, outcome.seconds, ok)
            if shown is not None and not done:
                shown.show()
    if shown is not None:
        shown.close()
    return [future.result() for future in futures]


def _job(item: Pending) -> Job:
    notebook = nbformat.writes(item.notebook)
    return Job(
        item.docname, str(item.path), notebook, item.timeout, item.allow_errors, item.in_temp
    )


def execute_before_reading(
    app: Sphinx, sources: Mapping[str, Path], summary: BuildSummary | None = None
) -> dict[str, dict[str, Any]]:
    """Execute the stale notebooks among the pages Sphinx is about to read.

    ``sources`` maps docnames to source files. Returns the provenance (when, how long, with
    what) of every notebook looked at, cached or executed now, for the pages' footers.
    Stops the build (``NotebookExecutionFailed``) when a notebook that must not fail fails.
    """
    env = app.env
    nb_config = getattr(env, "mystnb_config")  # noqa: B009 - set by myst-nb
    if nb_config.execution_mode != "cache":
        return {}
    pending = [
        item
        for docname, path in sources.items()
        if will_be_read(env, docname, path)
        and (item := read_for_execution(env, docname, path)) is not None
    ]
    started = time.perf_counter()
    root = Path(app.srcdir)
    report = execute_stale(nb_config.execution_cache_path, pending, root, _status_stream(app))
    if summary is not None:
        summary.executed += len(report.executed) + len(report.failures)
        summary.shared += len(report.shared)
        summary.from_cache += len(report.cached)
        if report.executed or report.failures:  # wall time: the workers run side by side
            summary.execution_seconds += time.perf_counter() - started
    if report.executed:
        LOGGER.info("[sitegen] executed in parallel: %s", ", ".join(report.executed))
    if report.shared:
        LOGGER.info("[sitegen] same code, executed once: %s", ", ".join(report.shared))
    must_pass = {item.docname for item in pending if item.raise_on_error}
    stopping = [outcome for outcome in report.failures if outcome.job.docname in must_pass]
    if stopping:
        raise NotebookExecutionFailed(
            "\n".join(_failure_message(root, outcome) for outcome in stopping)
        )
    # A failure allowed by raise_on_error: false is left to myst-nb, which reports it.
    return report.provenance


def _status_stream(app: Sphinx) -> TextIO | None:
    """Where Sphinx prints its progress (None when it is quiet, as with ``-q``)."""
    stream = getattr(app, "_status", None)
    return stream if stream is not None and not app.quiet else None


def _failure_message(root: Path, outcome: Outcome) -> str:
    """One line for the author (post:line, cell, statement, values); the rest in a log."""
    assert outcome.failure is not None
    source = Path(outcome.job.path)
    rel = source.relative_to(root).as_posix() if source.is_relative_to(root) else str(source)
    log = BuildState(root).path(f"failures/{outcome.job.docname.replace('/', '-')}.log")
    failures.write_log(log, rel, outcome.failure)
    text = source.read_text(encoding="utf-8") if source.suffix == ".md" else None
    return "Notebook execution failed: " + failures.message(
        rel, outcome.failure, failures.shown_path(log), text
    )


# --- one post in a fresh kernel (check-post) -----------------------------------------------


class PostFailed(Exception):
    """A cell failed; the message says where, what and where the full traceback is."""


def run_in_fresh_kernel(path: Path, timeout: int, log_root: Path) -> float:
    """Execute a post top to bottom in its own folder, as a Binder reader would; the seconds.

    Every cell runs even after one fails, so each failing claim is reported: one line per
    failing cell (post:line, cell, statement, values), up to the first error that is not an
    ``AssertionError`` (what runs after it may fail only because of it). Raises
    ``PostFailed`` with those lines; the tracebacks go to one log under ``log_root``'s build
    state. Touches neither the site nor the execution cache.
    """
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = jupytext.read(path)
    start = time.perf_counter()
    found: list[CellFailure]
    with ipc_kernel_config() as config:
        client = NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
            config=config,
        )
        try:
            client.execute()
            found = failures.cell_failures(notebook)
        except (CellExecutionError, CellTimeoutError) as error:  # a timeout stops the run
            found = [*failures.cell_failures(notebook), describe(notebook, error)]
    seconds = time.perf_counter() - start
    if not found:
        return seconds
    log = BuildState(log_root).path(f"failures/check-post-{path.stem}.log")
    log.unlink(missing_ok=True)
    text = path.read_text(encoding="utf-8") if path.suffix == ".md" else None
    shown = failures.shown_path(log)
    lines = []
    for failure in found:
        failures.write_log(log, str(path), failure, append=True)
        lines.append(failures.message(str(path), failure, None, text))
    raise PostFailed("\n".join(lines) + f"\n  full traceback: {shown}")

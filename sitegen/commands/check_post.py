"""Run one or more posts top to bottom in a fresh kernel, as a Binder reader would.

Prints each post's read time (prose words, code lines, minutes) and execution time, and
exits non-zero if a cell fails. It does not touch the site or the execution cache.

    check-post posts/jwt-authentication-is-not-enough.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from sitegen import failures
from sitegen.readtime import read_time
from sitegen.site import STATE_DIR

DEFAULT_TIMEOUT_S = 120


def book_root(path: Path) -> Path:
    """The book a post belongs to (the nearest folder with ``_config.yml``), else its folder."""
    folder = path.resolve().parent
    return next((p for p in (folder, *folder.parents) if (p / "_config.yml").is_file()), folder)


def execute(path: Path, timeout: int) -> float:
    """Execute the notebook in its own folder (as the build does) and return the seconds.

    A failing cell raises ``PostFailed`` with the one-line report; the traceback is logged.
    """
    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        failure = failures.describe(notebook, error)
        log = book_root(path) / STATE_DIR / "failures" / f"check-post-{path.stem}.log"
        failures.write_log(log, str(path), failure)
        text = path.read_text(encoding="utf-8") if path.suffix == ".md" else None
        report = failures.message(str(path), failure, failures.shown_path(log), text)
        raise PostFailed(report) from None
    return time.perf_counter() - start


class PostFailed(Exception):
    """A cell failed; the message says where, what and where the full traceback is."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check-post", description=__doc__.split("\n\n")[0])
    parser.add_argument("posts", nargs="+", type=Path, help="post files (posts/<slug>.md)")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds allowed per cell"
    )
    parser.add_argument("--no-run", action="store_true", help="only report the read time")
    args = parser.parse_args(argv)
    failed = False
    for path in args.posts:
        rt = read_time(path.read_text(encoding="utf-8"), path.parent)
        counts = f"{rt.prose_words} prose words, {rt.code_lines} code lines"
        line = f"{path}: read {rt.minutes} min ({counts})"
        if not args.no_run:
            try:
                line += f"; executed in {execute(path, args.timeout):.1f} s"
            except PostFailed as error:
                failed = True
                line += f"; FAILED\n{error}"
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

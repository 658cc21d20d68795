"""Run one or more posts top to bottom in a fresh kernel, as a Binder reader would.

Prints each post's read time (prose words, code lines, minutes) and execution time, and
exits non-zero if a cell fails. It does not touch the site or the execution cache.

    check-post posts/jwt-authentication-is-not-enough.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitegen.jupyter import PostFailed, run_in_fresh_kernel
from sitegen.readtime import read_time

DEFAULT_TIMEOUT_S = 120


def book_root(path: Path) -> Path:
    """The book a post belongs to (the nearest folder with ``_config.yml``), else its folder."""
    folder = path.resolve().parent
    return next((p for p in (folder, *folder.parents) if (p / "_config.yml").is_file()), folder)


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
                seconds = run_in_fresh_kernel(path, args.timeout, book_root(path))
                line += f"; executed in {seconds:.1f} s"
            except PostFailed as error:
                failed = True
                line += f"; FAILED\n{error}"
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

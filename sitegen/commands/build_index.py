"""Regenerate the site index from the posts' front matter.

Reads posts/*.md, validates them (every problem, every post, one run) and writes _toc.yml,
index.md, archive.md, categories/, tags/ and _extra/ (feed.xml, posts.json, posts.csv),
touching only files whose content changes. `jupyter-book build .` runs the same code first,
so running this by hand is optional.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitegen.build import build
from sitegen.problems import InvalidPosts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build-index", description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n")[1]
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="the book's folder (default: the current folder)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming every stale generated file",
    )
    args = parser.parse_args(argv)
    try:
        index, files = build(args.root.resolve(), check=args.check)
    except InvalidPosts as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s); no file was written.", file=sys.stderr)
        return 2
    if args.check:
        for rel in files:
            print(f"stale: {rel}", file=sys.stderr)
        if files:
            print("Run: build-index", file=sys.stderr)
        return 1 if files else 0
    shown = len(index.published)
    print(f"{shown} published post(s) of {len(index.posts)}; {len(files)} file(s) updated")
    for rel in files:
        print(f"  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

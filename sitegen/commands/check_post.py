"""Check a post as you write it: everything the build would refuse, then a fresh-kernel run.

For each post: its front matter and body against the same rules as the build (did-you-mean
for near-miss categories and tags), the post standard (no scaffold placeholder, a figure, a
hidden assert, a References section), its duplicates among the other posts, secrets in its
source; its read time beside its category's posts; then a top-to-bottom run in a fresh
kernel, as a Binder reader would run it, with one line per failing claim (post:line, cell,
statement, values). Exits 1 if the build would refuse the post or a cell fails. It touches
neither the site nor the execution cache.

    check-post posts/jwt-authentication-is-not-enough.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen import post_rules
from sitegen.jupyter import PostFailed, run_in_fresh_kernel
from sitegen.post_cache import PostCache
from sitegen.posts import read_post
from sitegen.problems import InvalidPosts, Problem
from sitegen.readtime import read_time
from sitegen.secret_scan import scan_files
from sitegen.site import Site, load_site, today

DEFAULT_TIMEOUT_S = 120
UNREADABLE = frozenset({"file", "front matter"})  # nothing to run: the file did not parse


def book_root(path: Path) -> Path:
    """The book a post belongs to (the nearest folder with ``_config.yml``), else its folder."""
    folder = path.resolve().parent
    return next((p for p in (folder, *folder.parents) if (p / "_config.yml").is_file()), folder)


@dataclass
class Report:
    """What check-post found for one post: refusals fail it, notes and warnings do not."""

    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    runnable: bool = True


def other_posts(path: Path, root: Path, site: Site) -> list[dict[str, Any]]:
    """The valid records of every other post (unchanged ones from the index's cache)."""
    cache = PostCache(root)
    records = []
    for other in sorted((root / "posts").glob("*.md")):
        if other.resolve() != path.resolve():
            record, _ = read_post(other, root, site, cache)
            if record is not None:
                records.append(record)
    return records


def site_problems(record: dict[str, Any], others: list[dict[str, Any]]) -> list[Problem]:
    """What only the whole site shows: a duplicate title or slug, a second featured post."""
    problems = []
    for other in others:
        for key in ("title", "slug"):
            if str(other[key]).casefold() == str(record[key]).casefold():
                message = f"duplicates the {key} of {other['path']}"
                problems.append(Problem(record["path"], key, message))
    if record["featured"] and not record["draft"] and record["date"] <= today():
        featured = [o for o in others if o["featured"] and not o["draft"] and o["date"] <= today()]
        if featured:
            message = f"only one published post may be featured; also {featured[0]['path']}"
            problems.append(Problem(record["path"], "featured", message))
    return problems


def validate(
    path: Path, root: Path, site: Site
) -> tuple[Report, dict[str, Any] | None, list[dict[str, Any]]]:
    """Every refusal the build would make for this post, and the warnings check-post adds."""
    report = Report()
    record, problems = read_post(path, root, site)
    report.runnable = not any(p.field in UNREADABLE for p in problems)
    others = other_posts(path, root, site)
    if record is not None:
        problems += site_problems(record, others)
        text = path.read_text(encoding="utf-8")
        if record["draft"]:
            for problem in post_rules.publish_problems(
                record["path"], text, record["title"], record["summary"], draft=False
            ):
                report.warnings.append(f"{problem} (refused once 'draft: true' is removed)")
        used = Counter(tag for other in others for tag in other["tags"])
        for tag, known in post_rules.near_miss_tags(record["tags"], used):
            report.warnings.append(
                f"{record['path']}: tags: {tag!r} is on no other post (did you mean {known!r}?)"
            )
    report.refusals += [str(p) for p in sorted(set(problems))]
    report.refusals += [
        f"{finding}: a possible secret; remove or redact it (englogs.aws.redact)"
        for finding in scan_files([path], root)
    ]
    return report, record, others


def read_time_line(path: Path, record: dict[str, Any] | None, others: list[dict[str, Any]]) -> str:
    rt = read_time(path.read_text(encoding="utf-8"), path.parent)
    line = (
        f"{path}: read {rt.minutes} min ({rt.prose_words} prose words, {rt.code_lines} code lines)"
    )
    if record is None or record["category"] is None:
        return line
    category = record["category"]
    peers = sorted(
        o["read_minutes"] for o in others if o["category"] == category and not o["draft"]
    )
    if not peers:
        return line + f"; the first {category} post"
    if len(peers) == 1:
        return line + f"; the other {category} post reads {peers[0]} min"
    spread = f"{peers[0]}" if peers[0] == peers[-1] else f"{peers[0]}-{peers[-1]}"
    median = statistics.median(peers)
    return line + f"; the other {len(peers)} {category} posts read {spread} min (median {median:g})"


def check(path: Path, timeout: int, run: bool) -> int:
    if not path.is_file():
        print(f"{path}: file: not found")
        return 1
    root = book_root(path)
    try:
        site = load_site(root)
    except InvalidPosts as error:  # a wrong setting in _config.yml
        for problem in error.problems:
            print(problem)
        return 2
    report, record, others = validate(path.resolve(), root, site)
    for line in report.refusals + report.warnings:
        print(line)
    print(read_time_line(path, record, others))
    outcome = "not run"
    if run and not report.runnable:
        print(f"{path}: not run: fix the front matter first")
    elif run:
        try:
            seconds = run_in_fresh_kernel(path, timeout, root)
            print(f"{path}: ran top to bottom in a fresh kernel in {seconds:.1f} s")
            outcome = "every cell ran"
        except PostFailed as error:
            print(error)
            outcome = "a cell failed"
    refused = f"{len(report.refusals)} problem(s) the build would refuse"
    failed = bool(report.refusals) or outcome == "a cell failed"
    print(f"{path}: {'FAILED' if failed else 'OK'}: {refused}; {outcome}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check-post",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n")[1],
    )
    parser.add_argument("posts", nargs="+", type=Path, help="post files (posts/<slug>.md)")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds allowed per cell"
    )
    parser.add_argument(
        "--no-run", action="store_true", help="validate and report the read time; run nothing"
    )
    args = parser.parse_args(argv)
    return max(check(path, args.timeout, not args.no_run) for path in args.posts)


if __name__ == "__main__":
    sys.exit(main())

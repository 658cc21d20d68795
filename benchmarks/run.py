#!/usr/bin/env python3
"""Measure build speed and write docs/benchmarks.md.

    python benchmarks/run.py                 # everything (about an hour on 2 cores)
    python benchmarks/run.py --sizes 10 100  # a quicker subset

Scenarios, each on the real site and on synthetic sites (a trivial cell, or one that imports
numpy and pandas):

S0 cold build (no _build); S1 fresh clone with a warm execution cache (what CI sees);
S2 rebuild with no change; S3 prose-only edit of one post; S4 code edit of one post;
S5 front-matter edit; S6 a new post added.

For each: wall time, notebooks executed and pages re-read (parsed from the build log).
Also the index builder alone at 10, 100, 1,000 and 10,000 posts. Times are medians of
repeated runs where a run is cheap enough to repeat (S2: median of 5); ratios are computed
within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from synthetic import CELLS, REPO, make_site, post_text

JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
BUILD_INDEX = str(Path(sys.executable).with_name("build-index"))
RESULTS = REPO / "benchmarks" / "results.json"
REPORT = REPO / "docs" / "benchmarks.md"


@dataclass
class Measurement:
    site: str
    scenario: str
    seconds: float
    executed: int
    reread: int
    ok: bool


def build(site: Path) -> tuple[float, str, bool]:
    start = time.perf_counter()
    result = subprocess.run(
        [JUPYTER_BOOK, "build", str(site)], capture_output=True, text=True, check=False
    )
    log = ANSI.sub("", result.stdout + result.stderr)
    return time.perf_counter() - start, log, result.returncode == 0


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def executed_count(log: str) -> int:
    parallel = re.findall(r"\[sitegen\] executed in parallel: (.*)", log)
    by_myst_nb = len(re.findall(r"Executed notebook in", log))
    return sum(len(line.split(", ")) for line in parallel) + by_myst_nb


def reread_count(log: str) -> int:
    match = re.search(r"updating environment: (?:\[[^\]]*\] )?(\d+) added, (\d+) changed", log)
    return int(match.group(1)) + int(match.group(2)) if match else 0


def measure(label: str, scenario: str, site: Path) -> Measurement:
    seconds, log, ok = build(site)
    if not ok:
        print(log[-3000:], file=sys.stderr)
    m = Measurement(label, scenario, round(seconds, 2), executed_count(log), reread_count(log), ok)
    print(f"  {scenario}: {m.seconds:7.1f} s  executed={m.executed:4d}  reread={m.reread:4d}")
    return m


def measure_median(label: str, scenario: str, site: Path, repeat: int = 5) -> Measurement:
    """A cheap scenario, run ``repeat`` times: median seconds, and the largest counts seen."""
    runs = [measure(label, scenario, site) for _ in range(repeat)]
    middle = sorted(runs, key=lambda m: m.seconds)[repeat // 2]
    return Measurement(
        label,
        scenario,
        middle.seconds,
        max(m.executed for m in runs),
        max(m.reread for m in runs),
        all(m.ok for m in runs),
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def scenarios(
    label: str, site: Path, first_post: Path, new_post: tuple[Path, str]
) -> list[Measurement]:
    """S0–S6 on ``site`` (which must have no _build)."""
    print(f"{label}:")
    results = [measure(label, "S0 cold", site)]
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / site.name
        shutil.copytree(site, clone, ignore=shutil.ignore_patterns("_build"))
        (clone / "_build").mkdir()
        shutil.copytree(site / "_build" / ".jupyter_cache", clone / "_build" / ".jupyter_cache")
        results.append(measure(label, "S1 fresh clone, warm cache", clone))
    results.append(measure_median(label, "S2 no change", site))
    edit(first_post, "## ", "## Revised: ")
    results.append(measure(label, "S3 prose edit", site))
    text = first_post.read_text(encoding="utf-8")
    code = text.rindex("```\n")
    first_post.write_text(text[:code] + "edited = True\n" + text[code:], encoding="utf-8")
    results.append(measure(label, "S4 code edit", site))
    edit(first_post, 'summary: "', 'summary: "Revised. ')
    results.append(measure(label, "S5 front-matter edit", site))
    new_post[0].write_text(new_post[1], encoding="utf-8")
    results.append(measure(label, "S6 new post", site))
    return results


def synthetic_runs(sizes: list[int], kinds: list[str], root: Path) -> list[Measurement]:
    results = []
    for kind in kinds:
        for n in sizes:
            site = make_site(root / f"{kind}-{n}", n, kind)
            # Its own code, so the cache cannot answer for it (identical notebooks share a record).
            fresh = post_text(n, kind, code=f"{CELLS[kind]}\nnew_post = {n}")
            new = (site / "posts" / "synthetic-post-new.md", fresh)
            results += scenarios(
                f"synthetic {n} ({kind})", site, site / "posts" / "synthetic-post-0.md", new
            )
            shutil.rmtree(site)
    return results


def real_site_run(root: Path) -> list[Measurement]:
    site = root / "real"
    shutil.copytree(
        REPO, site, ignore=shutil.ignore_patterns("_build", ".git", "test-artifacts", "*.egg-info")
    )
    posts = sorted((site / "posts").glob("*.md"))
    new = (
        site / "posts" / "benchmark-new-post.md",
        post_text(0, "trivial").replace("Synthetic post 0", "Benchmark post"),
    )
    return scenarios("real site", site, posts[0], new)


def speedup_run(posts: int, kind: str, root: Path) -> dict[str, float]:
    """Cold build of a synthetic site executed on one core, then on all of them."""
    timings = {}
    for workers in (1, os.cpu_count() or 1):
        site = make_site(root / f"speedup-{workers}", posts, kind)
        os.environ["ENGLOGS_EXEC_WORKERS"] = str(workers)
        try:
            seconds, _, ok = build(site)
        finally:
            del os.environ["ENGLOGS_EXEC_WORKERS"]
        assert ok, f"speed-up build with {workers} worker(s) failed"
        timings[f"{workers} worker(s)"] = round(seconds, 1)
        print(f"  cold build, {posts} posts ({kind}), {workers} worker(s): {seconds:.1f} s")
        shutil.rmtree(site)
    return timings


def index_builder_runs(sizes: list[int], root: Path, repeat: int = 5) -> dict[int, float]:
    """Median seconds of `build-index` once the index is written (a no-op build)."""
    timings = {}
    for n in sizes:
        site = make_site(root / f"index-{n}", n)
        subprocess.run(
            [BUILD_INDEX, "--root", str(site)],
            check=True,
            capture_output=True,
        )
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(
                [BUILD_INDEX, "--root", str(site)],
                check=True,
                capture_output=True,
            )
            runs.append(time.perf_counter() - start)
        timings[n] = round(statistics.median(runs), 3)
        print(f"  index builder, {n:6d} posts: {timings[n]:.3f} s (median of {repeat})")
        shutil.rmtree(site)
    return timings


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {system}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--kinds", nargs="+", default=["trivial", "numpy-pandas"])
    parser.add_argument("--index-sizes", type=int, nargs="*", default=[10, 100, 1000, 10000])
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--speedup", type=int, default=100, help="posts in the speed-up site")
    parser.add_argument("--skip-speedup", action="store_true")
    parser.add_argument(
        "--append", action="store_true", help="merge into results.json (re-measured sites replace)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="englogs-bench-") as tmp:
        root = Path(tmp)
        index = index_builder_runs(args.index_sizes, root)
        builds = [] if args.skip_real else real_site_run(root)
        builds += synthetic_runs(args.sizes, args.kinds, root)
        speedup = {} if args.skip_speedup else speedup_run(args.speedup, "numpy-pandas", root)
    data = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "index_builder": index,
        "builds": [asdict(m) for m in builds],
        "speedup": speedup,
    }
    if args.append and RESULTS.exists():
        old = json.loads(RESULTS.read_text(encoding="utf-8"))
        fresh = {m.site for m in builds}
        data["builds"] = [b for b in old["builds"] if b["site"] not in fresh] + data["builds"]
        data["index_builder"] = {**old["index_builder"], **{str(k): v for k, v in index.items()}}
        data["speedup"] = speedup or old.get("speedup", {})
    RESULTS.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    from report import write_report

    write_report(data, REPORT)
    print(f"wrote {RESULTS.relative_to(REPO)} and {REPORT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

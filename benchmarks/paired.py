"""This pipeline against stock Jupyter Book 1, side by side in one run: paired ratios.

    python benchmarks/paired.py                  # 20-post sites, 2 rounds; the real site once
    python benchmarks/paired.py --posts 10 --rounds 1 --real-rounds 0

Each case builds two copies of the same site: "ours" (``_config.yml`` as it is, so the
``sitegen`` extension runs) and "stock" (the same files, ``sitegen.sphinx_ext`` removed from
``extra_extensions``: plain Jupyter Book 1 with myst-nb executing through jupyter-cache;
its TOC and index pages are generated once beforehand with ``build-index`` so both build
the same pages). Within a round the two builds of a scenario run back to back, ours first
in odd rounds and stock first in even ones, so a load spike on the shared machine hits both
sides alike; the ratio ours / stock is taken within each pair, and the table reports the
median ratio over rounds.

Cases: synthetic sites of N posts whose code cells are all distinct (as on a real site) and
all identical (jupyter-cache's hash matching: stock executes such code once), and the real
site itself (the tracked files, as a fresh clone has them). Scenarios: cold build (no
``_build``), a rebuild with nothing changed, and one post's code edited. Writes
``benchmarks/paired.json`` and the "Paired with stock Jupyter Book 1" section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from run import build, executed_count
from synthetic import REPO, copy_tracked, make_site

RESULTS = REPO / "benchmarks" / "paired.json"
REPORT = REPO / "docs" / "benchmarks.md"
BUILD_INDEX = str(Path(sys.executable).with_name("build-index"))
SECTION = "## Paired with stock Jupyter Book 1"
# Settings that name something only the sitegen extensions provide.
STOCK_DROPS = ("templates_path", "html_math_renderer")


def make_stock(ours: Path, stock: Path) -> None:
    """The same site as plain Jupyter Book 1: every ``sitegen`` extension removed, with the
    settings only they understand (the layout's templates, the MathML renderer), and its
    generated pages (TOC, landing, category and tag pages) written beforehand so both sides
    build the same pages."""
    shutil.copytree(ours, stock, ignore=shutil.ignore_patterns("_build"))
    path = stock / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    ours_only = [e for e in sphinx["extra_extensions"] if e.startswith("sitegen.")]
    assert ours_only, "the sitegen extensions are no longer loaded as paired.py expects"
    sphinx["extra_extensions"] = [e for e in sphinx["extra_extensions"] if e not in ours_only]
    for key in STOCK_DROPS:
        sphinx["config"].pop(key, None)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    subprocess.run([BUILD_INDEX, "--root", str(stock)], check=True, capture_output=True)


def edit_last_code_cell(post: Path) -> None:
    """Append a statement to the post's last code cell: its code changes, nothing else."""
    text = post.read_text(encoding="utf-8")
    cell = text.rindex("```{code-cell}")
    closing = text.index("\n```", cell + 3) + 1
    post.write_text(text[:closing] + f"edited = {len(text)}\n" + text[closing:], "utf-8")


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]  # writes "ours" at the given folder
    edited: str  # the post whose code is edited, relative to the site


def synthetic_case(posts: int, identical: bool) -> Case:
    kind = "identical" if identical else "distinct"
    return Case(
        f"{posts} posts, {kind} code",
        lambda dest: make_site(dest, posts, "trivial", identical=identical),
        f"posts/synthetic-post-{posts // 2}.md",
    )


def _real_site(dest: Path) -> Path:
    copy_tracked(dest)
    return dest


# The real site: its ten posts and labs as a fresh clone has them. The edit goes to the post
# that executes fastest, so the rebuild shows the pipeline's cost more than the post's.
REAL_SITE = Case("the real site", _real_site, "posts/iam-best-practices-every-developer-ignores.md")
SCENARIOS = ("cold build", "no change", "one post's code edited")


def timed(site: Path) -> dict[str, object]:
    seconds, log, ok = build(site)
    if not ok:
        print(log[-3000:], file=sys.stderr)
    return {"seconds": round(seconds, 2), "executed": executed_count(log), "ok": ok}


def one_round(root: Path, case: Case, stock_first: bool) -> list[dict[str, object]]:
    ours = case.make(root / "ours")
    stock = root / "stock"
    make_stock(ours, stock)
    sides = (
        [("stock", stock), ("ours", ours)] if stock_first else [("ours", ours), ("stock", stock)]
    )
    rows = []
    for scenario in SCENARIOS:
        if scenario == "one post's code edited":
            for _, site in sides:
                edit_last_code_cell(site / case.edited)
        pair = {side: timed(site) for side, site in sides}
        row = {"case": case.name, "scenario": scenario, **pair}
        ours_s, stock_s = pair["ours"]["seconds"], pair["stock"]["seconds"]
        row["ratio"] = round(float(ours_s) / float(stock_s), 2)
        executed = f"{pair['ours']['executed']}/{pair['stock']['executed']}"
        print(
            f"  {row['case']}, {scenario}: ours {ours_s} s, stock {stock_s} s, "
            f"ratio {row['ratio']}, executed {executed}",
            flush=True,
        )
        rows.append(row)
    shutil.rmtree(ours)
    shutil.rmtree(stock)
    return rows


def summarise(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    keys = sorted({(str(r["case"]), str(r["scenario"])) for r in rows})
    table = []
    for case, scenario in keys:
        pairs = [r for r in rows if r["case"] == case and r["scenario"] == scenario]
        table.append(
            {
                "case": case,
                "scenario": scenario,
                "ours_s": [p["ours"]["seconds"] for p in pairs],
                "stock_s": [p["stock"]["seconds"] for p in pairs],
                "ratios": [p["ratio"] for p in pairs],
                "median_ratio": round(statistics.median(float(p["ratio"]) for p in pairs), 2),
                "executed": [(p["ours"]["executed"], p["stock"]["executed"]) for p in pairs],
                "all_ok": all(p["ours"]["ok"] and p["stock"]["ok"] for p in pairs),
            }
        )
    return table


def report(
    table: list[dict[str, object]], posts: int, rounds: int, real_rounds: int, load: str
) -> str:
    real = (
        f"the real site (its ten posts and labs, as a fresh clone has them) in {real_rounds} "
        "round(s)"
        if real_rounds
        else "not the real site"
    )
    lines = [
        SECTION,
        "",
        f"Measured {dt.date.today().isoformat()} by `python benchmarks/paired.py --posts {posts} "
        f"--rounds {rounds} --real-rounds {real_rounds}` on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}; load average "
        f"{load}. Each ratio is ours ÷ stock within one back-to-back pair (order alternating "
        "by round); below 1 means this pipeline is faster. Cases: synthetic sites (one small "
        f"cell a post) in {rounds} round(s), and {real}.",
        "",
        "| Case | Scenario | Ours (s) | Stock (s) | Ratio per round | Median ratio | "
        "Executed (ours/stock) | All built |",
        "| --- | --- | --- | --- | --- | ---: | --- | --- |",
    ]
    for row in table:
        lines.append(
            f"| {row['case']} | {row['scenario']} | {', '.join(map(str, row['ours_s']))} | "
            f"{', '.join(map(str, row['stock_s']))} | {', '.join(map(str, row['ratios']))} | "
            f"**{row['median_ratio']}** | {', '.join(f'{a}/{b}' for a, b in row['executed'])} | "
            f"{'yes' if row['all_ok'] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    doc = REPORT.read_text(encoding="utf-8")
    if SECTION in doc:
        start = doc.index(SECTION)
        after = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + text + (doc[after:] if after >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    REPORT.write_text(doc, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20, help="posts in each synthetic site")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the synthetic cases")
    parser.add_argument(
        "--real-rounds", type=int, default=1, help="rounds of the real site (0: leave it out)"
    )
    args = parser.parse_args()
    plan = [(synthetic_case(args.posts, identical), args.rounds) for identical in (False, True)]
    plan.append((REAL_SITE, args.real_rounds))
    rows: list[dict[str, object]] = []
    load_before = os.getloadavg()[0]
    for case, rounds in plan:
        for round_ in range(rounds):
            print(f"{case.name}: round {round_ + 1} of {rounds}", flush=True)
            with tempfile.TemporaryDirectory(prefix="englogs-paired-") as tmp:
                rows += one_round(Path(tmp), case, stock_first=round_ % 2 == 1)
    table = summarise(rows)
    RESULTS.write_text(json.dumps({"rows": rows, "table": table}, indent=2) + "\n", "utf-8")
    load = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    write_section(report(table, args.posts, args.rounds, args.real_rounds, load))
    print(f"wrote {RESULTS.relative_to(REPO)} and the paired section of docs/benchmarks.md")
    return 0 if all(row["all_ok"] for row in table) else 1


if __name__ == "__main__":
    sys.exit(main())

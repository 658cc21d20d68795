"""Turn benchmarks/results.json into docs/benchmarks.md, with the targets checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGETS = """\
| Target | Rule |
| --- | --- |
| S2 | ≤ 3% of S0's time, 0 notebooks executed, 0 pages re-read |
| S3, S5 | 0 notebooks executed |
| S4 | exactly 1 notebook executed |
| S1 | 0 notebooks executed |
| index builder | time at 10,000 posts ≤ 3 × time at 10 |
"""


def _by_site(builds: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    sites: dict[str, dict[str, dict[str, Any]]] = {}
    for row in builds:
        sites.setdefault(row["site"], {})[row["scenario"].split()[0]] = row
    return sites


def check_targets(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(what, measured, met) for every target on every site."""
    checks = []
    for site, runs in _by_site(data["builds"]).items():
        s0, s2 = runs["S0"], runs["S2"]
        ratio = s2["seconds"] / s0["seconds"]
        checks.append(
            (f"{site}: S2 ≤ 3% of S0, nothing executed or re-read",
             f"{ratio:.1%}, executed {s2['executed']}, re-read {s2['reread']}",
             ratio <= 0.03 and s2["executed"] == 0 and s2["reread"] == 0)
        )  # fmt: skip
        for key, want in (("S1", 0), ("S3", 0), ("S5", 0), ("S4", 1)):
            got = runs[key]["executed"]
            checks.append((f"{site}: {key} executes {want}", f"executed {got}", got == want))
        checks.append((f"{site}: every build succeeded", "", all(r["ok"] for r in runs.values())))
    index = {int(k): v for k, v in data["index_builder"].items()}
    if 10 in index and 10000 in index:
        ratio = index[10000] / index[10]
        checks.append(("index builder: 10,000 posts ≤ 3 × 10 posts", f"{ratio:.2f}×", ratio <= 3))
    return checks


def write_report(data: dict[str, Any], path: Path) -> None:
    lines = [
        "# Build benchmarks",
        "",
        f"Measured {data['date']} on {data['machine']}.",
        "Reproduce: `python benchmarks/run.py` (writes `benchmarks/results.json` and this page).",
        "The machine is shared and noisy: read ratios and counts, not absolute seconds.",
        "",
        "## Targets",
        "",
        TARGETS,
        "| Check | Measured | Met |",
        "| --- | --- | --- |",
    ]
    for what, measured, met in check_targets(data):
        lines.append(f"| {what} | {measured} | {'yes' if met else '**no**'} |")
    lines += ["", "## Builds", ""]
    for site, runs in _by_site(data["builds"]).items():
        lines += [f"### {site}", "", "| Scenario | Seconds | Notebooks executed | Pages re-read |"]
        lines.append("| --- | ---: | ---: | ---: |")
        for row in runs.values():
            cells = [row["scenario"], f"{row['seconds']:.1f}", row["executed"], row["reread"]]
            lines.append("| " + " | ".join(map(str, cells)) + " |")
        lines.append("")
    lines += ["## Index builder alone", "", "| Posts | Seconds (median, warm) |", "| ---: | ---: |"]
    for posts, seconds in sorted(data["index_builder"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"| {int(posts):,} | {seconds:.3f} |")
    speedup = data.get("speedup") or {}
    if len(speedup) == 2:
        one, many = speedup.values()
        lines += [
            "",
            "## Parallel execution",
            "",
            "Cold build of the 100-post synthetic site (numpy/pandas cell), notebooks executed by "
            "the parallel pre-executor with one worker, then with one per core:",
            "",
            "| Workers | Seconds |",
            "| --- | ---: |",
            *[f"| {k} | {v:.1f} |" for k, v in speedup.items()],
            "",
            f"Speed-up: **{one / many:.2f}×**.",
        ]
    extra = data.get("notes")
    if extra:
        lines += ["", "## Notes", "", *extra]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results.json")
    write_report(
        json.loads(results.read_text(encoding="utf-8")),
        Path(__file__).parent.parent / "docs" / "benchmarks.md",
    )

"""The real site: its posts follow the content plan, its index is fresh, it builds strictly."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, run_command
from sitegen.build import generate

# A copy of shared/seeds/posts.csv: titles, dates, categories, read times and summaries.
SEED = FIXTURES / "seed-posts.csv"
FEATURED_READ_MINUTES = 12  # the featured post has no figure in the seed; the standard says 12


def seed_rows() -> list[dict[str, str]]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def site_posts() -> dict[str, dict[str, object]]:
    index = generate(REPO, dt.date.today())
    return {row["title"]: row for row in index.published.to_dict("records")}


@pytest.mark.parametrize("seed", seed_rows(), ids=lambda row: row["title"][:40])
def test_each_seeded_post_is_published_as_planned(
    seed: dict[str, str], site_posts: dict[str, dict[str, object]]
) -> None:
    post = site_posts.get(seed["title"])
    assert post is not None, f"no published post titled {seed['title']!r}"
    assert post["date"].isoformat() == seed["date"]
    assert post["category"] == seed["category"]
    assert post["summary"] == seed["summary"]
    assert post["featured"] is (seed["featured"] == "true")
    target = int(seed["read_minutes"] or FEATURED_READ_MINUTES)
    assert abs(post["read_minutes"] - target) <= 1, (post["read_minutes"], target)
    assert 3 <= len(post["tags"]) <= 6
    for tag in filter(None, seed["tags"].split(";")):
        assert tag in post["tags"]


def test_generated_files_are_up_to_date() -> None:
    result = run_command("build-index", "--root", REPO, "--check")
    assert result.returncode == 0, result.stderr


def test_every_post_asserts_its_claims_and_glues_its_numbers() -> None:
    for post in sorted((REPO / "posts").glob("*.md")):
        text = post.read_text(encoding="utf-8")
        assert re.search(r":tags: \[[^\]]*remove-cell", text), f"{post.name}: no hidden assert cell"
        assert "{glue:text}" in text, f"{post.name}: no glued number"
        assert "\nassert " in text, f"{post.name}: no assert"


@pytest.mark.build
def test_the_site_builds_strictly_with_every_post_and_lab(built_site: Path) -> None:
    for post in (REPO / "posts").glob("*.md"):
        assert (built_site / "posts" / f"{post.stem}.html").is_file(), post.name
    for lab in (REPO / "notebooks").glob("*.ipynb"):
        assert (built_site / "notebooks" / f"{lab.stem}.html").is_file(), lab.name
    log = (built_site.parent.parent / "build.log").read_text(encoding="utf-8")
    assert "build succeeded" in log
    # Sphinx warnings read "WARNING:"; the kernel's own "[IPKernelApp] WARNING |" log is not one.
    assert re.findall(r".*WARNING:.*", log) == []

"""The generated pages, unit by unit: dates, tags, tag counts, archive years, empty cases."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from bs4 import BeautifulSoup

from sitegen import pages
from sitegen.site import load_site


def _frame(*posts: tuple[str, str, list[str], str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"slug": slug, "title": slug.title(), "date": dt.date.fromisoformat(day),
             "category": category, "tags": tags, "summary": "s", "featured": False,
             "read_minutes": 2, "url": f"posts/{slug}.html"}
            for slug, day, tags, category in posts
        ]
    )  # fmt: skip


FRAME = _frame(
    ("c", "2025-03-01", ["jwt", "iam"], "Security"),
    ("b", "2024-12-31", ["jwt"], "Security"),
    ("a", "2024-01-05", ["<odd>"], "AWS"),
)


def test_dates_read_the_same_on_every_machine() -> None:
    assert pages.display_date(dt.date(2025, 8, 5)) == "Aug 05, 2025"


def test_tags_are_escaped_links_relative_to_the_page() -> None:
    soup = BeautifulSoup(pages.tags_html(["jwt", "<odd>"], "../"), "html.parser")
    links = [(a["href"], a.get_text()) for a in soup.find_all("a")]
    assert links == [("../tags/jwt.html", "jwt"), ("../tags/<odd>.html", "<odd>")]
    assert "<odd>" not in str(pages.tags_html(["<odd>"], ""))  # escaped in the markup


def test_tag_counts_most_used_first_then_alphabetical() -> None:
    assert pages.tag_counts(FRAME) == [("jwt", 2), ("<odd>", 1), ("iam", 1)]


def test_archive_groups_posts_by_year_newest_first() -> None:
    archive = pages.archive_page(pages.card_records(FRAME))
    years = re.findall(r"^## (\d{4})", archive, re.M)
    assert years == ["2025", "2024"]
    assert archive.index("posts/b.html") < archive.index("posts/a.html")


def test_category_and_tag_pages_exist_only_where_posts_are(book: Path) -> None:
    site = load_site(book)
    posts = pages.card_records(FRAME)
    assert sorted(pages.category_pages(posts, site)) == [
        "categories/aws.md",
        "categories/security.md",
    ]
    assert sorted(pages.tag_pages(posts, FRAME)) == [
        "tags/<odd>.md", "tags/iam.md", "tags/index.md", "tags/jwt.md",
    ]  # fmt: skip


def test_a_landing_page_with_no_posts_has_no_cards(book: Path) -> None:
    site = load_site(book)
    empty = FRAME.iloc[0:0]
    landing = pages.landing_page([], empty, site)
    assert site.settings.heading in landing and "el-card" not in landing

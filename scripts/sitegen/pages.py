"""The generated Markdown pages: landing page, one per category and per tag, archive.

Pages are MyST Markdown with raw HTML cards, rendered by Jinja2 with autoescaping on, so a
title such as ``Tokens <script> & "quotes"`` is shown as text, never as markup.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from sitegen.site import Site, slugify

# The original page's header and intro (shared/seeds/index-page.txt).
KICKER = "ENGINEERING LOGS // KNOWLEDGE BASE"
HEADING = "Writing about Distributed Systems"
INTRO = (
    "Thoughts, deep-dives, and architectural blueprints on building scalable backends, "
    "cloud infrastructure, and secure APIs. No basic tutorials—just production-grade engineering."
)
# Month names fixed here, not taken from the locale, so every machine renders the same bytes.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def display_date(value: Any) -> str:
    """``2025-08-05`` → ``Aug 05, 2025``, as on the original page."""
    return f"{MONTHS[value.month - 1]} {value.day:02d}, {value.year}"


def card_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Posts as the dictionaries the templates render, newest first."""
    return [
        {
            **row,
            "category_slug": slugify(row["category"]),
            "iso_date": row["date"].isoformat(),
            "display_date": display_date(row["date"]),
        }
        for row in frame.to_dict("records")
    ]


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def landing_page(frame: pd.DataFrame, site: Site) -> str:
    posts = card_records(frame)
    featured = next((p for p in posts if p["featured"]), None)
    counts = frame["category"].value_counts()
    categories = [
        {"name": c.name, "slug": c.slug, "count": int(counts.get(c.name, 0))}
        for c in site.categories
        if counts.get(c.name, 0)
    ]
    return _render(
        "landing.md.j2",
        kicker=KICKER,
        heading=HEADING,
        intro=INTRO,
        categories=categories,
        featured=featured,
        posts=[p for p in posts if p is not featured],
    )


def category_pages(frame: pd.DataFrame, site: Site) -> dict[str, str]:
    """``categories/<slug>.md`` for every category that has a published post."""
    return {
        f"categories/{category.slug}.md": _render(
            "category.md.j2",
            category=category,
            posts=card_records(frame[frame["category"] == category.name]),
        )
        for category in site.categories
        if (frame["category"] == category.name).any()
    }


def tag_counts(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """Every tag with its number of posts, most used first, then alphabetical."""
    counts = frame["tags"].explode().dropna().value_counts()
    return sorted(((str(t), int(n)) for t, n in counts.items()), key=lambda tn: (-tn[1], tn[0]))


def tag_pages(frame: pd.DataFrame) -> dict[str, str]:
    """``tags/<tag>.md`` for every tag in use, plus ``tags/index.md``."""
    tags = tag_counts(frame)
    pages = {
        f"tags/{tag}.md": _render(
            "tag.md.j2",
            tag=tag,
            posts=card_records(frame[frame["tags"].map(lambda ts, t=tag: t in ts)]),
        )
        for tag, _ in tags
    }
    pages["tags/index.md"] = _render("tags-index.md.j2", tags=sorted(tags))
    return pages


def archive_page(frame: pd.DataFrame) -> str:
    posts = card_records(frame)
    years = [(year, list(group)) for year, group in groupby(posts, key=lambda p: p["date"].year)]
    return _render("archive.md.j2", years=years)

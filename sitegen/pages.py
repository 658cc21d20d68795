"""The generated Markdown pages: landing page, one per category and per tag, archive.

Pages are MyST Markdown with raw HTML cards. Page layouts are Jinja2 templates with
autoescaping on; the post cards, rendered tens of thousands of times on a large site, are
built here with ``html.escape``. Either way a title such as ``Tokens <script> & "quotes"``
is shown as text, never as markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from sitegen.site import Site, slugify

if TYPE_CHECKING:
    import pandas as pd

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
    """Posts as the dictionaries the pages render, newest first, each with its card HTML."""
    records = []
    for row in frame.to_dict("records"):
        post = {
            **row,
            "category_slug": slugify(row["category"]),
            "iso_date": row["date"].isoformat(),
            "display_date": display_date(row["date"]),
        }
        # Rendered once per page depth, then reused by every page that lists the post.
        post["card"] = {root: _card(post, root) for root in ("", "../")}
        records.append(post)
    return records


def tags_html(tags: Iterable[str], root: str) -> Markup:
    items = "".join(
        f'<li><a href="{root}tags/{html.escape(t)}.html">{html.escape(t)}</a></li>' for t in tags
    )
    return Markup(f'<ul class="el-tags" aria-label="Tags">{items}</ul>')


def _card(post: dict[str, Any], root: str) -> str:
    e = html.escape
    category_url = f"{root}categories/{post['category_slug']}.html"
    return (
        '<article class="el-card">\n'
        f'<p class="el-meta"><a class="el-category" href="{category_url}">{e(post["category"])}</a>'
        f'<span class="el-readtime">{post["read_minutes"]} MIN READ</span></p>\n'
        f'<h3 class="el-card-title"><a class="el-stretched" href="{root}{e(post["url"])}">'
        f"{e(post['title'])}</a></h3>\n"
        f'<p class="el-summary">{e(post["summary"])}</p>\n'
        f'<p class="el-card-foot"><time datetime="{post["iso_date"]}">{post["display_date"]}</time>'
        '<span class="el-arrow" aria-hidden="true">→</span></p>\n'
        "</article>\n"
    )


def cards_html(posts: list[dict[str, Any]], root: str) -> Markup:
    cards = "".join(post["card"][root] for post in posts)
    return Markup(f'<div class="el-grid">\n{cards}</div>')


def _archive_item(post: dict[str, Any]) -> str:
    e = html.escape
    return (
        f'<li><time datetime="{post["iso_date"]}">{post["display_date"]}</time> '
        f'<a href="{e(post["url"])}">{e(post["title"])}</a> '
        f'<span class="el-category">{e(post["category"])}</span></li>'
    )


def _render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)


def landing_page(posts: list[dict[str, Any]], frame: pd.DataFrame, site: Site) -> str:
    featured = next((p for p in posts if p["featured"]), None)
    others = [p for p in posts if p is not featured]
    counts = frame["category"].value_counts()
    categories = [
        {"name": c.name, "slug": c.slug, "count": int(counts.get(c.name, 0))}
        for c in site.categories
        if counts.get(c.name, 0)
    ]
    return _render(
        "landing.md.j2",
        kicker=site.settings.kicker,
        heading=site.settings.heading,
        intro=site.settings.intro,
        categories=categories,
        featured=featured,
        featured_tags=tags_html(featured["tags"], "") if featured else "",
        has_others=bool(others),
        cards=cards_html(others, ""),
    )


def category_pages(posts: list[dict[str, Any]], site: Site) -> dict[str, str]:
    """``categories/<slug>.md`` for every category that has a published post."""
    pages = {}
    for category in site.categories:
        members = [p for p in posts if p["category"] == category.name]
        if members:
            pages[f"categories/{category.slug}.md"] = _render(
                "category.md.j2",
                category=category,
                count=len(members),
                cards=cards_html(members, "../"),
            )
    return pages


def tag_counts(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """Every tag with its number of posts, most used first, then alphabetical."""
    counts = frame["tags"].explode().dropna().value_counts()
    return sorted(((str(t), int(n)) for t, n in counts.items()), key=lambda tn: (-tn[1], tn[0]))


def tag_pages(posts: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, str]:
    """``tags/<tag>.md`` for every tag in use, plus ``tags/index.md``."""
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for post in posts:
        for tag in post["tags"]:
            by_tag.setdefault(tag, []).append(post)
    pages = {
        f"tags/{tag}.md": _render(
            "tag.md.j2", tag=tag, count=len(members), cards=cards_html(members, "../")
        )
        for tag, members in by_tag.items()
    }
    pages["tags/index.md"] = _render("tags-index.md.j2", tags=sorted(tag_counts(frame)))
    return pages


def archive_page(posts: list[dict[str, Any]]) -> str:
    years = [
        (year, Markup("".join(_archive_item(p) for p in group)))
        for year, group in groupby(posts, key=lambda p: p["date"].year)
    ]
    return _render("archive.md.j2", years=years)

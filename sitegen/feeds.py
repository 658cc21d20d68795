"""Machine-readable outputs at the site root: the RSS feed and the index metadata.

All three are byte-for-byte reproducible: no "now" timestamps (the feed's build date is the
newest post's date) and fixed key order.
"""

from __future__ import annotations

import datetime as dt
import html
import json

import pandas as pd
from feedgen.feed import FeedGenerator

from sitegen.site import Site

INDEX_FIELDS = [
    "slug", "title", "date", "updated", "category", "tags", "summary", "featured",
    "read_minutes", "url",
]  # fmt: skip


def _midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def rss_feed(
    frame: pd.DataFrame,
    site: Site,
    *,
    path: str = "feed.xml",
    title: str | None = None,
    description: str | None = None,
) -> bytes:
    """RSS 2.0: the newest ``feed_entries`` posts (``sitegen.settings``) with title, link,
    date, summary and categories; ``path``, ``title`` and ``description`` for a category's."""
    feed = FeedGenerator()
    feed.title(title or site.title)
    feed.link(href=site.baseurl, rel="alternate")
    feed.link(href=site.absolute_url(path), rel="self")
    feed.description(description if description is not None else site.settings.intro)
    feed.language("en")
    feed.generator("Engineering Logs (python-feedgen)")
    if not frame.empty:
        feed.lastBuildDate(_midnight_utc(frame["date"].max()))
    for post in frame.head(site.settings.feed_entries).to_dict("records"):
        entry = feed.add_entry(order="append")
        url = site.absolute_url(post["url"])
        # RSS readers render <title> and <description> as HTML: escaped here and again by
        # the XML writer, so a reader shows the posts.json text ("<b>" stays "<b>").
        entry.title(html.escape(post["title"], quote=False))
        entry.link(href=url)
        entry.guid(url, permalink=True)
        entry.pubDate(_midnight_utc(post["date"]))
        entry.description(html.escape(post["summary"], quote=False))
        for term in [post["category"], *post["tags"]]:
            entry.category(term=term)
    rss: bytes = feed.rss_str(pretty=True)
    return rss


def category_feeds(frame: pd.DataFrame, site: Site) -> dict[str, bytes]:
    """``feed-<category slug>.xml``: one feed per category that has a published post (beside
    ``feed.xml``, where the index owns the folder and removes a feed whose category empties)."""
    feeds = {}
    for category in site.categories:
        members = frame[frame["category"] == category.name]
        if not members.empty:
            path = f"feed-{category.slug}.xml"
            feeds[path] = rss_feed(
                members,
                site,
                path=path,
                title=f"{site.title}: {category.name}",
                description=category.description,
            )
    return feeds


def index_records(frame: pd.DataFrame, site: Site) -> list[dict[str, object]]:
    records = []
    for post in frame[INDEX_FIELDS].to_dict("records"):
        post["date"] = post["date"].isoformat()
        post["updated"] = post["updated"].isoformat() if post["updated"] else None
        post["url"] = site.absolute_url(post["url"])
        post["featured"] = bool(post["featured"])
        post["read_minutes"] = int(post["read_minutes"])
        records.append(post)
    return records


def posts_json(records: list[dict[str, object]]) -> str:
    """A JSON array, one post per line: readable, diffable, and fast (C encoder per record)."""
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    return "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"


def posts_csv(records: list[dict[str, object]]) -> str:
    table = pd.DataFrame(records, columns=INDEX_FIELDS)
    table["tags"] = table["tags"].map(";".join)
    text: str = table.to_csv(index=False, lineterminator="\n")
    return text

"""The feed and index files, unit by unit: length, order, absolute links, CSV tags."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pandas as pd

from sitegen import feeds
from sitegen.posts import COLUMNS
from sitegen.settings import Settings
from sitegen.site import load_site


def _frame(count: int) -> pd.DataFrame:
    first = dt.date(2025, 1, 1)
    rows = [
        {"slug": f"p{i}", "title": f"P{i}", "date": first + dt.timedelta(days=count - i),
         "updated": None, "category": "AWS", "tags": ["a", "b"], "summary": "s",
         "featured": False, "read_minutes": 3, "url": f"posts/p{i}.html"}
        for i in range(count)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def test_the_feed_holds_the_newest_feed_entries_with_absolute_links(book: Path) -> None:
    site = replace(load_site(book), settings=Settings(feed_entries=2))
    channel = ET.fromstring(feeds.rss_feed(_frame(5), site)).find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["P0", "P1"]
    assert items[0].findtext("link") == "https://example.org/logs/posts/p0.html"
    assert channel.findtext("description") == Settings().intro
    assert channel.findtext("lastBuildDate") == "Mon, 06 Jan 2025 00:00:00 +0000"  # the newest post


def test_an_empty_site_has_an_empty_json_list_and_a_header_only_csv(book: Path) -> None:
    site = load_site(book)
    records = feeds.index_records(_frame(0), site)
    assert json.loads(feeds.posts_json(records)) == []
    assert feeds.posts_csv(records).splitlines() == [",".join(feeds.INDEX_FIELDS)]


def test_csv_joins_tags_and_json_keeps_them_a_list(book: Path) -> None:
    records = feeds.index_records(_frame(1), load_site(book))
    assert json.loads(feeds.posts_json(records))[0]["tags"] == ["a", "b"]
    assert ",a;b," in feeds.posts_csv(records)

"""Everything the index builder generates, as one mapping of path → bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sitegen import feeds, pages
from sitegen.outputs import encode_all, stale_files, write_outputs
from sitegen.posts import load_posts, published
from sitegen.site import Site, load_site
from sitegen.toc import lab_files, toc

TODAY_ENV = "ENGLOGS_TODAY"


def today() -> dt.date:
    """The publication date: today, unless ``ENGLOGS_TODAY=YYYY-MM-DD`` pins it (tests)."""
    pinned = os.environ.get(TODAY_ENV)
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


@dataclass(frozen=True)
class Index:
    site: Site
    posts: pd.DataFrame  # every valid post, drafts and future ones included
    published: pd.DataFrame  # what readers see
    labs: list[str]  # docnames of the companion labs
    outputs: dict[str, bytes]

    @property
    def unpublished_paths(self) -> list[str]:
        return sorted(set(self.posts["path"]) - set(self.published["path"]))

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything a page shows about *other* pages changes."""
        digest = hashlib.sha256()
        for name in ("_toc.yml", "_extra/posts.json"):
            digest.update(self.outputs[name])
        return digest.hexdigest()


def generate(root: Path, on: dt.date | None = None, *, save_cache: bool = True) -> Index:
    """Read and validate every post, and render every generated file (writes none of them).

    Raises sitegen.posts.InvalidPosts with every problem found.
    """
    site = load_site(root)
    frame = load_posts(root, site, save_cache=save_cache)
    visible = published(frame, on or today())
    labs = lab_files(root)
    posts = pages.card_records(visible)
    records = feeds.index_records(visible, site)
    outputs = encode_all(
        [
            ("_toc.yml", toc(visible, site, labs)),
            ("index.md", pages.landing_page(posts, visible, site)),
            ("archive.md", pages.archive_page(posts)),
            *pages.category_pages(posts, site).items(),
            *pages.tag_pages(posts, visible).items(),
            ("_extra/feed.xml", feeds.rss_feed(visible, site)),
            ("_extra/posts.json", feeds.posts_json(records)),
            ("_extra/posts.csv", feeds.posts_csv(records)),
        ]
    )
    return Index(site=site, posts=frame, published=visible, labs=labs, outputs=outputs)


def build(root: Path, *, check: bool = False, on: dt.date | None = None) -> tuple[Index, list[str]]:
    """Generate, then write what changed (or, with ``check``, list what is stale)."""
    index = generate(root, on, save_cache=not check)
    if check:
        return index, stale_files(root, index.outputs)
    return index, write_outputs(root, index.outputs)

"""Everything the index builder generates, as one mapping of path → bytes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sitegen import feeds, index_stamp, pages
from sitegen.inputs import lab_problems
from sitegen.model import PostRecord, SiteIndex, link_posts
from sitegen.outputs import encode_all, stale_files, write_outputs
from sitegen.posts import load_posts, published
from sitegen.problems import InvalidPosts
from sitegen.site import Site, load_site, today
from sitegen.toc import lab_files, toc


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

    @property
    def includes(self) -> list[str]:
        """Every file a post shows with ``literalinclude``: an input of the index too."""
        return sorted({path for paths in self.posts["includes"] for path in paths})

    @functools.cached_property
    def model(self) -> SiteIndex:
        """The typed index every Sphinx hook reads (``sitegen.model``)."""
        records = (
            PostRecord(
                slug=row["slug"],
                path=row["path"],
                title=row["title"],
                date=row["date"],
                updated=row["updated"] or None,
                category=row["category"],
                tags=tuple(row["tags"]),
                summary=row["summary"],
                featured=bool(row["featured"]),
                read_minutes=int(row["read_minutes"]),
            )
            for row in self.published.to_dict("records")
        )
        return SiteIndex(
            posts=link_posts(
                records,
                related_count=self.site.settings.related_posts,
                sidebar_posts=self.site.settings.sidebar_posts,
            ),
            labs=tuple(self.labs),
            unpublished_paths=tuple(self.unpublished_paths),
            fingerprint=self.fingerprint,
            settings=self.site.settings,
        )


def generate(root: Path, on: dt.date | None = None, *, save_cache: bool = True) -> Index:
    """Read and validate every post, and render every generated file (writes none of them).

    Raises sitegen.posts.InvalidPosts with every problem found.
    """
    site = load_site(root)
    lab_issues = lab_problems(root)  # checked first: a broken lab must not reach _toc.yml
    try:
        frame = load_posts(root, site, save_cache=save_cache and not lab_issues)
    except InvalidPosts as error:
        raise InvalidPosts([*error.problems, *lab_issues]) from None
    if lab_issues:
        raise InvalidPosts(lab_issues)
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
            *(
                (f"_extra/{path}", feed)
                for path, feed in feeds.category_feeds(visible, site).items()
            ),
            ("_extra/posts.json", feeds.posts_json(records)),
            ("_extra/posts.csv", feeds.posts_csv(records)),
        ]
    )
    return Index(site=site, posts=frame, published=visible, labs=labs, outputs=outputs)


def build(
    root: Path, *, check: bool = False, on: dt.date | None = None, record: bool = False
) -> tuple[Index, list[str]]:
    """Generate, then write what changed (or, with ``check``, list what is stale).

    With ``record``, also note what the index was made from, so that the next Sphinx build
    can skip all this while nothing changes (``sitegen.index_stamp``).
    """
    on = on or today()
    index = generate(root, on, save_cache=not check)
    if check:
        return index, stale_files(root, index.outputs)
    changed = write_outputs(root, index.outputs)
    if record:
        index_stamp.save(
            root, on.isoformat(), index.model, index.includes, index.posts.to_dict("records")
        )
    return index, changed

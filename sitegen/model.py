"""The typed site index: what every Sphinx hook knows about the site, computed once a build.

The pandas builder (``sitegen.build``) validates the posts and emits one ``SiteIndex``: a
``PostRecord`` per published post with its neighbours in its category, its related posts
and whether the sidebar lists it, all precomputed. It is persisted once per build
(``sitegen.index_stamp``); the Sphinx hooks read only this, so a page costs one dictionary
lookup whatever the number of posts, and no hook imports pandas.

This module imports nothing heavier than the standard library.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sitegen.settings import Settings

POSTS_PREFIX = "posts/"


@dataclass(frozen=True)
class PostRecord:
    """One published post, as pages and hooks show it."""

    slug: str
    path: str  # source file, relative to the book's root
    title: str
    date: dt.date
    updated: dt.date | None
    category: str
    tags: tuple[str, ...]
    summary: str
    featured: bool
    read_minutes: int
    newer: str | None = None  # slug of the next newer post in the same category
    older: str | None = None  # slug of the next older post in the same category
    related: tuple[str, ...] = ()  # slugs, best first
    listed: bool = True  # whether the sidebar lists it (else Sphinx must treat it as orphan)

    @property
    def docname(self) -> str:
        return f"{POSTS_PREFIX}{self.slug}"

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in _PLAIN_FIELDS},
            "date": self.date.isoformat(),
            "updated": self.updated.isoformat() if self.updated else None,
            "tags": list(self.tags),
            "related": list(self.related),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PostRecord:
        """Raises KeyError, TypeError or ValueError on a record that does not fit."""
        plain = {name: data[name] for name in _PLAIN_FIELDS}
        for name, kind in _PLAIN_FIELDS.items():
            if not isinstance(plain[name], kind):
                raise TypeError(f"{name}: {plain[name]!r} is not {kind}")
        updated = data["updated"]
        return cls(
            **plain,
            date=dt.date.fromisoformat(data["date"]),
            updated=dt.date.fromisoformat(updated) if updated is not None else None,
            tags=tuple(str(tag) for tag in data["tags"]),
            related=tuple(str(slug) for slug in data["related"]),
        )


# Fields JSON holds as they are, with the types they must have.
_PLAIN_FIELDS: dict[str, type | tuple[type, ...]] = {
    "slug": str,
    "path": str,
    "title": str,
    "category": str,
    "summary": str,
    "featured": bool,
    "read_minutes": int,
    "newer": (str, type(None)),
    "older": (str, type(None)),
    "listed": bool,
}


@dataclass(frozen=True)
class SiteIndex:
    """The published site: posts newest first, labs, and what the build must leave out."""

    posts: tuple[PostRecord, ...]
    labs: tuple[str, ...]  # docnames of the companion labs
    unpublished_paths: tuple[str, ...]  # drafts and future posts, excluded from the build
    fingerprint: str  # changes when anything a page shows about other pages changes
    settings: Settings = field(default_factory=Settings)  # heading, intro: other pages' cards

    @functools.cached_property
    def _by_slug(self) -> dict[str, PostRecord]:
        return {post.slug: post for post in self.posts}

    def post(self, docname: str) -> PostRecord | None:
        """The post published at ``docname`` (``posts/<slug>``), if any: O(1)."""
        if not docname.startswith(POSTS_PREFIX):
            return None
        return self._by_slug.get(docname.removeprefix(POSTS_PREFIX))

    def by_slug(self, slug: str | None) -> PostRecord | None:
        return None if slug is None else self._by_slug.get(slug)

    @property
    def unlisted(self) -> list[str]:
        """Docnames of the published posts the sidebar leaves out."""
        return sorted(post.docname for post in self.posts if not post.listed)

    def to_json(self) -> dict[str, Any]:
        return {
            "posts": [post.to_json() for post in self.posts],
            "labs": list(self.labs),
            "unpublished_paths": list(self.unpublished_paths),
            "fingerprint": self.fingerprint,
            "settings": self.settings.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SiteIndex:
        """Raises KeyError, TypeError or ValueError on data that does not fit."""
        fingerprint = data["fingerprint"]
        if not isinstance(fingerprint, str):
            raise TypeError("fingerprint")
        return cls(
            posts=tuple(PostRecord.from_json(post) for post in data["posts"]),
            labs=tuple(str(lab) for lab in data["labs"]),
            unpublished_paths=tuple(str(path) for path in data["unpublished_paths"]),
            fingerprint=fingerprint,
            settings=Settings.from_json(data["settings"]),
        )


def link_posts(
    posts: Iterable[PostRecord], *, related_count: int, sidebar_posts: int
) -> tuple[PostRecord, ...]:
    """Fill in neighbours, related posts and sidebar listing; ``posts`` is newest first.

    Related posts share the most tags (ties: same category, then newest); same-category posts
    sharing none fill the remaining places. Work grows with the posts sharing a tag, once a
    build, never per page.
    """
    ordered = list(posts)
    by_tag: dict[str, list[int]] = {}
    by_category: dict[str, list[int]] = {}
    for at, post in enumerate(ordered):
        by_category.setdefault(post.category, []).append(at)
        for tag in post.tags:
            by_tag.setdefault(tag, []).append(at)
    rank_in_category = {at: rank for ats in by_category.values() for rank, at in enumerate(ats)}
    linked = []
    for at, post in enumerate(ordered):
        same = by_category[post.category]
        rank = rank_in_category[at]
        newer = ordered[same[rank - 1]].slug if rank > 0 else None
        older = ordered[same[rank + 1]].slug if rank + 1 < len(same) else None
        linked.append(
            replace(
                post,
                newer=newer,
                older=older,
                related=_related(ordered, at, by_tag, same, related_count),
                listed=rank < sidebar_posts,
            )
        )
    return tuple(linked)


def _related(
    ordered: list[PostRecord],
    at: int,
    by_tag: dict[str, list[int]],
    same_category: list[int],
    count: int,
) -> tuple[str, ...]:
    post = ordered[at]
    shared = Counter(other for tag in post.tags for other in by_tag[tag] if other != at)
    # Index order is newest first (then slug), so it breaks the remaining ties.
    best = sorted(
        shared, key=lambda other: (-shared[other], ordered[other].category != post.category, other)
    )[:count]
    for other in same_category:
        if len(best) >= count:
            break
        if other != at and other not in shared:
            best.append(other)
    return tuple(ordered[other].slug for other in best)

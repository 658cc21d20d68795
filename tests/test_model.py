"""The typed site index: links computed once agree with the ranking rules; JSON round-trips."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from sitegen.model import PostRecord, SiteIndex, link_posts
from sitegen.settings import Settings

CATEGORIES = ("Security", "AWS", "System Design")
TAGS = ("jwt", "iam", "queues", "retries", "cache", "sqs")


def _posts(count: int, seed: int) -> list[PostRecord]:
    rng = random.Random(seed)
    posts = [
        PostRecord(
            slug=f"post-{i:03d}",
            path=f"posts/post-{i:03d}.md",
            title=f"Post {i}",
            date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(40)),  # many ties
            updated=None,
            category=rng.choice(CATEGORIES),
            tags=tuple(rng.sample(TAGS, rng.randint(1, 3))),
            summary="s",
            featured=False,
            read_minutes=3,
        )
        for i in range(count)
    ]
    return sorted(posts, key=lambda p: (-p.date.toordinal(), p.slug))  # newest first


def _reference_related(frame: pd.DataFrame, slug: str, count: int) -> list[str]:
    """The ranking the pandas index used per page before the model existed."""
    row = frame[frame["slug"] == slug].iloc[0]
    tags, category = set(row["tags"]), row["category"]
    others = frame[frame["slug"] != slug].copy()
    others["shared"] = others["tags"].map(lambda ts: len(tags & set(ts)))
    others["same_category"] = others["category"] == category
    others = others[(others["shared"] > 0) | others["same_category"]]
    ranked = others.sort_values(
        ["shared", "same_category", "date", "slug"], ascending=[False, False, False, True]
    )
    return list(ranked.head(count)["slug"])


@pytest.mark.parametrize("seed", range(5))
def test_related_posts_match_the_ranking_rule(seed: int) -> None:
    posts = _posts(60, seed)
    frame = pd.DataFrame([{"slug": p.slug, "tags": p.tags, "category": p.category,
                           "date": p.date} for p in posts])  # fmt: skip
    linked = link_posts(posts, related_count=3, sidebar_posts=4)
    for post in linked:
        assert list(post.related) == _reference_related(frame, post.slug, 3), post.slug


def test_neighbours_and_sidebar_follow_each_category_newest_first() -> None:
    linked = link_posts(_posts(40, 7), related_count=3, sidebar_posts=4)
    for category in CATEGORIES:
        members = [p for p in linked if p.category == category]
        assert [p.newer for p in members] == [None, *(p.slug for p in members[:-1])]
        assert [p.older for p in members] == [*(p.slug for p in members[1:]), None]
        assert [p.listed for p in members] == [rank < 4 for rank in range(len(members))]


def test_the_index_round_trips_through_json_and_finds_posts_by_docname() -> None:
    index = SiteIndex(
        posts=link_posts(_posts(5, 1), related_count=2, sidebar_posts=1),
        labs=("notebooks/lab",),
        unpublished_paths=("posts/draft.md",),
        fingerprint="abc",
        settings=Settings(heading="H"),
    )
    again = SiteIndex.from_json(index.to_json())
    assert again == index
    first = index.posts[0]
    assert again.post(f"posts/{first.slug}") == first
    assert again.post("index") is None and again.post("posts/missing") is None
    assert again.unlisted == sorted(p.docname for p in index.posts if not p.listed)


@pytest.mark.parametrize(
    "change",
    [
        {"read_minutes": "3"},
        {"date": "05/01/2025"},
        {"featured": "yes"},
        {"tags": None},
    ],
)
def test_a_record_of_the_wrong_shape_is_refused(change: dict[str, object]) -> None:
    data = _posts(1, 2)[0].to_json() | change
    with pytest.raises((KeyError, TypeError, ValueError)):
        PostRecord.from_json(data)

"""What a post page shows about other posts: neighbours in its category, related posts,
and the provenance footer (when and with what it was executed)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from sitegen.pages import display_date

if TYPE_CHECKING:
    import pandas as pd

RELATED_COUNT = 3


def neighbours_in_category(
    frame: pd.DataFrame, slug: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(newer, older) post in the same category; ``frame`` is newest first."""
    category = frame.loc[frame["slug"] == slug, "category"]
    if category.empty:
        return None, None
    same = frame[frame["category"] == category.iloc[0]].reset_index(drop=True)
    at = int(same.index[same["slug"] == slug][0])
    newer = same.iloc[at - 1].to_dict() if at > 0 else None
    older = same.iloc[at + 1].to_dict() if at + 1 < len(same) else None
    return newer, older


def related(frame: pd.DataFrame, slug: str, count: int = RELATED_COUNT) -> pd.DataFrame:
    """Posts sharing the most tags with ``slug`` (ties: same category, then newest)."""
    rows = frame[frame["slug"] == slug]
    if rows.empty:
        return frame.iloc[0:0]
    tags, category = set(rows.iloc[0]["tags"]), rows.iloc[0]["category"]
    others = frame[frame["slug"] != slug].copy()
    others["shared"] = others["tags"].map(lambda ts: len(tags & set(ts)))
    others["same_category"] = others["category"] == category
    others = others[(others["shared"] > 0) | others["same_category"]]
    ranked = others.sort_values(
        ["shared", "same_category", "date", "slug"], ascending=[False, False, False, True]
    )
    return ranked.head(count)


def related_posts_html(frame: pd.DataFrame, slug: str) -> str:
    posts = related(frame, slug)
    if posts.empty:
        return ""
    items = "".join(
        f'<li><a href="{html.escape(p["slug"])}.html">{html.escape(p["title"])}</a>'
        f' <span class="el-meta-inline">{html.escape(p["category"])} · '
        f"{display_date(p['date'])}</span></li>"
        for p in posts.to_dict("records")
    )
    return (
        '<section class="el-related" aria-labelledby="el-related-label">'
        '<p class="el-section-label" id="el-related-label">Related posts</p>'
        f"<ul>{items}</ul></section>"
    )


def provenance_html(provenance: dict[str, Any]) -> str:
    """'Executed 2026-11-24 in 12.3 s with Python 3.11.7 · numpy 2.4.6 · …'."""
    parts = [f"Executed {html.escape(provenance['executed'].replace('T', ' '))} UTC"]
    if provenance.get("seconds") is not None:
        parts.append(f"in {provenance['seconds']:.1f} s")
    if provenance.get("python"):
        parts.append(f"with Python {html.escape(provenance['python'])}")
    packages = " · ".join(
        f"{html.escape(name)} {html.escape(version)}"
        for name, version in provenance.get("packages", {}).items()
    )
    libraries = f'<span class="el-packages">{packages}</span>' if packages else ""
    return f'<footer class="el-provenance"><p>{" ".join(parts)}</p>{libraries}</footer>'

"""What a post page shows about other posts (related posts) and about its own execution
(the provenance footer). Which posts are related is decided once per build, in
``sitegen.model.link_posts``; this module only renders."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from sitegen.model import PostRecord
from sitegen.pages import display_date


def related_posts_html(posts: Iterable[PostRecord]) -> str:
    """The "Related posts" list (links relative to ``posts/``); empty when there are none."""
    items = "".join(
        f'<li><a href="{html.escape(p.slug)}.html">{html.escape(p.title)}</a>'
        f' <span class="el-meta-inline">{html.escape(p.category)} · '
        f"{display_date(p.date)}</span></li>"
        for p in posts
    )
    if not items:
        return ""
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

"""Front-matter text stays text in the places Sphinx itself renders it.

Sphinx 7's search page inserts the section titles of its index (``alltitles`` in
``searchindex.js``) with ``innerHTML``, and stores them as plain ``astext()``: a post titled
``<img src=x onerror=...>`` would run script on ``search.html``. The page titles of the same
index are already HTML (``render_partial``), so only the section titles are escaped here, once,
as each page is written (pages not rewritten keep the titles escaped by an earlier build).
"""

from __future__ import annotations

import html
from typing import Any

from sphinx.application import Sphinx


def escape_search_titles(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Escape the section titles Sphinx just indexed for ``pagename`` (html-page-context
    follows ``index_page`` for the same page)."""
    indexer = getattr(app.builder, "indexer", None)
    titles = getattr(indexer, "_all_titles", None)
    if doctree is None or not isinstance(titles, dict) or pagename not in titles:
        return
    titles[pagename] = [
        (html.escape(title, quote=False), anchor) for title, anchor in titles[pagename]
    ]

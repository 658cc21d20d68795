"""Static search: a Pagefind index of the posts and labs, written after the HTML.

Pagefind (its binary ships in the ``pagefind`` wheel) splits the index into fragments; the
search page fetches only those a query needs, instead of every page loading the whole
``searchindex.js``. Only ``data-pagefind-body`` regions are indexed: the articles of posts
and labs, not the listings. The index is rebuilt when a page is newer than it: a build that
wrote nothing costs a stat per page (parallel writers included, which share no state).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
INDEX_DIR = "pagefind"


class SearchIndexFailed(SphinxError):
    category = "Search index failed"


ENTRY = "pagefind-entry.json"


def is_stale(outdir: Path) -> bool:
    """Whether any page was written after the index (or there is no index yet)."""
    entry = outdir / INDEX_DIR / ENTRY
    if not entry.is_file():
        return True
    built = entry.stat().st_mtime
    return any(page.stat().st_mtime > built for page in outdir.rglob("*.html"))


def build_index(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    if not is_stale(outdir):
        return
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagefind",
            "--quiet",
            # The "#" permalink after each heading is not part of a title or an excerpt.
            "--exclude-selectors",
            "a.headerlink",
            "--site",
            str(outdir),
            "--output-subdir",
            INDEX_DIR,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SearchIndexFailed(f"pagefind failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    LOGGER.info("[sitegen] search index written (pagefind)")


def setup(app: Sphinx) -> dict[str, Any]:
    # Before the secret scan of the built site (priority 900), so the index is scanned too.
    app.connect("build-finished", build_index, priority=800)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

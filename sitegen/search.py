"""Static search: a Pagefind index of the posts and labs, written after the HTML.

Pagefind (its binary ships in the ``pagefind`` wheel) splits the index into fragments; the
search page fetches only those a query needs, instead of every page loading the whole
``searchindex.js``. Only ``data-pagefind-body`` regions are indexed: the articles of posts
and labs, not the listings. The index is rebuilt, from nothing, when a page is newer than it
or pages were added or removed: a build that wrote nothing costs a stat per page. Pagefind
runs as a separate process while the build writes the downloads and scans the site.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinx.util import logging

from sitegen.state import BuildState

LOGGER = logging.getLogger(__name__)
INDEX_DIR = "pagefind"


class SearchIndexFailed(SphinxError):
    category = "Search index failed"


ENTRY = "pagefind-entry.json"
PAGES_RECORD = "search-pages.json"  # build state: the pages the index was built from


def pages(outdir: Path) -> list[str]:
    """The site's pages, relative to it (what Pagefind may index)."""
    return sorted(p.relative_to(outdir).as_posix() for p in outdir.rglob("*.html"))


def is_stale(outdir: Path, indexed: list[str] | None) -> bool:
    """Whether the index is missing, a page was written after it, or pages were added or
    removed since it was built (``indexed``: the pages it was built from)."""
    entry = outdir / INDEX_DIR / ENTRY
    if not entry.is_file():
        return True
    current = pages(outdir)
    if current != indexed:
        return True
    built = entry.stat().st_mtime
    return any((outdir / page).stat().st_mtime > built for page in current)


def _command(site: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pagefind",
        "--quiet",
        # The "#" permalink after each heading is not part of a title or an excerpt.
        "--exclude-selectors",
        "a.headerlink",
        "--site",
        str(site),
        "--output-subdir",
        INDEX_DIR,
    ]


def _pagefind(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(site), capture_output=True, text=True, check=False)


@dataclass
class _Run:
    process: subprocess.Popen[str]
    outdir: Path
    state: BuildState


# The Pagefind run each build has under way (a process may hold several Sphinx apps).
_RUNNING: weakref.WeakKeyDictionary[Sphinx, _Run] = weakref.WeakKeyDictionary()


def start_index(app: Sphinx, exception: Exception | None) -> None:
    """Start indexing the pages a clean build has (after ``sitegen.publish`` pruned the
    others: a removed page must not stay findable), from nothing, so none of a removed
    page's fragments stay behind. Pagefind runs on its own core while the build writes the
    downloads and scans the site; ``wait_for_index`` collects it."""
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    state = BuildState(Path(app.srcdir))
    if not is_stale(outdir, state.read_json(PAGES_RECORD)):
        return
    shutil.rmtree(outdir / INDEX_DIR, ignore_errors=True)
    process = subprocess.Popen(
        _command(outdir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _RUNNING[app] = _Run(process, outdir, state)


def wait_for_index(app: Sphinx, exception: Exception | None = None) -> None:
    """Wait for this build's Pagefind run, if one is under way; fail the build if it failed."""
    run = _RUNNING.pop(app, None)
    if run is None:
        return
    output, _ = run.process.communicate()
    if run.process.returncode != 0:
        raise SearchIndexFailed(f"pagefind failed:\n{output[-4000:]}")
    run.state.write_json(PAGES_RECORD, pages(run.outdir))
    LOGGER.info("[sitegen] search index written (pagefind)")


@functools.cache
def own_script_digests() -> frozenset[str]:
    """SHA-256 of the scripts Pagefind writes beside every index: its own code, the same
    bytes whatever the site (a site's text goes into the compressed index files). Found by
    indexing a one-page site, so no pinned list goes stale when Pagefind is upgraded."""
    with tempfile.TemporaryDirectory(prefix="sitegen-pagefind-") as tmp:
        site = Path(tmp)
        (site / "index.html").write_text(
            "<html><body data-pagefind-body><h1>Page</h1><p>Text.</p></body></html>",
            encoding="utf-8",
        )
        if _pagefind(site).returncode != 0:
            return frozenset()  # nothing counts as Pagefind's: everything is scanned
        scripts = (site / INDEX_DIR).glob("*.js")
        return frozenset(hashlib.sha256(path.read_bytes()).hexdigest() for path in scripts)


def setup(app: Sphinx) -> dict[str, Any]:
    # After sitegen.publish has pruned the pages a clean build would not have (priority
    # 850). The secret scan of the built site (sitegen.sphinx_ext, 900) waits for the index
    # before it reads the index's files; this later wait covers a build without that scan.
    app.connect("build-finished", start_index, priority=870)
    app.connect("build-finished", wait_for_index, priority=990)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

"""The published folder equals a clean build after any sequence of edits, renames,
unpublishing, deletions and builds killed while writing pages (``sitegen.publish``).

Compared with a clean build of the same sources (a fresh ``_build/html`` with the same
execution cache, so the provenance footers match): same file list, same bytes. No file is
exempt: the feed and sitemap carry no build time, and the execution times come from the cache.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import JUPYTER_BOOK, REPO, copy_book, jupyter_book
from sitegen.publish import MARKER
from sitegen.state import BuildState

pytestmark = pytest.mark.build

RNG = random.Random(20261204)
ROBOTS = "User-agent: *\nDisallow:\n"


def _tree(html: Path) -> dict[str, bytes]:
    return {p.relative_to(html).as_posix(): p.read_bytes() for p in html.rglob("*") if p.is_file()}


def _build(book: Path) -> None:
    result = jupyter_book(book)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


KILLED_MID_WRITE: list[bool] = []


def _build_killed_while_writing(book: Path) -> None:
    """Start a build and kill -9 it (and everything it started) at a random moment after it
    begins writing pages; note whether it was still writing (its marker left behind)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [JUPYTER_BOOK, "build", str(book)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "writing output" in line:
            time.sleep(RNG.uniform(0.0, 0.5))
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    KILLED_MID_WRITE.append(BuildState(book).path(MARKER).exists())


def _set_field(post: Path, field: str, value: str) -> None:
    text = post.read_text(encoding="utf-8")
    if re.search(rf"^{field}: ", text, flags=re.M):
        text = re.sub(rf"^{field}: .*$", f"{field}: {value}", text, count=1, flags=re.M)
    else:
        text = text.replace("\n---\n", f"\n{field}: {value}\n---\n", 1)
    post.write_text(text, encoding="utf-8")


def _clean_build_of(book: Path, where: Path) -> dict[str, bytes]:
    clean = where / "clean"
    shutil.copytree(book, clean, ignore=shutil.ignore_patterns("_build"))
    shutil.copytree(book / "_build" / ".jupyter_cache", clean / "_build" / ".jupyter_cache")
    _build(clean)
    return _tree(clean / "_build" / "html")


def _assert_same_as_clean(book: Path, where: Path) -> None:
    published = _tree(book / "_build" / "html")
    clean = _clean_build_of(book, where)
    assert sorted(published) == sorted(clean)
    differ = [name for name in clean if published[name] != clean[name]]
    assert differ == []
    shutil.rmtree(where / "clean")


def _with_the_site_s_page(book: Path) -> None:
    """The site's own layout and its search (sitegen.theme, Pagefind), as the real site has."""
    config = book / "_config.yml"
    text = config.read_text(encoding="utf-8").replace(
        "extra_extensions: [sphinx_sitemap, sitegen.sphinx_ext]",
        "extra_extensions: [sphinx_sitemap, sitegen.sphinx_ext, sitegen.theme]",
    )
    text = text.replace("  config:\n", "  config:\n    templates_path: [_templates]\n", 1)
    config.write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "_templates", book / "_templates")


def test_the_published_folder_equals_a_clean_build_after_any_sequence(tmp_path: Path) -> None:
    book = copy_book("basic", tmp_path)
    _with_the_site_s_page(book)
    (book / "_extra").mkdir(exist_ok=True)
    (book / "_extra" / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    (book / "_extra" / "CNAME").write_text("logs.example.org\n", encoding="utf-8")
    _build(book)
    posts = book / "posts"

    # A one-word prose edit: the sitemap still lists every page.
    notes = posts / "older-queue-notes.md"
    notes.write_text(notes.read_text("utf-8").replace("matters", "counts"), "utf-8")
    _build(book)
    _assert_same_as_clean(book, tmp_path)

    # A rename and an unpublished post (its tags and category page go with it), with a build
    # killed while writing pages in between.
    (posts / "queues-in-practice.md").rename(posts / "queues-renamed.md")
    _build_killed_while_writing(book)
    _set_field(posts / "tokens-and-quotes.md", "draft", "true")
    _build_killed_while_writing(book)
    _build(book)
    _assert_same_as_clean(book, tmp_path)

    # A deletion, a title edit, an extra file removed: each build killed at a random point.
    notes.unlink()
    (book / "_extra" / "CNAME").unlink()
    _build_killed_while_writing(book)
    _set_field(posts / "queues-renamed.md", "title", '"Queues, Renamed"')
    _build_killed_while_writing(book)
    _build(book)
    _assert_same_as_clean(book, tmp_path)
    assert KILLED_MID_WRITE.count(True) >= 2, KILLED_MID_WRITE  # the kills did interrupt
    html = book / "_build" / "html"
    assert (html / "pagefind" / "pagefind-entry.json").is_file()  # the search index is compared
    assert (html / "robots.txt").read_text(encoding="utf-8") == ROBOTS
    assert (book / "_extra" / "robots.txt").read_text(encoding="utf-8") == ROBOTS
    assert not (html / "posts" / "queues-in-practice.html").exists()
    assert not (html / "posts" / "tokens-and-quotes.html").exists()
    assert not (html / "tags" / "jwt.html").exists()
    sitemap = (html / "sitemap.xml").read_text(encoding="utf-8")
    pages = [
        p
        for p in _tree(html)
        if p.endswith(".html")
        and not p.startswith("_static/")
        and p not in {"search.html", "genindex.html"}
    ]
    assert sorted(re.findall(r"<loc>https://example.org/logs/([^<]+)</loc>", sitemap)) == sorted(
        pages
    )


def test_the_book_s_own_static_files_ship_as_a_clean_build_has_them(tmp_path: Path) -> None:
    book = copy_book("basic", tmp_path)
    static = book / "_static"
    (static / "scripts").mkdir(parents=True)
    (static / "site.css").write_text("body { color: black; }\n", encoding="utf-8")
    (static / "old.txt").write_text("old\n", encoding="utf-8")
    (static / "scripts" / "bootstrap.js").write_text("// the book's own\n", encoding="utf-8")
    _build(book)
    published = book / "_build" / "html" / "_static"
    assert (published / "scripts" / "bootstrap.js").read_text("utf-8") == "// the book's own\n"

    # Only static files change: an edit, an addition, a removal, an override dropped (the
    # theme ships scripts/bootstrap.js). Sphinx alone would write nothing and copy nothing.
    (static / "site.css").write_text("body { color: navy; }\n", encoding="utf-8")
    (static / "new.txt").write_text("new\n", encoding="utf-8")
    (static / "old.txt").unlink()
    (static / "scripts" / "bootstrap.js").unlink()
    _build(book)
    assert (published / "site.css").read_text("utf-8") == "body { color: navy; }\n"
    assert (published / "new.txt").is_file() and not (published / "old.txt").exists()
    assert "the book's own" not in (published / "scripts" / "bootstrap.js").read_text("utf-8")
    _assert_same_as_clean(book, tmp_path)

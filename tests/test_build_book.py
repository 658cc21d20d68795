"""Strict Jupyter Book builds of the fixture book, checked in the produced HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import JUPYTER_BOOK, add_backend_posts, jupyter_book
from sitegen.settings import Settings

SIDEBAR_POSTS = Settings().sidebar_posts

pytestmark = pytest.mark.build


def test_landing_page_has_featured_card_and_one_card_per_other_post(
    built_fixture_book: Path,
) -> None:
    page = (built_fixture_book / "index.html").read_text(encoding="utf-8")
    assert "ENGINEERING LOGS // KNOWLEDGE BASE" in page
    featured = re.search(r'<article class="el-card el-card--featured">(.*?)</article>', page, re.S)
    assert featured and 'href="posts/tokens-and-quotes.html"' in featured.group(1)
    cards = re.findall(r'<article class="el-card">.*?href="(posts/[^"]+)"', page, re.S)
    assert cards == ["posts/queues-in-practice.html", "posts/older-queue-notes.html"]
    # Every card shows its read time, the featured one included.
    assert page.count("MIN READ") == 3
    assert "1 MIN READ" in featured.group(1)


def test_sidebar_has_a_caption_per_category_with_posts_and_the_labs(
    built_fixture_book: Path,
) -> None:
    page = (built_fixture_book / "posts" / "queues-in-practice.html").read_text(encoding="utf-8")
    captions = re.findall(r'<span class="caption-text">([^<]+)</span>', page)
    assert captions == ["Security", "Backend Architecture", "Labs"]


def test_post_has_header_line_and_a_binder_button_opening_the_markdown_notebook(
    built_fixture_book: Path,
) -> None:
    page = (built_fixture_book / "posts" / "tokens-and-quotes.html").read_text(encoding="utf-8")
    assert '<a class="el-category" href="../categories/security.html">Security</a>' in page
    assert '<a href="../tags/jwt.html">jwt</a>' in page
    assert (
        "https://mybinder.org/v2/gh/engineering-logs/engineering-logs/main"
        "?urlpath=lab/tree/tests/fixtures/books/basic/posts/tokens-and-quotes.md"
    ) in page
    assert 'The answer is <span class="pasted-text">42</span>' in page


def test_titles_with_markup_are_text_on_every_page(built_fixture_book: Path) -> None:
    for page in built_fixture_book.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script> &" not in text and "<b>markup" not in text, page


def test_drafts_and_future_posts_are_not_built_or_searchable(built_fixture_book: Path) -> None:
    assert not (built_fixture_book / "posts" / "unfinished-draft.html").exists()
    assert not (built_fixture_book / "posts" / "from-the-future.html").exists()
    search = (built_fixture_book / "searchindex.js").read_text(encoding="utf-8")
    assert "Unfinished Draft" not in search and "From the Future" not in search
    for name in ("feed.xml", "posts.json", "posts.csv"):
        assert (built_fixture_book / name).is_file()


FAILING_CELL = "```{code-cell} ipython3\nraise RuntimeError('downstream exploded')\n```\n"


def test_a_failing_cell_fails_the_build_and_does_not_poison_the_next_one(book: Path) -> None:
    post = book / "posts" / "queues-in-practice.md"
    good = post.read_text(encoding="utf-8")
    post.write_text(good + "\n" + FAILING_CELL, encoding="utf-8")

    failed = jupyter_book(book, "-W", "-n", "--keep-going")
    assert failed.returncode != 0
    assert "queues-in-practice" in failed.stdout + failed.stderr
    assert "downstream exploded" in failed.stdout + failed.stderr

    post.write_text(good, encoding="utf-8")
    fixed = jupyter_book(book)  # the author's plain build, _build left as it was
    assert fixed.returncode == 0, fixed.stdout[-2000:] + fixed.stderr[-2000:]
    html = (book / "_build" / "html" / "posts" / "queues-in-practice.html").read_text(
        encoding="utf-8"
    )
    assert "downstream exploded" not in html
    # The post's one cell prints sum(range(10)): its output element, not any "45" on the page.
    outputs = BeautifulSoup(html, "html.parser").select("div.cell_output pre")
    assert [pre.get_text().strip() for pre in outputs] == ["45"]


def test_a_rebuild_with_no_edits_reads_and_executes_nothing(book: Path) -> None:
    assert jupyter_book(book).returncode == 0
    again = jupyter_book(book)
    assert again.returncode == 0
    assert "0 added, 0 changed, 0 removed" in again.stdout
    assert "Executing notebook" not in again.stdout + again.stderr


def test_every_page_links_the_feed_and_posts_carry_social_tags(built_fixture_book: Path) -> None:
    for page in ("index.html", "archive.html", "posts/queues-in-practice.html"):
        text = (built_fixture_book / page).read_text(encoding="utf-8")
        assert '<link rel="alternate" type="application/rss+xml"' in text, page
    post = (built_fixture_book / "posts" / "tokens-and-quotes.html").read_text(encoding="utf-8")
    assert (
        '<meta property="og:url" content="https://example.org/logs/posts/tokens-and-quotes.html" />'
    ) in post
    assert '<meta property="og:description" content="Summaries with &lt;b&gt;markup' in post
    assert '<meta property="og:image" content="https://example.org/logs/_images/' in post
    assert '<meta name="twitter:card" content="summary_large_image" />' in post
    # A generated page describes itself once, and its preview uses that description.
    category = (built_fixture_book / "categories" / "security.html").read_text(encoding="utf-8")
    own = re.findall(r'<meta content="([^"]*)" name="description" />', category)
    assert len(own) == 1 and category.count('name="description"') == 1
    assert f'<meta property="og:description" content="{own[0]}" />' in category


def test_sitemap_lists_published_pages_only(built_fixture_book: Path) -> None:
    sitemap = (built_fixture_book / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/logs/posts/queues-in-practice.html</loc>" in sitemap
    assert "unfinished-draft" not in sitemap and "from-the-future" not in sitemap


def test_post_footer_says_when_and_with_what_it_ran(built_fixture_book: Path) -> None:
    post = (built_fixture_book / "posts" / "tokens-and-quotes.html").read_text(encoding="utf-8")
    footer = re.search(r'<footer class="el-provenance">(.*?)</footer>', post, re.S)
    assert footer, "no provenance footer"
    assert re.search(
        r"Executed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC in \d+\.\d s with Python 3\.", footer.group(1)
    )
    assert "myst-nb " in footer.group(1)  # the post imports myst_nb


def test_posts_link_neighbours_in_their_category_and_related_posts(
    built_fixture_book: Path,
) -> None:
    page = (built_fixture_book / "posts" / "queues-in-practice.html").read_text(encoding="utf-8")
    nav = page[page.index('class="prev-next-area"') :]
    assert 'href="older-queue-notes.html"' in nav
    assert "tokens-and-quotes" not in nav  # another category: not a neighbour
    related = re.search(r'<section class="el-related".*?</section>', page, re.S)
    assert related and 'href="older-queue-notes.html"' in related.group(0)


def test_adding_a_post_leaves_no_page_with_a_stale_sidebar(book: Path) -> None:
    assert jupyter_book(book).returncode == 0
    new = (book / "posts" / "queues-in-practice.md").read_text(encoding="utf-8")
    new = new.replace("Queues in Practice", "Backpressure in Practice").replace(
        '"2025-07-18"', '"2025-08-01"'
    )
    (book / "posts" / "backpressure-in-practice.md").write_text(new, encoding="utf-8")

    result = jupyter_book(book)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    html = book / "_build" / "html"
    pages = [p for p in html.rglob("*.html") if p.parts[len(html.parts)] not in {"_static"}]
    pages = [p for p in pages if "bd-sidebar-primary" in p.read_text(encoding="utf-8")]
    assert len(pages) > 10
    for page in pages:
        assert "backpressure-in-practice.html" in page.read_text(encoding="utf-8"), page


def _sidebar(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return text[text.index('class="bd-links bd-docs-nav"') :].split("</nav>")[0]


def test_posts_beyond_the_sidebar_are_built_without_warnings_as_the_category_grows(
    book: Path,
) -> None:
    add_backend_posts(book, SIDEBAR_POSTS)
    first = jupyter_book(book, "-W", "-n", "--keep-going")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    html = book / "_build" / "html"
    sidebar = _sidebar(html / "index.html")
    assert "older-queue-notes.html" not in sidebar and "backend-note-01.html" not in sidebar
    assert "categories/backend-architecture.html" in sidebar
    assert "Backend Note 01" in (html / "posts" / "backend-note-01.html").read_text("utf-8")

    # A newer post pushes one more out of the sidebar: still no "not in any toctree" warning,
    # and no page keeps the old sidebar.
    add_backend_posts(book, SIDEBAR_POSTS + 1)
    second = jupyter_book(book, "-W", "-n", "--keep-going")
    output = second.stdout + second.stderr
    assert second.returncode == 0, output[-3000:]
    assert "isn't included in any toctree" not in output
    for page in [html / "index.html", *sorted((html / "posts").glob("*.html"))]:
        sidebar = _sidebar(page)
        # By title: on its own page, a post's sidebar link is "#".
        assert "Backend Note 09" in sidebar and "Backend Note 02" not in sidebar, page


def test_a_rebuild_with_no_edits_imports_neither_pandas_nor_matplotlib(book: Path) -> None:
    # What keeps a no-change build at start-up cost (docs/benchmarks.md), checked without a clock.
    assert jupyter_book(book).returncode == 0
    again = subprocess.run(
        [sys.executable, "-X", "importtime", JUPYTER_BOOK, "build", str(book)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stdout[-2000:]
    imported = set(re.findall(r"\|\s+(\S+)$", again.stderr, re.M))
    assert "sphinx.application" in imported  # the import log is really there
    assert not {"pandas", "matplotlib"} & imported

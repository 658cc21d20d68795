"""Front matter is only ever text: in the post heading, <title>, meta tags, sidebar, cards,
search index, feed and posts.json; and a bad post stops the build with one line each."""

from __future__ import annotations

import html
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from conftest import FIXTURES, copy_book, jupyter_book
from sitegen import safe_text

pytestmark = pytest.mark.build

HOSTILE_TITLE = "Tokens <img src=x onerror=alert(1)> & </title><script>x()</script>"
HOSTILE_SUMMARY = "Summary <b>bold</b> &amp; <script>alert(2)</script>"
POST = "posts/tokens-and-quotes.md"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    book = copy_book("basic", tmp_path_factory.mktemp("hostile"))
    post = book / POST
    text = post.read_text(encoding="utf-8")
    text = re.sub(r"^title: .*$", f"title: {json.dumps(HOSTILE_TITLE)}", text, count=1, flags=re.M)
    text = re.sub(
        r"^summary: .*$", f"summary: {json.dumps(HOSTILE_SUMMARY)}", text, count=1, flags=re.M
    )
    post.write_text(text, encoding="utf-8")
    # The same site must build with CRLF line endings and a byte-order mark.
    other = book / "posts" / "older-queue-notes.md"
    other.write_bytes(b"\xef\xbb\xbf" + other.read_bytes().replace(b"\n", b"\r\n"))
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return book / "_build" / "html"


def _no_live_markup(page: str, where: str) -> None:
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all("img", src="x"), where
    assert not [s for s in soup.find_all("script") if "x()" in s.get_text()], where


def test_the_post_shows_its_title_as_text_everywhere(hostile_site: Path) -> None:
    page = (hostile_site / "posts" / "tokens-and-quotes.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("h1").get_text().rstrip("#").strip() == HOSTILE_TITLE
    assert soup.title.get_text().startswith(HOSTILE_TITLE)
    assert soup.find("meta", property="og:title")["content"] == HOSTILE_TITLE
    assert soup.find("meta", property="og:description")["content"] == HOSTILE_SUMMARY
    _no_live_markup(page, "post")


def test_every_page_keeps_the_title_as_text(hostile_site: Path) -> None:
    pages = list(hostile_site.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        _no_live_markup(page.read_text(encoding="utf-8"), str(page))
    landing = BeautifulSoup((hostile_site / "index.html").read_text("utf-8"), "html.parser")
    titles = [a.get_text() for a in landing.select(".el-card-title a")]
    assert HOSTILE_TITLE in titles
    assert HOSTILE_SUMMARY in [p.get_text() for p in landing.select(".el-summary")]


def test_search_index_titles_are_html_that_shows_the_text(hostile_site: Path) -> None:
    # searchtools.js inserts both titles and alltitles with innerHTML: each must be HTML
    # whose text is the title, never a tag.
    raw = (hostile_site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    shown = [*index["titles"], *index["alltitles"]]
    assert any(html.unescape(t) == HOSTILE_TITLE for t in shown)
    for title in shown:
        assert "<" not in title, title


def test_the_feed_gives_readers_back_the_posts_json_text(hostile_site: Path) -> None:
    records = json.loads((hostile_site / "posts.json").read_text(encoding="utf-8"))
    record = next(r for r in records if r["slug"] == "tokens-and-quotes")
    assert (record["title"], record["summary"]) == (HOSTILE_TITLE, HOSTILE_SUMMARY)
    item = next(
        i
        for i in ET.parse(hostile_site / "feed.xml").getroot().iter("item")
        if i.findtext("link", "").endswith("tokens-and-quotes.html")
    )
    # A feed reader parses the XML, then renders the element's text as HTML.
    for element, expected in (("title", HOSTILE_TITLE), ("description", HOSTILE_SUMMARY)):
        text = item.findtext(element, "")
        assert "<" not in text
        assert BeautifulSoup(text, "html.parser").get_text() == expected


def test_crlf_and_bom_posts_build_as_plain_ones(hostile_site: Path) -> None:
    page = (hostile_site / "posts" / "older-queue-notes.html").read_text(encoding="utf-8")
    assert BeautifulSoup(page, "html.parser").find("h1").get_text().startswith("Older Queue")


def test_a_hostile_post_stops_the_build_with_one_line_and_no_traceback(book: Path) -> None:
    for name in ("title-raw-block.md", "myst-html-meta.md", "tag-index.md"):
        shutil.copy(FIXTURES / "bad-posts" / name, book / "posts" / name)
    result = jupyter_book(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    expected = [
        "posts/myst-html-meta.md: myst: changes how the page is rendered (html_meta,"
        " substitutions); remove it",
        "posts/tag-index.md: tags: 'index' is reserved (tags/index.html is a site page)",
        "posts/title-raw-block.md: title: contains a line break (U+000A at character 9);"
        " write it on one line as plain text",
    ]
    for line in expected:
        assert output.count(line) == 1, output
    assert "Traceback" not in output
    verbose = jupyter_book(book, "-v")
    assert verbose.returncode != 0 and "Traceback" in verbose.stdout + verbose.stderr


def test_escape_search_titles_escapes_the_page_just_indexed_only() -> None:
    titles = {"new": [("<img src=x>", "id")], "old": [("&lt;b&gt;", None)]}
    app = SimpleNamespace(builder=SimpleNamespace(indexer=SimpleNamespace(_all_titles=titles)))
    safe_text.escape_search_titles(app, "new", "page.html", {}, object())  # type: ignore[arg-type]
    assert titles == {"new": [("&lt;img src=x&gt;", "id")], "old": [("&lt;b&gt;", None)]}

"""Link previews: the card images and the meta tags every page carries."""

from __future__ import annotations

import io
import stat
from pathlib import Path

from PIL import Image

from sitegen import social

CARD = social.Card(
    "posts-tokens", "Security", 'Tokens <script> & "quotes"', "8 MIN READ · Sep 12, 2025", "Logs"
)


def test_a_card_is_a_1200_by_630_png_and_drawn_the_same_every_time() -> None:
    png = social.draw(CARD)
    assert Image.open(io.BytesIO(png)).size == social.CARD_SIZE
    assert social.draw(CARD) == png


def test_a_card_file_name_changes_with_what_it_shows() -> None:
    retitled = social.Card(CARD.name, CARD.kicker, "Another title", CARD.footer, CARD.site)
    assert CARD.filename.startswith("posts-tokens-") and CARD.filename.endswith(".png")
    assert retitled.filename != CARD.filename


def test_a_card_is_drawn_once_and_readable_by_a_web_server(tmp_path: Path) -> None:
    relative = social.ensure_card(tmp_path, CARD)
    card = tmp_path / relative
    assert relative.startswith(social.CARD_DIR + "/")
    assert stat.S_IMODE(card.stat().st_mode) == 0o644
    drawn_at = card.stat().st_mtime_ns
    assert social.ensure_card(tmp_path, CARD) == relative
    assert card.stat().st_mtime_ns == drawn_at
    assert [p.name for p in card.parent.iterdir()] == [CARD.filename]  # no temporary left


def test_long_titles_wrap_and_end_in_an_ellipsis() -> None:
    font = social._font(True, False, 60)
    lines = social._wrap("word " * 200, font, 1040, max_lines=4)
    assert len(lines) == 4 and lines[-1].endswith(" …")
    assert all(font.getlength(line) <= 1040 for line in lines)


def test_meta_tags_escape_every_value() -> None:
    tags = social.meta_tags(
        title='Tokens <script> & "quotes"',
        description="A <b>bold</b> claim",
        url="https://example.org/logs/posts/tokens.html",
        image_url="https://example.org/logs/_images/social/card.png",
        site_name="Logs",
        published="2025-09-12",
        tags=["jwt", "rbac"],
    )
    assert (
        '<meta property="og:title" content="Tokens &lt;script&gt; &amp; &quot;quotes&quot;" />'
        in tags
    )
    assert '<meta name="description" content="A &lt;b&gt;bold&lt;/b&gt; claim" />' in tags
    assert '<meta property="og:type" content="article" />' in tags
    assert tags.count('property="article:tag"') == 2
    assert "<script>" not in tags


def test_pages_that_are_not_posts_are_websites_without_article_tags() -> None:
    tags = social.meta_tags(
        title="Archive", description="All posts", url="u", image_url="i", site_name="Logs"
    )
    assert '<meta property="og:type" content="website" />' in tags
    assert "article:" not in tags


def test_descriptions_are_shortened_at_a_word() -> None:
    assert social.shorten("  many   spaces\nhere ") == "many spaces here"
    long = social.shorten("alpha beta, " * 40, limit=50)
    assert len(long) <= 50 and long.endswith("…") and not long.endswith(",…")


def test_a_page_s_own_description_is_found_in_either_attribute_order() -> None:
    docutils = '<meta content="Auth &amp; mistakes." name="description" />\n'
    assert social.page_description(docutils) == "Auth & mistakes."
    assert social.page_description('<meta name="description" content="x" />') == "x"
    assert social.page_description('<meta property="og:title" content="x" />') is None
    tags = social.meta_tags(
        title="t", description="d", url="u", image_url="i", site_name="s", description_tag=False
    )
    assert 'name="description"' not in tags and 'name="twitter:card"' in tags

"""The reader's page: body repairs, page contents, MathML, per-category feeds (no browser)."""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydata_sphinx_theme
import pytest
from pydata_sphinx_theme.utils import set_secondary_sidebar_items

from sitegen.build import generate
from sitegen.mathml import MathError, to_mathml
from sitegen.search import ENTRY, INDEX_DIR, is_stale
from sitegen.theme import (
    THEME_SECTIONS,
    accessible_body,
    page_toc,
    png_size,
    skip_theme_sections,
    with_actions,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "_templates"


def _no_size(src: str) -> None:
    return None


def test_checklist_checkboxes_become_a_plain_list_with_drawn_boxes() -> None:
    body = (
        '<li class="task-list-item"><p><input class="task-list-item-checkbox" '
        'disabled="disabled" type="checkbox"> Pin the algorithm.</p></li>'
        '<li class="task-list-item"><p><input class="task-list-item-checkbox" '
        'checked="checked" disabled="disabled" type="checkbox"> Rotate keys.</p></li>'
    )
    out = accessible_body(body, _no_size)
    assert "<input" not in out
    assert out.count('class="el-box') == 2
    assert '<span class="el-visually-hidden">(done)</span> Rotate keys.' in out


def test_empty_dataframe_headers_become_cells_and_scrollers_are_focusable() -> None:
    body = (
        '<table border="1" class="dataframe"><thead><tr><th></th><th>p50</th></tr>'
        '<tr><th class="blank level0" >&nbsp;</th><th>x</th></tr></thead></table>'
        "<pre>code</pre>"
    )
    out = accessible_body(body, _no_size)
    assert "<th></th>" not in out and "&nbsp;</th>" not in out
    assert '<td class="blank level0" ></td>' in out
    assert '<table tabindex="0" border="1"' in out
    assert '<pre tabindex="0">code</pre>' in out


def test_images_load_lazily_with_their_size() -> None:
    body = '<img alt="p99 by load" src="../_images/fig.png" />'
    out = accessible_body(body, lambda src: (640, 480) if src.endswith("fig.png") else None)
    assert out == (
        '<img alt="p99 by load" src="../_images/fig.png" width="640" height="480" '
        'loading="lazy" decoding="async">'
    )


def test_png_size_reads_the_header_and_refuses_other_files(tmp_path: Path) -> None:
    ihdr = struct.pack(">IIBBBBB", 321, 123, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    png = tmp_path / "a.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk)
    assert png_size(png) == (321, 123)
    other = tmp_path / "a.svg"
    other.write_text("<svg/>")
    assert png_size(other) is None
    assert png_size(tmp_path / "missing.png") is None


def test_page_toc_drops_the_title_and_needs_two_sections() -> None:
    toc = (
        '<ul>\n<li><a class="reference internal" href="#">Title</a><ul>\n'
        '<li><a href="#a">A</a></li>\n<li><a href="#b">B</a></li>\n</ul>\n</li>\n</ul>\n'
    )
    assert page_toc(toc).startswith("<ul>") and "Title" not in page_toc(toc)
    one = '<ul>\n<li><a href="#">Title</a><ul>\n<li><a href="#a">A</a></li>\n</ul>\n</li>\n</ul>'
    assert page_toc(one) == ""
    assert page_toc("") == ""


def test_actions_follow_the_post_header_and_escape_their_links() -> None:
    body = '<h1>T</h1><div class="el-post-header"><p>m</p><ul class="el-tags"></ul></div><p>x</p>'
    out = with_actions(body, 'https://hub/v2/gh/o/r/main?urlpath=lab/tree/posts/"a".md', "n.ipynb")
    header_end = out.index("</ul></div>") + len("</ul></div>")
    assert out[header_end:].startswith('<ul class="el-actions"')
    assert "&quot;a&quot;.md" in out and '"a".md' not in out
    assert with_actions("<p>lab</p>", "https://b", "n.ipynb").startswith('<ul class="el-actions"')


def test_math_renders_as_mathml_and_bad_tex_names_the_page() -> None:
    inline = to_mathml(r"R \sim U(0, L)", display=False, where="posts/x:3")
    assert inline.startswith("<math") and 'display="inline"' in inline
    block = to_mathml(r"\mathbb{E}[S^2]", display=True, where="posts/x:3")
    assert 'display="block"' in block
    with pytest.raises(MathError, match=r"^posts/x:9: cannot render \$x\^\$ as MathML"):
        to_mathml("x^", display=False, where="posts/x:9")
    with pytest.raises(MathError, match=r"unknown \\foo$"):
        to_mathml(r"\foo{x}", display=False, where="posts/x:9")


def test_each_category_has_its_own_feed_of_its_posts(book: Path) -> None:
    index = generate(book)
    for category in index.site.categories:
        members = index.published[index.published["category"] == category.name]
        path = f"_extra/feed-{category.slug}.xml"
        if members.empty:
            assert path not in index.outputs
            continue
        channel = ET.fromstring(index.outputs[path]).find("channel")
        assert channel is not None
        assert channel.findtext("title") == f"{index.site.title}: {category.name}"
        links = [item.findtext("link") for item in channel.iter("item")]
        assert links == [index.site.absolute_url(url) for url in members["url"]]


def test_search_index_is_stale_until_built_and_when_pages_change(tmp_path: Path) -> None:
    page = tmp_path / "posts" / "a.html"
    page.parent.mkdir()
    page.write_text("<html></html>")
    assert is_stale(tmp_path, None)
    entry = tmp_path / INDEX_DIR / ENTRY
    entry.parent.mkdir()
    entry.write_text("{}")
    os.utime(page, (1_000, 1_000))
    assert not is_stale(tmp_path, ["posts/a.html"])
    # A page removed (or added) since: the index still lists it, so it is stale.
    assert is_stale(tmp_path, ["posts/a.html", "posts/gone.html"])
    os.utime(page, None)
    os.utime(entry, (1_000, 1_000))
    assert is_stale(tmp_path, ["posts/a.html"])


class _NoRendering:
    def render(self, name: str, context: dict[str, Any]) -> str:
        raise AssertionError(f"the theme rendered {name}")


def test_the_theme_renders_none_of_the_sections_the_layout_never_shows() -> None:
    context: dict[str, Any] = {s: ["navbar-logo.html", "page-toc"] for s in THEME_SECTIONS}
    context["theme_search_as_you_type"] = False
    app = SimpleNamespace(
        builder=SimpleNamespace(templates=_NoRendering()), add_js_file=lambda *a, **k: None
    )
    skip_theme_sections(app, "posts/x", "page.html", context, None)  # type: ignore[arg-type]
    # The theme's own handlers, as they run next for every page: nothing left to render.
    pydata_sphinx_theme.update_and_remove_templates(app, "posts/x", "page.html", context, None)
    set_secondary_sidebar_items(app, "posts/x", "page.html", context, None)
    assert context["secondary_sidebar_items"] == []


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_the_site_s_templates_use_none_of_the_skipped_sections(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not [s for s in THEME_SECTIONS if s in text or s.removeprefix("theme_") in text]

"""Sphinx extension: the reader's page around each document (``_templates/layout.html``).

The theme's own page loaded a 1.5 MB icon script, 400 KB of CSS, a search index and eleven
blocking scripts on every page. The site's layout loads one stylesheet of its own, plus the
code, notebook-cell and sphinx-design styles only on pages that contain those, and no
script but a few lines inline (the colour mode) and, on the search page, the search.

Here, per page: which stylesheets it needs, what it is (post or lab, or an index page), its
Binder and notebook links, its "on this page" contents, a feed link on category pages, and
a few repairs to the body for readers of assistive technology. After the build, the
Pagefind search index (``sitegen.search``). Math is rendered at build time as MathML
(``sitegen.mathml``): no MathJax, no CDN.
"""

from __future__ import annotations

import html
import re
import struct
from functools import cache
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from sitegen import mathml, search
from sitegen.notebook_view import binder_path
from sitegen.site import Category, load_site

NOTEBOOK_PREFIXES = ("posts/", "notebooks/")
_CHECKBOX = re.compile(r'<input class="task-list-item-checkbox"([^>]*)>')
_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;)*</th>")
_IMG = re.compile(r'<img (?![^>]*\bloading=)([^>]*?)src="([^"]+)"([^>]*?)/?>')
_TABLE = re.compile(r"<table(?![^>]*\btabindex=)")
_TOGGLE_LABEL = ' aria-label="Toggle hidden content"'
# sphinx-thebe appends its configuration to every page even with thebe off: unused script.
_THEBE = re.compile(
    r'\s*<script type="text/x-thebe-config">.*?</script>\s*<script>kernelName = [^<]*</script>',
    re.DOTALL,
)
_POST_HEADER = re.compile(r'<div class="el-post-header">.*?</ul></div>', re.DOTALL)
_LOCAL_TOC = re.compile(r"^\s*<ul>\s*<li>.*?</a>(.*)</li>\s*</ul>\s*$", re.DOTALL)
# The theme's page sections (navbar, sidebars, footers…). pydata-sphinx-theme renders every
# template of each for every page, only to drop those that come out empty: 80 ms a page,
# measured, most of a page's writing time. The site's layout shows none of them.
THEME_SECTIONS = (
    "theme_navbar_start", "theme_navbar_center", "theme_navbar_persistent", "theme_navbar_end",
    "theme_article_header_start", "theme_article_header_end", "theme_article_footer_items",
    "theme_content_footer_items", "theme_footer_start", "theme_footer_center",
    "theme_footer_end", "theme_primary_sidebar_end", "theme_secondary_sidebar_items",
    "sidebars",
)  # fmt: skip


def is_notebook_page(pagename: str) -> bool:
    return pagename.startswith(NOTEBOOK_PREFIXES) and pagename != "notebooks/index"


def stylesheets(context: dict[str, Any]) -> list[str]:
    """The site's stylesheet, plus the extensions' only where the page uses them."""
    body = context.get("body", "")
    wanted = ["_static/engineering-logs.css"]
    needs = {
        "pygments.css": 'class="highlight' in body,
        "mystnb.": 'class="cell' in body or "output" in body,
        "sphinx-design": 'class="sd-' in body,
    }
    for css in context.get("css_files", []):
        name = getattr(css, "filename", str(css))
        if any(marker in name and needed for marker, needed in needs.items()):
            wanted.append(name)
    return wanted


def page_toc(toc: str) -> str:
    """The page's sections without the page title itself; empty when there are fewer than 2."""
    match = _LOCAL_TOC.match(toc or "")
    inner = match.group(1).strip() if match else ""
    return inner if inner.count("<li>") >= 2 else ""


def binder_url(app: Sphinx, pagename: str) -> str | None:
    """The Binder launch address: a post's reading notebook (``postBuild`` writes it), a lab
    itself (``sitegen.notebook_view.binder_path``)."""
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {})
    repository = str(options.get("repository_url", "")).rstrip("/")
    hub = str(launch.get("binderhub_url", "")).rstrip("/")
    if not (repository.startswith("https://github.com/") and hub):
        return None
    org_repo = repository.removeprefix("https://github.com/")
    branch = options.get("repository_branch") or "main"
    source = binder_path(pagename)
    path = f"{options.get('path_to_docs', '') or ''}".strip("/")
    path = f"{path}/{source}" if path else source
    return f"{hub}/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{path}"


def with_actions(body: str, binder: str, notebook: str) -> str:
    """ "Run this post" (Binder) and "Download notebook" under the post's header line."""
    esc = html.escape
    actions = (
        '<ul class="el-actions" aria-label="Run or download">'
        f'<li><a class="el-action" href="{esc(binder)}" rel="noopener">Run this post '
        '<span class="el-action-note">on Binder</span></a></li>'
        f'<li><a class="el-action" href="{esc(notebook)}" download>Download notebook</a></li>'
        "</ul>"
    )
    header = _POST_HEADER.search(body)
    if header is None:  # a lab: no header line, the actions lead the page
        return actions + body
    return body[: header.end()] + actions + body[header.end() :]


def accessible_body(body: str, image_size: Any) -> str:
    """Repairs for assistive technology and layout stability, on the rendered HTML.

    * Checklist items ("Checklist for Monday") are a plain list with a drawn box: the
      disabled checkboxes had no label and could not be ticked anyway.
    * DataFrame corner cells ``<th></th>`` head nothing: they become ``<td></td>``.
    * Code blocks and tables that scroll sideways can be scrolled from the keyboard.
    * Images load lazily, with their width and height so the page does not jump.
    * myst-nb's "Show code cell source" toggle keeps its visible name as its accessible name.
    """
    body = _CHECKBOX.sub(
        lambda m: (
            '<span class="el-box el-box--done" aria-hidden="true"></span>'
            '<span class="el-visually-hidden">(done)</span>'
            if "checked" in m.group(1)
            else '<span class="el-box" aria-hidden="true"></span>'
        ),
        body,
    )
    body = _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1) or ''}></td>", body)
    body = body.replace(_TOGGLE_LABEL, "").replace("<pre>", '<pre tabindex="0">')
    body = _TABLE.sub('<table tabindex="0"', body)
    body = _THEBE.sub("\n", body)

    def lazy(match: re.Match[str]) -> str:
        before, src, after = match.groups()
        size = image_size(src)
        dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
        return f'<img {before}src="{src}"{after.rstrip()}{dims} loading="lazy" decoding="async">'

    return _IMG.sub(lazy, body)


def png_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a PNG's header; None for anything else."""
    try:
        with path.open("rb") as file:
            head = file.read(24)
    except OSError:
        return None
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def _image_sizes(app: Sphinx) -> Any:
    sources = {name: Path(app.srcdir, src) for src, name in app.builder.images.items()}

    def size(src: str) -> tuple[int, int] | None:
        name = src.rsplit("/", 1)[-1]
        return png_size(sources[name]) if name in sources else None

    return size


@cache
def _categories(srcdir: str) -> tuple[Category, ...]:
    return load_site(Path(srcdir)).categories


def page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    post = is_notebook_page(pagename)
    context["el_kind"] = "post" if post else "index"
    context["el_css"] = stylesheets(context)
    context["el_scripts"] = ["_static/search.js"] if pagename == "search" else []
    if 'class="sd-tab-set' in context.get("body", ""):
        context["el_scripts"].append("_static/design-tabs.js")
    context["el_canonical"] = context.get("pageurl") or ""
    context["el_repository"] = app.config.html_theme_options.get("repository_url", "")
    context["el_categories"] = [
        c for c in _categories(app.srcdir) if f"categories/{c.slug}" in app.env.found_docs
    ]
    context["el_toc"] = page_toc(context.get("toc", "")) if post else ""
    context["el_binder_url"] = binder_url(app, pagename) if post else None
    # A post's download is its reading notebook with the build's outputs, beside the page
    # (sitegen.notebook_view); a lab's is the executed notebook myst-nb keeps in _sources.
    download = (
        f"{pagename}.ipynb" if pagename.startswith("posts/") else f"_sources/{pagename}.ipynb"
    )
    context["el_notebook_url"] = context["pathto"](download, 1)
    if "body" in context:
        context["body"] = accessible_body(context["body"], _image_sizes(app))
        if context["el_binder_url"]:
            context["body"] = with_actions(
                context["body"], context["el_binder_url"], context["el_notebook_url"]
            )
    if pagename.startswith("categories/"):
        slug = pagename.removeprefix("categories/")
        name = next((c.name for c in _categories(app.srcdir) if c.slug == slug), slug)
        title = html.escape(f"{app.config.html_title}: {name}")
        context["metatags"] = context.get("metatags", "") + (
            f'<link rel="alternate" type="application/rss+xml" title="{title}" '
            f'href="../feed-{html.escape(slug)}.xml">\n'
        )


def skip_theme_sections(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Empty the theme's sections before the theme renders them (``THEME_SECTIONS``)."""
    for section in THEME_SECTIONS:
        if section in context:
            context[section] = []


def setup(app: Sphinx) -> dict[str, Any]:
    mathml.setup(app)
    search.setup(app)
    # Before the themes' own handlers (priority 500).
    app.connect("html-page-context", skip_theme_sections, priority=100)
    # After sitegen.sphinx_ext and the themes have filled in the page (priority 500-900).
    app.connect("html-page-context", page_context, priority=950)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

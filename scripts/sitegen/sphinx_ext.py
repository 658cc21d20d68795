"""Sphinx extension: the site generator's work, wired into ``jupyter-book build .``.

In build order:

1. ``config-inited`` (priority 100): regenerate the index (TOC, landing, category and tag
   pages, feed) and scan the post sources for secrets. Jupyter Book 1 only checks that
   ``_toc.yml`` parses; sphinx-external-toc reads it at priority 900, so the TOC the build
   uses is always the one the posts imply. Invalid posts stop the build here.
2. ``builder-inited``: execute stale notebooks in parallel (``sitegen.execute``).
3. ``env-get-updated``: rewrite every page when the index changed (no stale sidebars).
4. ``doctree-read``: the post's literal title and its header line.
5. ``html-page-context``: feed link, neighbours, related posts, provenance footer, MathJax
   only where math is, and escaping what the theme and opengraph leave raw.
6. ``build-finished``: scan what was written for secrets.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import CONFIG_OK, BuildEnvironment, _last_modified_time
from sphinx.errors import ConfigError, SphinxError
from sphinx.util import logging

from sitegen import related
from sitegen.build import Index, build
from sitegen.execute import execute_stale
from sitegen.pages import display_date, tags_html
from sitegen.posts import InvalidPosts
from sitegen.secret_scan import Finding, ScanStamp, scan_files, scan_tree
from sitegen.site import slugify

POSTS_PREFIX = "posts/"
LOGGER = logging.getLogger(__name__)


class NotebookExecutionFailed(SphinxError):
    category = "Notebook execution failed"


class SecretsFound(SphinxError):
    category = "Secrets found"


def _fail_on(findings: list[Finding], where: str) -> None:
    if findings:
        raise SecretsFound(
            f"{len(findings)} possible secret(s) in {where}; remove or redact them "
            "(englogs.aws.redact), or use the documented example values:\n"
            + "\n".join(f"  {finding}" for finding in findings)
        )


def regenerate_index(app: Sphinx, config: Config) -> None:
    """Write the generated files and keep unpublished posts out of the build entirely."""
    app.englogs_started = time.time()  # type: ignore[attr-defined]
    try:
        index, changed = build(Path(app.srcdir))
    except InvalidPosts as error:
        raise ConfigError(
            f"{len(error.problems)} problem(s) in the posts' front matter; nothing was built:\n"
            + "\n".join(f"  {problem}" for problem in error.problems)
        ) from None
    app.englogs_index = index  # type: ignore[attr-defined]
    root = Path(app.srcdir)
    sources = [root / path for path in index.published["path"]]
    sources += [path for lab in index.labs for path in root.glob(f"{lab}.*")]
    _fail_on(scan_files(sources, root), "the post sources")
    config.exclude_patterns = [*config.exclude_patterns, *index.unpublished_paths]
    if changed:
        print(f"[sitegen] index regenerated: {', '.join(changed)}")


def _notebook_sources(app: Sphinx) -> dict[str, Path]:
    """Docname → source file of every notebook this build publishes: posts, then labs.

    Paths come from the index, not ``env.doc2path``: Sphinx has not discovered a new post yet
    when this runs, and would guess the wrong suffix.
    """
    index: Index = app.englogs_index  # type: ignore[attr-defined]
    root = Path(app.srcdir)
    sources = {
        f"posts/{slug}": root / path
        for slug, path in zip(index.published["slug"], index.published["path"], strict=True)
    }
    for lab in index.labs:
        sources[lab] = next(
            p for p in sorted(root.glob(f"{lab}.*")) if p.suffix in {".ipynb", ".md"}
        )
    return sources


def _will_be_read(env: BuildEnvironment, docname: str, path: Path) -> bool:
    """Whether Sphinx will (re-)read this page in this build, by its own mtime rule."""
    if env.config_status != CONFIG_OK or docname not in env.all_docs:
        return True
    return _last_modified_time(path) > env.all_docs[docname]


def execute_in_parallel(app: Sphinx) -> None:
    """Execute every notebook missing from the cache across all cores, before reading.

    Only pages Sphinx is about to read are checked: an unchanged post costs nothing.
    What ran, when and with what is kept in the environment for the pages' footers.
    """
    from myst_nb.core.read import create_nb_reader

    env, nb_config = app.env, app.env.mystnb_config
    provenance: dict[str, dict[str, Any]] = getattr(env, "englogs_provenance", {})
    env.englogs_provenance = provenance  # type: ignore[attr-defined]
    if nb_config.execution_mode != "cache":
        return
    notebooks = []
    for docname, path in _notebook_sources(app).items():
        if docname in provenance and not _will_be_read(env, docname, path):
            continue
        text = path.read_text(encoding="utf-8")
        reader = create_nb_reader(str(path), env.myst_config, nb_config, text)
        if reader is not None:
            notebooks.append((docname, str(path), reader.read(text)))
    report = execute_stale(nb_config.execution_cache_path, notebooks, nb_config.execution_timeout)
    provenance.update(report.provenance)
    if report.executed:
        LOGGER.info(f"[sitegen] executed in parallel: {', '.join(report.executed)}")
    if report.failures:
        raise NotebookExecutionFailed(
            "\n\n".join(
                f"{f.job.path} failed after {f.seconds:.1f} s:\n{f.error}" for f in report.failures
            )
        )


def scan_built_site(app: Sphinx, exception: Exception | None) -> None:
    """Fail the build if executed outputs put a credential into the published site.

    Files written since the last clean scan are scanned (all of them after a failed one).
    """
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    stamp = ScanStamp(outdir.parent / ".sitegen" / "secret-scan.stamp")
    findings = scan_tree(outdir, outdir, newer_than=stamp.last_clean())
    if findings:
        stamp.clear()
    else:
        stamp.mark_clean(since=app.englogs_started)  # type: ignore[attr-defined]
    _fail_on(findings, "the built site")


def _post(app: Sphinx, docname: str) -> dict[str, Any] | None:
    if not docname.startswith(POSTS_PREFIX):
        return None
    index: Index = app.englogs_index  # type: ignore[attr-defined]
    rows = index.published[index.published["slug"] == docname.removeprefix(POSTS_PREFIX)]
    return None if rows.empty else rows.iloc[0].to_dict()


def header_line_html(post: dict[str, Any]) -> str:
    """Category, date, read time and tags under a post's title (links relative to posts/)."""
    esc = html.escape
    updated = (
        f' <span class="el-updated">updated <time datetime="{post["updated"].isoformat()}">'
        f"{display_date(post['updated'])}</time></span>"
        if post["updated"]
        else ""
    )
    category_url = f"../categories/{slugify(post['category'])}.html"
    return (
        '<div class="el-post-header">'
        f'<p class="el-meta"><a class="el-category" href="{category_url}">'
        f"{esc(post['category'])}</a>"
        f'<time datetime="{post["date"].isoformat()}">{display_date(post["date"])}</time>{updated}'
        f'<span class="el-readtime">{post["read_minutes"]} MIN READ</span></p>'
        f"{tags_html(post, '../')}</div>"
    )


def decorate_post(app: Sphinx, doctree: nodes.document) -> None:
    """Show the front-matter title as literal text and add the header line beneath it."""
    post = _post(app, app.env.docname)
    if post is None:
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section[0], nodes.title):
        return
    # myst parses the front-matter title as Markdown; a title is text, so "<b>" stays "<b>".
    title = section[0]
    title.clear()
    title += nodes.Text(post["title"])
    section.insert(1, nodes.raw("", header_line_html(post), format="html"))
    # Cards on social sites show the post's own summary, not its first paragraph.
    app.env.metadata[app.env.docname]["og:description"] = post["summary"]


def refresh_all_pages_when_the_index_changes(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Rewrite every page when the TOC or the published index changed since the last build.

    Each page's sidebar, previous/next and related posts come from the whole index, but
    Sphinx only rewrites the pages whose own source changed: without this, adding a post
    would leave every other page with a stale sidebar.
    """
    index: Index = app.englogs_index  # type: ignore[attr-defined]
    fingerprint = index.fingerprint
    previous = getattr(env, "englogs_index_fingerprint", None)
    env.englogs_index_fingerprint = fingerprint  # type: ignore[attr-defined]
    if previous is None or previous == fingerprint:
        return []
    return sorted(env.found_docs)


def add_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Feed link in every head; on posts, previous/next in the category, related posts."""
    feed = context["pathto"]("feed.xml", 1)
    title = html.escape(app.config.html_title or "Feed")
    context["metatags"] = context.get("metatags", "") + (
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{feed}">\n'
    )
    index: Index = app.englogs_index  # type: ignore[attr-defined]
    if pagename.startswith(POSTS_PREFIX):
        slug = pagename.removeprefix(POSTS_PREFIX)
        newer, older = related.neighbours_in_category(index.published, slug)
        context["prev"] = _link(context, newer)
        context["next"] = _link(context, older)
        context["body"] += related.related_posts_html(index.published, slug)
    if doctree is None or not any(doctree.findall(_is_math)):
        # Sphinx counts a page as having equations if anything in its toctree does, so the
        # landing page and every post would load MathJax (over 1 MB): keep it where math is.
        context["script_files"] = [
            js for js in context.get("script_files", []) if not _is_mathjax(js)
        ]
    provenance = getattr(app.env, "englogs_provenance", {}).get(pagename)
    if provenance:
        context["body"] += related.provenance_html(provenance)


def _is_mathjax(script: Any) -> bool:
    """MathJax itself or its inline configuration (``window.MathJax = …``)."""
    body = getattr(script, "attributes", {}).get("body", "")
    return "mathjax" in f"{getattr(script, 'filename', script)} {body}".lower()


def _is_math(node: nodes.Node) -> bool:
    return isinstance(node, nodes.math | nodes.math_block)


def _link(context: dict[str, Any], post: dict[str, Any] | None) -> dict[str, str] | None:
    if post is None:
        return None
    return {"link": context["pathto"](f"posts/{post['slug']}"), "title": html.escape(post["title"])}


_META_CONTENT = re.compile(r'(<meta (?:property|name)="(?:og|twitter):[^"]*" content=")([^"]*)(")')


def escape_theme_output(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Escape what two upstream extensions leave raw, so a title is always text.

    sphinx-book-theme prints ``title.astext()`` unescaped in its print header, and
    sphinxext-opengraph escapes only quotes in its meta tags (``<`` and ``&`` pass through).
    """
    if "pagetitle" in context:
        context["pagetitle"] = html.escape(context["pagetitle"])
    context["metatags"] = _META_CONTENT.sub(
        lambda m: m.group(1) + html.escape(html.unescape(m.group(2))) + m.group(3),
        context.get("metatags", ""),
    )


def set_site_urls(app: Sphinx, config: Config) -> None:
    """The base URL lives once, in _config.yml (html.baseurl); derive the rest from it."""
    config.ogp_site_url = config.ogp_site_url or config.html_baseurl
    config.ogp_site_name = config.ogp_site_name or config.html_title


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", regenerate_index, priority=100)
    app.connect("config-inited", set_site_urls)
    # After myst-parser and myst-nb have set up their configuration (priority 500).
    app.connect("builder-inited", execute_in_parallel, priority=800)
    app.connect("env-get-updated", refresh_all_pages_when_the_index_changes)
    app.connect("doctree-read", decorate_post, priority=100)
    app.connect("html-page-context", add_page_context)
    app.connect("build-finished", scan_built_site)
    # After sphinx-book-theme and sphinxext-opengraph (priority 500) have written their parts.
    app.connect("html-page-context", escape_theme_output, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension: the site generator's work, wired into ``jupyter-book build .``.

In build order:

1. ``config-inited`` (priority 100): regenerate the index (TOC, landing, category and tag
   pages, feed) and scan the post sources for secrets. Jupyter Book 1 only checks that
   ``_toc.yml`` parses; sphinx-external-toc reads it at priority 900, so the TOC the build
   uses is always the one the posts imply. Invalid posts stop the build here.
2. ``builder-inited``: execute stale notebooks in parallel (``sitegen.execute``).
3. ``env-get-updated``: rewrite every page when the index changed (no stale sidebars).
4. ``doctree-read``: the post's literal title and its header line.
5. ``html-page-context``: feed link, link-preview tags and card (``sitegen.social``),
   neighbours, related posts, provenance footer, MathJax only where math is, and escaping
   the title the theme leaves raw.
6. ``build-finished``: scan what was written for secrets.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import CONFIG_OK, BuildEnvironment, _last_modified_time
from sphinx.errors import ConfigError, SphinxError
from sphinx.util import logging

from sitegen import failures, index_stamp, related, social
from sitegen.execute import Outcome, execute_stale
from sitegen.pages import HEADING, INTRO, display_date, tags_html
from sitegen.secret_scan import CleanFiles, Finding, ScanStamp, scan_files, scan_tree
from sitegen.site import STATE_DIR, slugify, today

if TYPE_CHECKING:
    from sitegen.build import Index

POSTS_PREFIX = "posts/"
LOGGER = logging.getLogger(__name__)


class NotebookExecutionFailed(SystemExit):
    """Ends the build with status 1 and only this message on stderr.

    A ``SphinxError`` is printed by Sphinx, but jupyter-book then raises a ``RuntimeError``
    from it, whose traceback (some 60 lines) and generic "There was an error" box bury the
    one line that matters. Python prints a ``SystemExit``'s text and exits with status 1;
    Sphinx and jupyter-book let it through (they catch ``Exception``).
    """


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
    """Write the generated files and keep unpublished posts out of the build entirely.

    When nothing the index is made from changed since the last build, the recorded summary
    stands in for it (``sitegen.index_stamp``) and pandas is not even imported.
    """
    root = Path(app.srcdir)
    summary = index_stamp.load(root, today().isoformat())
    if summary is None:
        index, changed = _build_index(root)
        app.englogs_index = index  # type: ignore[attr-defined]
        summary = index.summary
        if changed:
            print(f"[sitegen] index regenerated: {', '.join(changed)}")
    app.englogs_summary = summary  # type: ignore[attr-defined]
    sources = [root / path for _, path in summary.published]
    sources += [path for lab in summary.labs for path in root.glob(f"{lab}.*")]
    clean = CleanFiles(root / STATE_DIR / "clean-sources.json")
    findings = scan_files(clean.changed(sources), root)
    if findings:
        clean.clear()
    else:
        clean.record(sources)
    _fail_on(findings, "the post sources")
    config.exclude_patterns = [*config.exclude_patterns, *summary.unpublished_paths]


def _build_index(root: Path) -> tuple[Index, list[str]]:
    from sitegen.build import build
    from sitegen.posts import InvalidPosts

    try:
        return build(root, record=True)
    except InvalidPosts as error:
        raise ConfigError(
            f"{len(error.problems)} problem(s) in the posts' front matter; nothing was built:\n"
            + "\n".join(f"  {problem}" for problem in error.problems)
        ) from None


def _index(app: Sphinx) -> Index:
    """The full index (a pandas DataFrame of the posts), generated on first need: only
    builds that read or write a page need it."""
    if not hasattr(app, "englogs_index"):
        from sitegen.build import generate

        app.englogs_index = generate(Path(app.srcdir))  # type: ignore[attr-defined]
    index: Index = app.englogs_index  # type: ignore[attr-defined]
    return index


def _notebook_sources(app: Sphinx) -> dict[str, Path]:
    """Docname → source file of every notebook this build publishes: posts, then labs.

    Paths come from the index, not ``env.doc2path``: Sphinx has not discovered a new post yet
    when this runs, and would guess the wrong suffix.
    """
    summary: index_stamp.Summary = app.englogs_summary  # type: ignore[attr-defined]
    root = Path(app.srcdir)
    sources = {f"posts/{slug}": root / path for slug, path in summary.published}
    for lab in summary.labs:
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

    env = app.env
    nb_config = env.mystnb_config  # type: ignore[attr-defined]
    provenance: dict[str, dict[str, Any]] = getattr(env, "englogs_provenance", {})
    env.englogs_provenance = provenance  # type: ignore[attr-defined]
    if nb_config.execution_mode != "cache":
        return
    notebooks = []
    for docname, path in _notebook_sources(app).items():
        if docname in provenance and not _will_be_read(env, docname, path):
            continue
        text = path.read_text(encoding="utf-8")
        myst_config = env.myst_config  # type: ignore[attr-defined]
        reader = create_nb_reader(str(path), myst_config, nb_config, text)
        if reader is not None:
            notebooks.append((docname, str(path), reader.read(text)))
    report = execute_stale(nb_config.execution_cache_path, notebooks, nb_config.execution_timeout)
    provenance.update(report.provenance)
    if report.executed:
        LOGGER.info(f"[sitegen] executed in parallel: {', '.join(report.executed)}")
    if report.failures:
        root = Path(app.srcdir)
        raise NotebookExecutionFailed(
            "\n".join(_failure_message(root, outcome) for outcome in report.failures)
        )


def _failure_message(root: Path, outcome: Outcome) -> str:
    """One line for the author (post:line, cell, statement, values); the rest in a log."""
    assert outcome.failure is not None
    source = Path(outcome.job.path)
    rel = source.relative_to(root).as_posix() if source.is_relative_to(root) else str(source)
    log = root / STATE_DIR / "failures" / f"{outcome.job.docname.replace('/', '-')}.log"
    failures.write_log(log, rel, outcome.failure)
    text = source.read_text(encoding="utf-8") if source.suffix == ".md" else None
    return "Notebook execution failed: " + failures.message(
        rel, outcome.failure, failures.shown_path(log), text
    )


def scan_built_site(app: Sphinx, exception: Exception | None) -> None:
    """Fail the build if executed outputs put a credential into the published site.

    Files written since the last clean scan are scanned (all of them after a failed one).
    A clean scan covers everything written before it began, this build's pages included:
    the next build does not scan them again.
    """
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    stamp = ScanStamp(Path(app.srcdir) / STATE_DIR / "secret-scan.stamp")
    began = time.time()
    findings = scan_tree(outdir, outdir, newer_than=stamp.last_clean())
    if findings:
        stamp.clear()
    else:
        stamp.mark_clean(since=began)
    _fail_on(findings, "the built site")


def _post(app: Sphinx, docname: str) -> dict[str, Any] | None:
    if not docname.startswith(POSTS_PREFIX):
        return None
    index = _index(app)
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


def refresh_all_pages_when_the_index_changes(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Rewrite every page when the TOC or the published index changed since the last build.

    Each page's sidebar, previous/next and related posts come from the whole index, but
    Sphinx only rewrites the pages whose own source changed: without this, adding a post
    would leave every other page with a stale sidebar. Also marks the posts the sidebar
    leaves out as orphans, before Sphinx checks that every page is in a toctree.
    """
    summary: index_stamp.Summary = app.englogs_summary  # type: ignore[attr-defined]
    unlisted = set(summary.unlisted)
    for docname in getattr(env, "englogs_unlisted", set()) - unlisted:
        env.metadata[docname].pop("orphan", None)
    for docname in unlisted:
        env.metadata[docname]["orphan"] = True
    env.englogs_unlisted = unlisted  # type: ignore[attr-defined]
    previous = getattr(env, "englogs_index_fingerprint", None)
    env.englogs_index_fingerprint = summary.fingerprint  # type: ignore[attr-defined]
    if previous is None or previous == summary.fingerprint:
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
    context["metatags"] += link_preview(app, pagename, doctree, context["metatags"])
    if pagename.startswith(POSTS_PREFIX):
        slug = pagename.removeprefix(POSTS_PREFIX)
        published = _index(app).published
        newer, older = related.neighbours_in_category(published, slug)
        context["prev"] = _link(context, newer)
        context["next"] = _link(context, older)
        context["body"] += related.related_posts_html(published, slug)
    if doctree is None or not any(doctree.findall(_is_math)):
        # Sphinx counts a page as having equations if anything in its toctree does, so the
        # landing page and every post would load MathJax (over 1 MB): keep it where math is.
        context["script_files"] = [
            js for js in context.get("script_files", []) if not _is_mathjax(js)
        ]
    provenance = getattr(app.env, "englogs_provenance", {}).get(pagename)
    if provenance:
        context["body"] += related.provenance_html(provenance)


def link_preview(app: Sphinx, pagename: str, doctree: nodes.document | None, metatags: str) -> str:
    """Open Graph and Twitter tags, with a card image drawn once per post (and one for the
    other pages). Posts describe themselves with their summary; other pages with their own
    description meta tag, else their first paragraph, else the site's introduction."""
    base = app.config.html_baseurl.rstrip("/") + "/"
    if base == "/":
        return ""  # link previews need absolute addresses
    site = app.config.html_title or ""
    own_description = social.page_description(metatags)
    post = _post(app, pagename)
    if post is not None:
        title, description = post["title"], post["summary"]
        footer = f"{post['read_minutes']} MIN READ · {display_date(post['date'])}"
        card = social.Card(pagename.replace("/", "-"), post["category"], title, footer, site)
    else:
        title_node = app.env.titles.get(pagename)
        title = title_node.astext() if title_node is not None else site
        paragraph = next(iter(doctree.findall(nodes.paragraph)), None) if doctree else None
        description = own_description or (paragraph.astext() if paragraph is not None else INTRO)
        card = social.Card("site", "Knowledge base", HEADING, base.split("://")[-1], site)
    image = social.ensure_card(Path(app.outdir), card)
    return social.meta_tags(
        title=title,
        description=social.shorten(description),
        url=f"{base}{pagename}.html",
        image_url=base + image,
        site_name=site,
        published=post["date"].isoformat() if post is not None else None,
        tags=post["tags"] if post is not None else (),
        description_tag=own_description is None,
    )


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


def escape_page_title(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """sphinx-book-theme prints ``title.astext()`` unescaped in its print header: escape it,
    so a title such as ``Tokens <script>`` is always text."""
    if "pagetitle" in context:
        context["pagetitle"] = html.escape(context["pagetitle"])


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sitegen.notebook_view")
    app.connect("config-inited", regenerate_index, priority=100)
    # After myst-parser and myst-nb have set up their configuration (priority 500).
    app.connect("builder-inited", execute_in_parallel, priority=800)
    app.connect("env-get-updated", refresh_all_pages_when_the_index_changes)
    app.connect("doctree-read", decorate_post, priority=100)
    app.connect("html-page-context", add_page_context)
    # Last, so that what other extensions write at the end (sitemap.xml) is scanned too.
    app.connect("build-finished", scan_built_site, priority=900)
    # After sphinx-book-theme (priority 500) has set the page title.
    app.connect("html-page-context", escape_page_title, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension: the site generator's work, wired into ``jupyter-book build .``.

Loaded by name (``sphinx: extra_extensions: [sitegen.sphinx_ext]`` in ``_config.yml``).
In build order:

1. ``config-inited`` (priority 100): regenerate the index (TOC, landing, category and tag
   pages, feed) and scan the post sources for secrets. Jupyter Book 1 only checks that
   ``_toc.yml`` parses; sphinx-external-toc reads it at priority 900, so the TOC the build
   uses is always the one the posts imply. Invalid posts stop the build here.
2. ``builder-inited``: execute stale notebooks in parallel (``sitegen.jupyter``).
3. ``env-get-updated``: rewrite every page when the index changed (no stale sidebars).
4. ``doctree-read``: the post's literal title and its header line; its provenance.
5. ``html-page-context``: feed link, link-preview tags and card (``sitegen.social``),
   neighbours, related posts, provenance footer, and escaping
   the title the theme leaves raw.
6. ``build-finished``: scan what was written for secrets, then print the build's summary
   (``sitegen.progress``: notebooks executed and from the cache, pages, warnings, time).

Every hook reads the typed ``SiteIndex`` (``sitegen.model``) the first step produced: one
dictionary lookup a page, no pandas. State that must survive between builds lives in the
``sitegen`` domain of Sphinx's environment (correct under parallel reads by construction);
state of this build lives on the ``Pipeline`` object ``setup`` connects.
"""

from __future__ import annotations

import gc
import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError, SphinxError
from sphinx.util import logging

from sitegen import index_stamp, jupyter, safe_text, search, social
from sitegen.interrupt import InterruptGuard
from sitegen.model import PostRecord, SiteIndex
from sitegen.pages import display_date, tags_html
from sitegen.progress import BuildSummary
from sitegen.publish import Publisher, static_folders
from sitegen.related import provenance_html, related_posts_html
from sitegen.secret_scan import (
    CleanFiles,
    Finding,
    digest,
    included_files,
    packaged_copy,
    scan_files,
    site_files,
)
from sitegen.site import slugify, today
from sitegen.state import BuildState

LOGGER = logging.getLogger(__name__)


class SecretsFound(SphinxError):
    category = "Secrets found"


class InvalidInputs(SystemExit):
    """Ends the build with status 1 and only this message: one line per problem.

    A ``ConfigError`` is printed by Sphinx and then again inside jupyter-book's
    ``RuntimeError`` traceback; ``SystemExit`` passes through both (they catch
    ``Exception``). With ``-v`` the ``ConfigError`` and its traceback are kept.
    """


class SitegenDomain(Domain):
    """What sitegen remembers per page between builds: provenance and orphan marks."""

    name = "sitegen"
    label = "Engineering Logs site generator"
    initial_data: dict[str, Any] = {  # noqa: RUF012 - Sphinx deep-copies it for each env
        "provenance": {},
        "unlisted": [],
        "fingerprint": None,
    }

    @property
    def provenance(self) -> dict[str, dict[str, Any]]:
        value: dict[str, dict[str, Any]] = self.data.setdefault("provenance", {})
        return value

    def clear_doc(self, docname: str) -> None:
        self.provenance.pop(docname, None)

    def merge_domaindata(self, docnames: list[str], otherdata: dict[str, Any]) -> None:
        for docname in docnames:
            if docname in otherdata["provenance"]:
                self.provenance[docname] = otherdata["provenance"][docname]


def _domain(env: BuildEnvironment) -> SitegenDomain:
    domain = env.get_domain(SitegenDomain.name)
    assert isinstance(domain, SitegenDomain)
    return domain


def _fail_on(findings: list[Finding], where: str) -> None:
    if findings:
        raise SecretsFound(
            f"{len(findings)} possible secret(s) in {where}; remove or redact them "
            "(englogs.aws.redact), or use the documented example values:\n"
            + "\n".join(f"  {finding}" for finding in findings)
        )


class Pipeline:
    """One build's sitegen state; its methods are the event handlers ``setup`` connects."""

    def __init__(self) -> None:
        self.index = SiteIndex(posts=(), labs=(), unpublished_paths=(), fingerprint="")
        self.executed: dict[str, dict[str, Any]] = {}  # provenance of this build's notebooks
        self.summary = BuildSummary()

    def regenerate_index(self, app: Sphinx, config: Config) -> None:
        """Write the generated files and keep unpublished posts out of the build entirely.

        When nothing the index is made from changed since the last build, the persisted
        index stands in for it (``sitegen.index_stamp``) and pandas is not even imported.
        """
        root = Path(app.srcdir)
        index = index_stamp.load(root, today().isoformat())
        if index is None:
            index = _build_index(root, verbose=app.verbosity > 0)
        self.index = index
        sources = [root / post.path for post in index.posts] + _lab_sources(root, index.labs)
        includes = sorted({f for source in sources for f in included_files(source)})
        clean = CleanFiles(BuildState(root))
        findings = scan_files(clean.changed(sources), root)
        findings += scan_files(clean.changed(includes), root, suffixes=None)  # any file type
        if findings:
            clean.clear()
        else:
            clean.record([*sources, *includes])
        _fail_on(findings, "the post sources")
        config.exclude_patterns = [*config.exclude_patterns, *index.unpublished_paths]

    def execute_in_parallel(self, app: Sphinx) -> None:
        """Execute every notebook missing from jupyter-cache across all cores, before reading.

        Only pages Sphinx is about to read are looked at: an unchanged post costs nothing.
        """
        root = Path(app.srcdir)
        sources = {post.docname: root / post.path for post in self.index.posts}
        sources.update(zip(self.index.labs, _lab_sources(root, self.index.labs), strict=True))
        self.executed = jupyter.execute_before_reading(app, sources, self.summary)

    def record_provenance(self, app: Sphinx, doctree: nodes.document) -> None:
        provenance = self.executed.get(app.env.docname)
        if provenance is not None:
            _domain(app.env).provenance[app.env.docname] = provenance

    def decorate_post(self, app: Sphinx, doctree: nodes.document) -> None:
        """Show the front-matter title as literal text and add the header line beneath it."""
        post = self.index.post(app.env.docname)
        if post is None:
            return
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is None or not isinstance(section[0], nodes.title):
            return
        # myst parses the front-matter title as Markdown; a title is text: "<b>" stays "<b>".
        title = section[0]
        title.clear()
        title += nodes.Text(post.title)
        section.insert(1, nodes.raw("", header_line_html(post), format="html"))

    def refresh_all_pages_when_the_index_changes(
        self, app: Sphinx, env: BuildEnvironment
    ) -> list[str]:
        """Rewrite every page when the TOC or the published index changed since the last build.

        Each page's sidebar, previous/next and related posts come from the whole index, but
        Sphinx only rewrites the pages whose own source changed: without this, adding a post
        would leave every other page with a stale sidebar. Also marks the posts the sidebar
        leaves out as orphans, before Sphinx checks that every page is in a toctree.
        """
        data = _domain(env).data
        unlisted = set(self.index.unlisted)
        for docname in set(data.get("unlisted", [])) - unlisted:
            env.metadata[docname].pop("orphan", None)
        for docname in unlisted:
            env.metadata[docname]["orphan"] = True
        data["unlisted"] = sorted(unlisted)
        previous, data["fingerprint"] = data.get("fingerprint"), self.index.fingerprint
        if previous is None or previous == self.index.fingerprint:
            return []
        return sorted(env.found_docs)

    def add_page_context(
        self, app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
    ) -> None:
        """Feed link in every head; on posts, previous/next in the category, related posts."""
        feed = context["pathto"]("feed.xml", 1)
        title = html.escape(app.config.html_title or "Feed")
        context["metatags"] = context.get("metatags", "") + (
            f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{feed}">\n'
        )
        context["metatags"] += self.link_preview(app, pagename, doctree, context["metatags"])
        post = self.index.post(pagename)
        if post is not None:
            context["prev"] = _link(context, self.index.by_slug(post.newer))
            context["next"] = _link(context, self.index.by_slug(post.older))
            related = (self.index.by_slug(slug) for slug in post.related)
            context["body"] += related_posts_html(p for p in related if p is not None)
        provenance = _domain(app.env).provenance.get(pagename)
        if provenance:
            context["body"] += provenance_html(provenance)

    def link_preview(
        self, app: Sphinx, pagename: str, doctree: nodes.document | None, metatags: str
    ) -> str:
        """Open Graph and Twitter tags, with a card image drawn once per post (and one for the
        other pages). Posts describe themselves with their summary; other pages with their own
        description meta tag, else their first paragraph, else the site's introduction."""
        base = app.config.html_baseurl.rstrip("/") + "/"
        if base == "/":
            return ""  # link previews need absolute addresses
        site = app.config.html_title or ""
        own_description = social.page_description(metatags)
        post = self.index.post(pagename)
        card = self.card(app, pagename)
        if post is not None:
            title, description = post.title, post.summary
        else:
            title_node = app.env.titles.get(pagename)
            title = title_node.astext() if title_node is not None else site
            paragraph = next(iter(doctree.findall(nodes.paragraph)), None) if doctree else None
            fallback = paragraph.astext() if paragraph is not None else self.index.settings.intro
            description = own_description or fallback
        image = social.ensure_card(Path(app.outdir), card)
        return social.meta_tags(
            title=title,
            description=social.shorten(description),
            url=f"{base}{pagename}.html",
            image_url=base + image,
            site_name=site,
            published=post.date.isoformat() if post is not None else None,
            tags=post.tags if post is not None else (),
            description_tag=own_description is None,
        )

    def card(self, app: Sphinx, pagename: str) -> social.Card:
        """The link-preview card of a page: its own for a post, the site's for the others."""
        site = app.config.html_title or ""
        post = self.index.post(pagename)
        if post is not None:
            footer = f"{post.read_minutes} MIN READ · {display_date(post.date)}"
            name = pagename.replace("/", "-")
            return social.Card(name, post.category, post.title, footer, site)
        base = app.config.html_baseurl.rstrip("/") + "/"
        heading = self.index.settings.heading
        return social.Card("site", "Knowledge base", heading, base.split("://")[-1], site)

    def count_reads(self, app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        self.summary.pages_read = len(docnames)

    def count_page(self, app: Sphinx, *args: Any) -> None:
        self.summary.pages_written += 1

    def print_summary(self, app: Sphinx, exception: Exception | None) -> None:
        """The one screen an author reads at the end of a build (``sitegen.progress``)."""
        if exception is not None or app.builder.name != "html":
            return
        index = Path(app.outdir) / "index.html"
        output = index.relative_to(Path.cwd()) if index.is_relative_to(Path.cwd()) else index
        warnings = getattr(app, "_warncount", 0)
        for line in self.summary.lines(warnings, str(output)):
            LOGGER.info(line)

    def card_files(self, app: Sphinx, docnames: Iterable[str]) -> set[str]:
        """The card files the pages ``docnames`` show (none without a base URL)."""
        if not app.config.html_baseurl.rstrip("/"):
            return set()
        return {f"{social.CARD_DIR}/{self.card(app, name).filename}" for name in docnames}


def _build_index(root: Path, verbose: bool = False) -> SiteIndex:
    from sitegen.build import build  # pandas: only when the index must be rebuilt
    from sitegen.problems import InvalidPosts

    try:
        index, changed = build(root, record=True)
    except InvalidPosts as error:
        text = "\n".join(map(str, error.problems))
        text += f"\n{len(error.problems)} problem(s) in the posts and labs; nothing was built."
        if verbose:
            raise ConfigError(text) from error
        raise InvalidInputs(text) from None
    if changed:
        LOGGER.info("[sitegen] index regenerated: %s", ", ".join(changed))
    return index.model


def _lab_sources(root: Path, labs: Iterable[str]) -> list[Path]:
    """Each lab's source file. Paths come from the index, not ``env.doc2path``: Sphinx has
    not discovered a new page yet when this runs, and would guess the wrong suffix."""
    return [
        next(p for p in sorted(root.glob(f"{lab}.*")) if p.suffix in {".ipynb", ".md"})
        for lab in labs
    ]


def scan_built_site(app: Sphinx, exception: Exception | None) -> None:
    """Fail the build if executed outputs put a credential into the published site.

    Every file a reader can fetch is looked at, except copies of what installed packages
    ship (``sitegen.secret_scan.packaged_copy``) and Pagefind's own scripts
    (``sitegen.search.own_script_digests``); contents already found clean (by SHA-256,
    never by mtime: Sphinx copies files with their old mtimes) are not scanned again.
    """
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    clean = CleanFiles(BuildState(Path(app.srcdir)), "clean-site.json")
    packaged = _PackagedFiles(app)
    index = outdir / search.INDEX_DIR
    pages = [path for path in site_files(outdir) if not path.is_relative_to(index)]
    # The pages first, while Pagefind indexes them on another core; then the index's files.
    findings = scan_files(packaged.without(clean.changed(pages)), outdir, suffixes=None)
    search.wait_for_index(app)
    index_files = site_files(index)
    findings += scan_files(packaged.without(clean.changed(index_files)), outdir, None)
    if findings:
        clean.clear()
    else:
        clean.record([*pages, *index_files])
    _fail_on(findings, "the built site")


class _PackagedFiles:
    """Tells the site's copies of packaged files apart by content: the theme's and the
    extensions' static files (looked up by name, compared by digest) and Pagefind's own
    scripts."""

    def __init__(self, app: Sphinx) -> None:
        self.app = app
        self.static = Path(app.outdir) / "_static"
        self.index = Path(app.outdir) / search.INDEX_DIR

    def without(self, files: list[Path]) -> list[Path]:
        return [path for path in files if not self._packaged(path)]

    def _packaged(self, path: Path) -> bool:
        if path.is_relative_to(self.index):
            return digest(path) in search.own_script_digests()
        if path.is_relative_to(self.static):
            relative = path.relative_to(self.static).as_posix()
            return packaged_copy(path, relative, static_folders(self.app), Path(self.app.srcdir))
        return False


def header_line_html(post: PostRecord) -> str:
    """Category, date, read time and tags under a post's title (links relative to posts/)."""
    esc = html.escape
    updated = (
        f' <span class="el-updated">updated <time datetime="{post.updated.isoformat()}">'
        f"{display_date(post.updated)}</time></span>"
        if post.updated
        else ""
    )
    category_url = f"../categories/{slugify(post.category)}.html"
    return (
        '<div class="el-post-header">'
        f'<p class="el-meta"><a class="el-category" href="{category_url}">'
        f"{esc(post.category)}</a>"
        f'<time datetime="{post.date.isoformat()}">{display_date(post.date)}</time>{updated}'
        f'<span class="el-readtime">{post.read_minutes} MIN READ</span></p>'
        f"{tags_html(post.tags, '../')}</div>"
    )


def _link(context: dict[str, Any], post: PostRecord | None) -> dict[str, str] | None:
    if post is None:
        return None
    return {"link": context["pathto"](post.docname), "title": html.escape(post.title)}


def escape_page_title(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """sphinx-book-theme prints ``title.astext()`` unescaped in its print header: escape it,
    so a title such as ``Tokens <script>`` is always text."""
    if "pagetitle" in context:
        context["pagetitle"] = html.escape(context["pagetitle"])


def freeze_heap(app: Sphinx, *args: Any) -> list[str]:
    """Move every object alive now out of the garbage collector's sight (``gc.freeze``).

    A build keeps a large heap for its whole life (Sphinx's environment, every extension's
    modules), and each full collection walks all of it: Sphinx unpickling 19 doctrees took
    0.14 s in a no-change build of the real site, 0.03 s with this heap frozen. Called once
    the environment is loaded and again once it is read; objects created later are collected
    as usual.
    """
    gc.freeze()
    return []  # as an env-updated handler: no extra pages to write


def setup(app: Sphinx) -> dict[str, Any]:
    pipeline = Pipeline()
    app.connect("builder-inited", freeze_heap, priority=999)
    app.connect("env-updated", freeze_heap, priority=999)
    app.setup_extension("sitegen.notebook_view")
    guard = InterruptGuard()
    app.connect("builder-inited", guard.install, priority=0)
    app.connect("build-finished", guard.restore, priority=999)
    publisher = Publisher(lambda docnames: pipeline.card_files(app, docnames))
    app.connect("builder-inited", publisher.mark_writing, priority=1)
    app.connect("builder-inited", publisher.stable_asset_links)
    app.connect("html-collect-pages", publisher.drop_empty_search_terms)
    app.connect("env-get-updated", publisher.rewrite_after_interruption)
    # Before sphinx-sitemap writes sitemap.xml (priority 500), then prune, then scan.
    app.connect("build-finished", publisher.complete_sitemap, priority=400)
    app.connect("build-finished", publisher.finish, priority=850)
    app.add_domain(SitegenDomain)
    app.connect("config-inited", pipeline.regenerate_index, priority=100)
    # After myst-parser and myst-nb have set up their configuration (priority 500).
    app.connect("builder-inited", pipeline.execute_in_parallel, priority=800)
    app.connect("env-get-updated", pipeline.refresh_all_pages_when_the_index_changes)
    app.connect("doctree-read", pipeline.record_provenance)
    app.connect("doctree-read", pipeline.decorate_post, priority=100)
    app.connect("html-page-context", pipeline.add_page_context)
    app.connect("html-page-context", pipeline.count_page)
    app.connect("env-before-read-docs", pipeline.count_reads)
    # Last, so that what other extensions write at the end (sitemap.xml) is scanned too.
    app.connect("build-finished", scan_built_site, priority=900)
    app.connect("build-finished", pipeline.print_summary, priority=950)
    # After sphinx-book-theme (priority 500) has set the page title.
    app.connect("html-page-context", escape_page_title, priority=900)
    app.connect("html-page-context", safe_text.escape_search_titles)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

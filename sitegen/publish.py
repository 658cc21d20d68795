"""The published folder equals a clean build, whatever happened before this build.

Sphinx writes into ``_build/html`` incrementally and never deletes: a renamed, unpublished
or deleted post keeps its page, its ``_sources`` copy and its preview card; a tag page no
longer generated stays reachable; a build killed while writing pages leaves pages with the
old sidebar, and the next build (its environment already saved) rewrites only what changed;
sphinx-sitemap lists only the pages written by this build; and a build with nothing to
rewrite returns before copying ``_extra/``, so an edited ``robots.txt`` never ships.

``Publisher`` fixes each at the build's edges:

* ``builder-inited``: a marker says "pages are being written". Found at the start of a
  build, the previous one did not finish, and every page is rewritten (``env-get-updated``).
* ``build-finished`` (success only): the author's ``html_extra_path`` files are copied when
  their bytes differ, and extra files the author removed are removed; sitemap.xml gets
  every page (sorted, so a partial build and a clean one write the same bytes); then every
  file a clean build would not produce is removed: pages and ``_sources`` of documents that
  no longer exist, images and downloads no document uses, preview cards no page shows.
  The source folders (``_extra/``, ``_static/``) are never written to.
* ``_static/``: Sphinx copies it only on a build that writes a page, and never deletes from
  it, so an edited stylesheet alone never shipped and a removed file stayed. When the
  book's own static files differ from the last build's (added, edited or removed, by
  content), the root page is rewritten, which makes Sphinx copy every static file; then a
  file the book no longer has, that no theme or extension provides and that this build did
  not write is removed.
"""

from __future__ import annotations

import hashlib
import queue
import shutil
import time
from collections.abc import Callable, Iterable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from sitegen.state import BuildState

MARKER = "writing-pages"
EXTRA_RECORD = "extra-files.json"
STATIC_RECORD = "static-files.json"
# Written on every build that writes, whatever the documents: never pruned.
BUILDER_FILES = frozenset({"genindex.html", "search.html", "searchindex.js", "objects.inv"})
KEPT_DIRS = ("_static/",)


def _files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def static_folders(app: Sphinx) -> list[Path]:
    """The folders Sphinx copies into ``_static``, in its order (a later one wins): the
    theme's base themes' ``static`` folders, the theme's own, then each ``html_static_path``
    entry (the book's ``_static`` and the folders extensions add)."""
    theme = getattr(app.builder, "theme", None)
    folders = [Path(d) / "static" for d in reversed(theme.get_theme_dirs())] if theme else []
    folders += [Path(app.confdir, entry) for entry in app.config.html_static_path]
    return [folder for folder in folders if folder.is_dir()]


def _static_name(rel: str) -> str | None:
    """The name Sphinx gives a static file in ``_static`` (templates lose ``_t``); None for
    the dotfiles it skips."""
    if any(part.startswith(".") for part in rel.split("/")):
        return None
    return rel.removesuffix("_t")


def own_static_files(app: Sphinx) -> dict[str, str]:
    """The book's own static files (name in ``_static`` → SHA-256 of the source)."""
    book = Path(app.srcdir).resolve()
    found: dict[str, str] = {}
    for folder in static_folders(app):
        if folder.resolve().is_relative_to(book):
            for rel in sorted(_files(folder)):
                if (name := _static_name(rel)) is not None:
                    found[name] = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    return found


class Publisher:
    """The build-edge handlers; ``cards`` names the preview cards the pages show."""

    def __init__(self, cards: Callable[[Iterable[str]], set[str]]) -> None:
        self.cards = cards
        self.unfinished = False
        self.started = 0.0  # when this build began writing (seconds since the epoch)
        self.static: dict[str, str] = {}  # the book's own static files now
        self.static_before: list[str] = []  # their names after the last successful build
        self.static_changed = False

    # -- interrupted builds ---------------------------------------------------------------

    def mark_writing(self, app: Sphinx) -> None:
        state = BuildState(Path(app.srcdir))
        self.unfinished = state.path(MARKER).exists()
        state.write_bytes(MARKER, b"a build is writing _build/html\n")
        self.started = time.time()
        self.static = own_static_files(app)
        previous = state.read_json(STATIC_RECORD)
        self.static_before = sorted(previous) if isinstance(previous, dict) else []
        self.static_changed = previous != self.static

    def stable_asset_links(self, app: Sphinx) -> None:
        """Put myst-nb's stylesheet in place before pages are written. Sphinx appends
        ``?v=<checksum>`` to a stylesheet link only when the file is already in the output,
        and myst-nb copies it at the very end: a clean build's pages linked it without the
        checksum and every later build's with it."""
        if app.builder.format != "html":
            return
        try:
            from myst_nb.sphinx_ext import add_global_html_resources
        except ImportError:  # pragma: no cover - myst-nb is a dependency of the site
            return
        (Path(app.outdir) / "_static").mkdir(parents=True, exist_ok=True)
        add_global_html_resources(app, None)

    def drop_empty_search_terms(self, app: Sphinx, *args: Any) -> list[Any]:
        """Sphinx's search index keeps a term with no pages once the last page using it
        changes; a clean build has no such term. Runs at html-collect-pages, before the index
        is written."""
        indexer = getattr(app.builder, "indexer", None)
        for name in ("_mapping", "_title_mapping"):
            mapping = getattr(indexer, name, None)
            if isinstance(mapping, dict):
                for term in [term for term, pages in mapping.items() if not pages]:
                    del mapping[term]
        return []

    def rewrite_after_interruption(self, app: Sphinx, env: BuildEnvironment) -> list[str]:
        """Every page, when the last build stopped before it finished writing; the root
        page when the book's static files changed (so that Sphinx copies them)."""
        if self.unfinished:
            return sorted(env.found_docs)
        return [app.config.root_doc] if self.static_changed else []

    # -- the end of a successful build ----------------------------------------------------

    def complete_sitemap(self, app: Sphinx, exception: Exception | None) -> None:
        """Give sphinx-sitemap every page, not only the ones written by this build."""
        links = getattr(app, "sitemap_links", None)
        if exception is not None or links is None or app.builder.name != "html":
            return
        found: set[tuple[str, Any]] = set()
        while True:
            try:
                found.add(tuple(links.get_nowait()))
            except queue.Empty:
                break
        listed = {link for link, _ in found}
        excludes = list(app.config.sitemap_excludes or [])
        for docname in app.env.found_docs:
            link = f"{docname}.html"
            if link not in listed and not any(fnmatch(link, p) for p in excludes):
                found.add((link, None))
        for item in sorted(found, key=lambda pair: pair[0]):
            links.put(item)

    def finish(self, app: Sphinx, exception: Exception | None) -> None:
        """Sync the author's extra files, prune what a clean build would not have, and clear
        the marker (only on success: a failed build leaves it, so the next rewrites all)."""
        if exception is not None or app.builder.name != "html":
            return
        outdir = Path(app.outdir)
        state = BuildState(Path(app.srcdir))
        extra = self._sync_extra(app, outdir, state)
        for rel in sorted(_files(outdir) - self.expected(app, outdir, extra)):
            (outdir / rel).unlink()
        if self.static_changed:
            self._prune_static(app, outdir / "_static")
            state.write_json(STATIC_RECORD, self.static)
        _remove_empty_dirs(outdir)
        state.forget(MARKER)

    def _prune_static(self, app: Sphinx, static: Path) -> None:
        """Remove the static files the book had and no longer has, unless a theme or an
        extension provides one of that name or this build wrote it (Sphinx's generated
        ``pygments.css``, say)."""
        provided = {
            name
            for folder in static_folders(app)
            for rel in _files(folder)
            if (name := _static_name(rel)) is not None
        }
        for name in sorted(set(self.static_before) - set(self.static) - provided):
            target = static / name
            if target.is_file() and target.stat().st_mtime < self.started:
                target.unlink()

    def _sync_extra(self, app: Sphinx, outdir: Path, state: BuildState) -> set[str]:
        """Copy ``html_extra_path`` files whose bytes differ; remove the ones the author
        deleted since the last build. Returns what the extra folders hold now."""
        current: dict[str, Path] = {}
        for entry in app.config.html_extra_path:
            folder = Path(app.confdir) / entry
            for rel in sorted(_files(folder)):
                current.setdefault(rel, folder / rel)
        for rel, source in current.items():
            target = outdir / rel
            if not target.is_file() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        previous = state.read_json(EXTRA_RECORD)
        for rel in set(previous if isinstance(previous, list) else []) - set(current):
            (outdir / rel).unlink(missing_ok=True)
        state.write_json(EXTRA_RECORD, sorted(current))
        return set(current)

    def expected(self, app: Sphinx, outdir: Path, extra: set[str]) -> set[str]:
        """What a clean build of these sources writes, among the files this module prunes;
        every other file (``_static/``, whatever else Sphinx or an extension writes at the
        root) is kept."""
        env = app.env
        builder: Any = app.builder
        docs = set(env.found_docs)
        keep = set(extra) | BUILDER_FILES | {"sitemap.xml", ".buildinfo"}
        keep |= {f"{page}.html" for page in app.config.html_additional_pages}
        suffix = app.config.html_sourcelink_suffix or ""
        for docname in docs:
            keep.add(Path(builder.get_outfilename(docname)).relative_to(outdir).as_posix())
            source = f"_sources/{docname}{Path(env.doc2path(docname)).suffix}"
            keep |= {source, source + suffix}
        keep |= {f"{builder.imagedir}/{name}" for _, name in env.images.values()}
        keep |= {f"_downloads/{name}" for _, name in env.dlfiles.values()}
        # Each post's reading-notebook download (sitegen.notebook_view) sits beside its page.
        keep |= {f"{d}.ipynb" for d in docs if d.startswith("posts/")}
        keep |= self.cards(docs)
        present = _files(outdir)
        pruned = {
            rel
            for rel in present
            if not rel.startswith(KEPT_DIRS)
            and (
                rel.endswith(".html")
                or (rel.startswith("posts/") and rel.endswith(".ipynb"))
                or rel.startswith(("_sources/", f"{builder.imagedir}/", "_downloads/"))
            )
        }
        return (present - pruned) | (keep & present)


def _remove_empty_dirs(folder: Path) -> None:
    for directory in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()

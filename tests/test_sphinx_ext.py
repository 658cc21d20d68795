"""The extension in tiny Sphinx projects built in process (``sphinx.testing``), as ablog and
sphinx-external-toc test theirs: no CLI, no theme, one kernel at most."""

from __future__ import annotations

import gc
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_cache import get_cache
from sphinx.testing.util import SphinxTestApp

from sitegen import jupyter
from sitegen.state import BuildState

ROOT = Path(__file__).parent / "roots" / "tiny"


def _overrides(book: Path) -> dict[str, Any]:
    """What Jupyter Book would pass to Sphinx for this book, minus the theme."""
    return {
        "extensions": ["myst_nb", "sphinx_external_toc", "sitegen.sphinx_ext"],
        "external_toc_path": "_toc.yml",
        "external_toc_exclude_missing": False,
        "exclude_patterns": ["_build"],
        "html_baseurl": "https://example.org/tiny/",
        "html_title": "Tiny Logs",
        "myst_title_to_header": True,
        "myst_enable_extensions": ["colon_fence"],
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str(book / "_build" / ".jupyter_cache"),
        "nb_execution_raise_on_error": True,
        "nb_execution_timeout": 60,
    }


def _app(book: Path, **extra: Any) -> SphinxTestApp:
    return SphinxTestApp(
        "html",
        srcdir=book,
        builddir=book / "_build",
        confoverrides={**_overrides(book), **extra},
        status=io.StringIO(),
        warning=io.StringIO(),
    )


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    # A build freezes the heap (sitegen.sphinx_ext.freeze_heap); this process lives on.
    yield
    gc.unfreeze()


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    book = tmp_path / "tiny"
    shutil.copytree(ROOT, book)
    return book


def test_a_post_s_own_mystnb_settings_are_honoured_before_reading(tiny: Path) -> None:
    app = _app(tiny)
    try:
        path = tiny / "posts" / "not-executed-here.md"
        # execution_mode: "off" in its front matter: the pre-executor leaves it alone.
        assert jupyter.read_for_execution(app.env, "posts/not-executed-here", path) is None
        pending = jupyter.read_for_execution(
            app.env, "posts/same-code-one", tiny / "posts" / "same-code-one.md"
        )
        assert pending is not None
        assert (pending.timeout, pending.allow_errors, pending.raise_on_error) == (60, False, True)
    finally:
        app.cleanup()


def test_identical_code_executes_once_and_every_page_gets_its_output(tiny: Path) -> None:
    app = _app(tiny)
    try:
        app.build()
        status = app._status.getvalue()
        assert app.statuscode == 0, app._warning.getvalue()
    finally:
        app.cleanup()
    # Newest first: the newer post executes, the older one finds its record.
    assert "[sitegen] executed in parallel: posts/same-code-two\n" in status
    assert "[sitegen] same code, executed once: posts/same-code-one\n" in status
    records = get_cache(str(tiny / "_build" / ".jupyter_cache")).list_cache_records()
    assert len(records) == 1
    html = tiny / "_build" / "html" / "posts"
    for name in ("same-code-one", "same-code-two"):
        page = (html / f"{name}.html").read_text(encoding="utf-8")
        assert "42" in page.split('class="output')[1], name  # its own output cell
    skipped = (html / "not-executed-here.html").read_text(encoding="utf-8")
    assert "must not execute" in skipped and 'class="output' not in skipped


def test_settings_from_the_sitegen_block_shape_the_pages(tiny: Path) -> None:
    app = _app(tiny)
    try:
        app.build()
    finally:
        app.cleanup()
    toc = (tiny / "_toc.yml").read_text(encoding="utf-8")
    assert toc.count("- file: posts/") == 2  # sidebar_posts: 2
    page = (tiny / "_build" / "html" / "posts" / "same-code-two.html").read_text("utf-8")
    related = page.split('<section class="el-related"')[1].split("</section>")[0]
    assert related.count("<li>") == 1  # related_posts: 1
    landing = (tiny / "index.md").read_text(encoding="utf-8")
    assert "Tiny heading" in landing


def test_a_failing_cell_ends_the_build_with_one_message(tiny: Path) -> None:
    post = tiny / "posts" / "same-code-one.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace(
            "print(6 * 7)", "answer = 41\nassert answer == 42, answer"
        ),
        encoding="utf-8",
    )
    with pytest.raises(jupyter.NotebookExecutionFailed) as stopped:
        _app(tiny)
    log = BuildState(tiny).path("failures/posts-same-code-one.log")
    assert str(stopped.value.code).splitlines()[0] == (
        "Notebook execution failed: posts/same-code-one.md:21: cell 1: "
        "`assert answer == 42, answer`: AssertionError: 41"
    )
    assert log.is_file()


def test_the_heap_is_frozen_once_loaded_and_once_read(tiny: Path) -> None:
    # Collections then skip the environment and modules every build keeps to the end.
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    app = _app(tiny)
    try:
        app.build()
        assert app.statuscode == 0, app._warning.getvalue()
    finally:
        app.cleanup()
    assert gc.get_freeze_count() > 0


def test_a_post_no_longer_executed_loses_its_old_download(tiny: Path) -> None:
    # execution_mode "off" (or no code): a clean build writes no download for the post.
    stale = tiny / "_build" / "html" / "posts" / "not-executed-here.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")  # left by a build when it still executed
    app = _app(tiny)
    try:
        app.build()
        assert app.statuscode == 0, app._warning.getvalue()
    finally:
        app.cleanup()
    assert not stale.exists()
    assert (stale.parent / "same-code-one.ipynb").is_file()

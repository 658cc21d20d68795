"""Shared fixtures: throwaway copies of the fixture books, and the commands run in process."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitegen import notebook_view
from sitegen.commands import build_index, check_post, new_post, preview

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A fixed "today" so golden files and publication rules do not move with the calendar.
FIXED_TODAY = "2026-01-15"
# The CLI installed beside this interpreter (a venv's bin/, or the system's).
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
if not Path(JUPYTER_BOOK).exists():  # pragma: no cover - unusual layouts
    JUPYTER_BOOK = shutil.which("jupyter-book") or "jupyter-book"


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGLOGS_TODAY", FIXED_TODAY)


def copy_book(name: str, dest: Path) -> Path:
    """Copy ``tests/fixtures/books/<name>`` to ``dest`` (it loads the installed extension)."""
    book = dest / name
    shutil.copytree(FIXTURES / "books" / name, book, ignore=shutil.ignore_patterns("_build"))
    return book


def add_backend_posts(book: Path, count: int) -> list[str]:
    """``count`` more prose-only posts in Backend Architecture, one a day from 2025-01-01."""
    template = (book / "posts" / "older-queue-notes.md").read_text(encoding="utf-8")
    slugs = []
    for day in range(1, count + 1):
        slug = f"backend-note-{day:02d}"
        text = template.replace("Older Queue Notes", f"Backend Note {day:02d}")
        text = text.replace('"2024-03-01"', f'"2025-01-{day:02d}"')
        (book / "posts" / f"{slug}.md").write_text(text, encoding="utf-8")
        slugs.append(slug)
    return slugs


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return copy_book("basic", tmp_path)


COMMANDS: dict[str, Callable[[list[str] | None], int]] = {
    "build-index": build_index.main,
    "new-post": new_post.main,
    "check-post": check_post.main,
    "preview": preview.main,
    "post-notebooks": notebook_view.main,
}


def run_command(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run an installed command's ``main`` in process, as its console script would."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = COMMANDS[name]([str(arg) for arg in args])
        except SystemExit as exit_:  # argparse: --help, usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(
        [name, *map(str, args)], code, out.getvalue(), err.getvalue()
    )


def jupyter_book(book: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``jupyter-book build`` of ``book``; strict unless told otherwise."""
    return subprocess.run(
        [JUPYTER_BOOK, "build", str(book), *extra],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The real site, built once strictly from a clean copy of the repository."""
    site = tmp_path_factory.mktemp("site") / "repo"
    shutil.copytree(
        REPO,
        site,
        ignore=shutil.ignore_patterns(
            "_build", ".git", "test-artifacts", "*.egg-info", "node_modules"
        ),
    )
    env = {k: v for k, v in os.environ.items() if k != "ENGLOGS_TODAY"}
    result = subprocess.run(
        [JUPYTER_BOOK, "build", str(site), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    log = result.stdout + result.stderr
    (site / "build.log").write_text(log, encoding="utf-8")
    assert result.returncode == 0, log[-6000:]
    yield site / "_build" / "html"


@pytest.fixture(scope="session")
def built_fixture_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The basic fixture book, built once strictly for the HTML checks."""
    os.environ["ENGLOGS_TODAY"] = FIXED_TODAY
    book = copy_book("basic", tmp_path_factory.mktemp("built"))
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield book / "_build" / "html"


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def require_browser() -> None:
    """Debian's Chromium, or a skip locally and a failure in CI (``CI=true``)."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

"""A pipeline that fails safe: hangs, errors, secrets, and builds that must not differ."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_book, jupyter_book
from sitegen import search
from sitegen.secret_scan import CleanFiles, digest, packaged_copy, scan_text, site_files
from sitegen.state import BuildState

pytestmark = pytest.mark.build

POST = "posts/queues-in-practice.md"


def _append_cell(book: Path, code: str) -> str:
    post = book / POST
    good = post.read_text(encoding="utf-8")
    post.write_text(f"{good}\n```{{code-cell}} ipython3\n{code}\n```\n", encoding="utf-8")
    return good


def _set_timeout(book: Path, seconds: int) -> None:
    config = book / "_config.yml"
    text = re.sub(r"timeout: \d+", f"timeout: {seconds}", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")


def test_a_hanging_cell_is_stopped_named_and_forgotten_once_fixed(book: Path) -> None:
    _set_timeout(book, 5)
    good = _append_cell(book, "import time\ntime.sleep(600)  # the downstream never answers")

    hung = jupyter_book(book, "-W", "-n", "--keep-going")
    output = hung.stdout + hung.stderr
    assert hung.returncode != 0
    assert POST in output
    # The cell that hung, by number and the line it was interrupted on, and why.
    assert f"{POST}:{len(good.splitlines()) + 4}: cell 3: `time.sleep(600)" in output
    assert "A cell timed out while it was being executed, after 5 seconds." in output

    (book / POST).write_text(good, encoding="utf-8")
    fixed = jupyter_book(book)
    assert fixed.returncode == 0, fixed.stdout[-2000:] + fixed.stderr[-2000:]


def test_a_raising_cell_names_the_post_the_cell_and_the_traceback(book: Path) -> None:
    good = _append_cell(
        book, "def charge(card):\n    raise ValueError(f'card {card} declined')\ncharge(42)"
    )

    failed = jupyter_book(book, "-W", "-n", "--keep-going")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    # The innermost line of the cell that raised, located in the post's own file.
    line = len(good.splitlines()) + 4
    statement = "raise ValueError(f'card {card} declined')"
    assert f"Notebook execution failed: {POST}:{line}: cell 3: `{statement}`: " in output
    assert "ValueError: card 42 declined" in output  # the exception and its message
    assert "Traceback" not in output  # that is in the log the message names

    (book / POST).write_text(good, encoding="utf-8")
    assert jupyter_book(book).returncode == 0


def _fake_aws_key() -> str:
    # Assembled at run time so this test file itself holds no key-shaped string.
    return "AKIA" + "Q3EXAMPLEXX"[:0] + "ZQ7RT4ND2M6PL8VW"


def test_secrets_in_a_post_source_stop_the_build_before_execution(book: Path) -> None:
    post = book / POST
    post.write_text(
        post.read_text(encoding="utf-8") + f"\nKey: {_fake_aws_key()}\n", encoding="utf-8"
    )
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"{POST}:" in output and "AWS Access Key" in output
    assert _fake_aws_key() not in output  # the report itself redacts
    assert "Executing" not in output and "executed in parallel" not in output


def test_secrets_printed_by_a_cell_fail_the_build(book: Path) -> None:
    key = _fake_aws_key()
    _append_cell(book, f"print('AKIA' + '{key[4:]}')")  # the source holds no whole key
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Secrets found" in output and "the built site" in output
    again = jupyter_book(book)  # nothing changed: the leak must not slip through unscanned
    assert again.returncode != 0 and "Secrets found" in again.stdout + again.stderr


def test_a_secret_added_after_a_clean_build_is_caught_and_stays_caught(book: Path) -> None:
    # Sources found clean are not rescanned while unchanged; an edited one always is.
    assert jupyter_book(book).returncode == 0
    post = book / POST
    post.write_text(post.read_text(encoding="utf-8") + f"\n{_fake_aws_key()}\n", "utf-8")
    for _ in range(2):
        result = jupyter_book(book)
        assert result.returncode != 0 and "the post sources" in result.stdout + result.stderr


def test_a_clean_build_leaves_nothing_for_the_next_scan(built_fixture_book: Path) -> None:
    # Every readable file's content was found clean, so a no-change rebuild scans none again.
    clean = CleanFiles(BuildState(built_fixture_book.parent.parent), "clean-site.json")
    readable = site_files(built_fixture_book)
    assert len(readable) > 10 and clean.changed(readable) == []


def test_clean_files_are_rescanned_only_when_they_change(tmp_path: Path) -> None:
    clean = CleanFiles(BuildState(tmp_path))
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text("fine", encoding="utf-8")
    two.write_text("fine too", encoding="utf-8")
    assert clean.changed([one, two]) == [one, two]
    clean.record([one, two])
    reloaded = CleanFiles(BuildState(tmp_path))
    assert reloaded.changed([one, two]) == []
    old = two.stat().st_mtime_ns
    two.write_text("different size", encoding="utf-8")
    os.utime(two, ns=(old, old))  # copied in with its old mtime: the size still differs
    assert reloaded.changed([one, two]) == [two]
    reloaded.clear()
    assert CleanFiles(BuildState(tmp_path)).changed([one]) == [one]


def test_copies_of_files_installed_packages_ship_are_theirs_the_book_s_are_not(
    tmp_path: Path,
) -> None:
    package, book = tmp_path / "site-packages" / "theme" / "static", tmp_path / "book"
    (package / "scripts").mkdir(parents=True)
    (book / "_static").mkdir(parents=True)
    (package / "scripts" / "theme.js").write_text("var theme = 1;\n", encoding="utf-8")
    (book / "_static" / "mine.js").write_text("var mine = 1;\n", encoding="utf-8")
    site = tmp_path / "html" / "_static"
    (site / "scripts").mkdir(parents=True)
    copied, edited = site / "scripts" / "theme.js", site / "mine.js"
    shutil.copyfile(package / "scripts" / "theme.js", copied)
    shutil.copyfile(book / "_static" / "mine.js", edited)
    folders = [package, book / "_static", tmp_path / "missing"]
    assert packaged_copy(copied, "scripts/theme.js", folders, book)
    assert not packaged_copy(edited, "mine.js", folders, book)  # the book's own: scanned
    copied.write_text("var theme = 1; // and a key\n", encoding="utf-8")
    assert not packaged_copy(copied, "scripts/theme.js", folders, book)  # no longer theirs


def test_pagefind_s_own_scripts_are_the_same_for_every_site(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        "<html><body data-pagefind-body><h1>Queues</h1><p>Bursts.</p></body></html>", "utf-8"
    )
    assert search._pagefind(tmp_path).returncode == 0
    scripts = sorted((tmp_path / search.INDEX_DIR).glob("*.js"))
    assert scripts and {digest(path) for path in scripts} == search.own_script_digests()


def test_documented_example_keys_are_allowed() -> None:
    assert scan_text("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "x") == []
    assert [f.kind for f in scan_text(f"id={_fake_aws_key()}", "x")] == ["AWS Access Key"]
    header = "-----BEGIN " + "PRIVATE KEY-----"
    assert [f.kind for f in scan_text(header, "x")] == ["Private Key"]


def test_included_files_and_files_copied_with_old_mtimes_are_scanned(book: Path) -> None:
    assert jupyter_book(book).returncode == 0
    # A hand-written extra file with a key and an old mtime: Sphinx copies it keeping the
    # mtime, so only a content-based scan sees it.
    leak = book / "_extra" / "leak.txt"
    leak.write_text(f"aws_access_key_id={_fake_aws_key()}\n", encoding="utf-8")
    os.utime(leak, (978307200, 978307200))  # 2001-01-01
    result = jupyter_book(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "the built site" in output and "leak.txt:1" in output
    leak.unlink()
    (book / "_build" / "html" / "leak.txt").unlink()
    assert jupyter_book(book).returncode == 0
    # The book's own script where the theme ships one of the same name: the book's copy
    # wins in the site, and is no package's file, so it is scanned.
    (book / "_static" / "scripts").mkdir(parents=True, exist_ok=True)
    own = book / "_static" / "scripts" / "bootstrap.js"
    own.write_text(f"const key = '{_fake_aws_key()}';\n", encoding="utf-8")
    result = jupyter_book(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "_static/scripts/bootstrap.js:1" in output
    own.unlink()
    shutil.rmtree(book / "_build" / "html" / "_static" / "scripts")
    assert jupyter_book(book).returncode == 0
    # A private key shown with literalinclude: the source scan reads the included file.
    keys = book / "posts" / "keys"
    keys.mkdir()
    (keys / "server.pem").write_text(
        "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n", "utf-8"
    )
    post = book / POST
    post.write_text(
        post.read_text(encoding="utf-8") + "\n```{literalinclude} keys/server.pem\n```\n", "utf-8"
    )
    result = jupyter_book(book)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "posts/keys/server.pem:1: Private Key" in output and "the post sources" in output


GENERATED = [
    "_toc.yml", "index.md", "archive.md", "categories/security.md", "tags/jwt.md",
    "_build/html/posts.json", "_build/html/posts.csv", "_build/html/feed.xml",
    "_build/html/sitemap.xml",
]  # fmt: skip


CARDS = Path("_build/html/_images/social")


def test_two_builds_of_the_same_sources_are_byte_identical(tmp_path: Path) -> None:
    first = copy_book("basic", tmp_path / "one")
    second = copy_book("basic", tmp_path / "two")
    for book in (first, second):
        result = jupyter_book(book, "-W", "-n", "--keep-going")
        assert result.returncode == 0, result.stdout[-2000:]
    for name in GENERATED:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    cards = sorted(p.name for p in (first / CARDS).iterdir())
    assert cards and cards == sorted(p.name for p in (second / CARDS).iterdir())
    for name in cards:
        assert (first / CARDS / name).read_bytes() == (second / CARDS / name).read_bytes(), name


def test_repeated_parallel_builds_never_hit_a_database_lock(book: Path) -> None:
    for round_ in range(3):
        for post in sorted((book / "posts").glob("*.md")):
            text = post.read_text(encoding="utf-8")
            post.write_text(
                text + f"\n```{{code-cell}} ipython3\nround_ = {round_}\n```\n", encoding="utf-8"
            )
        result = jupyter_book(book, "-W", "-n", "--keep-going")
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-2000:]
        assert "database is locked" not in output
        assert "executed in parallel" in output
    shutil.rmtree(book / "_build" / "html")
    assert jupyter_book(book).returncode == 0

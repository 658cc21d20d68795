"""Bad posts: one line each naming file, field and problem; all in one run; nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, run_command

BAD = FIXTURES / "bad-posts"


def expected_lines() -> list[str]:
    lines = (BAD / "EXPECTED.txt").read_text(encoding="utf-8").splitlines()
    return sorted(f"posts/{line}" for line in lines if line and not line.startswith("#"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "posts" not in p.parts
    }


def test_every_bad_post_is_reported_in_one_run_and_nothing_is_written(book: Path) -> None:
    assert run_command("build-index", "--root", book).returncode == 0
    before = snapshot(book)
    for post in BAD.glob("*.md"):
        shutil.copy(post, book / "posts" / post.name)

    result = run_command("build-index", "--root", book)

    assert result.returncode == 2
    reported = sorted(line for line in result.stderr.splitlines() if line.startswith("posts/"))
    assert reported == expected_lines()
    assert "no file was written" in result.stderr
    assert snapshot(book) == before


def test_the_build_stops_before_executing_anything(book: Path) -> None:
    from conftest import jupyter_book

    shutil.copy(BAD / "unknown-category.md", book / "posts")
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "posts/unknown-category.md: category: 'Frontend' is not a category" in output
    assert "Executing notebook" not in output
    assert not (book / "_build" / ".jupyter_cache").exists()

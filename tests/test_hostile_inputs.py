"""Hostile and unlucky inputs: one line naming the file and field, exit 2, nothing written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_command
from sitegen.posts import decode, one_line_problem


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and "_build" not in p.parts
    }


def refused(book: Path) -> list[str]:
    """The problem lines of a build-index run that must fail and write nothing."""
    assert run_command("build-index", "--root", book).returncode == 0
    before = snapshot(book)
    result = run_command("build-index", "--root", book)
    return _lines(result, book, before)


def _lines(result: object, book: Path, before: dict[str, bytes]) -> list[str]:
    assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    assert snapshot(book) == before
    return [
        line
        for line in result.stderr.splitlines()  # type: ignore[attr-defined]
        if not line.endswith("no file was written.")
    ]


def _run_after_clean_index(book: Path, change: object) -> list[str]:
    assert run_command("build-index", "--root", book).returncode == 0
    change(book)  # type: ignore[operator]
    before = snapshot(book)
    return _lines(run_command("build-index", "--root", book), book, before)


def test_an_invalid_lab_is_named_and_toc_is_not_rewritten(book: Path) -> None:
    def break_lab(book: Path) -> None:
        (book / "notebooks" / "broken-lab.ipynb").write_text('{"cells": [', encoding="utf-8")

    lines = _run_after_clean_index(book, break_lab)
    assert lines == [
        "notebooks/broken-lab.ipynb: file: is not valid notebook JSON"
        " (Expecting value at line 1 column 12)"
    ]
    assert b"broken-lab" not in (book / "_toc.yml").read_bytes()


def test_a_lab_cell_that_is_not_a_cell_is_named(book: Path) -> None:
    def odd_cell(book: Path) -> None:
        lab = {"cells": [{"cell_type": "markdown", "source": ""}, {"cell_type": "html"}]}
        (book / "notebooks" / "odd-lab.ipynb").write_text(json.dumps(lab), encoding="utf-8")

    lines = _run_after_clean_index(book, odd_cell)
    assert lines == ["notebooks/odd-lab.ipynb: cell 2: is not a code, markdown or raw cell"]


def test_symlinks_leaving_the_repository_or_dangling_are_refused(
    book: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "credentials.md"
    outside.write_bytes((book / "posts" / "older-queue-notes.md").read_bytes())

    def link(book: Path) -> None:
        (book / "posts" / "leak.md").symlink_to(outside)
        (book / "posts" / "gone.md").symlink_to(book / "posts" / "no-such-post.md")

    lines = _run_after_clean_index(book, link)
    assert sorted(lines) == [
        f"posts/gone.md: file: is a symlink to {book / 'posts' / 'no-such-post.md'},"
        " which does not exist",
        "posts/leak.md: file: is a symlink to a file outside the repository;"
        " copy the file in instead",
    ]


def test_a_symlink_inside_the_repository_is_a_post(book: Path) -> None:
    drafts = book / "drafts"
    drafts.mkdir()
    text = (book / "posts" / "older-queue-notes.md").read_text(encoding="utf-8")
    (drafts / "kept.md").write_text(text.replace("Older Queue Notes", "Kept"), encoding="utf-8")
    (book / "posts" / "kept-elsewhere.md").symlink_to(drafts / "kept.md")
    result = run_command("build-index", "--root", book)
    assert result.returncode == 0, result.stderr
    assert b"kept-elsewhere" in (book / "_extra" / "posts.json").read_bytes()


@pytest.mark.parametrize(
    ("name", "transform"),
    [("crlf", lambda t: t.replace("\n", "\r\n")), ("bom", lambda t: "\ufeff" + t)],
)
def test_crlf_and_bom_posts_read_as_plain_ones(book: Path, name: str, transform: object) -> None:
    post = book / "posts" / "older-queue-notes.md"
    plain = run_command("build-index", "--root", book)
    assert plain.returncode == 0
    json_before = (book / "_extra" / "posts.json").read_bytes()
    text = post.read_text(encoding="utf-8")
    post.write_bytes(transform(text).encode("utf-8"))  # type: ignore[operator]
    result = run_command("build-index", "--root", book)
    assert result.returncode == 0, result.stderr
    assert (book / "_extra" / "posts.json").read_bytes() == json_before
    assert decode(post.read_bytes()) == text


def test_an_alias_bomb_is_refused_before_it_is_expanded(book: Path) -> None:
    # Ten levels of x10: expanding it would need 10**10 list items; the scanner sees aliases.
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    post = book / "posts" / "older-queue-notes.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("---\n", "---\n" + "\n".join(levels) + "\n", 1), "utf-8")
    result = run_command("build-index", "--root", book)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "posts/older-queue-notes.md: front matter: YAML anchors and aliases (&name, *name)"
        " are not allowed; write each value out"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Plain title: with <b> & ünïcode ✓", None),
        ("Two\nlines", "contains a line break (U+000A at character 4)"),
        ("Carriage\rreturn", "contains a line break (U+000D at character 9)"),
        ("Escape \x1b[31m red", "contains a control character (U+001B at character 8)"),
        ("Line\u2028separator", "contains a line break (U+2028 at character 5)"),
        ("Right-to-left \u202e override", "contains a control character (U+202E at character 15)"),
    ],
)
def test_one_line_fields_refuse_breaks_and_control_characters(
    value: str, problem: str | None
) -> None:
    found = one_line_problem(value)
    assert (found.split(";")[0] if found else None) == problem


def test_a_symlink_loop_is_a_clean_line(book: Path) -> None:
    def loop(book: Path) -> None:
        os.symlink(book / "posts" / "b.md", book / "posts" / "a.md")
        os.symlink(book / "posts" / "a.md", book / "posts" / "b.md")

    lines = _run_after_clean_index(book, loop)
    assert sorted(lines) == [
        f"posts/a.md: file: is a symlink to {book / 'posts' / 'b.md'}, which loops",
        f"posts/b.md: file: is a symlink to {book / 'posts' / 'a.md'}, which loops",
    ]

"""The ``sitegen:`` block of ``_config.yml``: defaults, and one line per wrong value."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_command
from sitegen.build import generate
from sitegen.problems import InvalidPosts
from sitegen.settings import Settings
from sitegen.site import load_site


def _configure(book: Path, block: str) -> None:
    config = book / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + block, encoding="utf-8")


def test_without_a_block_the_defaults_apply(book: Path) -> None:
    assert load_site(book).settings == Settings()


def test_the_block_sets_feed_length_and_landing_text(book: Path) -> None:
    _configure(book, "sitegen:\n  feed_entries: 1\n  kicker: K!\n  intro: Short intro.\n")
    outputs = generate(book).outputs
    assert outputs["_extra/feed.xml"].count(b"<item>") == 1
    landing = outputs["index.md"].decode()
    assert "K!" in landing and "Short intro." in landing


def test_wrong_settings_are_reported_file_field_message_all_at_once(book: Path) -> None:
    _configure(book, "sitegen:\n  sidebar_posts: 0\n  heading: ''\n  colour: red\n")
    with pytest.raises(InvalidPosts) as error:
        load_site(book)
    assert [str(p) for p in error.value.problems] == [
        "_config.yml: sitegen.colour: unknown setting; allowed: feed_entries, heading, intro, "
        "kicker, related_posts, sidebar_posts",
        "_config.yml: sitegen.heading: must be non-empty text, got ''",
        "_config.yml: sitegen.sidebar_posts: must be a whole number of at least 1, got 0",
    ]
    result = run_command("build-index", "--root", book)
    assert result.returncode == 2
    assert "_config.yml: sitegen.sidebar_posts: must be a whole number" in result.stderr

"""The post cache: reused only while the post, its includes, categories and code stand still."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen import post_cache
from sitegen.post_cache import PostCache


def _touch(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


@pytest.fixture
def cached(book: Path) -> tuple[Path, Path, Path]:
    post = book / "posts" / "queues-in-practice.md"
    include = book / "snippet.py"
    include.write_text("x = 1\n", encoding="utf-8")
    cache = PostCache(book)
    cache.put(post, {"slug": "queues-in-practice"}, (str(include),))
    cache.save()
    return book, post, include


def test_a_saved_entry_is_reused_by_the_next_run(cached: tuple[Path, Path, Path]) -> None:
    book, post, _ = cached
    assert PostCache(book).get(post) == {"slug": "queues-in-practice"}


@pytest.mark.parametrize("what", ["post", "include", "categories"])
def test_a_changed_input_invalidates_the_entry(cached: tuple[Path, Path, Path], what: str) -> None:
    book, post, include = cached
    _touch({"post": post, "include": include, "categories": book / "categories.yml"}[what])
    if what == "categories":  # categories.yml is in the salt: its content, not its mtime
        (book / "categories.yml").write_text(
            (book / "categories.yml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
        )
    assert PostCache(book).get(post) is None


def test_new_code_invalidates_everything(
    cached: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    book, post, _ = cached
    monkeypatch.setattr(post_cache, "code_version", lambda: "other code")
    assert PostCache(book).get(post) is None


def test_pruned_entries_are_gone_and_a_corrupt_cache_is_ignored(
    cached: tuple[Path, Path, Path],
) -> None:
    book, post, _ = cached
    cache = PostCache(book)
    cache.prune(set())
    cache.save()
    assert PostCache(book).get(post) is None
    cache.state.write_bytes(post_cache.CACHE, b"not a pickle")
    assert PostCache(book).entries == {}

"""The index builder: what it publishes, that it writes only changes, and --check."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import add_backend_posts, run_command
from sitegen.build import generate
from sitegen.settings import Settings

SIDEBAR_POSTS = Settings().sidebar_posts


def test_drafts_and_future_posts_are_published_nowhere(book: Path) -> None:
    index = generate(book)
    assert sorted(index.published["slug"]) == [
        "older-queue-notes",
        "queues-in-practice",
        "tokens-and-quotes",
    ]
    everything = b"".join(index.outputs.values())
    for hidden in (
        b"unfinished-draft",
        b"Unfinished Draft",
        b"from-the-future",
        b"From the Future",
    ):
        assert hidden not in everything
    assert index.unpublished_paths == ["posts/from-the-future.md", "posts/unfinished-draft.md"]


def test_a_future_post_publishes_on_its_date(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGLOGS_TODAY", "2030-06-01")
    assert "from-the-future" in set(generate(book).published["slug"])


def test_posts_json_lists_newest_first_with_absolute_urls(book: Path) -> None:
    records = json.loads(generate(book).outputs["_extra/posts.json"])
    assert [r["date"] for r in records] == sorted((r["date"] for r in records), reverse=True)
    assert records[0]["url"] == "https://example.org/logs/posts/tokens-and-quotes.html"
    assert set(records[0]) == {
        "slug", "title", "date", "updated", "category", "tags", "summary", "featured",
        "read_minutes", "url",
    }  # fmt: skip


def test_second_run_writes_nothing_and_check_passes(book: Path) -> None:
    first = run_command("build-index", "--root", book)
    assert first.returncode == 0, first.stderr
    mtimes = {p: p.stat().st_mtime_ns for p in book.rglob("*") if p.is_file()}
    second = run_command("build-index", "--root", book)
    assert "0 file(s) updated" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in book.rglob("*") if p.is_file()} == mtimes
    assert run_command("build-index", "--root", book, "--check").returncode == 0


def test_check_names_every_stale_file_and_writes_nothing(book: Path) -> None:
    run_command("build-index", "--root", book)
    (book / "tags" / "retired-tag.md").write_text("old", encoding="utf-8")
    (book / "index.md").write_text("edited by hand", encoding="utf-8")
    os.remove(book / "_extra" / "feed.xml")

    result = run_command("build-index", "--root", book, "--check")

    assert result.returncode == 1
    assert result.stderr.splitlines()[:3] == [
        "stale: _extra/feed.xml",
        "stale: index.md",
        "stale: tags/retired-tag.md",
    ]
    assert (book / "index.md").read_text(encoding="utf-8") == "edited by hand"


def test_same_sources_give_the_same_bytes(book: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(book, twin)
    assert generate(book).outputs == generate(twin).outputs


def test_markup_in_titles_and_summaries_is_escaped_everywhere(book: Path) -> None:
    outputs = generate(book).outputs
    for name in (
        "index.md",
        "categories/security.md",
        "tags/jwt.md",
        "archive.md",
        "_extra/feed.xml",
    ):
        text = outputs[name].decode()
        assert "<script>" not in text and "<b>markup" not in text, name
    assert "Tokens &lt;script&gt; &amp; &#34;quotes&#34;" in outputs["index.md"].decode()
    # Escaped for HTML, then for XML: a feed reader shows the text, not markup.
    assert 'Tokens &amp;lt;script&amp;gt; &amp;amp; "quotes"' in outputs["_extra/feed.xml"].decode()


def test_hand_written_extra_files_are_never_deleted(book: Path) -> None:
    assert run_command("build-index", "--root", book).returncode == 0  # _extra/, tags/
    (book / "_extra" / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    (book / "_extra" / "CNAME").write_text("logs.example.org\n", encoding="utf-8")
    (book / "tags" / "no-longer-used.md").write_text("# gone\n", encoding="utf-8")
    for check in (True, False):
        result = run_command("build-index", "--root", book, *(["--check"] if check else []))
        assert "robots.txt" not in result.stdout + result.stderr
        assert "CNAME" not in result.stdout + result.stderr
    assert (book / "_extra" / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\n"
    assert (book / "_extra" / "CNAME").is_file()
    assert not (book / "tags" / "no-longer-used.md").exists()


def test_the_sidebar_lists_a_category_s_newest_posts_then_links_the_category_page(
    book: Path,
) -> None:
    add_backend_posts(book, SIDEBAR_POSTS)  # with the fixture's two: SIDEBAR_POSTS + 2
    index = generate(book)
    toc_yml = index.outputs["_toc.yml"].decode()
    backend = toc_yml.split('- caption: "Backend Architecture"')[1].split("- caption:")[0]
    listed = re.findall(r"- file: posts/(\S+)", backend)
    assert listed[0] == "queues-in-practice" and len(listed) == SIDEBAR_POSTS
    total = SIDEBAR_POSTS + 2
    assert (
        f'- file: categories/backend-architecture\n    title: "All {total} Backend Architecture'
        in backend
    )
    # The two oldest are left out of the sidebar (and only those), newest first elsewhere.
    assert index.model.unlisted == ["posts/backend-note-01", "posts/older-queue-notes"]
    category_page = index.outputs["categories/backend-architecture.md"].decode()
    assert "older-queue-notes" in category_page and "backend-note-01" in category_page

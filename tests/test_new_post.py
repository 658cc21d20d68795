"""The scaffold makes a valid post, refuses an existing slug and reports bad input."""

from __future__ import annotations

from pathlib import Path

from conftest import run_command
from sitegen.posts import read_post
from sitegen.site import load_site


def test_scaffold_is_a_valid_draft_and_prints_its_path(book: Path) -> None:
    result = run_command(
        "new-post", 'Idempotency "Keys" & <Retries>', "--category", "Backend Architecture",
        "--tags", "idempotency,retries", "--date", "2025-11-02", "--root", book,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "posts/idempotency-keys-retries.md"
    record, problems = read_post(book / "posts/idempotency-keys-retries.md", book, load_site(book))
    assert problems == []
    assert record is not None
    assert record["title"] == 'Idempotency "Keys" & <Retries>'
    assert record["draft"] is True


def test_existing_slug_is_refused_and_left_alone(book: Path) -> None:
    target = book / "posts" / "queues-in-practice.md"
    before = target.read_bytes()
    result = run_command(
        "new-post", "Queues in Practice", "--category", "AWS", "--tags", "sqs", "--root", book
    )
    assert result.returncode == 1
    assert (
        "posts/queues-in-practice.md: slug: a post with this slug already exists" in result.stderr
    )
    assert target.read_bytes() == before


def test_bad_category_and_tags_are_reported_and_nothing_is_written(book: Path) -> None:
    result = run_command(
        "new-post", "Fresh", "--category", "Nope", "--tags", "Bad Tag", "--root", book
    )
    assert result.returncode == 2
    assert "posts/fresh.md: category: 'Nope' is not a category" in result.stderr
    assert "posts/fresh.md: tags: 'Bad Tag' is not a lowercase-hyphenated slug" in result.stderr
    assert not (book / "posts" / "fresh.md").exists()

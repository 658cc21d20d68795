"""check-post: everything the build would refuse, each with its exact line, and each failing
claim of a fresh-kernel run as one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_command

CATEGORIES = (
    "AI Engineering, Security, Cloud Architecture, Backend Architecture, AWS, System Design,"
    " Engineering Mindset"
)
SLUG = "posts/backpressure-notes.md"


def write_post(book: Path, replace: dict[str, str] | None = None, extra: str = "") -> Path:
    """A valid published post (a copy of queues-in-practice), edited by ``replace``."""
    text = (book / "posts" / "queues-in-practice.md").read_text(encoding="utf-8")
    text = text.replace('"Queues in Practice"', '"Backpressure Notes"')
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    post = book / SLUG
    post.write_text(text + extra, encoding="utf-8")
    return post


def check(post: Path, *args: str) -> tuple[int, list[str]]:
    result = run_command("check-post", "--no-run", *args, post)
    assert result.stderr == ""
    return result.returncode, result.stdout.splitlines()


def test_a_valid_post_passes_and_reads_against_its_category(book: Path) -> None:
    code, lines = check(write_post(book))
    assert code == 0
    assert lines[-2] == (
        f"{book / SLUG}: read 1 min (29 prose words, 2 code lines);"
        " the other 2 Backend Architecture posts read 1 min (median 1)"
    )
    assert lines[-1] == f"{book / SLUG}: OK: 0 problem(s) the build would refuse; not run"


@pytest.mark.parametrize(
    ("replace", "expected"),
    [
        (
            {"category: Backend Architecture": "category: backend architecture"},
            f"{SLUG}: category: 'backend architecture' is not a category"
            f" (did you mean 'Backend Architecture'?); use one of: {CATEGORIES}",
        ),
        (
            {"category: Backend Architecture": "category: Backend Architecure"},
            f"{SLUG}: category: 'Backend Architecure' is not a category"
            f" (did you mean 'Backend Architecture'?); use one of: {CATEGORIES}",
        ),
        (
            {"tags: [sqs, queues]": "tags: [sqs, Back Pressure]"},
            f"{SLUG}: tags: 'Back Pressure' is not a lowercase-hyphenated slug"
            " (did you mean 'back-pressure'?)",
        ),
        (
            {"date: \"2025-07-18\"": "date: 2025-07-18"},
            f"{SLUG}: date: YAML reads 2025-07-18 as a date; quote it (date: \"2025-07-18\")"
            " so jupytext and myst-nb can store it",
        ),
        (
            {'"Backpressure Notes"': '"queues in practice"'},
            f"{SLUG}: title: duplicates the title of posts/queues-in-practice.md",
        ),
        (
            {"summary:": "featured: true\nsummary:"},
            f"{SLUG}: featured: only one published post may be featured;"
            " also posts/tokens-and-quotes.md",
        ),
        (
            {"## References": "## Further reading"},
            f"{SLUG}: body: no '## References' section; cite the primary sources",
        ),
        (
            {":tags: [remove-cell]\n": ""},
            f"{SLUG}: body: no asserted claim; assert the prose's claims in a hidden cell"
            " (:tags: [remove-cell], then assert claim, values)",
        ),
    ],
    ids=[
        "wrong-case-category", "misspelled-category", "tag-as-words", "unquoted-date",
        "duplicate-title", "second-featured", "no-references", "no-hidden-assert",
    ],
)  # fmt: skip
def test_each_refusal_is_one_exact_line(book: Path, replace: dict[str, str], expected: str) -> None:
    code, lines = check(write_post(book, replace))
    assert code == 1
    assert lines[0] == expected
    assert lines[-1] == f"{book / SLUG}: FAILED: 1 problem(s) the build would refuse; not run"


def test_a_missing_file_is_one_line(book: Path) -> None:
    assert check(book / "posts" / "nope.md") == (
        1,
        [f"{book / 'posts' / 'nope.md'}: file: not found"],
    )


def test_a_secret_in_the_source_is_refused(book: Path) -> None:
    key = "AKIA" + "Z7Q3" * 4  # built here so this file holds no key-shaped literal
    code, lines = check(write_post(book, extra=f"\nThe key was {key}.\n"))
    assert code == 1
    assert lines[0] == (
        f"{SLUG}:37: AWS Access Key: AKIAZ7Q3…: a possible secret;"
        " remove or redact it (englogs.aws.redact)"
    )


def test_a_near_miss_tag_is_a_warning_with_a_suggestion(book: Path) -> None:
    code, lines = check(write_post(book, {"tags: [sqs, queues]": "tags: [sqs, queue]"}))
    assert code == 0
    assert lines[0] == f"{SLUG}: tags: 'queue' is on no other post (did you mean 'queues'?)"


def test_a_draft_passes_and_lists_what_publishing_would_refuse(book: Path) -> None:
    replace = {"summary:": "draft: true\nsummary:", "## References": "## Reading"}
    code, lines = check(write_post(book, replace))
    assert code == 0
    assert lines[0] == (
        f"{SLUG}: body: no '## References' section; cite the primary sources"
        " (refused once 'draft: true' is removed)"
    )


CLAIMS = """
```{code-cell} ipython3
ratio, slope = 0.4, 0.682
```

```{code-cell} ipython3
:tags: [remove-cell]
assert ratio > 0.5, ratio
```

```{code-cell} ipython3
:tags: [remove-cell]
assert 0.75 < slope < 1.25, slope
```
"""


def test_each_failing_claim_is_one_line(book: Path) -> None:
    post = write_post(book, extra=CLAIMS)
    result = run_command("check-post", post)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{post}:43: cell 4: `assert ratio > 0.5, ratio`: AssertionError: 0.4" in lines
    assert f"{post}:48: cell 5: `assert 0.75 < slope < 1.25, slope`: AssertionError: 0.682" in (
        lines
    )
    log = book / "_build" / ".sitegen" / "failures" / "check-post-backpressure-notes.log"
    assert f"  full traceback: {log}" in lines
    assert lines[-1] == f"{post}: FAILED: 0 problem(s) the build would refuse; a cell failed"
    assert "Traceback" not in result.stdout + result.stderr

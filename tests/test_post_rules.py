"""The post standard enforced: placeholders named, evidence required, near misses suggested."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from conftest import run_command
from sitegen import post_rules
from sitegen.posts import read_post
from sitegen.site import load_site

SCAFFOLD = "posts/fresh-idea.md"


def scaffold(book: Path) -> Path:
    result = run_command(
        "new-post", "Fresh Idea", "--category", "Security", "--tags", "jwt,rbac,audit",
        "--date", "2025-11-02", "--root", book,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return book / SCAFFOLD


def problems(book: Path, path: Path) -> list[str]:
    _, found = read_post(path, book, load_site(book))
    return sorted(map(str, found))


def test_the_scaffold_is_a_valid_draft(book: Path) -> None:
    assert problems(book, scaffold(book)) == []


def test_a_published_scaffold_is_refused_with_every_placeholder_named(book: Path) -> None:
    post = scaffold(book)
    post.write_text(post.read_text(encoding="utf-8").replace("draft: true\n", ""), "utf-8")
    still_here = "is still here; replace it before publishing"
    assert problems(book, post) == [
        f"{SCAFFOLD}: body: line 20: the scaffold's TL;DR {still_here}: "
        '"One paragraph: the problem, what the experiments below show, and what to do."',
        f"{SCAFFOLD}: body: line 30: the scaffold's example experiment {still_here}: "
        '"samples = rng.exponential(scale=10.0, size=10_000)"',
        f"{SCAFFOLD}: body: line 43: the scaffold's example figure {still_here}: "
        '"The example\'s latency distribution: replace it with yours."',
        f"{SCAFFOLD}: body: line 55: the scaffold's checklist item {still_here}: "
        '"- [ ] The first thing a reader should do on Monday."',
        f"{SCAFFOLD}: body: line 60: the scaffold's reference {still_here}: "
        '"- The primary source this post builds on (an RFC, vendor docs, a paper)."',
        f"{SCAFFOLD}: summary: is the scaffold's placeholder; write the post's own",
    ]


def test_a_finished_scaffold_publishes(book: Path) -> None:
    post = scaffold(book)
    text = post.read_text(encoding="utf-8").replace("draft: true\n", "")
    text = text.replace("What Fresh Idea takes in production.", "Tail latency, measured.")
    for placeholder in post_rules.PLACEHOLDERS:
        replacement = "- [ ] Measure p99." if placeholder.text.startswith("- [ ]") else "Mine."
        if placeholder.name == "example experiment":
            replacement = "samples = rng.exponential(scale=10.0, size=20_000)"
        text = text.replace(placeholder.text, replacement)
    post.write_text(text, encoding="utf-8")
    assert problems(book, post) == []


def test_a_hidden_assert_counts_only_in_a_remove_cell_code_cell() -> None:
    visible = "```{code-cell} ipython3\nassert x, x\n```\n"
    hidden_yaml = "```{code-cell} ipython3\n---\ntags: [remove-cell]\n---\nassert x, x\n```\n"
    lacks = [p.message for p in post_rules.standard_problems("p.md", visible)]
    assert any(m.startswith("no asserted claim") for m in lacks)
    lacks = [p.message for p in post_rules.standard_problems("p.md", hidden_yaml)]
    assert not any(m.startswith("no asserted claim") for m in lacks)


def test_a_references_heading_inside_a_code_block_does_not_count() -> None:
    text = "```python\n## References\n```\n"
    lacks = [p.message for p in post_rules.standard_problems("p.md", text)]
    assert "no '## References' section; cite the primary sources" in lacks


def test_drafts_are_exempt() -> None:
    assert post_rules.publish_problems("p.md", "", "T", "What T takes in production.", True) == []


def test_did_you_mean_ignores_case_and_finds_typos() -> None:
    names = ("Security", "Backend Architecture", "AWS")
    assert post_rules.did_you_mean("aws", names) == " (did you mean 'AWS'?)"
    assert post_rules.did_you_mean("Backend Architecure", names) == (
        " (did you mean 'Backend Architecture'?)"
    )
    assert post_rules.did_you_mean("Frontend", names) == ""


def test_tag_suggestions() -> None:
    assert post_rules.tag_suggestion("Rate Limiting") == " (did you mean 'rate-limiting'?)"
    assert post_rules.tag_suggestion("rate_limiting") == " (did you mean 'rate-limiting'?)"
    assert post_rules.tag_suggestion(42) == ""
    others = Counter({"rate-limiting": 2, "retries": 1})
    assert post_rules.near_miss_tags(["ratelimiting", "retries", "caching"], others) == [
        ("ratelimiting", "rate-limiting")
    ]

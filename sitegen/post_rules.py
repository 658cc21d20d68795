"""The post standard, enforced: nothing half-written publishes; near misses get a suggestion.

Called by the index validation (``sitegen.posts.read_post``, so the build and ``build-index``
refuse the same posts) and by ``check-post``:

* **Scaffold placeholders.** ``new-post`` writes a draft whose summary, TL;DR, example
  experiment, checklist item and reference are placeholders (``PLACEHOLDERS``; the scaffold's
  template is built from them, so the two cannot drift). A published post that still holds
  one is refused, the placeholder named.
* **The standard's evidence.** A published post shows at least one figure, asserts at least
  one claim in a hidden cell, and ends with a ``## References`` section.
* **Did you mean.** A misspelled or wrongly cased category, and a tag that is not a slug,
  get the closest valid value (``difflib``); ``check-post`` also warns about a tag no other
  post uses that is one typo away from one they do.

Drafts are exempt from the first two: they are where half-written posts live.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sitegen.problems import Problem
from sitegen.readtime import _cell_tags, _split_code_cell, strip_front_matter
from sitegen.site import SLUG, slugify

CLOSE_MATCH = 0.8  # difflib ratio for "did you mean"; 'Secruity' ~ 'Security' is 0.875
NEAR_MISS_TAG = 0.85  # stricter for tags: new tags are allowed, and many tags look alike


@dataclass(frozen=True)
class Placeholder:
    name: str  # how a message names it: "the scaffold's <name>"
    text: str  # a line of the scaffold; a post that still holds it is unfinished


PLACEHOLDERS = (
    Placeholder(
        "TL;DR", "One paragraph: the problem, what the experiments below show, and what to do."
    ),
    Placeholder("example experiment", "samples = rng.exponential(scale=10.0, size=10_000)"),
    Placeholder("example figure", "The example's latency distribution: replace it with yours."),
    Placeholder("checklist item", "- [ ] The first thing a reader should do on Monday."),
    Placeholder(
        "reference", "- The primary source this post builds on (an RFC, vendor docs, a paper)."
    ),
)
SUMMARY_PLACEHOLDER = "What {title} takes in production."

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*(.*)$")
_FIGURE_DIRECTIVE = re.compile(r"^(?:`{3,}|:{3,})\s*\{(?:glue:figure|figure|image)\}")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]+\)")
_ASSERT = re.compile(r"^\s*assert\b")
_REFERENCES = re.compile(r"^##\s+References\s*$")


def did_you_mean(value: str, choices: Sequence[str], cutoff: float = CLOSE_MATCH) -> str:
    """`` (did you mean 'X'?)`` for the closest choice, compared case-insensitively; or ""."""
    folded = {choice.casefold(): choice for choice in choices}
    if value.casefold() in folded:
        return f" (did you mean {folded[value.casefold()]!r}?)"
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=cutoff)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def tag_suggestion(tag: object) -> str:
    """`` (did you mean 'session-revocation'?)`` for a tag written as words, or ""."""
    if not isinstance(tag, str):
        return ""
    slug = slugify(tag)
    return f" (did you mean {slug!r}?)" if slug and slug != tag and SLUG.match(slug) else ""


def near_miss_tags(tags: Iterable[str], others: Counter[str]) -> list[tuple[str, str]]:
    """(tag, existing tag) for each tag no other post uses that is close to one they use."""
    known = [tag for tag in others if others[tag] > 0]
    misses = []
    for tag in tags:
        if others[tag] == 0:
            close = difflib.get_close_matches(tag, known, n=1, cutoff=NEAR_MISS_TAG)
            if close:
                misses.append((tag, close[0]))
    return misses


@dataclass
class _Body:
    """What the standard looks for in a post's body, found in one pass over its lines."""

    figure: bool = False
    hidden_assert: bool = False
    references: bool = False


def _scan(lines: list[str]) -> _Body:
    found = _Body()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FIGURE_DIRECTIVE.match(line.strip()) or _MARKDOWN_IMAGE.search(line):
            found.figure = True
        if _REFERENCES.match(line):
            found.references = True
        fence = _FENCE.match(line.strip())
        if fence is None:
            i += 1
            continue
        marker = fence.group(1)
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(marker)),
            len(lines),
        )
        if fence.group(2).startswith("{code-cell}"):
            options, code = _split_code_cell(lines[i + 1 : end])
            if "remove-cell" in _cell_tags(options) and any(map(_ASSERT.match, code)):
                found.hidden_assert = True
        i = end + 1
    return found


def placeholder_problems(path: str, text: str, title: object, summary: object) -> list[Problem]:
    """Each scaffold placeholder still in the post, with its line."""
    problems = []
    if isinstance(title, str) and summary == SUMMARY_PLACEHOLDER.format(title=title):
        problems.append(
            Problem(path, "summary", "is the scaffold's placeholder; write the post's own")
        )
    lines = text.splitlines()
    stripped = [line.strip() for line in lines]
    for placeholder in PLACEHOLDERS:
        if placeholder.text in stripped:
            number = stripped.index(placeholder.text) + 1
            problems.append(
                Problem(
                    path,
                    "body",
                    f"line {number}: the scaffold's {placeholder.name} is still here; replace it"
                    f' before publishing: "{placeholder.text}"',
                )
            )
    return problems


def standard_problems(path: str, text: str) -> list[Problem]:
    """What the post standard requires and the body lacks: figure, asserted claim, references."""
    found = _scan(strip_front_matter(text).splitlines())
    problems = []
    if not found.figure:
        problems.append(
            Problem(
                path,
                "body",
                "no figure; show at least one ({glue:figure}, {figure} or ![alt](path))",
            )
        )
    if not found.hidden_assert:
        problems.append(
            Problem(
                path,
                "body",
                "no asserted claim; assert the prose's claims in a hidden cell "
                "(:tags: [remove-cell], then assert claim, values)",
            )
        )
    if not found.references:
        problems.append(
            Problem(path, "body", "no '## References' section; cite the primary sources")
        )
    return problems


def publish_problems(
    path: str, text: str, title: object, summary: object, draft: bool
) -> list[Problem]:
    """Everything that keeps a post from publishing; nothing for a draft."""
    if draft:
        return []
    return placeholder_problems(path, text, title, summary) + standard_problems(path, text)

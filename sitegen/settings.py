"""The site generator's tunables: the ``sitegen:`` block of ``_config.yml``.

Every field has a default (the values the site was designed with), so the block is
optional and may set any subset. A wrong value is reported like a post problem: file,
field, what is wrong, all in one run (``sitegen.posts.Problem``).

```yaml
sitegen:
  sidebar_posts: 8     # newest posts per category in the sidebar; the rest via the category page
  feed_entries: 50     # posts in feed.xml (posts.json and the archive list all of them)
  related_posts: 3     # "Related posts" under each post
  kicker: "ENGINEERING LOGS // KNOWLEDGE BASE"   # the landing page's line above the heading
  heading: "Writing about Distributed Systems"   # the landing page's heading (and link cards)
  intro: "Thoughts, deep-dives, ..."             # the landing page's intro (and the feed's)
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

CONFIG_FILE = "_config.yml"
BLOCK = "sitegen"


@dataclass(frozen=True)
class Settings:
    # Sphinx renders the whole sidebar into every page: listing every post made page size
    # and write time grow with the site (docs/architecture.md).
    sidebar_posts: int = 8
    # Feed readers want recent posts; the whole history is in posts.json and the archive.
    feed_entries: int = 50
    related_posts: int = 3
    # The original page's header and intro (shared/seeds/index-page.txt).
    kicker: str = "ENGINEERING LOGS // KNOWLEDGE BASE"
    heading: str = "Writing about Distributed Systems"
    intro: str = (
        "Thoughts, deep-dives, and architectural blueprints on building scalable backends, "
        "cloud infrastructure, and secure APIs. No basic tutorials—just production-grade "
        "engineering."
    )

    @classmethod
    def problems_in(cls, block: Any) -> list[tuple[str, str]]:
        """(field, message) for everything wrong with a ``sitegen:`` block."""
        if block is None:
            return []
        if not isinstance(block, Mapping):
            return [(BLOCK, f"must be a mapping of settings, got {type(block).__name__}")]
        known = {f.name: f for f in fields(cls)}
        problems = []
        for key, value in block.items():
            where = f"{BLOCK}.{key}"
            if key not in known:
                problems.append((where, f"unknown setting; allowed: {', '.join(sorted(known))}"))
            elif isinstance(getattr(cls(), key), int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    problems.append((where, f"must be a whole number of at least 1, got {value!r}"))
            elif not isinstance(value, str) or not value.strip():
                problems.append((where, f"must be non-empty text, got {value!r}"))
        return problems

    @classmethod
    def from_block(cls, block: Any) -> Settings:
        """The settings of a valid block (check it with ``problems_in`` first)."""
        return cls(**dict(block or {}))

    @classmethod
    def from_json(cls, data: Any) -> Settings:
        """Raises TypeError or ValueError on data that does not fit."""
        problems = cls.problems_in(data)
        if problems:
            raise ValueError(problems)
        return cls.from_block(data)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

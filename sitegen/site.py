"""Site-wide settings, read from the two files that own them.

* ``_config.yml`` (Jupyter Book's config): title, base URL, repository;
* ``categories.yml``: the categories, their order and a one-line description each.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sitegen.problems import InvalidPosts, Problem
from sitegen.settings import BLOCK, CONFIG_FILE, Settings

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """``"Building Event-Driven Systems with Lambda, SQS & EventBridge"`` → ``"building-…"``."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


@dataclass(frozen=True)
class Category:
    name: str
    description: str

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class Site:
    root: Path
    title: str
    baseurl: str
    repository_url: str
    branch: str
    categories: tuple[Category, ...]
    settings: Settings = field(default_factory=Settings)

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def category(self, name: str) -> Category:
        return next(c for c in self.categories if c.name == name)

    def absolute_url(self, path: str) -> str:
        return self.baseurl + path


def load_site(root: Path) -> Site:
    """Read ``_config.yml`` and ``categories.yml`` under ``root``.

    Raises ``InvalidPosts`` naming every wrong setting in ``_config.yml``'s ``sitegen:``.
    """
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    block = config.get(BLOCK)
    problems = Settings.problems_in(block)
    if problems:
        raise InvalidPosts(Problem(CONFIG_FILE, where, message) for where, message in problems)
    categories = yaml.safe_load((root / "categories.yml").read_text(encoding="utf-8")) or []
    baseurl = str(config.get("html", {}).get("baseurl", "")).rstrip("/") + "/"
    repository = config.get("repository", {})
    return Site(
        root=root,
        title=str(config.get("title", "")),
        baseurl=baseurl,
        repository_url=str(repository.get("url", "")),
        branch=str(repository.get("branch", "main")),
        categories=tuple(
            Category(name=str(c["name"]), description=str(c["description"])) for c in categories
        ),
        settings=Settings.from_block(block),
    )


TODAY_ENV = "ENGLOGS_TODAY"


def today() -> dt.date:
    """The publication date: today, unless ``ENGLOGS_TODAY=YYYY-MM-DD`` pins it (tests)."""
    pinned = os.environ.get(TODAY_ENV)
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()

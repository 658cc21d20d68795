"""Skip regenerating the index when nothing it is made from has changed.

A no-change rebuild should cost only start-up. Importing pandas and rendering every
generated page again was 0.3 s of a 1.9 s no-change build. So after each successful
generation, this records the size and mtime of every input and output, and the few facts
the Sphinx hooks need before any page is read (a ``Summary``). The next build trusts the
record only if every file and folder listing still matches and the date is the same day.
This module does not import pandas (directly or not): the fast path must not pay for it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sitegen.site import STATE_DIR

STAMP_FILE = STATE_DIR / "index.json"
CODE = Path(__file__).parent
VERSION = 1
ROOT_FILES = ("_config.yml", "categories.yml", "_toc.yml", "index.md", "archive.md")
# Folders whose listing is an input or an output: a file added or removed there matters.
FOLDERS = ("posts", "notebooks", "categories", "tags", "_extra")


@dataclass(frozen=True)
class Summary:
    """What the build needs to know about the index before it reads any page."""

    published: list[tuple[str, str]]  # (slug, source path) of every published post
    labs: list[str]  # docnames of the companion labs
    unpublished_paths: list[str]  # drafts and future posts, excluded from the build
    unlisted: list[str]  # published posts the sidebar leaves out (docnames)
    fingerprint: str  # changes when anything a page shows about other pages changes


def _stat(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_size]


def _listings(root: Path) -> dict[str, list[str]]:
    folders = [root / name for name in FOLDERS] + [CODE, CODE / "templates"]
    return {
        str(folder): sorted(p.name for p in folder.iterdir() if p.name != "__pycache__")
        if folder.is_dir()
        else []
        for folder in folders
    }


def _files(root: Path, listings: dict[str, list[str]], dependencies: list[str]) -> list[Path]:
    listed = [Path(folder) / name for folder, names in listings.items() for name in names]
    return [root / name for name in ROOT_FILES] + listed + [Path(d) for d in dependencies]


def _state(root: Path, today: str, dependencies: list[str]) -> dict[str, Any]:
    listings = _listings(root)
    files = _files(root, listings, dependencies)
    return {
        "version": VERSION,
        "today": today,
        "listings": listings,
        "dependencies": dependencies,
        "stats": {str(path): _stat(path) for path in files},
    }


def load(root: Path, today: str) -> Summary | None:
    """The recorded summary, if nothing the index is made from changed since; else None."""
    try:
        stored = json.loads((root / STAMP_FILE).read_text(encoding="utf-8"))
        recorded = {key: stored[key] for key in ("version", "today", "listings", "stats")}
        dependencies = list(stored["dependencies"])
        fields = stored["summary"]
        # JSON has no tuples: the (slug, path) pairs come back as lists.
        summary = Summary(**{**fields, "published": [tuple(p) for p in fields["published"]]})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    current = _state(root, today, dependencies)
    current.pop("dependencies")
    return summary if current == recorded else None


def save(root: Path, today: str, summary: Summary, dependencies: list[str]) -> None:
    """Record the state the index was just generated from (atomically; unchanged, untouched)."""
    state = _state(root, today, sorted(set(dependencies)))
    state["summary"] = asdict(summary)
    text = json.dumps(state, sort_keys=True)
    target = root / STAMP_FILE
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, target)

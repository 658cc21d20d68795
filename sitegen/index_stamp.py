"""The "nothing changed" check: reuse the persisted site index while its inputs stand still.

A no-change rebuild should cost only start-up. Importing pandas and rendering every
generated page again was 0.3 s of a 1.9 s no-change build. So each Sphinx build persists
its ``SiteIndex`` (``sitegen.model``) together with the size and mtime of every input and
output it was made from, in the build state (``sitegen.state``). The next build trusts it
only if every file and folder listing still matches, the date is the same day and
sitegen's code is the same (the state store checks that). This module does not import
pandas (directly or not): the fast path must not pay for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sitegen.model import SiteIndex
from sitegen.state import BuildState

RECORD = "site-index.json"
ROOT_FILES = ("_config.yml", "categories.yml", "_toc.yml", "index.md", "archive.md")
# Folders whose listing is an input or an output: a file added or removed there matters.
FOLDERS = ("posts", "notebooks", "categories", "tags", "_extra")


def _stat(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_size]


def _listings(root: Path) -> dict[str, list[str]]:
    return {
        name: sorted(p.name for p in (root / name).iterdir()) if (root / name).is_dir() else []
        for name in FOLDERS
    }


def _inputs(root: Path, today: str, dependencies: list[str]) -> dict[str, Any]:
    listings = _listings(root)
    files = [root / name for name in ROOT_FILES]
    files += [root / folder / name for folder, names in listings.items() for name in names]
    files += [Path(dependency) for dependency in dependencies]
    return {
        "today": today,
        "listings": listings,
        "dependencies": dependencies,
        "stats": {str(path): _stat(path) for path in files},
    }


def load(root: Path, today: str) -> SiteIndex | None:
    """The persisted index, if nothing it is made from changed since; else None."""
    stored = BuildState(root).read_json(RECORD)
    try:
        recorded = stored["inputs"]
        if _inputs(root, today, list(recorded["dependencies"])) != recorded:
            return None
        return SiteIndex.from_json(stored["index"])
    except (KeyError, TypeError, ValueError):
        return None


def save(root: Path, today: str, index: SiteIndex, dependencies: list[str]) -> None:
    """Persist the index and the state of its inputs (atomically; unchanged, untouched)."""
    inputs = _inputs(root, today, sorted(set(dependencies)))
    BuildState(root).write_json(RECORD, {"inputs": inputs, "index": index.to_json()})

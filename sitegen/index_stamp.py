"""The "nothing changed" check: reuse the persisted site index while its inputs stand still.

A no-change rebuild should cost only start-up. Importing pandas and rendering every
generated page again was 0.3 s of a 1.9 s no-change build. So each Sphinx build persists
its ``SiteIndex`` (``sitegen.model``) together with the size and mtime of every input and
output it was made from, in the build state (``sitegen.state``). The next build trusts it
only if every file and folder listing still matches, the date is the same day and
sitegen's code is the same (the state store checks that). This module does not import
pandas (directly or not): the fast path must not pay for it.

Editing a post's code or prose changes its file but rarely its record (title, date, tags,
summary, read time…), and the record is all the index is made from. So when only post
files changed, each is read again on its own (``sitegen.posts.read_post``: the same
validation, no pandas) and compared with a digest of the record the index was built
from. While every digest matches, the index stands: a one-post code edit costs one
post's parse, not an index rebuild (0.5–0.8 s, most of it importing pandas).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sitegen.inputs import link_problem
from sitegen.model import SiteIndex
from sitegen.post_cache import PostCache
from sitegen.posts import read_post
from sitegen.site import load_site
from sitegen.state import BuildState

RECORD = "site-index.json"
ROOT_FILES = ("_config.yml", "categories.yml", "_toc.yml", "index.md", "archive.md")
# Folders whose listing is an input or an output: a file added or removed there matters.
FOLDERS = ("posts", "notebooks", "categories", "tags", "_extra")
# Fields of a post's record that nothing generated shows: the counts behind its read time.
UNSHOWN = frozenset({"prose_words", "code_lines"})


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


def record_digest(record: Mapping[str, Any]) -> str:
    """A digest of what the generated files show of one post's record."""
    shown = {key: value for key, value in record.items() if key not in UNSHOWN}
    text = json.dumps(shown, sort_keys=True, default=str)  # dates as ISO text
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(root: Path, today: str) -> SiteIndex | None:
    """The persisted index, if nothing it is made from changed since; else None."""
    state = BuildState(root)
    stored = state.read_json(RECORD)
    try:
        recorded = stored["inputs"]
        current = _inputs(root, today, list(recorded["dependencies"]))
        if current != recorded:
            edited = _edited_posts(root, recorded, current)
            if not _same_records(root, edited, stored["records"]):
                return None
            state.write_json(RECORD, {**stored, "inputs": current})  # trust the new stats
        return SiteIndex.from_json(stored["index"])
    except (KeyError, TypeError, ValueError):
        return None


def _edited_posts(
    root: Path, recorded: dict[str, Any], current: dict[str, Any]
) -> list[Path] | None:
    """The post files whose stat changed, if nothing else did; None otherwise."""
    if {k: v for k, v in current.items() if k != "stats"} != {
        k: v for k, v in recorded.items() if k != "stats"
    }:
        return None
    edited = [
        Path(name) for name, stat in current["stats"].items() if recorded["stats"].get(name) != stat
    ]
    if any(path.parent != root / "posts" or path.suffix != ".md" for path in edited):
        return None
    return edited


def _same_records(root: Path, edited: list[Path] | None, digests: Mapping[str, str]) -> bool:
    """Whether each edited post is still valid and its record is the one indexed."""
    if edited is None:
        return False
    site = load_site(root)
    cache = PostCache(root)
    for path in edited:
        if link_problem(path, root) is not None:  # now a link out of the repository
            return False
        record, problems = read_post(path, root, site, cache)
        if problems or record is None or digests.get(record["path"]) != record_digest(record):
            return False
    cache.save()
    return True


def save(
    root: Path,
    today: str,
    index: SiteIndex,
    dependencies: list[str],
    records: Iterable[Mapping[str, Any]],
) -> None:
    """Persist the index, the state of its inputs and a digest of each post's record
    (atomically; unchanged, untouched)."""
    inputs = _inputs(root, today, sorted(set(dependencies)))
    digests = {record["path"]: record_digest(record) for record in records}
    BuildState(root).write_json(
        RECORD, {"inputs": inputs, "index": index.to_json(), "records": digests}
    )

"""Remember valid posts' index records between runs, keyed by the files' stat.

Parsing YAML and counting words is most of the index builder's time on a large site; an
unchanged post needs neither. An entry is reused only while the post, every file it
``literalinclude``s, ``categories.yml`` and the sitegen code are all unchanged. The cache
is a convenience: unreadable or stale, it is ignored and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

from sitegen.state import BuildState, code_version

CACHE = "posts.pickle"


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _salt(root: Path) -> str:
    """Changes when anything validation depends on, other than the post, changes."""
    digest = hashlib.sha256((root / "categories.yml").read_bytes())
    digest.update(code_version().encode())
    return digest.hexdigest()


class PostCache:
    def __init__(self, root: Path) -> None:
        self.state = BuildState(root)
        self.salt = _salt(root)
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        try:
            stored = pickle.loads(self.state.read_bytes(CACHE) or b"")
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            return
        if isinstance(stored, dict) and stored.get("salt") == self.salt:
            self.entries = stored.get("entries", {})

    def get(self, path: Path) -> dict[str, Any] | None:
        entry = self.entries.get(str(path))
        if entry is None or entry["stat"] != _stat(path):
            return None
        if any(_stat(Path(dep)) != stat for dep, stat in entry["deps"].items()):
            return None
        record: dict[str, Any] = entry["record"]
        return record

    def put(self, path: Path, record: dict[str, Any], deps: tuple[str, ...]) -> None:
        self.entries[str(path)] = {
            "stat": _stat(path),
            "deps": {dep: _stat(Path(dep)) for dep in deps},
            "record": record,
        }
        self.dirty = True

    def prune(self, keep: set[str]) -> None:
        for gone in set(self.entries) - keep:
            del self.entries[gone]
            self.dirty = True

    def save(self) -> None:
        """Write atomically, and only when something changed."""
        if not self.dirty:
            return
        self.state.write_bytes(CACHE, pickle.dumps({"salt": self.salt, "entries": self.entries}))
        self.dirty = False

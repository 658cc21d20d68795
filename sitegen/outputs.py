"""Writing generated files: only when their bytes change, atomically, never half-done.

Writing only changed files is what keeps a no-edit rebuild free: Sphinx re-reads a page
when its source's mtime moves, so rewriting identical bytes would re-read every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sitegen.state import write_atomic

# Folders whose every file the builder owns: a file there that it no longer generates
# (a tag nobody uses any more) is stale and is removed. Not ``_extra/``: the builder writes
# its feed and index files there, but an author's robots.txt or CNAME sits beside them and
# is never touched.
OWNED_DIRS = ("categories", "tags")


def _owned_files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for folder in OWNED_DIRS
        if (root / folder).is_dir()
        for p in (root / folder).iterdir()
        if p.is_file()
    }


def stale_files(root: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Generated files that are missing, differ from ``outputs`` or should not exist."""
    stale = [
        rel
        for rel, content in outputs.items()
        if not (root / rel).is_file() or (root / rel).read_bytes() != content
    ]
    stale += _owned_files(root) - set(outputs)
    return sorted(stale)


def write_outputs(root: Path, outputs: Mapping[str, bytes]) -> list[str]:
    """Bring the generated files in line with ``outputs``; return what changed."""
    changed = stale_files(root, outputs)
    for rel in changed:
        if rel in outputs:
            write_atomic(root / rel, outputs[rel])
        else:
            (root / rel).unlink()
    return changed


def encode_all(pages: Iterable[tuple[str, str | bytes]]) -> dict[str, bytes]:
    return {rel: text if isinstance(text, bytes) else text.encode("utf-8") for rel, text in pages}

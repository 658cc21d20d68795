"""The one store for what sitegen keeps between builds, and the one atomic file writer.

Everything lives under ``_build/.sitegen/`` (``STATE_DIR``), beside Jupyter Book's own
build state, so ``jupyter-book clean`` or deleting ``_build`` forgets it:

* ``site-index.json``: the typed site index and the stat of every input it was made from
  (``sitegen.model``, ``sitegen.index_stamp``);
* ``posts.pickle``: parsed front matter of unchanged posts (``sitegen.post_cache``);
* ``clean-sources.json`` and ``secret-scan.stamp``: what the secret scan already found clean;
* ``failures/``: the full tracebacks of failing cells (``sitegen.failures``).

A record written by other sitegen code is not trusted: ``code_version()`` (a hash of this
package's sources and templates, computed once per process) is stored with each JSON
record, and a mismatch reads as "nothing recorded". Writes go to a temporary file in the
same folder and are renamed into place, so a reader never sees half a file, and a write
that would not change the bytes leaves the file (and its mtime) alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_DIR = Path("_build") / ".sitegen"
PACKAGE = Path(__file__).parent


@functools.cache
def code_version() -> str:
    """Changes whenever sitegen's code or templates change: "our code changed", once."""
    digest = hashlib.sha256()
    for source in sorted([*PACKAGE.rglob("*.py"), *PACKAGE.glob("templates/*")]):
        digest.update(source.relative_to(PACKAGE).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def write_atomic(path: Path, content: bytes, *, mode: int | None = None) -> bool:
    """Write ``content`` to ``path`` unless it already holds exactly that; True if written.

    ``mode``: permissions for the new file (``mkstemp`` creates private files).
    """
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


class BuildState:
    """The state folder of one book."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / STATE_DIR

    def path(self, name: str) -> Path:
        return self.folder / name

    def read_json(self, name: str) -> Any:
        """The value last written by this code under ``name``, or None."""
        try:
            stored = json.loads(self.path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("code") != code_version():
            return None
        return stored.get("value")

    def write_json(self, name: str, value: Any) -> bool:
        text = json.dumps({"code": code_version(), "value": value}, sort_keys=True)
        return write_atomic(self.path(name), text.encode("utf-8"))

    def read_bytes(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except OSError:
            return None

    def write_bytes(self, name: str, content: bytes) -> bool:
        return write_atomic(self.path(name), content)

    def forget(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

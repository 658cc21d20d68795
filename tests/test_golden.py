"""Golden files: the generated TOC, landing page, feed and index for the basic fixture book.

After an intended change, regenerate with:  UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen.build import generate

GOLDEN = Path(__file__).parent / "golden" / "basic"
FILES = [
    "_toc.yml", "index.md", "archive.md", "categories/backend-architecture.md", "tags/jwt.md",
    "_extra/feed.xml", "_extra/posts.json", "_extra/posts.csv",
]  # fmt: skip


@pytest.mark.parametrize("name", FILES)
def test_generated_file_matches_golden(book: Path, name: str) -> None:
    produced = generate(book).outputs[name]
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(produced)
    assert produced == golden.read_bytes(), f"{name} differs from {golden}"

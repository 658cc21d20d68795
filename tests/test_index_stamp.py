"""The no-change fast path: the persisted site index is trusted only while nothing moved."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXED_TODAY
from sitegen import index_stamp
from sitegen.build import build
from sitegen.state import BuildState


def _touch(path: Path) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))


def test_only_a_recorded_build_leaves_a_stamp(book: Path) -> None:
    build(book)  # the build-index command: the stamp serves the Sphinx build only
    assert index_stamp.load(book, FIXED_TODAY) is None


def test_after_a_build_the_stamp_gives_the_same_typed_index(book: Path) -> None:
    index, _ = build(book, record=True)
    assert index_stamp.load(book, FIXED_TODAY) == index.model
    assert index.model.unpublished_paths == (
        "posts/from-the-future.md",
        "posts/unfinished-draft.md",
    )


def test_a_touched_config_is_not_trusted(book: Path) -> None:
    for name in ("_config.yml", "categories.yml"):
        build(book, record=True)
        _touch(book / name)
        assert index_stamp.load(book, FIXED_TODAY) is None, name


def test_a_post_edit_that_leaves_its_record_alone_keeps_the_index(book: Path) -> None:
    # A code edit changes the file, not what the index shows of it: no rebuild, no pandas.
    index, _ = build(book, record=True)
    post = book / "posts" / "queues-in-practice.md"
    post.write_text(
        post.read_text(encoding="utf-8").replace("print(depth)", "print(depth * 2)"),
        encoding="utf-8",
    )
    assert index_stamp.load(book, FIXED_TODAY) == index.model
    _touch(post)
    assert index_stamp.load(book, FIXED_TODAY) == index.model


def test_a_post_edit_that_changes_its_record_is_not_trusted(book: Path) -> None:
    post = book / "posts" / "queues-in-practice.md"
    original = post.read_text(encoding="utf-8")
    edits = {
        "summary": original.replace("Decoupling with queues.", "Decoupling, with queues."),
        "tags": original.replace("[sqs, queues]", "[sqs]"),
        "read time": original.replace("Queues absorb bursts.", "Queues absorb bursts. " * 400),
        "a problem": original.replace('title: "Queues in Practice"\n', ""),
    }
    for what, text in edits.items():
        build(book, record=True)
        post.write_text(text, encoding="utf-8")
        assert index_stamp.load(book, FIXED_TODAY) is None, what
        post.write_text(original, encoding="utf-8")


def test_a_new_post_or_an_edited_generated_file_is_not_trusted(book: Path) -> None:
    build(book, record=True)
    (book / "posts" / "new.md").write_text("---\n---\n", encoding="utf-8")
    assert index_stamp.load(book, FIXED_TODAY) is None
    (book / "posts" / "new.md").unlink()
    assert index_stamp.load(book, FIXED_TODAY) is not None
    (book / "categories" / "security.md").write_text("edited by hand\n", encoding="utf-8")
    assert index_stamp.load(book, FIXED_TODAY) is None


def test_a_new_day_is_not_trusted(book: Path) -> None:
    # A future-dated post publishes on its date with no edit: the date is an input.
    build(book, record=True)
    assert index_stamp.load(book, "2026-01-16") is None


def test_an_unreadable_stamp_is_ignored(book: Path) -> None:
    build(book, record=True)
    BuildState(book).path(index_stamp.RECORD).write_text("{not json", encoding="utf-8")
    assert index_stamp.load(book, FIXED_TODAY) is None


def test_an_edited_included_file_is_not_trusted(book: Path) -> None:
    (book / "snippet.py").write_text("print('hello')\n", encoding="utf-8")
    post = book / "posts" / "queues-in-practice.md"
    post.write_text(
        post.read_text(encoding="utf-8") + "\n```{literalinclude} ../snippet.py\n```\n",
        encoding="utf-8",
    )
    build(book, record=True)
    assert index_stamp.load(book, FIXED_TODAY) is not None
    (book / "snippet.py").write_text("print('hello, world')\n", encoding="utf-8")
    assert index_stamp.load(book, FIXED_TODAY) is None


def test_checking_an_edited_post_does_not_import_pandas(book: Path) -> None:
    build(book, record=True)
    post = book / "posts" / "queues-in-practice.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    check = (
        "import sys\n"
        "from sitegen import index_stamp\n"
        f"assert index_stamp.load(__import__('pathlib').Path({str(book)!r}), {FIXED_TODAY!r})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

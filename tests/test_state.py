"""The build-state store: atomic writes, untouched when unchanged, distrust of other code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen import state
from sitegen.state import BuildState, write_atomic


def test_write_atomic_writes_only_changed_bytes(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.txt"
    assert write_atomic(target, b"one") is True
    os.utime(target, ns=(1, 1))
    assert write_atomic(target, b"one") is False
    assert target.stat().st_mtime_ns == 1  # unchanged bytes: mtime left alone
    assert write_atomic(target, b"two", mode=0o644) is True
    assert target.read_bytes() == b"two" and target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]  # no temporary left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "kept.txt"
    target.write_bytes(b"old")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(state.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_json_round_trips_and_is_forgotten_when_the_code_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BuildState(tmp_path)
    assert store.read_json("x.json") is None
    store.write_json("x.json", {"a": [1, 2]})
    assert store.read_json("x.json") == {"a": [1, 2]}
    assert store.path("x.json").parent == tmp_path / "_build" / ".sitegen"
    monkeypatch.setattr(state, "code_version", lambda: "other code")
    assert store.read_json("x.json") is None


def test_unreadable_json_reads_as_nothing_recorded(tmp_path: Path) -> None:
    store = BuildState(tmp_path)
    store.write_bytes("x.json", b"{not json")
    assert store.read_json("x.json") is None
    store.forget("x.json")
    assert not store.path("x.json").exists()


def test_the_code_version_covers_every_module_and_template() -> None:
    version = state.code_version()
    assert len(version) == 64 and version == state.code_version()

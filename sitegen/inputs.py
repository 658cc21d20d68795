"""Checks on the input files themselves, before any of them is read as a post or a lab.

A symlink in ``posts/`` or ``notebooks/`` is followed only while it stays inside the
repository (one pointing at ``~/.aws/credentials`` would otherwise be published), and a
dangling one is a clear line rather than a traceback. A lab that is not valid notebook JSON
is named before anything (``_toc.yml`` included) is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from sitegen.problems import Problem


def link_problem(path: Path, root: Path) -> Problem | None:
    """Why the symlink ``path`` cannot be read as an input (None for a plain file or a
    symlink that resolves to a file inside ``root``)."""
    if not path.is_symlink():
        return None
    rel = path.relative_to(root).as_posix()
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop of symlinks (Python 3.11)
        return Problem(rel, "file", f"is a symlink to {path.readlink()}, which loops")
    if not target.exists():
        return Problem(rel, "file", f"is a symlink to {path.readlink()}, which does not exist")
    if not target.is_relative_to(root.resolve()):
        return Problem(
            rel, "file", "is a symlink to a file outside the repository; copy the file in instead"
        )
    if not target.is_file():
        return Problem(rel, "file", "is a symlink to something that is not a file")
    return None


def notebook_problem(path: Path, root: Path) -> Problem | None:
    """Why the lab ``path`` cannot be built: not UTF-8, not JSON, or not a notebook."""
    rel = path.relative_to(root).as_posix()
    if (link := link_problem(path, root)) is not None:
        return link
    if path.suffix != ".ipynb":
        return None
    try:
        content = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        return Problem(rel, "file", f"is not valid UTF-8 (byte offset {error.start})")
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        return Problem(rel, "file", f"is not valid notebook JSON ({error.msg} at {where})")
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        return Problem(rel, "cells", "missing: a notebook is a JSON object with a 'cells' list")
    for number, cell in enumerate(content["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in {"code", "markdown", "raw"}:
            return Problem(rel, f"cell {number}", "is not a code, markdown or raw cell")
    return None


def lab_problems(root: Path) -> list[Problem]:
    """Every problem with the labs in ``notebooks/`` (a lab is a ``.ipynb`` or ``.md``)."""
    folder = root / "notebooks"
    if not folder.is_dir():
        return []
    labs = sorted(p for p in folder.iterdir() if p.suffix in {".ipynb", ".md"})
    return [problem for lab in labs if (problem := notebook_problem(lab, root)) is not None]

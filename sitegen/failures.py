"""One clear message for a failing cell; the full traceback in a log file the message names.

A hidden ``assert`` that fails should tell its author, in one glance, which post, which cell
(and the line in the source file), the statement that failed and the values it saw (the
``AssertionError`` message). The 60-line IPython traceback goes to a log file instead.

Works from what nbclient leaves behind: the executed notebook (the failing cell carries an
``error`` output) and the exception (a timeout carries a preview of the cell instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # colours in IPython tracebacks
_CELL_FRAME = re.compile(r"Cell In\[\d*\], line (\d+)")
_PREVIEW = re.compile(r"-{3,}\n(.*?)\n", re.S)  # nbclient's cell preview starts after dashes


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class CellFailure:
    """Where a notebook failed and why, small and picklable (it crosses process bounds)."""

    cell: int | None  # 1-based among the code cells; None when no cell could be identified
    source: str  # the failing cell's source ("" when unknown)
    line: int | None  # 1-based line within the cell that raised
    error: str  # "AssertionError: 0.211" (the exception and its message: the values)
    detail: str  # everything nbclient reported, colours stripped: for the log file

    @property
    def statement(self) -> str:
        """The line that raised, else the cell's first line."""
        lines = self.source.splitlines() or [""]
        at = self.line if self.line is not None and 0 < self.line <= len(lines) else 1
        return lines[at - 1].strip()


def describe(notebook: Any, error: BaseException | str) -> CellFailure:
    """A ``CellFailure`` from an executed (failed) notebook and the error nbclient raised."""
    detail = strip_ansi(str(error))
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                traceback = strip_ansi("\n".join(output.get("traceback", [])))
                frames = _CELL_FRAME.findall(traceback)
                line = int(frames[-1]) if frames else None
                message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
                if _timed_out(
                    detail
                ):  # the kernel was interrupted: say why, not "KeyboardInterrupt"
                    message = _first_line(detail)
                return CellFailure(number, cell.source, line, message.rstrip(":"), detail)
    # No error output: a timeout, or a kernel that died. nbclient previews the cell's source.
    preview = _PREVIEW.search(detail)
    first = preview.group(1).strip() if preview else ""
    for number, cell in enumerate(code_cells, 1):
        if first and first in cell.source:
            return CellFailure(number, cell.source, None, _first_line(detail), detail)
    return CellFailure(None, "", None, _first_line(detail), detail)


def cell_failures(notebook: Any) -> list[CellFailure]:
    """Each cell that raised in a notebook executed with ``allow_errors``, in order, up to
    and including the first error that is not an ``AssertionError`` (later cells may fail
    only because of it)."""
    found = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if error is None:
            continue
        traceback = strip_ansi("\n".join(error.get("traceback", [])))
        frames = _CELL_FRAME.findall(traceback)
        line = int(frames[-1]) if frames else None
        message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()
        found.append(CellFailure(number, cell.source, line, message.rstrip(":"), traceback))
        if error.get("ename") != "AssertionError":
            break
    return found


def _timed_out(detail: str) -> bool:
    return "timed out" in _first_line(detail)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")


def source_line(source_text: str | None, failure: CellFailure) -> int | None:
    """The failing line's number in the post's own file (MyST Markdown keeps cells verbatim)."""
    if not source_text or not failure.source.strip():
        return None
    at = source_text.find(failure.source)
    if at < 0:
        return None
    return source_text.count("\n", 0, at) + (failure.line or 1)


def message(path: str, failure: CellFailure, log: str | None, source_text: str | None) -> str:
    """``posts/x.md:123: cell 7: `assert a < b, a`: AssertionError: 0.211`` and the log's path.

    ``path:line`` first, as compilers write it, so editors and terminals can jump to it.
    """
    line = source_line(source_text, failure)
    where = f"{path}:{line}" if line is not None else path
    cell = f"cell {failure.cell}" if failure.cell is not None else "a cell"
    if failure.line is not None and line is None:
        cell += f", line {failure.line}"
    statement = f": `{failure.statement}`" if failure.statement else ""
    error = failure.error
    if error in ("AssertionError", "AssertionError:"):
        error = "AssertionError (no message: write `assert claim, (values, that, matter)`)"
    text = f"{where}: {cell}{statement}: {error}"
    if log is not None:
        text += f"\n  full traceback: {log}"
    return text


def write_log(log: Path, path: str, failure: CellFailure, *, append: bool = False) -> Path:
    """The full detail, for when the one line is not enough (``append``: one more failure)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a" if append else "w", encoding="utf-8") as out:
        out.write(
            f"{path}: cell {failure.cell}\n\n--- cell source ---\n{failure.source}\n\n"
            f"--- what the kernel reported ---\n{failure.detail}\n\n"
        )
    return log


def shown_path(path: Path) -> str:
    """``path`` relative to the working folder when it is under it (shorter to read)."""
    cwd = Path.cwd()
    return path.relative_to(cwd).as_posix() if path.is_relative_to(cwd) else str(path)

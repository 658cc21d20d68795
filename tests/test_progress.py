"""The build's progress display and its closing summary."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from test_sphinx_ext import ROOT, _overrides

from sitegen.progress import BuildSummary, ExecutionProgress, clock, estimate_left


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_estimate_uses_the_rate_so_far() -> None:
    assert estimate_left(0, 4, 10.0) is None
    assert estimate_left(1, 4, 10.0) == 30.0
    assert clock(65.4) == "1:05"


def test_plain_lines_when_not_a_terminal() -> None:
    now, out = Clock(), io.StringIO()
    progress = ExecutionProgress(["posts/a", "posts/b", "posts/c"], 2, out, now)
    now.t += 10
    progress.finished("posts/b", 9.5, ok=True)
    now.t += 5
    progress.finished("posts/a", 14.0, ok=False)
    now.t += 6
    progress.finished("posts/c", 5.9, ok=True)
    progress.close()
    assert out.getvalue().splitlines() == [
        "[sitegen] executing 3 notebook(s) on 2 worker(s)",
        "[sitegen] executed 1/3: posts/b (9.5 s); 0:10 elapsed, ~0:20 left",
        "[sitegen] executed 2/3: posts/a (FAILED after 14.0 s); 0:15 elapsed, ~0:08 left",
        "[sitegen] executed 3/3: posts/c (5.9 s); 0:21 elapsed",
    ]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_one_line_redrawn_on_a_terminal_naming_what_runs() -> None:
    now, out = Clock(), Terminal()
    progress = ExecutionProgress(["posts/a", "posts/b", "posts/c"], 2, out, now)
    assert progress.status() == (
        "[sitegen] 0/3 executed, 0:00 elapsed, estimating | running: posts/a, posts/b"
    )
    now.t += 12
    progress.finished("posts/a", 12.0, ok=True)
    assert progress.status() == (
        "[sitegen] 1/3 executed, 0:12 elapsed, ~0:24 left | running: posts/b, posts/c"
    )
    progress.close()
    frames = out.getvalue().split("\r")
    assert frames[-1] == "[sitegen] 1/3 executed in 0:12\x1b[K\n"
    assert out.getvalue().count("\n") == 2  # the start line and the last frame


def test_summary_fits_one_screen() -> None:
    summary = BuildSummary(started=0.0, executed=2, shared=1, from_cache=3, pages_read=5)
    summary.execution_seconds, summary.pages_written = 12.34, 17
    assert summary.lines(1, "_build/html/index.html", now=40.0) == [
        "[sitegen] build summary",
        "  notebooks  2 executed (+1 with the same code, run once), 3 from the cache;"
        " executing took 12.3 s",
        "  pages      5 read, 17 written",
        "  warnings   1",
        "  time       40.0 s",
        "  site       _build/html/index.html",
    ]


def test_a_build_ends_with_its_summary_and_shows_no_kernel_warning(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "tiny"
    shutil.copytree(ROOT, book)
    status, warning = io.StringIO(), io.StringIO()
    app = SphinxTestApp(
        "html",
        srcdir=book,
        builddir=book / "_build",
        confoverrides=_overrides(book),
        status=status,
        warning=warning,
    )
    try:
        app.build()
    finally:
        app.cleanup()
    lines = status.getvalue().splitlines()
    # The two same-code posts execute once; the third is not executed by its own setting.
    assert "[sitegen] executing 1 notebook(s) on 1 worker(s)" in lines
    start = lines.index("[sitegen] build summary")
    assert lines[start + 1].startswith(
        "  notebooks  1 executed (+1 with the same code, run once), 0 from the cache; "
    )
    assert lines[start + 2 : start + 6] == [
        "  pages      9 read, 11 written",
        "  warnings   0",
        lines[start + 4],
        f"  site       {book / '_build' / 'html' / 'index.html'}",
    ]
    # Kernels write to the file descriptors they inherit: captured at that level.
    kernels = capfd.readouterr()
    assert "without encryption" not in status.getvalue() + kernels.out + kernels.err

"""A failing cell reads as one line: post:line, cell, statement, values; the rest in a log."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import FIXTURES, jupyter_book, run_command
from sitegen import failures

FAILING = FIXTURES / "failing-posts" / "a-claim-that-fails.md"
# The assert is on line 28 of the fixture post; it is its second code cell.
EXPECTED = (
    "posts/a-claim-that-fails.md:28: cell 2: `assert 0.75 < slope < 1.25, slope`: "
    "AssertionError: 0.682"
)
TRACEBACK = [
    "\x1b[31mAssertionError\x1b[39m      Traceback (most recent call last)",
    "\x1b[36mCell In[2], line 2\x1b[39m\n      1 # claim\n----> 2 assert x < 1, x\n",
    "\x1b[31mAssertionError\x1b[39m: 3",
]


def _notebook(error_output: dict[str, object] | None) -> nbformat.NotebookNode:
    first = nbformat.v4.new_code_cell("x = 3")
    second = nbformat.v4.new_code_cell("# claim\nassert x < 1, x")
    if error_output is not None:
        second.outputs = [nbformat.v4.new_output("error", **error_output)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("prose"), first, second])


def test_the_failing_cell_line_and_values_come_from_the_error_output() -> None:
    notebook = _notebook({"ename": "AssertionError", "evalue": "3", "traceback": TRACEBACK})
    failure = failures.describe(notebook, "An error occurred while executing ...")
    assert (failure.cell, failure.line, failure.statement) == (2, 2, "assert x < 1, x")
    assert failure.error == "AssertionError: 3"
    text = "---\n---\n\n```{code-cell} ipython3\nx = 3\n```\n\n```{code-cell} ipython3\n"
    text += "# claim\nassert x < 1, x\n```\n"
    assert failures.source_line(text, failure) == 10
    assert failures.message("posts/p.md", failure, "log.txt", text) == (
        "posts/p.md:10: cell 2: `assert x < 1, x`: AssertionError: 3\n  full traceback: log.txt"
    )


def test_an_assert_without_a_message_says_how_to_show_the_values() -> None:
    notebook = _notebook({"ename": "AssertionError", "evalue": "", "traceback": TRACEBACK})
    line = failures.message("p.ipynb", failures.describe(notebook, ""), None, None)
    assert line.startswith("p.ipynb: cell 2, line 2: `assert x < 1, x`: AssertionError (no message")


def test_a_timeout_is_matched_to_its_cell_by_nbclient_s_preview() -> None:
    error = (
        "A cell timed out while it was being executed, after 5 seconds.\n"
        "The message was: Cell execution timed out.\n"
        "Here is a preview of the cell contents:\n"
        "-------------------\n# claim\n-------------------\n"
    )
    failure = failures.describe(_notebook(None), error)
    assert failure.cell == 2 and failure.line is None
    assert failure.statement == "# claim"
    assert failure.error == "A cell timed out while it was being executed, after 5 seconds."


def test_check_post_prints_one_report_and_logs_the_traceback(book: Path) -> None:
    post = book / "posts" / FAILING.name
    shutil.copy(FAILING, post)
    result = run_command("check-post", post)
    assert result.returncode == 1
    assert f"{post}:28: cell 2: `assert 0.75 < slope < 1.25, slope`: AssertionError: 0.682" in (
        result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr
    log = book / "_build" / ".sitegen" / "failures" / "check-post-a-claim-that-fails.log"
    assert f"full traceback: {log}" in result.stdout
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")


@pytest.mark.build
def test_the_build_stops_with_one_message_naming_the_log(book: Path) -> None:
    shutil.copy(FAILING, book / "posts")
    result = jupyter_book(book, "-W", "-n", "--keep-going")
    assert result.returncode == 1
    assert f"Notebook execution failed: {EXPECTED}\n" in result.stderr
    log = book / "_build" / ".sitegen" / "failures" / "posts-a-claim-that-fails.log"
    assert f"  full traceback: {log}" in result.stderr
    assert "Traceback (most recent call last)" in log.read_text(encoding="utf-8")
    # The message is the last word: no Sphinx or jupyter-book traceback, no generic box after
    # it. (A kernel shutting down under load may log its own ZMQ traceback earlier on.)
    assert result.stderr.rstrip().endswith(f"  full traceback: {log}")
    output = result.stdout + result.stderr
    assert "There was an error" not in output
    assert "jupyter_book/cli/main.py" not in output and "sphinx/events.py" not in output

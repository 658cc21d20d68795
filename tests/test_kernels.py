"""Kernels the pre-executor starts: unix sockets, a polite shutdown, a stuck one ended."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from jupyter_cache.executors.utils import single_nb_execution

from sitegen.kernels import ipc_kernel_config


def _run(tmp_path: Path, *sources: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook: nbformat.NotebookNode = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3"}
    with ipc_kernel_config() as config:
        result = single_nb_execution(
            notebook, cwd=str(tmp_path), timeout=60, allow_errors=False, config=config
        )
    assert result.err is None, result.err
    return notebook


def _printed(notebook: nbformat.NotebookNode, cell: int) -> str:
    return "".join(out.get("text", "") for out in notebook.cells[cell].outputs).strip()


def test_a_kernel_that_exits_when_asked_runs_its_exit_hooks(tmp_path: Path) -> None:
    marker = tmp_path / "exited"
    _run(tmp_path, f"import atexit, pathlib\natexit.register(pathlib.Path({str(marker)!r}).touch)")
    assert marker.exists()


def test_a_kernel_that_will_not_exit_is_ended(tmp_path: Path) -> None:
    # A non-daemon thread keeps the interpreter from exiting after the shutdown request.
    notebook = _run(
        tmp_path,
        "import os, threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()\n"
        "print(os.getpid())",
    )
    pid = int(_printed(notebook, 0))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_sockets_are_unix_sockets_in_a_private_folder() -> None:
    with ipc_kernel_config() as config:
        manager = config.KernelManager
        folder = Path(manager.ip).parent
        assert manager.transport == "ipc"
        assert folder.stat().st_mode & 0o077 == 0  # no one else may enter it
    assert not folder.exists()

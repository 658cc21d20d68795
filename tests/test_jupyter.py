"""The parallel pre-executor's handling of kernels that fail to start."""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import pytest

from sitegen import jupyter


def job() -> jupyter.Job:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    return jupyter.Job("posts/x", "/tmp/posts/x.md", nbformat.writes(notebook), timeout=5)


def test_a_kernel_that_dies_at_start_is_started_once_more(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def flaky(notebook: Any, **_: Any) -> SimpleNamespace:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return SimpleNamespace(err=None)

    monkeypatch.setattr(jupyter, "single_nb_execution", flaky)
    outcome = jupyter._execute(job())
    assert len(calls) == 2
    assert outcome.error is None and outcome.notebook is not None


def test_a_kernel_that_never_starts_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def dead(notebook: Any, **_: Any) -> SimpleNamespace:
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(jupyter, "single_nb_execution", dead)
    outcome = jupyter._execute(job())
    assert outcome.notebook is None
    assert outcome.error == "the kernel did not start: Kernel died before replying to kernel_info"


def test_distribution_versions_are_found_once_and_then_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import numpy as np")])
    jupyter._module_owners.cache_clear()
    found = jupyter.imported_distributions(notebook, tmp_path)
    assert found == {"numpy": metadata.version("numpy")}

    def unavailable() -> None:
        raise AssertionError("the recorded mapping should have been reused")

    jupyter._module_owners.cache_clear()  # a new build process
    monkeypatch.setattr(jupyter.metadata, "packages_distributions", unavailable)
    assert jupyter.imported_distributions(notebook, tmp_path) == found
    jupyter._module_owners.cache_clear()

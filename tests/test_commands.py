"""The commands are installed on PATH by ``pip install -e .`` and each explains itself."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import COMMANDS, REPO, run_command

SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def test_every_declared_command_is_tested_here() -> None:
    assert set(SCRIPTS) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_command_is_installed_beside_the_interpreter_and_has_help(name: str) -> None:
    # The console script pip wrote next to this interpreter: what a newcomer runs from PATH.
    script = Path(sys.executable).with_name(name)
    assert script.is_file(), f"{name} is not installed: run python -m pip install -e ."
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {name} ")


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_help_in_process_names_the_command(name: str) -> None:
    result = run_command(name, "--help")
    assert result.returncode == 0
    assert "usage:" in result.stdout and "--help" in result.stdout


def test_no_module_changes_sys_path() -> None:
    sources = [*(REPO / "sitegen").rglob("*.py"), *(REPO / "tests").glob("*.py")]
    sources += [*(REPO / "benchmarks").glob("*.py")]
    offenders = [
        p.relative_to(REPO).as_posix()
        for p in sources
        if "sys.path." in p.read_text(encoding="utf-8") and p.name != "test_commands.py"
    ]
    assert offenders == []

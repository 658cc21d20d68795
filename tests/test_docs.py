"""docs/architecture.md and the README stay true to the code: a module, command or setting
they miss (or name but that no longer exists) fails here."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields

import pytest

from conftest import REPO
from sitegen.settings import Settings

ARCHITECTURE = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")
PACKAGE = REPO / "sitegen"
COMMANDS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "scripts"
]
# Modules tested through another module's test file (the rest: tests/test_<module>.py).
TESTED_IN = {
    "build": "test_build_index.py",
    "outputs": "test_build_index.py",
    "toc": "test_build_index.py",
    "site": "test_settings.py",
    "posts": "test_validation.py",
    "problems": "test_settings.py",
    "related": "test_sphinx_ext.py",
    "secret_scan": "test_safety.py",
    "secret_plugins": "test_secret_corpus.py",
    "inputs": "test_hostile_inputs.py",
    "safe_text": "test_front_matter_text.py",
    "mathml": "test_theme.py",
    "search": "test_theme.py",
}


def modules() -> list[str]:
    return sorted(
        p.relative_to(PACKAGE).as_posix() for p in PACKAGE.glob("*.py") if p.name != "__init__.py"
    )


def _documented_modules() -> set[str]:
    table = ARCHITECTURE.split("## Modules")[1].split("\n\n")[1]
    return {match for cell in re.findall(r"^\| `([^`]+)`", table, re.M) for match in [cell]}


@pytest.mark.parametrize("module", modules())
def test_every_module_is_in_the_architecture_table(module: str) -> None:
    assert module in _documented_modules(), f"docs/architecture.md has no row for {module}"


def test_the_architecture_table_names_no_module_that_is_gone() -> None:
    for name in _documented_modules():
        assert (PACKAGE / name).exists(), f"docs/architecture.md names {name}: no such file"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_documented_with_its_module(command: str) -> None:
    module = COMMANDS[command].split(":")[0].removeprefix("sitegen.").replace(".", "/") + ".py"
    assert f"| `{command}` | `{module}` |" in ARCHITECTURE
    assert f"`{command}`" in README


@pytest.mark.parametrize("module", modules())
def test_every_module_has_a_test(module: str) -> None:
    stem = module.removesuffix(".py")
    test = TESTED_IN.get(stem, f"test_{stem}.py")
    assert (REPO / "tests" / test).is_file(), f"{module}: no {test}"
    if stem in TESTED_IN:
        assert stem in (REPO / "tests" / test).read_text(encoding="utf-8"), (module, test)


@pytest.mark.parametrize("setting", [f.name for f in fields(Settings)])
def test_every_setting_is_documented_in_the_readme(setting: str) -> None:
    assert f"| `{setting}` |" in README


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if line.startswith("python -m pip install"))
    assert f"```bash\n{command}\n```" in README
    for step in ("ruff check", "ruff format --check", "mypy", "python -m pytest"):
        assert step in command


def test_no_doc_points_at_the_old_scripts_folder() -> None:
    for doc in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        text = doc.read_text(encoding="utf-8")
        assert "scripts/" not in text or doc.name == "benchmarks.md", doc.name

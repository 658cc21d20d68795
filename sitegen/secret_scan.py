"""Find credentials in post sources and in what the build publishes.

A post that prints a live key, a private key or a bearer token would publish it to every
reader (and to the execution cache). The build scans the sources before executing anything
and the built site after writing it, and fails on a hit. The documented example values
(AWS's ``AKIAIOSFODNN7EXAMPLE`` and friends) are allowed: posts need them to teach.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sitegen.state import BuildState

PATTERNS: dict[str, re.Pattern[str]] = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"),
    "AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})\b"
    ),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "JSON Web Token": re.compile(
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Stripe live key": re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
}
# Values published in vendor documentation as examples: safe by construction.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    }
)
SCANNED_SUFFIXES = frozenset({".md", ".ipynb", ".html", ".txt", ".json", ".js", ".xml", ".csv"})


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.excerpt}"


def _redacted(value: str) -> str:
    return value[:8] + "…" if len(value) > 8 else value


def scan_text(text: str, path: str) -> list[Finding]:
    findings = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(match.lastindex or 0)
            if value in DOCUMENTED_EXAMPLES or "EXAMPLE" in value:
                continue
            line = text.count("\n", 0, match.start()) + 1
            findings.append(Finding(path, line, kind, _redacted(value)))
    return findings


def scan_files(paths: Iterable[Path], root: Path) -> list[Finding]:
    """Scan text files (others are skipped); paths in findings are relative to ``root``."""
    findings = []
    for path in paths:
        if path.suffix not in SCANNED_SUFFIXES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        findings.extend(scan_text(text, path.relative_to(root).as_posix()))
    return sorted(findings)


def scan_tree(folder: Path, root: Path, newer_than: float | None = None) -> list[Finding]:
    """Scan every file under ``folder`` (or only those modified after ``newer_than``)."""
    if not folder.is_dir():
        return []
    files = sorted(folder.rglob("*"))
    if newer_than is not None:
        files = [f for f in files if f.is_file() and f.stat().st_mtime > newer_than]
    return scan_files(files, root)


class ScanStamp:
    """Marks when the built site was last found clean, so a rebuild scans only newer files.

    Removed whenever a scan finds something: the next build then scans everything again, so
    a leaked secret cannot hide behind an unchanged page.
    """

    NAME = "secret-scan.stamp"

    def __init__(self, state: BuildState) -> None:
        self.path = state.path(self.NAME)

    def last_clean(self) -> float | None:
        return self.path.stat().st_mtime if self.path.is_file() else None

    def mark_clean(self, since: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()
        os.utime(self.path, (since, since))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class CleanFiles:
    """Source files last found clean, by size and mtime: an unchanged one is not rescanned.

    Keyed by each file's own stat rather than a time, so a file copied in with an old mtime
    is still scanned; and (through the state store) by sitegen's code, so new patterns
    rescan everything.
    """

    NAME = "clean-sources.json"

    def __init__(self, state: BuildState) -> None:
        self.state = state
        stored = state.read_json(self.NAME)
        self.files: dict[str, list[int]] = stored if isinstance(stored, dict) else {}

    @staticmethod
    def _key(file: Path) -> list[int]:
        info = file.stat()
        return [info.st_mtime_ns, info.st_size]

    def changed(self, files: Iterable[Path]) -> list[Path]:
        return [f for f in files if self.files.get(str(f)) != self._key(f)]

    def record(self, files: Iterable[Path]) -> None:
        keys = {str(f): self._key(f) for f in files}
        if keys != self.files:
            self.state.write_json(self.NAME, keys)
            self.files = keys

    def clear(self) -> None:
        self.state.forget(self.NAME)
        self.files = {}

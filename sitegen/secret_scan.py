"""Find credentials in post sources, the files they include, and what the build publishes.

A post that prints a live key, a private key or a token would publish it to every reader
(and to the execution cache). The build scans the sources and every file they show with
``literalinclude`` before executing anything, and every file of the built site a browser or a
feed reader can read after writing it, and fails on a hit.

Detection is detect-secrets' token plugins (AWS, private keys incl. PGP, GitHub, GitLab,
PyPI, OpenAI, Slack, Stripe, JWT, ...) plus three narrow plugins written on its
``RegexBasedDetector`` for what it misses (a boto3 ``'SecretAccessKey': ...``, fine-grained
``github_pat_`` tokens, project-scoped ``sk-proj-`` keys). Its entropy and keyword plugins
are left out: on built HTML they flag every hash and every ``password = "hunter2"`` lesson.

Each file is scanned as written and as a reader sees it: HTML entities decoded, tags
removed (syntax highlighting splits a PEM header across ``<span>``s), zero-width characters
removed, and base64 blobs that decode to text decoded. Only the exact values vendors
publish as examples are allowed. Text inside raster images is not read (a documented limit).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.state import BuildState

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin

# Values published in vendor documentation as examples: allowed exactly, nothing else.
DOCUMENTED_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",  # AWS access key id (IAM user guide)
        "ASIAIOSFODNN7EXAMPLE",  # AWS temporary access key id (STS docs)
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS secret access key (IAM user guide)
    }
)
# Generic detectors that flag what is not a credential on a site about security.
_LEFT_OUT = frozenset(
    {
        "Base64 High Entropy String",
        "Hex High Entropy String",
        "Secret Keyword",
        "Public IP (ipv4)",
        "Basic Auth Credentials",
    }
)
# What a browser or a feed reader can read; images and fonts are not scanned.
SITE_SUFFIXES = frozenset(
    {".html", ".htm", ".svg", ".js", ".json", ".xml", ".txt", ".csv", ".ipynb"}
)
SOURCE_SUFFIXES = frozenset({".md", ".ipynb", ".py", ".txt", ".json", ".csv", ".yml", ".yaml"})
_MARKUP_SUFFIXES = frozenset({".html", ".htm", ".svg", ".xml", ".md", ".ipynb", ".js", ".json"})
_TAG = re.compile(r"<[^>]*>")
# A notebook's base64 raster images: image/png, and glue's application/papermill.record/image/png.
_RASTER = re.compile(r"(?:^|/)image/(?!svg)")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{60,}={0,2}")
_INCLUDE = re.compile(r"^\s*(?:`{3,}|:{3,})\s*\{literalinclude\}\s+(\S+)", re.MULTILINE)


@functools.cache
def plugins() -> list[BasePlugin]:
    """detect-secrets' token plugins, then ours (imported only when something is scanned:
    a no-change build scans nothing and pays nothing)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    from sitegen.secret_plugins import (
        AWSSecretAccessKeyDetector,
        GitHubFineGrainedTokenDetector,
        OpenAIProjectKeyDetector,
    )

    mapping: Mapping[str, type[BasePlugin]] = get_mapping_from_secret_type_to_class()
    found: list[BasePlugin] = [
        cls() for kind, cls in sorted(mapping.items()) if kind not in _LEFT_OUT
    ]
    found += [
        AWSSecretAccessKeyDetector(),
        GitHubFineGrainedTokenDetector(),
        OpenAIProjectKeyDetector(),
    ]
    return found


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


class _Text(HTMLParser):
    """The text of markup with every tag removed and entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _without_tags(text: str) -> str:
    parser = _Text()
    try:
        parser.feed(text)
        parser.close()
    except AssertionError:  # Python 3.11's parser on "<![" that opens no section: a regex
        return html.unescape(_TAG.sub("", text))  # such as (?<![\w-]) in a notebook's code
    return "".join(parser.parts)


def _visible(text: str) -> str:
    """Without the invisible characters that split a key: every format character (Unicode
    category Cf: zero-width space and joiners, soft hyphen, word joiner, BOM, direction
    marks), so a key split by one reads as whole. Only the characters the text holds are
    looked up (listing all of Cf walks 1.1 million code points: 0.3 s a build)."""
    if text.isascii():
        return text
    hidden = {ord(c): None for c in set(text) if unicodedata.category(c) == "Cf"}
    return text.translate(hidden) if hidden else text


def _decoded_blobs(text: str) -> Iterator[str]:
    """Base64 runs that decode to text (a base64-encoded PEM, say)."""
    for match in _BASE64.finditer(text):
        blob = match.group(0)
        try:
            head = base64.b64decode(blob[:64], validate=True)
        except binascii.Error:
            continue
        if not all(32 <= b < 127 or b in b"\r\n\t" for b in head):
            continue
        try:
            yield base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8", "replace")
        except binascii.Error:
            continue


def _views(text: str, markup: bool) -> Iterator[str]:
    """The text as a reader sees it: entities decoded and invisible characters removed (a
    superset of the raw text, attribute values included), then with the tags removed."""
    plain = _visible(html.unescape(text))
    yield plain
    if markup:
        stripped = _visible(_without_tags(text))
        if stripped != plain:
            yield stripped
    for decoded in _decoded_blobs(text):
        yield decoded
        yield _visible(_without_tags(decoded))


def scan_text(text: str, path: str, markup: bool = True) -> list[Finding]:
    """Every credential in ``text``, once each, at the first line it shows on."""
    seen: dict[tuple[str, str], Finding] = {}
    for view in _views(text, markup):
        for plugin in plugins():
            # Whole text at once (regexes stop at line ends themselves): ~10x fewer calls.
            for value in plugin.analyze_string(view):
                # Two plugins may match the same key at different lengths: one finding.
                key = (plugin.secret_type, value[:16])
                if value in DOCUMENTED_EXAMPLES or key in seen:
                    continue
                line = view.count("\n", 0, max(view.find(value), 0)) + 1
                seen[key] = Finding(path, line, plugin.secret_type, _redacted(value))
    return sorted(seen.values())


def notebook_text(text: str) -> str:
    """A notebook's text (sources, outputs, metadata, JSON escapes decoded) without its raster
    images: base64 PNG no reader sees as text (the documented limit), and 4.8 MB of the real
    site's 18 notebooks, which took 3.5 s to scan as text. Not JSON: the text as it is."""
    try:
        notebook = json.loads(text)
    except ValueError:
        return text
    parts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            parts.append("".join(value))  # a multi-line source or stream, as one text
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _RASTER.search(key):
                    walk(item)

    walk(notebook)
    return "\n".join(parts)


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def scan_files(
    paths: Iterable[Path], root: Path, suffixes: frozenset[str] | None = SOURCE_SUFFIXES
) -> list[Finding]:
    """Scan files (``suffixes=None``: whatever their suffix); paths shown relative to root."""
    findings = []
    for path in paths:
        if (suffixes is not None and path.suffix.lower() not in suffixes) or not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix.lower() == ".ipynb":
            text = notebook_text(text)
        markup = path.suffix.lower() in _MARKUP_SUFFIXES
        findings.extend(scan_text(text, _shown(path, root), markup))
    return sorted(findings)


def included_files(source: Path) -> list[Path]:
    """The files a post or lab shows with ``literalinclude`` (relative to its folder)."""
    text = source.read_text(encoding="utf-8-sig", errors="replace")
    return sorted({(source.parent / match).resolve() for match in _INCLUDE.findall(text)})


def site_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` a browser or a feed reader can read."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in SITE_SUFFIXES and p.is_file())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def packaged_copy(path: Path, relative: str, folders: Iterable[Path], book: Path) -> bool:
    """Whether ``path`` is a byte-for-byte copy of a file an installed package ships at
    ``relative`` in one of ``folders`` (a theme's scripts, an extension's): theirs, so no post
    can have put a key into it. Their scripts were 1.3 s of a 2 s scan of a 20-post site
    (the theme's 1.5 MB icon script alone 0.8 s). A folder inside the book is never a
    package's, even where it holds a file of the same name."""
    book = book.resolve()
    candidates = [
        folder / relative
        for folder in folders
        if not folder.resolve().is_relative_to(book) and (folder / relative).is_file()
    ]
    return bool(candidates) and digest(path) in {digest(c) for c in candidates}


class CleanFiles:
    """The contents last found clean, by SHA-256: unchanged content is not rescanned.

    Keyed by content, never by mtime or size, so a file copied in with an old mtime (as
    Sphinx copies static and extra files) is scanned; and (through the state store) by
    sitegen's code, so new detectors rescan everything. ``name`` separates the sources'
    record from the built site's.
    """

    def __init__(self, state: BuildState, name: str = "clean-sources.json") -> None:
        self.state, self.name = state, name
        stored = state.read_json(name)
        self.digests: set[str] = set(stored) if isinstance(stored, list) else set()

    def changed(self, files: Iterable[Path]) -> list[Path]:
        return [f for f in files if f.is_file() and digest(f) not in self.digests]

    def record(self, files: Iterable[Path]) -> None:
        digests = {digest(f) for f in files if f.is_file()}
        if digests != self.digests:
            self.state.write_json(self.name, sorted(digests))
            self.digests = digests

    def clear(self) -> None:
        self.state.forget(self.name)
        self.digests = set()

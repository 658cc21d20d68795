"""Read time of a MyST Markdown notebook, counted the way a reader reads it.

Prose and code are counted separately because people read them at different speeds:

* prose: ``PROSE_WORDS_PER_MINUTE`` words a minute (technical prose, read with care);
* code: ``CODE_LINES_PER_MINUTE`` non-blank lines a minute of code the reader sees.

Code shown with ``{literalinclude}`` counts as code (the lines it includes). Not counted:
the front matter, cells the reader never sees (tags ``remove-cell``, ``remove-input``,
``hide-input``, ``hide-cell``), content folded in a ``{dropdown}``, MyST directive and role
markup, and outputs (figures and tables are looked at, not read word by word).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from pathlib import Path

PROSE_WORDS_PER_MINUTE = 230
CODE_LINES_PER_MINUTE = 40
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input", "hide-input", "hide-cell"})
FOLDED_DIRECTIVES = ("{dropdown}", "{toggle}")

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_COLON_FENCE = re.compile(r"^(?P<colons>:{3,})\s*(?P<info>.*)$")
_TAGS_OPTION = re.compile(r"^:tags:\s*\[(?P<tags>[^\]]*)\]")
_YAML_TAGS = re.compile(r"^tags:\s*\[(?P<tags>[^\]]*)\]")
_GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")  # a glued value reads as one word
_ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_MARKUP = re.compile(r"[#*_>|`\[\]{}()=+\-]+")
_WORD = re.compile(r"[^\W_]+(?:['’.,-][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class ReadTime:
    """Words of prose, lines of visible code and the minutes they take to read."""

    prose_words: int
    code_lines: int
    includes: tuple[str, ...] = ()  # files shown by {literalinclude}: the count depends on them

    @property
    def minutes(self) -> int:
        exact = self.prose_words / PROSE_WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
        # Round half up, as a person would ("7.5 minutes" reads as 8), never below 1.
        return max(1, math.floor(exact + 0.5))


def strip_front_matter(text: str) -> str:
    """The body after a leading ``---`` YAML block, or the text itself."""
    if not text.startswith("---"):
        return text
    end = text.find("\n---", 3)
    if end == -1:
        return text
    newline = text.find("\n", end + 4)
    return "" if newline == -1 else text[newline + 1 :]


def count_prose_words(markdown: str) -> int:
    """Words a reader reads in a Markdown fragment, markup removed."""
    text = _GLUE.sub(" 0 ", markdown)
    text = _ROLE.sub(r" \1 ", text)
    text = _LINK_TARGET.sub("] ", text)
    text = _MARKUP.sub(" ", text)
    return len(_WORD.findall(text))


def _cell_tags(option_lines: list[str]) -> set[str]:
    tags: set[str] = set()
    for line in option_lines:
        match = _TAGS_OPTION.match(line) or _YAML_TAGS.match(line)
        if match:
            tags.update(t.strip().strip("'\"") for t in match.group("tags").split(","))
    return tags


def _split_code_cell(body: list[str]) -> tuple[list[str], list[str]]:
    """Separate a code cell's options (``:key: value`` or a ``---`` YAML block) from code."""
    if body and body[0].strip() == "---":
        close = next((i for i, line in enumerate(body[1:], 1) if line.strip() == "---"), None)
        if close is not None:
            return body[1:close], body[close + 1 :]
    options = []
    while body and body[0].startswith(":") and not body[0].startswith("::"):
        options.append(body.pop(0))
    return options, body


def _object_lines(source: str, dotted: str) -> int:
    """Non-blank lines of a top-level function/class, or ``Class.method``, in ``source``."""
    body: list[ast.stmt] = ast.parse(source).body
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for name in dotted.split("."):
        node = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == name
            ),
            None,
        )
        if node is None:
            return 0
        body = getattr(node, "body", [])
    if node is None:
        return 0
    lines = source.splitlines()
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return sum(1 for line in lines[first - 1 : node.end_lineno] if line.strip())


def _line_spec(spec: str, lines: list[str]) -> int:
    """Non-blank lines selected by a literalinclude ``:lines:`` spec such as ``1-5,9,12-``."""
    chosen: set[int] = set()
    for part in spec.split(","):
        start, _, end = part.strip().partition("-")
        first = int(start) if start else 1
        last = (int(end) if end else len(lines)) if "-" in part else first
        chosen.update(range(first, last + 1))
    return sum(1 for n in chosen if 0 < n <= len(lines) and lines[n - 1].strip())


def include_path(info: str, base: Path | None) -> Path | None:
    if base is None:
        return None
    return (base / info.removeprefix("{literalinclude}").strip()).resolve()


def included_lines(info: str, options: list[str], base: Path | None) -> int:
    """Non-blank lines a ``{literalinclude}`` shows; 0 when the file cannot be found."""
    path = include_path(info, base)
    if path is None or not path.is_file():
        return 0
    source = path.read_text(encoding="utf-8")
    opts = {}
    for option in options:
        key, _, value = option.strip().lstrip(":").partition(":")
        opts[key.strip()] = value.strip()
    if "pyobject" in opts:
        return _object_lines(source, opts["pyobject"])
    if "lines" in opts:
        return _line_spec(opts["lines"], source.splitlines())
    return sum(1 for line in source.splitlines() if line.strip())


def read_time(text: str, base: Path | None = None) -> ReadTime:
    """Read time of a whole post's source text; ``base`` resolves ``{literalinclude}`` paths."""
    lines = strip_front_matter(text).splitlines()
    prose: list[str] = []
    code_lines = 0
    includes: list[str] = []
    folded_until: str | None = None  # the closing colon fence of an open {dropdown}
    i = 0
    while i < len(lines):
        line = lines[i]
        colon = _COLON_FENCE.match(line.strip())
        if folded_until is not None:
            if colon and line.strip() == folded_until:
                folded_until = None
            i += 1
            continue
        if colon:
            if colon.group("info").startswith(FOLDED_DIRECTIVES):
                folded_until = colon.group("colons")
            i += 1
            continue
        fence = _FENCE.match(line.strip())
        if fence:
            marker = fence.group("fence")
            end = next(
                (j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(marker)),
                len(lines),
            )
            body = lines[i + 1 : end]
            info = fence.group("info").strip()
            if info.startswith("{code-cell}"):
                options, code = _split_code_cell(list(body))
                if not (_cell_tags(options) & HIDDEN_TAGS):
                    code_lines += sum(1 for c in code if c.strip())
            elif info.startswith("{literalinclude}"):
                options, _ = _split_code_cell(list(body))
                code_lines += included_lines(info, options, base)
                path = include_path(info, base)
                if path is not None:
                    includes.append(str(path))
            elif info.startswith(FOLDED_DIRECTIVES):
                pass
            elif info.startswith("{"):
                # A directive ({note}, {figure}, ...): its options are markup, its body prose.
                _, content = _split_code_cell(list(body))
                prose.extend(content)
            else:
                # A fenced code block shown to the reader.
                code_lines += sum(1 for c in body if c.strip())
            i = end + 1
            continue
        if not (line.startswith("+++") or line.startswith("%")):
            prose.append(line)
        i += 1
    words = count_prose_words("\n".join(prose))
    return ReadTime(prose_words=words, code_lines=code_lines, includes=tuple(includes))

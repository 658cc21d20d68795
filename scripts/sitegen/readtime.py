"""Read time of a MyST Markdown notebook, counted the way a reader reads it.

Prose and code are counted separately because people read them at different speeds:

* prose: ``PROSE_WORDS_PER_MINUTE`` words a minute (technical prose, read with care);
* code: ``CODE_LINES_PER_MINUTE`` non-blank lines a minute of code the reader sees.

Not counted: the front matter, cells the reader never sees (tags ``remove-cell``,
``remove-input``, ``hide-input``, ``hide-cell``), MyST directive and role markup, and
outputs (figures and tables are looked at, not read word by word).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

PROSE_WORDS_PER_MINUTE = 230
CODE_LINES_PER_MINUTE = 40
HIDDEN_TAGS = frozenset({"remove-cell", "remove-input", "hide-input", "hide-cell"})

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
_COLON_FENCE = re.compile(r"^:{3,}")
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


def read_time(text: str) -> ReadTime:
    """Read time of a whole post's source text."""
    lines = strip_front_matter(text).splitlines()
    prose: list[str] = []
    code_lines = 0
    i = 0
    while i < len(lines):
        line = lines[i]
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
            elif info.startswith("{"):
                # A directive ({note}, {figure}, ...): its options are markup, its body prose.
                _, content = _split_code_cell(list(body))
                prose.extend(content)
            else:
                # A fenced code block shown to the reader.
                code_lines += sum(1 for c in body if c.strip())
            i = end + 1
            continue
        if not (_COLON_FENCE.match(line.strip()) or line.startswith("+++") or line.startswith("%")):
            prose.append(line)
        i += 1
    return ReadTime(prose_words=count_prose_words("\n".join(prose)), code_lines=code_lines)

"""Read every post's front matter into one pandas DataFrame, validating as it goes.

Validation collects every problem in every post before failing, so an author fixes them all
in one pass. Each problem names the file, the field and what is wrong.

Reading one post (``read_post``) does not need pandas, and importing it is 0.2–0.4 s: the
commands that read one post, and the build's check that an edited post's record is
unchanged (``sitegen.index_stamp``), never import it. Only ``load_posts`` does.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sitegen import post_rules
from sitegen.inputs import link_problem
from sitegen.post_cache import PostCache
from sitegen.problems import InvalidPosts, Problem
from sitegen.readtime import read_time
from sitegen.site import SLUG, Site, today

if TYPE_CHECKING:
    import pandas as pd

try:  # The C loader is ~10x faster; it matters at thousands of posts.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeLoader as _Loader

REQUIRED = ("title", "date", "category", "tags", "summary")
OPTIONAL = ("featured", "draft", "updated")
NOTEBOOK_KEYS = ("jupytext", "kernelspec")
ALLOWED = frozenset(REQUIRED + OPTIONAL + NOTEBOOK_KEYS + ("mystnb",))
# Keys that change how myst renders the page (``myst: html_meta`` can add a refresh to
# another site, substitutions inject Markdown): refused in a post, whatever they hold.
REFUSED = {"myst": "changes how the page is rendered (html_meta, substitutions); remove it"}
# The only per-post myst-nb settings: how the post executes and which parts show. None of
# them can turn text into markup.
MYSTNB_ALLOWED = frozenset(
    {
        "execution_mode", "execution_timeout", "execution_allow_errors", "execution_raise_on_error",
        "execution_in_temp", "execution_show_tb", "merge_streams", "number_source_lines",
        "remove_code_source", "remove_code_outputs", "output_stderr",
    }
)  # fmt: skip
RESERVED_SLUGS = frozenset({"index", "genindex", "search"})  # pages Sphinx itself writes
RESERVED_TAGS = frozenset({"index"})  # tags/index.html is the all-tags page
EARLIEST_YEAR = 1990
LATEST_YEARS_AHEAD = 10
MAX_TITLE = 120
MAX_SUMMARY = 300
COLUMNS = [
    "slug", "path", "title", "date", "updated", "category", "tags", "summary", "featured",
    "draft", "read_minutes", "prose_words", "code_lines", "url", "includes",
]  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TASK_ITEM = re.compile(r"^\s*[-*+] \[[ xX]\] ")
_COLON_FENCE = re.compile(r"^\s*(:{3,})")
BOM = "\ufeff"


def one_line_problem(value: str) -> str | None:
    """Why ``value`` cannot be a one-line field (a line break or a control character)."""
    for position, char in enumerate(value, 1):
        if unicodedata.category(char) in {"Cc", "Zl", "Zp"} or char in _BIDI_CONTROLS:
            kind = "a line break" if char in "\r\n\u2028\u2029\x85" else "a control character"
            return (
                f"contains {kind} (U+{ord(char):04X} at character {position});"
                " write it on one line as plain text"
            )
    return None


# Characters that reorder the text around them (Trojan Source): a title is shown as written.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def split_front_matter(text: str) -> tuple[str, int] | None:
    """The YAML text of the leading ``---`` block and the line it starts on, or None."""
    if not text.startswith("---\n") and not text.startswith("---\r\n"):
        return None
    match = re.search(r"^---[ \t]*$", text[4:], flags=re.MULTILINE)
    if match is None:
        return None
    return text[4 : 4 + match.start()], 2


def _non_json_values(value: Any, where: str) -> Iterable[tuple[str, str]]:
    """Values YAML produced that a notebook's JSON metadata cannot hold."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _non_json_values(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_json_values(item, f"{where}[{i}]")
    elif isinstance(value, dt.date):
        yield (
            where,
            f'YAML reads {value} as a date; quote it ({where.split(".")[-1]}: "{value:%Y-%m-%d}")'
            " so jupytext and myst-nb can store it",
        )
    elif isinstance(value, bytes | set):
        yield where, f"YAML reads this as {type(value).__name__}; write plain text"


class _Checker:
    """Validates one post's front matter, collecting problems instead of raising."""

    def __init__(self, path: str, meta: dict[str, Any], site: Site) -> None:
        self.path, self.meta, self.site = path, meta, site
        self.problems: list[Problem] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, field, message))

    def text(self, field: str, limit: int) -> str | None:
        value = self.meta.get(field)
        if value is None:
            self.problem(field, "missing" if field not in self.meta else "is empty")
        elif not isinstance(value, str):
            self.problem(field, f"must be text, got {type(value).__name__} {value!r}; quote it")
        elif not value.strip():
            self.problem(field, "is empty")
        elif len(value) > limit:
            self.problem(field, f"is {len(value)} characters; keep it under {limit}")
        elif (why := one_line_problem(value)) is not None:
            self.problem(field, why)
        else:
            return " ".join(value.split())
        return None

    def date(self, field: str, required: bool) -> dt.date | None:
        value = self.meta.get(field)
        if value is None:
            if required:
                self.problem(field, "missing" if field not in self.meta else "is empty")
            return None
        if isinstance(value, dt.date):
            return None  # Reported by the JSON-safety check with the fix to apply.
        if not isinstance(value, str) or not _DATE.match(value):
            self.problem(field, f"{value!r} is not a date written YYYY-MM-DD")
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError as error:
            self.problem(field, f"{value!r} is not a real date ({error})")
            return None
        latest = today().year + LATEST_YEARS_AHEAD
        if not EARLIEST_YEAR <= day.year <= latest:
            self.problem(field, f"{value!r} is outside {EARLIEST_YEAR}-01-01..{latest}-12-31")
            return None
        return day

    def flag(self, field: str) -> bool:
        value = self.meta.get(field, False)
        if not isinstance(value, bool):
            self.problem(field, f"must be true or false, got {value!r}")
            return False
        return value

    def tags(self) -> list[str]:
        value = self.meta.get("tags")
        if value is None:
            self.problem("tags", "missing" if "tags" not in self.meta else "is empty")
            return []
        if not isinstance(value, list):
            self.problem(
                "tags", f"must be a list like [jwt, rbac], got {type(value).__name__} {value!r}"
            )
            return []
        if not value:
            self.problem("tags", "is empty; give 3-6 tags")
        tags = []
        for tag in value:
            if not isinstance(tag, str) or not SLUG.match(tag):
                hint = post_rules.tag_suggestion(tag)
                self.problem("tags", f"{tag!r} is not a lowercase-hyphenated slug{hint}")
            elif tag in RESERVED_TAGS:
                self.problem("tags", f"{tag!r} is reserved (tags/{tag}.html is a site page)")
            elif tag in tags:
                self.problem("tags", f"{tag!r} is listed twice")
            else:
                tags.append(tag)
        return tags

    def category(self) -> str | None:
        value = self.text("category", 80)
        names = self.site.category_names
        if value is not None and value not in names:
            hint = post_rules.did_you_mean(value, names)
            self.problem(
                "category", f"{value!r} is not a category{hint}; use one of: {', '.join(names)}"
            )
            return None
        return value

    def rendering_keys(self) -> None:
        """Refuse the keys that change how a page renders; keep ``mystnb`` to an allowlist."""
        for key, why in REFUSED.items():
            if key in self.meta:
                self.problem(key, why)
        settings = self.meta.get("mystnb")
        if settings is None:
            return
        if not isinstance(settings, dict):
            self.problem("mystnb", f"must be a mapping of settings, got {settings!r}")
            return
        allowed = ", ".join(sorted(MYSTNB_ALLOWED))
        for key in sorted(set(settings) - MYSTNB_ALLOWED, key=str):
            self.problem(f"mystnb.{key}", f"not allowed in a post; allowed: {allowed}")

    def notebook_header(self) -> None:
        fmt = (self.meta.get("jupytext") or {}).get("text_representation", {})
        if not isinstance(fmt, dict) or fmt.get("format_name") != "myst":
            self.problem(
                "jupytext", "missing the jupytext header (text_representation.format_name: myst)"
            )
        kernel = self.meta.get("kernelspec")
        if not isinstance(kernel, dict) or not kernel.get("name"):
            self.problem("kernelspec", "missing (name: python3) — needed to execute the post")


def body_problems(path: str, text: str) -> list[Problem]:
    """Body constructs that would crash the build, found before anything runs.

    myst-nb 1.4 crashes (IndexError in mdit-py-plugins' tasklist rule) on a task list at the
    top level of a notebook cell; inside a directive it renders fine.
    """
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        fence = _COLON_FENCE.match(line)
        if fence:
            depth += 1 if line.strip() != fence.group(1) else -1
        elif depth <= 0 and _TASK_ITEM.match(line):
            return [
                Problem(
                    path,
                    "body",
                    f"line {number}: a task list must sit inside ':::{{container}} checklist'"
                    " (myst-nb cannot render a top-level one)",
                )
            ]
    return []


def _aliases(yaml_text: str) -> bool:
    """Whether the YAML uses anchors or aliases (found by the scanner, before anything is
    built: a 'billion laughs' alias bomb is refused in microseconds, not expanded)."""
    if "&" not in yaml_text and "*" not in yaml_text:
        return False
    tokens = yaml.scan(yaml_text, Loader=_Loader)
    return any(isinstance(t, yaml.AnchorToken | yaml.AliasToken) for t in tokens)


def decode(raw: bytes) -> str:
    """UTF-8 text as written, with a byte-order mark dropped and CRLF read as LF.

    Raises UnicodeDecodeError."""
    text = raw.decode("utf-8")
    return text.removeprefix(BOM).replace("\r\n", "\n")


def _parse(path: str, raw: bytes) -> tuple[dict[str, Any] | None, str, list[Problem]]:
    try:
        text = decode(raw)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        detail = f"byte 0x{raw[error.start]:02x} on line {line}"
        return None, "", [Problem(path, "file", f"is not valid UTF-8 ({detail}); save it as UTF-8")]
    block = split_front_matter(text)
    if block is None:
        return (
            None,
            text,
            [Problem(path, "front matter", "missing: a post starts with a '---' YAML block")],
        )
    yaml_text, first_line = block
    try:
        if _aliases(yaml_text):
            why = "YAML anchors and aliases (&name, *name) are not allowed; write each value out"
            return None, text, [Problem(path, "front matter", why)]
        meta = yaml.load(yaml_text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + first_line}" if mark is not None else ""
        reason = getattr(error, "problem", None) or str(error)
        return None, text, [Problem(path, "front matter", f"YAML syntax error{where}: {reason}")]
    if not isinstance(meta, dict):
        return None, text, [Problem(path, "front matter", "must be a YAML mapping of fields")]
    return meta, text, []


def read_post(
    path: Path, root: Path, site: Site, cache: PostCache | None = None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """One post as a record for the index, or None and the problems that prevent it."""
    if cache is not None and (cached := cache.get(path)) is not None:
        return cached, []
    rel = path.relative_to(root).as_posix()
    meta, text, problems = _parse(rel, path.read_bytes())
    if meta is None:
        return None, problems
    check = _Checker(rel, meta, site)
    for field in sorted(set(meta) - ALLOWED - set(REFUSED), key=str):
        check.problem(str(field), f"unknown field; allowed: {', '.join(sorted(ALLOWED))}")
    for where, message in _non_json_values(meta, ""):
        check.problem(where, message)
    slug = path.stem
    if not SLUG.match(slug):
        check.problem(
            "slug", f"file name {slug!r} is not a lowercase-hyphenated slug (it is the URL)"
        )
    elif slug in RESERVED_SLUGS:
        check.problem("slug", f"file name {slug!r} is reserved (Sphinx writes {slug}.html)")
    check.rendering_keys()
    check.notebook_header()
    check.problems.extend(body_problems(rel, text))
    record: dict[str, Any] = {
        "slug": slug,
        "path": rel,
        "title": check.text("title", MAX_TITLE),
        "date": check.date("date", required=True),
        "updated": check.date("updated", required=False),
        "category": check.category(),
        "tags": check.tags(),
        "summary": check.text("summary", MAX_SUMMARY),
        "featured": check.flag("featured"),
        "draft": check.flag("draft"),
    }
    if record["updated"] and record["date"] and record["updated"] < record["date"]:
        check.problem("updated", f"{record['updated']} is before the post's date {record['date']}")
    check.problems += post_rules.publish_problems(
        rel, text, meta.get("title"), record["summary"], record["draft"]
    )
    if check.problems:
        return None, check.problems
    minutes = read_time(text, path.parent)
    record.update(
        read_minutes=minutes.minutes,
        prose_words=minutes.prose_words,
        code_lines=minutes.code_lines,
        url=f"posts/{slug}.html",
        includes=list(minutes.includes),  # files shown with literalinclude
    )
    if cache is not None:
        cache.put(path, record, minutes.includes)
    return record, []


def _duplicates(frame: pd.DataFrame, column: str, key: pd.Series, what: str) -> list[Problem]:
    """Every post whose ``key`` an earlier post (in path order) already has."""
    repeated = key.duplicated(keep="first")
    if not repeated.any():
        return []
    first_path = dict(zip(key[~repeated], frame["path"][~repeated], strict=True))
    return [
        Problem(path, column, f"duplicates the {what} of {first_path[value]}")
        for path, value in zip(frame["path"][repeated], key[repeated], strict=True)
    ]


def load_posts(root: Path, site: Site, *, save_cache: bool = True) -> pd.DataFrame:
    """Every post under ``root/posts`` as one validated DataFrame, newest first.

    Raises InvalidPosts listing every problem in every post.
    """
    import pandas as pd  # only here: see the module's docstring

    cache = PostCache(root)
    paths = sorted((root / "posts").glob("*.md"))
    records, problems = [], []
    for path in paths:
        if (link := link_problem(path, root)) is not None:
            problems.append(link)
            continue
        record, found = read_post(path, root, site, cache)
        problems.extend(found)
        if record is not None:
            records.append(record)
    cache.prune({str(path) for path in paths})
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    if not frame.empty:
        problems += _duplicates(frame, "title", frame["title"].str.casefold(), "title")
        problems += _duplicates(frame, "slug", frame["slug"].str.casefold(), "slug")
    if problems:
        raise InvalidPosts(problems)  # a failed run writes nothing, not even its cache
    if save_cache:
        cache.save()
    return frame.sort_values(["date", "slug"], ascending=[False, True], ignore_index=True)


def published(frame: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The posts a reader may see today: not drafts, not dated in the future."""
    visible = frame[~frame["draft"] & (frame["date"] <= today)].reset_index(drop=True)
    featured = visible[visible["featured"]]
    if len(featured) > 1:
        raise InvalidPosts(
            Problem(
                path,
                "featured",
                f"only one published post may be featured; also {featured['path'].iloc[0]}",
            )
            for path in featured["path"].iloc[1:]
        )
    return visible

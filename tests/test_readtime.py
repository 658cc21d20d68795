"""Read time: prose and visible code counted separately, hidden cells not at all."""

from __future__ import annotations

from pathlib import Path

from sitegen.readtime import (
    CODE_LINES_PER_MINUTE,
    PROSE_WORDS_PER_MINUTE,
    ReadTime,
    count_prose_words,
    read_time,
)

FRONT = '---\ntitle: "Ignored words in the front matter"\n---\n'


def code_cell(lines: int, tags: str = "") -> str:
    options = f":tags: [{tags}]\n" if tags else ""
    body = "\n".join(f"x{i} = {i}" for i in range(lines))
    return f"```{{code-cell}} ipython3\n{options}{body}\n```\n"


def test_prose_words_ignore_markup_and_keep_role_text() -> None:
    text = "## Heading\n\nThe **p99** is {glue:text}`p99_ms` ms, see [the docs](https://x.y/z)."
    assert count_prose_words(text) == 9  # Heading The p99 is p99_ms ms see the docs


def test_front_matter_is_not_read() -> None:
    assert read_time(FRONT + "one two three").prose_words == 3


def test_visible_code_counts_lines_hidden_cells_do_not() -> None:
    text = FRONT + code_cell(10) + code_cell(50, "remove-cell") + code_cell(7, "hide-input")
    assert read_time(text) == ReadTime(prose_words=0, code_lines=10)


def test_yaml_block_cell_options_are_understood() -> None:
    cell = "```{code-cell} ipython3\n---\ntags: [remove-input]\n---\nprint(1)\n```\n"
    assert read_time(FRONT + cell).code_lines == 0


def test_plain_code_blocks_count_as_code_and_directives_as_prose() -> None:
    text = FRONT + "```python\na = 1\n\nb = 2\n```\n:::{note}\nfive words in a note\n:::\n"
    assert read_time(text) == ReadTime(prose_words=5, code_lines=2)


def test_minutes_combine_both_rates_and_round_half_up() -> None:
    # 1.5 minutes of prose + 1 minute of code = 2.5 → 3
    rt = ReadTime(prose_words=int(1.5 * PROSE_WORDS_PER_MINUTE), code_lines=CODE_LINES_PER_MINUTE)
    assert rt.minutes == 3
    assert ReadTime(prose_words=0, code_lines=0).minutes == 1


def test_literalinclude_counts_the_lines_it_shows(tmp_path: Path) -> None:
    (tmp_path / "lesson.py").write_text(
        "import os\n\n\nclass Verifier:\n    def verify(self):\n\n        return 1\n\n"
        "    def other(self):\n        return 2\n\n\ndef helper():\n    return os.sep\n",
        encoding="utf-8",
    )
    post = tmp_path / "posts"
    post.mkdir()

    def lines(options: str) -> int:
        block = f"```{{literalinclude}} ../lesson.py\n{options}```\n"
        return read_time(FRONT + block, post).code_lines

    assert lines(":pyobject: Verifier.verify\n") == 2
    assert lines(":pyobject: helper\n") == 2
    assert lines(":lines: 1,4-5\n") == 3
    assert lines("") == 8
    assert read_time(FRONT + "```{literalinclude} ../lesson.py\n```\n").code_lines == 0


def test_folded_dropdowns_are_not_counted() -> None:
    text = FRONT + ":::{dropdown} Source\n```python\na = 1\n```\nhidden words\n:::\nshown\n"
    assert read_time(text) == ReadTime(prose_words=1, code_lines=0)

"""Read time: prose and visible code counted separately, hidden cells not at all."""

from __future__ import annotations

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

"""A post as a reader's notebook: MyST markup becomes what the page shows, live or settled."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import jupytext
import nbformat
import pytest
from myst_nb.core.config import NbParserConfig
from myst_parser.config.main import MdParserConfig

from sitegen.jupyter import read_notebook
from sitegen.notebook_view import (
    ViewError,
    binder_path,
    downloadable,
    main,
    reading_notebook,
    transform_markdown,
)

MODULE = '''"""A module a post includes."""


class Verifier:
    """Checks tokens."""

    def verify(self, token: str) -> bool:
        return token == "ok"

    def other(self) -> None:
        pass


def helper() -> int:
    return 1
'''

POST = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
title: "Tokens <script>alert(1)</script> & *stars*"
date: "2025-09-12"
category: Security
tags: [jwt, tokens, testing]
summary: "A summary."
---

## TL;DR

% an author's note the page never shows
Forgeries accepted: {glue:text}`accepted` of {glue:text}`total`, ratio {glue:text}`ratio:.1f`.

```{code-cell} ipython3
from myst_nb import glue
import matplotlib.pyplot as plt
accepted, total, ratio = 0, 6, 2.345
fig, ax = plt.subplots()
ax.plot([1, 2])
glue("accepted", accepted, display=False)
glue("total", total, display=False)
glue("ratio", ratio, display=False)
glue("fig_demo", fig, display=False)
plt.close(fig)
import pandas as pd
glue("table_demo", pd.DataFrame({"kind": ["none"], "accepted": [0]}), display=False)
```

```{code-cell} ipython3
:tags: [remove-cell]
assert accepted == 0
```

```{glue:figure} table_demo
:name: tbl-demo

What each forgery got.
```

(fig-demo)=
```{glue:figure} fig_demo
:name: fig-demo

A line, drawn from {glue:text}`total` points.
```

```{literalinclude} ../lib/module.py
:pyobject: Verifier.verify
```

:::{note}
Keys rotate by `kid`.
:::

::::{dropdown} The whole helper
```{literalinclude} ../lib/module.py
:pyobject: helper
```
::::

See {doc}`the lab <../notebooks/queue-lab>` and {numref}`fig-demo`.

## Checklist for Monday

:::{container} checklist
- [ ] Pin the algorithm.
:::
"""


@pytest.fixture
def post(tmp_path: Path) -> Path:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "module.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "posts").mkdir()
    path = tmp_path / "posts" / "tokens.md"
    path.write_text(POST, encoding="utf-8")
    return path


def markdown(notebook: nbformat.NotebookNode) -> str:
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_glue_roles_become_live_expressions_with_the_same_format(post: Path) -> None:
    text = markdown(reading_notebook(post))
    assert '{eval}`glued.text("accepted")` of {eval}`glued.text("total")`' in text
    assert '{eval}`glued.text("ratio", ".1f")`' in text
    assert '{eval}`glued.figure("fig_demo")`' in text
    assert '*A line, drawn from {eval}`glued.text("total")` points.*' in text


def test_no_markup_the_notebook_cannot_render_is_left(post: Path) -> None:
    text = markdown(reading_notebook(post))
    leftovers = [
        line
        for line in text.splitlines()
        if re.search(r"\{glue|\{literalinclude|\{doc\}|\{numref\}|^:::|^%|^\(fig-demo\)=", line)
    ]
    assert leftovers == []
    assert "an author's note" not in text


def test_literalinclude_shows_the_object_it_names(post: Path) -> None:
    text = markdown(reading_notebook(post))
    assert "From `lib/module.py`, `Verifier.verify`:" in text
    assert '    def verify(self, token: str) -> bool:\n        return token == "ok"' in text
    assert "def other" not in text
    assert "def helper() -> int:\n    return 1" in text


def test_admonitions_dropdowns_and_checklists_read_as_plain_markdown(post: Path) -> None:
    text = markdown(reading_notebook(post))
    assert "> **Note**\n>\n> Keys rotate by `kid`." in text
    assert "**The whole helper**" in text
    assert "- [ ] Pin the algorithm." in text
    assert "See [the lab](../notebooks/queue-lab.ipynb) and fig-demo." in text


def test_front_matter_is_text_in_the_header(post: Path) -> None:
    header = reading_notebook(post).cells[0].source
    assert header.startswith("# Tokens &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\*stars\\*")
    assert "*Security · 2025-09-12*" in header


def test_hidden_cells_are_folded_and_glue_is_kept_first(post: Path) -> None:
    notebook = reading_notebook(post)
    setup, *code = [c for c in notebook.cells if c.cell_type == "code"]
    assert setup.source.startswith("from englogs.notebook import glued")
    assert setup.metadata["jupyter"] == {"source_hidden": True}
    assert code[0].metadata.get("jupyter") is None
    assert code[1].metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}


def executed(post: Path) -> nbformat.NotebookNode:
    """The post run top to bottom in a kernel, as the execution cache holds it."""
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(post)
    NotebookClient(notebook, resources={"metadata": {"path": str(post.parent)}}).execute()
    return notebook


def test_download_settles_values_and_figures_for_any_viewer(post: Path) -> None:
    notebook = downloadable(post, executed(post))
    text = markdown(notebook)
    assert "Forgeries accepted: 0 of 6, ratio 2.3." in text
    figure = next(c for c in notebook.cells if "attachment:fig_demo.png" in c.source)
    assert figure.attachments["fig_demo.png"]["image/png"].startswith("iVBOR")
    assert "{eval}" not in text
    table = next(c for c in notebook.cells if "What each forgery got." in c.source)
    assert "<table" in table.source and "<td>none</td>" in table.source
    nbformat.validate(notebook)


def test_download_carries_the_kernel_metadata_a_reading_notebook_has(post: Path) -> None:
    # The download takes language_info from the kernel that ran the post, not from
    # importing ipykernel: both must be what JupyterLab writes, or the file opens modified.
    ran = executed(post)
    assert ran.metadata["language_info"]  # nbclient recorded the kernel's own
    assert downloadable(post, ran).metadata == reading_notebook(post).metadata


def test_myst_nb_and_jupytext_read_a_post_into_the_same_reading_notebook(post: Path) -> None:
    # Downloads read posts with myst-nb's reader (as executed, and no jupytext import);
    # Binder's postBuild with jupytext. Both must give the same notebook, byte for byte.
    extensions = {"colon_fence", "deflist", "dollarmath", "fieldlist", "tasklist"}
    env = SimpleNamespace(
        mystnb_config=NbParserConfig(), myst_config=MdParserConfig(enable_extensions=extensions)
    )
    by_myst_nb = read_notebook(env, post)  # type: ignore[arg-type]
    assert by_myst_nb is not None
    assert nbformat.writes(reading_notebook(post, by_myst_nb)) == nbformat.writes(
        reading_notebook(post, jupytext.read(post))
    )


def test_download_names_a_missing_glue_value(post: Path) -> None:
    ran = executed(post)
    for cell in ran.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    with pytest.raises(ViewError, match="no glued value 'accepted'"):
        downloadable(post, ran)


def test_the_live_notebook_runs_and_shows_the_numbers(post: Path) -> None:
    """What jupyterlab-myst asks the kernel for each {eval} gives the page's characters."""
    from nbclient import NotebookClient

    notebook = reading_notebook(post)
    client = NotebookClient(notebook, resources={"metadata": {"path": str(post.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        probe = nbformat.v4.new_code_cell(
            'print(glued.text("accepted"), glued.text("ratio", ".1f"), '
            'type(glued.figure("fig_demo")).__name__)\n'
            'glue("accepted", 5, display=False)\nprint(glued.text("accepted"))'
        )
        notebook.cells.append(probe)
        client.execute_cell(probe, len(notebook.cells) - 1)
    printed = "".join(o["text"] for o in probe.outputs if o["output_type"] == "stream")
    assert printed == "0 2.3 Figure\n5\n"  # re-glued: the prose follows the new value


def test_binder_opens_posts_as_reading_notebooks_and_labs_as_they_are() -> None:
    assert binder_path("posts/jwt") == "read/jwt.ipynb"
    assert binder_path("notebooks/queue-lab") == "notebooks/queue-lab.ipynb"


def test_command_writes_every_post(post: Path, tmp_path: Path) -> None:
    out = tmp_path / "read"
    assert main([str(post), "--out", str(out)]) == 0
    written = nbformat.read(out / "tokens.ipynb", as_version=4)
    assert written.cells[0].source.startswith("# Tokens")


def test_transform_leaves_plain_markdown_alone(tmp_path: Path) -> None:
    text = "A paragraph with `code` and a [link](https://example.org).\n\n- a\n- b"
    assert transform_markdown(text, tmp_path) == text


def test_same_post_same_bytes(post: Path) -> None:
    """The download is part of the published folder: it must not change between builds."""
    assert nbformat.writes(reading_notebook(post)) == nbformat.writes(reading_notebook(post))

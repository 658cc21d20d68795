"""Sites for the benchmarks: synthetic Engineering Logs sites of any size, built from the real
site's configuration, and copies of the real site as a fresh clone has it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CATEGORIES = [
    "AI Engineering", "Security", "Cloud Architecture", "Backend Architecture", "AWS",
    "System Design", "Engineering Mindset",
]  # fmt: skip
TAGS = [f"topic-{i}" for i in range(40)]
CELLS = {
    "trivial": "answer = 6 * 7\nanswer",
    "numpy-pandas": "import numpy as np\nimport pandas as pd\n"
    "pd.DataFrame({'x': np.arange(5)}).describe()",
}
PROSE = (
    "Queues absorb bursts, retries amplify outages, and every cache is a consistency "
    "trade-off someone forgot to write down. "
) * 12


# What the post standard requires of every published post (sitegen.post_rules): a figure,
# a claim asserted in a hidden cell, references. Static, so it adds no execution time.
# A tiny inline SVG: an image with no file to copy.
IMAGE = (
    "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My"
    "5vcmcvMjAwMC9zdmciIHdpZHRoPSIxNiIgaGVpZ2h0PSI4Ij48L3N2Zz4="
)
EVIDENCE = f"""\
![A queue, drawn as a box]({IMAGE})

```{{code-cell}} ipython3
:tags: [remove-cell]
assert sum(range(10)) == 45, sum(range(10))
```

## References

- Little, J. D. C. (1961). A proof for the queuing formula L = λW. Operations Research 9(3).
"""


def post_code(i: int, cell: str, *, identical: bool = False) -> str:
    """The post's code cell: distinct per post unless ``identical`` (jupyter-cache matches
    notebooks by a hash of their code, so identical cells execute once in stock Jupyter Book
    and here; distinct cells are what a real site has)."""
    return CELLS[cell] if identical else f"post_id = {i}\n{CELLS[cell]}"


def post_text(
    i: int, cell: str, *, summary: str = "", code: str = "", identical: bool = False
) -> str:
    day = dt.date(1995, 1, 1) + dt.timedelta(days=i)
    tags = ", ".join(TAGS[(i + k * 7) % len(TAGS)] for k in range(3))
    return f"""---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
title: "Synthetic post {i}"
date: "{day.isoformat()}"
category: {CATEGORIES[i % len(CATEGORIES)]}
tags: [{tags}]
summary: "{summary or f"Post number {i} of a synthetic site."}"
---

## Notes

{PROSE}

```{{code-cell}} ipython3
{code or post_code(i, cell, identical=identical)}
```

{EVIDENCE}"""


def make_site(dest: Path, posts: int, cell: str = "trivial", *, identical: bool = False) -> Path:
    """A buildable site at ``dest`` with ``posts`` posts (loads the installed extension)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "_config.yml", dest / "_config.yml")
    shutil.copy(REPO / "categories.yml", dest / "categories.yml")
    shutil.copytree(REPO / "_static", dest / "_static", dirs_exist_ok=True)
    # The site's own page layout (sitegen.theme): without it the theme's would stand in.
    shutil.copytree(REPO / "_templates", dest / "_templates", dirs_exist_ok=True)
    (dest / "_toc.yml").write_text("format: jb-book\nroot: index\n", encoding="utf-8")
    (dest / "posts").mkdir(exist_ok=True)
    (dest / "notebooks").mkdir(exist_ok=True)
    for i in range(posts):
        (dest / "posts" / f"synthetic-post-{i}.md").write_text(
            post_text(i, cell, identical=identical), encoding="utf-8"
        )
    return dest


def copy_tracked(dest: Path) -> None:
    """The repository as a fresh clone sees it: tracked files only, no build, no cache."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = REPO / name.decode()
        if source.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)

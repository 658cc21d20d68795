"""Scaffold a new post: posts/<slug>.md with valid front matter, ready to open in JupyterLab.

    new-post "Designing Idempotent APIs" --category "Backend Architecture" \\
        --tags idempotency,retries,api-design

Prints the new file's path. Refuses a slug that already exists. The post starts as a draft
(draft: true) so it cannot publish by accident; delete that line when it is ready.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sitegen.post_rules import PLACEHOLDERS, SUMMARY_PLACEHOLDER
from sitegen.posts import read_post
from sitegen.problems import InvalidPosts
from sitegen.site import SLUG, load_site, slugify

# The placeholders come from sitegen.post_rules, which refuses to publish a post holding one.
TEMPLATE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
title: {title}
date: "{date}"
category: {category}
tags: [{tags}]
summary: {summary}
draft: true
---

## TL;DR

{tldr}

## The experiment

```{{code-cell}} ipython3
import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

rng = np.random.default_rng(7)
{experiment}
p99 = float(np.percentile(samples, 99))
glue("p99_ms", p99, display=False)
fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(samples, bins=60)
ax.set_xlabel("latency (ms)")
glue("fig_latency", fig, display=False)
plt.close(fig)
```

The 99th percentile of this sample is {{glue:text}}`p99_ms:.1f` ms.

```{{glue:figure}} fig_latency
{figure}
```

```{{code-cell}} ipython3
:tags: [remove-cell]
# Every claim the prose makes is asserted here, so a broken claim fails the build.
assert 40 < p99 < 55, p99
```

## Checklist for Monday

:::{{container}} checklist
{checklist}
:::

## References

{reference}
"""
_PLACEHOLDER = {p.name: p.text for p in PLACEHOLDERS}


def render(title: str, category: str, tags: list[str], summary: str, date: dt.date) -> str:
    # JSON strings are valid YAML scalars and escape quotes and backslashes correctly.
    return TEMPLATE.format(
        title=json.dumps(title, ensure_ascii=False),
        date=date.isoformat(),
        category=category,
        tags=", ".join(tags),
        summary=json.dumps(summary, ensure_ascii=False),
        tldr=_PLACEHOLDER["TL;DR"],
        experiment=_PLACEHOLDER["example experiment"],
        figure=_PLACEHOLDER["example figure"],
        checklist=_PLACEHOLDER["checklist item"],
        reference=_PLACEHOLDER["reference"],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="new-post",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("title", help="the post's title, as readers will see it")
    parser.add_argument("--category", required=True, help="one of the names in categories.yml")
    parser.add_argument("--tags", required=True, help="comma-separated lowercase-hyphenated slugs")
    parser.add_argument(
        "--summary", default=None, help="one or two sentences for cards and the feed"
    )
    parser.add_argument("--slug", default=None, help="the URL name (default: from the title)")
    parser.add_argument(
        "--date", type=dt.date.fromisoformat, default=dt.date.today(), help="YYYY-MM-DD"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="the book's folder (default: the current folder)",
    )
    args = parser.parse_args(argv)

    root = args.root.resolve()
    slug = args.slug or slugify(args.title)
    if not SLUG.match(slug):
        parser.error(f"slug {slug!r} is not lowercase-hyphenated; pass --slug")
    path = root / "posts" / f"{slug}.md"
    if path.exists():
        print(
            f"{path.relative_to(root)}: slug: a post with this slug already exists", file=sys.stderr
        )
        return 1
    tags = [t.strip() for t in args.tags.split(",") if t.strip()]
    summary = args.summary or SUMMARY_PLACEHOLDER.format(title=args.title)
    text = render(args.title, args.category, tags, summary, args.date)

    # Validate before writing, with the same checks the build runs.
    try:
        site = load_site(root)
    except InvalidPosts as error:  # a wrong setting in _config.yml
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _, problems = read_post(path, root, site)
    if problems:
        path.unlink()
        for problem in InvalidPosts(problems).problems:
            print(problem, file=sys.stderr)
        return 2
    print(path.relative_to(root).as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The kernel's half of a post read as a notebook: glued values the prose can show, live.

On the site, myst-nb pastes each ``glue("p99_ms", p99)`` into the prose where the post writes
``{glue:text}`p99_ms:.1f```. A notebook reader's JupyterLab (with jupyterlab-myst) cannot read
glue outputs, but it evaluates MyST's ``{eval}`expression``` role in the kernel. The reading
notebook (``sitegen.notebook_view``) therefore rewrites each glue role as
``{eval}`glued.text("p99_ms", ".1f")```, and its first, hidden cell imports ``glued`` from
here. Importing this module wraps ``myst_nb.glue`` so every value a post glues is also kept
in ``glued``: change the code, run the cell, and the number in the prose changes with it.

``text()`` formats exactly as myst-nb's ``{glue:text}`` does (same IPython display data, same
``format_plain_text``), so the notebook and the site show the same characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import IPython.core.formatters
import myst_nb
import myst_nb.ext.glue
from myst_nb.core.variables import format_plain_text


@dataclass(frozen=True)
class Shown:
    """Text that displays as itself: a ``str`` would display as its repr, quotes included."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text


@dataclass
class Glued:
    """Every value glued since this kernel started, as myst-nb would display it."""

    values: dict[str, Any] = field(default_factory=dict)
    plain: dict[str, str] = field(default_factory=dict)

    def record(self, name: str, variable: Any) -> None:
        bundle, _ = IPython.core.formatters.format_display_data(variable)
        self.values[name] = variable
        self.plain[name] = bundle.get("text/plain", "")

    def text(self, name: str, spec: str = "") -> Shown:
        """The glued value as ``{glue:text}`name:spec``` renders it on the site."""
        if name not in self.plain:
            return Shown(f"[{name}: run the cells above]")
        return Shown(format_plain_text(self.plain[name], spec))

    def figure(self, name: str) -> Any:
        """The glued object itself (a matplotlib figure displays as its image)."""
        if name not in self.values:
            return Shown(f"[{name}: run the cells above]")
        return self.values[name]


glued = Glued()
_original_glue = myst_nb.ext.glue.glue


def _glue_and_keep(name: str, variable: Any, display: bool = True) -> None:
    glued.record(name, variable)
    _original_glue(name, variable, display=display)


# Posts import ``from myst_nb import glue`` after this module's cell has run, so they get the
# wrapper; the site's build never imports this module and keeps myst-nb's own glue.
myst_nb.glue = _glue_and_keep  # type: ignore[attr-defined]
myst_nb.ext.glue.glue = _glue_and_keep

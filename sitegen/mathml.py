"""Math rendered at build time as MathML (latex2mathml): no MathJax download, no CDN.

Browsers draw MathML natively (Chromium since 109, Firefox, Safari), so a reader offline or
behind a slow network sees ``R ~ U(0, L)`` typeset, never raw TeX. TeX that latex2mathml
cannot read fails the build with one line naming the page and the expression.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinx.writers.html5 import HTML5Translator

RENDERER = "mathml"
# latex2mathml passes a command it does not know through as text, e.g. <mi>\foo</mi>.
_UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")


class MathError(SphinxError):
    category = "Math"


def to_mathml(tex: str, *, display: bool, where: str) -> str:
    from latex2mathml.converter import convert

    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises a family of its own errors
        reason = f"{type(error).__name__} {error}".strip()
        raise MathError(f"{where}: cannot render ${tex}$ as MathML: {reason}") from None
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:
        raise MathError(f"{where}: cannot render ${tex}$ as MathML: unknown {unknown.group(1)}")
    return mathml


def _where(translator: HTML5Translator, node: nodes.Element) -> str:
    return f"{translator.builder.current_docname}:{node.line or '?'}"


def visit_math(translator: HTML5Translator, node: nodes.math) -> None:
    mathml = to_mathml(node.astext(), display=False, where=_where(translator, node))
    translator.body.append(f'<span class="math">{mathml}</span>')
    raise nodes.SkipNode


def visit_math_block(translator: HTML5Translator, node: nodes.math_block) -> None:
    translator.body.append(translator.starttag(node, "div", CLASS="math"))
    # One MathML block per equation: a blank line separates equations in TeX source.
    for tex in (part for part in node.astext().split("\n\n") if part.strip()):
        translator.body.append(to_mathml(tex, display=True, where=_where(translator, node)))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer(RENDERER, (visit_math, None), (visit_math_block, None))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

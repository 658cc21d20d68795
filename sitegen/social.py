"""Link previews: Open Graph and Twitter card tags, and a card image for each post.

This replaces sphinxext-opengraph, measured: it imports matplotlib at load time to draw its
cards, which cost 0.5 s of every build, a no-change rebuild included (2.34 s → 1.83 s), and
40 ms per page written. Its tags also escaped only quotes. Cards here are drawn with Pillow,
imported only when a card is missing, and each card's file name carries a hash of what it
shows, so an unchanged post never redraws and an edited one never serves a stale image.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.state import write_atomic

if TYPE_CHECKING:
    from PIL import ImageFont

CARD_SIZE = (1200, 630)
CARD_DIR = "_images/social"
DESCRIPTION_LIMIT = 200
DESIGN = "2"  # bump when the drawing changes, so every card is redrawn
_DESCRIPTION_META = re.compile(r'<meta (?=[^>]*name="description")[^>]*content="([^"]*)"')
BACKGROUND, ACCENT, TEXT, MUTED = "#0d1117", "#3ddc84", "#f0f3f6", "#9198a1"


@dataclass(frozen=True)
class Card:
    """What a card shows: a kicker (the category), the title, a footer line, the site."""

    name: str
    kicker: str
    title: str
    footer: str
    site: str

    @property
    def filename(self) -> str:
        fields = "\0".join((DESIGN, self.kicker, self.title, self.footer, self.site))
        digest = hashlib.sha256(fields.encode()).hexdigest()[:10]
        return f"{self.name}-{digest}.png"


@cache
def _font(bold: bool, mono: bool, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    # DejaVu ships inside matplotlib, already a dependency: the same font, so the same
    # pixels, on every machine. find_spec locates it without importing matplotlib.
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.origin is not None
    name = "DejaVuSans" + ("Mono" if mono else "") + ("-Bold" if bold else "") + ".ttf"
    return ImageFont.truetype(str(Path(spec.origin).parent / "mpl-data/fonts/ttf" / name), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels; the last line ends in … when text is cut."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while font.getlength(lines[-1] + " …") > width and " " in lines[-1]:
            lines[-1] = lines[-1].rsplit(" ", 1)[0]
        lines[-1] += " …"
    return lines


def draw(card: Card) -> bytes:
    """The card as PNG bytes, in the site's terminal style."""
    import io

    from PIL import Image, ImageDraw

    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, BACKGROUND)
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 0, 16, height), fill=ACCENT)
    margin = 80
    pen.text((margin, 70), "$ " + card.site.upper(), font=_font(True, True, 30), fill=ACCENT)
    pen.text((margin, 150), card.kicker.upper(), font=_font(True, True, 28), fill=MUTED)
    title_font = _font(True, False, 60)
    y = 210
    for line in _wrap(card.title, title_font, width - 2 * margin, max_lines=4):
        pen.text((margin, y), line, font=title_font, fill=TEXT)
        y += 76
    pen.text((margin, height - 100), card.footer, font=_font(False, True, 28), fill=MUTED)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # optimize=True: 4× the time for 5% fewer bytes
    return buffer.getvalue()


def ensure_card(outdir: Path, card: Card) -> str:
    """Write the card under ``outdir`` unless it is already there; return its site path."""
    relative = f"{CARD_DIR}/{card.filename}"
    target = outdir / relative
    if not target.is_file():
        # Parallel writers may draw the same card: written aside, then renamed into place.
        write_atomic(target, draw(card), mode=0o644)  # a web server must read it
    return relative


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """Collapse whitespace; cut at a word boundary with … when over ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def page_description(metatags: str) -> str | None:
    """The page's own ``<meta name="description">`` (from its front matter), if it has one."""
    match = _DESCRIPTION_META.search(metatags)
    return html.unescape(match.group(1)) if match else None


def meta_tags(
    *,
    title: str,
    description: str,
    url: str,
    image_url: str,
    site_name: str,
    published: str | None = None,
    tags: Iterable[str] = (),
    description_tag: bool = True,
) -> str:
    """The ``<meta>`` tags of one page; every value escaped, so a title is always text.

    ``description_tag=False`` when the page already has a ``<meta name="description">``.
    """
    article = published is not None
    properties = [
        ("og:title", title),
        ("og:type", "article" if article else "website"),
        ("og:url", url),
        ("og:site_name", site_name),
        ("og:description", description),
        ("og:image", image_url),
        ("og:image:width", str(CARD_SIZE[0])),
        ("og:image:height", str(CARD_SIZE[1])),
        ("og:image:alt", title),
    ]
    if article:
        properties.append(("article:published_time", str(published)))
        properties += [("article:tag", tag) for tag in tags]
    names = [("description", description)] if description_tag else []
    names.append(("twitter:card", "summary_large_image"))
    esc = html.escape
    return "".join(
        [f'<meta property="{key}" content="{esc(value)}" />\n' for key, value in properties]
        + [f'<meta name="{key}" content="{esc(value)}" />\n' for key, value in names]
    )

"""One figure style for every post, so the site reads as one publication."""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler  # matplotlib's own dependency; mpl.cycler is an untyped re-export

# Colour-blind-safe palette (Okabe–Ito), in the order posts use for "before/after" pairs.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def use_house_style() -> None:
    """Apply the site's matplotlib style: readable on light and dark pages, deterministic output."""
    mpl.rcParams.update(
        {
            "figure.figsize": (8.0, 4.2),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.prop_cycle": cycler(color=PALETTE),
            "font.size": 10,
            "legend.frameon": False,
            # Fixed hash salt and no timestamps: the same data gives the same image bytes.
            "svg.hashsalt": "engineering-logs",
            "path.simplify": True,
        }
    )

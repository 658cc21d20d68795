#!/usr/bin/env python3
"""Lighthouse scores and page weights of the built site, per page type; writes docs/benchmarks.md.

    jupyter-book build . && npm ci
    python benchmarks/lighthouse.py                      # scores + bytes → docs/benchmarks.md
    python benchmarks/lighthouse.py --screenshots DIR    # 1280 and 390 px shots only

Lighthouse 12.2.3 (npm, pinned in package-lock.json; 13 needs Node 22) drives Debian's
Chromium (``CHROME_PATH``, default /usr/bin/chromium) against the site served on 127.0.0.1
without compression: the bytes are the files' own sizes. One run per page and form factor on
a shared 2-core machine, so performance scores move a few points between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "_build" / "html"
REPORT = REPO / "docs" / "benchmarks.md"
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
MARKER_START = "<!-- lighthouse:start -->"
MARKER_END = "<!-- lighthouse:end -->"


def page_types(site: Path) -> dict[str, str]:
    """Page type → path of one representative page of the built site."""
    posts = json.loads((site / "posts.json").read_text(encoding="utf-8"))
    featured = next((p for p in posts if p["featured"]), posts[0])
    heaviest = max(posts, key=lambda p: full_weight(site, site / "posts" / f"{p['slug']}.html"))
    tag_counts: dict[str, int] = {}
    for post in posts:
        for tag in post["tags"]:
            tag_counts[tag] = tag_counts.get(tag, 0) + 1
    tag = min(tag_counts, key=lambda t: (-tag_counts[t], t))
    category = re.sub(r"[^a-z0-9]+", "-", featured["category"].lower()).strip("-")
    return {
        "landing": "index.html",
        "featured post": f"posts/{featured['slug']}.html",
        "heaviest post": f"posts/{heaviest['slug']}.html",
        "category": f"categories/{category}.html",
        "tag": f"tags/{tag}.html",
        "archive": "archive.html",
    }


_REFERENCE = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"#]+)"')


def full_weight(site: Path, page: Path) -> int:
    """Bytes of the page and every local file it references (figures included, lazy or not)."""
    text = page.read_text(encoding="utf-8")
    total = len(text.encode())
    for target in dict.fromkeys(_REFERENCE.findall(text)):
        parts = urlsplit(urljoin("file://" + page.as_posix(), target))
        path = Path(parts.path)
        if parts.scheme == "file" and path.is_file() and path.suffix != ".html":
            total += path.stat().st_size
    return total


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def lighthouse(url: str, form: str) -> dict[str, object]:
    """One Lighthouse run: the four category scores (0-100) and the total bytes it loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [
            str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        ]  # fmt: skip
        if form == "desktop":
            command.append("--preset=desktop")
        env = {**os.environ, "CHROME_PATH": CHROME}
        subprocess.run(command, check=True, env=env, capture_output=True, timeout=300)
        report = json.loads(out.read_text(encoding="utf-8"))
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    audits = report["audits"]
    return {
        **scores,
        "bytes": int(audits["total-byte-weight"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
    }


def screenshots(site: Path, directory: Path) -> list[Path]:
    """Full-width shots of every page type at 1280 and 390 px (light), landing also dark."""
    from playwright.sync_api import sync_playwright

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    shots = [
        (kind, path, size, "light") for kind, path in page_types(site).items() for size in SIZES
    ]
    shots += [("landing", "index.html", size, "dark") for size in SIZES]
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROME, args=["--no-sandbox"])
        for kind, path, size, scheme in shots:
            width, height = SIZES[size]
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            tab = context.new_page()
            tab.goto(base + path, wait_until="networkidle")
            name = f"{kind.replace(' ', '-')}-{width}{'-dark' if scheme == 'dark' else ''}.png"
            tab.screenshot(path=str(directory / name))
            written.append(directory / name)
            context.close()
        browser.close()
    return written


def table(results: dict[str, dict[str, dict[str, object]]], weights: dict[str, int]) -> str:
    head = (
        "| page type | page | mobile Perf/A11y/BP/SEO | desktop Perf/A11y/BP/SEO "
        "| mobile LCP | loaded (Lighthouse) | page + all its files |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
    )
    rows = []
    for kind, forms in results.items():
        mobile, desktop = forms["mobile"], forms["desktop"]
        rows.append(
            f"| {kind} | `{forms['path']}` | {_scores(mobile)} | {_scores(desktop)} "
            f"| {int(mobile['lcp_ms']) / 1000:.1f} s | {int(mobile['bytes']) / 1024:.0f} KiB "
            f"| {weights[kind] / 1024:.0f} KiB |"
        )
    return head + "\n".join(rows) + "\n"


def _scores(run: dict[str, object]) -> str:
    return "/".join(str(run[c]) for c in CATEGORIES)


def write_report(text: str) -> None:
    """Replace the Lighthouse section of docs/benchmarks.md, keeping the build benchmarks."""
    report = REPORT.read_text(encoding="utf-8")
    section = f"{MARKER_START}\n{text}{MARKER_END}\n"
    if MARKER_START in report:
        before, rest = report.split(MARKER_START, 1)
        report = before + section + rest.split(MARKER_END, 1)[1].lstrip("\n")
    else:
        report = report.rstrip("\n") + "\n\n" + section
    REPORT.write_text(report, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=SITE, help="built site (_build/html)")
    parser.add_argument("--screenshots", type=Path, help="only take screenshots into DIR")
    parser.add_argument("--weights", action="store_true", help="only print page weights")
    args = parser.parse_args()
    site = args.site.resolve()
    kinds = page_types(site)
    weights = {kind: full_weight(site, site / path) for kind, path in kinds.items()}
    if args.screenshots:
        for path in screenshots(site, args.screenshots):
            print(path)
        return 0
    if args.weights:
        print(json.dumps({k: {"path": kinds[k], "bytes": w} for k, w in weights.items()}, indent=1))
        return 0
    if not LIGHTHOUSE.exists():
        print("Lighthouse is not installed: run `npm ci` first", file=sys.stderr)
        return 1
    results: dict[str, dict[str, dict[str, object]]] = {}
    with serve(site) as base:
        for kind, path in kinds.items():
            results[kind] = {"path": path}  # type: ignore[dict-item]
            for form in ("mobile", "desktop"):
                results[kind][form] = lighthouse(base + path, form)
                print(kind, form, results[kind][form], flush=True)
    version = subprocess.run(
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    chrome = subprocess.run([CHROME, "--version"], capture_output=True, text=True, check=False)
    text = (
        "## Reader's site: Lighthouse and page weight\n\n"
        f"Measured {dt.date.today().isoformat()} with Lighthouse {version} and "
        f"{chrome.stdout.strip()} (headless), one run per page and form factor, served from "
        f"127.0.0.1 without compression, on {os.cpu_count()} shared cores "
        f"({platform.machine()}, Python {platform.python_version()}).\n"
        "Reproduce: `jupyter-book build . && npm ci && python benchmarks/lighthouse.py`.\n"
        '"loaded" is what Lighthouse counted on the first screen (figures below it load '
        'lazily); "page + all its files" adds every figure the page shows.\n'
        "Targets: mobile performance ≥ 90, desktop ≥ 98, the other three 100; landing ≤ 400 KB, "
        "heaviest post ≤ 800 KB with every figure.\n\n" + table(results, weights)
    )
    write_report(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

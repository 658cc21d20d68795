"""The built site in a real browser: headless Debian Chromium driven by Playwright.

Run against the real site, built once per session (the ``built_site`` fixture). In CI
(``CI=true``) a missing browser is a failure, not a skip. Screenshots and page weights are
written to ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.build]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
ARTIFACTS = REPO / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _require_browser()

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 by a throwaway static server."""
    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    yield tab
    context.close()


def published_posts() -> list[dict[str, object]]:
    return json.loads((REPO / "_extra" / "posts.json").read_text(encoding="utf-8"))


def test_landing_shows_featured_card_then_every_post_newest_first(
    page: Page, site_url: str
) -> None:
    posts = published_posts()
    page.goto(site_url + "index.html")
    featured = page.locator("article.el-card--featured a.el-stretched")
    assert featured.count() == 1
    expected_featured = next(p for p in posts if p["featured"])
    assert featured.get_attribute("href") == f"posts/{expected_featured['slug']}.html"
    cards = page.locator("section.el-latest article.el-card")
    others = [p for p in posts if not p["featured"]]
    assert cards.count() == len(others)
    hrefs = [
        cards.nth(i).locator("a.el-stretched").get_attribute("href") for i in range(cards.count())
    ]
    assert hrefs == [f"posts/{p['slug']}.html" for p in others]
    dates = [cards.nth(i).locator("time").get_attribute("datetime") for i in range(cards.count())]
    assert dates == sorted(dates, reverse=True)
    for i in range(cards.count()):
        assert re.fullmatch(
            r"\d+ MIN READ", cards.nth(i).locator(".el-readtime").text_content() or ""
        )
    for href in [featured.get_attribute("href"), *hrefs]:
        response = page.request.get(site_url + href)
        assert response.status == 200, href


def test_sidebar_shows_every_category_with_posts(page: Page, site_url: str) -> None:
    categories = {str(p["category"]) for p in published_posts()}
    page.goto(site_url + "index.html")
    captions = page.locator(".bd-sidebar-primary .caption-text").all_inner_texts()
    assert categories <= set(captions)
    assert "Labs" in captions


@pytest.mark.parametrize("post", published_posts(), ids=lambda p: str(p["slug"])[:30])
def test_every_post_has_header_tags_neighbours_and_a_launch_button(
    page: Page, site_url: str, post: dict[str, object]
) -> None:
    page.goto(f"{site_url}posts/{post['slug']}.html")
    header = page.locator(".el-post-header")
    assert header.locator(".el-category").text_content() == post["category"]
    assert header.locator(".el-readtime").text_content() == f"{post['read_minutes']} MIN READ"
    assert header.locator(".el-tags a").all_text_contents() == post["tags"]
    assert page.locator(".prev-next-area a").count() >= 1 or _only_post_in_category(post)
    binder = page.locator('a[href*="mybinder.org/v2/gh/"]')
    assert binder.count() >= 1
    assert binder.first.get_attribute("href", timeout=1000).endswith(
        f"urlpath=lab/tree/posts/{post['slug']}.md"
    )
    assert page.locator('a[href$=".ipynb"]').count() >= 1
    assert page.locator("footer.el-provenance").count() == 1


def _only_post_in_category(post: dict[str, object]) -> bool:
    return sum(p["category"] == post["category"] for p in published_posts()) == 1


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "img": "src", "script": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.targets.append(value)


def test_every_internal_link_and_image_resolves(built_site: Path) -> None:
    broken = []
    pages = [
        p for p in built_site.rglob("*.html") if p.relative_to(built_site).parts[0] != "_static"
    ]
    for page in sorted(pages):  # _static/ holds the theme's Jinja macros, not pages
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        base = "file://" + page.as_posix()
        for target in parser.targets:
            parts = urlsplit(urljoin(base, target))
            if parts.scheme != "file" or not parts.path:
                continue  # external, mailto: or javascript: — not ours to resolve offline
            path = Path(parts.path)
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{page.relative_to(built_site)} -> {target}")
    assert broken == []


def test_feed_and_sitemap_parse_and_list_every_post(built_site: Path) -> None:
    urls = [str(p["url"]) for p in published_posts()]
    feed = ET.parse(built_site / "feed.xml").getroot()
    assert [item.findtext("link") for item in feed.iter("item")] == urls
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    sitemap = ET.parse(built_site / "sitemap.xml").getroot()
    locations = {loc.text for loc in sitemap.findall("s:url/s:loc", ns)}
    assert set(urls) <= locations


def test_screenshots_at_phone_and_desktop_width(browser: Browser, site_url: str) -> None:
    """Landing page and one post, for a person to look at; neither may scroll sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    post = max(published_posts(), key=lambda p: int(p["read_minutes"]))
    for label, path in (("landing", "index.html"), ("post", f"posts/{post['slug']}.html")):
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            context = browser.new_context(viewport=size)
            tab = context.new_page()
            tab.goto(site_url + path, wait_until="networkidle")
            tab.screenshot(path=str(ARTIFACTS / f"{label}-{size_name}.png"))
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{label} scrolls sideways at {size_name} width"
            context.close()
    # Dark mode: the theme follows the reader's system preference.
    context = browser.new_context(viewport=DESKTOP, color_scheme="dark")
    tab = context.new_page()
    tab.goto(site_url + "index.html", wait_until="networkidle")
    assert tab.evaluate("document.documentElement.dataset.theme") == "dark"
    tab.screenshot(path=str(ARTIFACTS / "landing-desktop-dark.png"))
    context.close()


def page_weight(built_site: Path, page: Path) -> dict[str, float]:
    """KB of the page and the local files it loads, by kind (external URLs excluded)."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    kinds = {".js": "js", ".css": "css", ".png": "images", ".svg": "images", ".jpg": "images"}
    sizes = {"html": page.stat().st_size}
    for target in dict.fromkeys(parser.targets):
        parts = urlsplit(urljoin("file://" + page.as_posix(), target))
        path = Path(parts.path)
        kind = kinds.get(path.suffix)
        if parts.scheme == "file" and kind and path.is_file():
            sizes[kind] = sizes.get(kind, 0) + path.stat().st_size
    return {kind: round(size / 1024, 1) for kind, size in sorted(sizes.items())}


def test_page_weight_is_recorded_and_mathjax_loads_only_where_math_is(built_site: Path) -> None:
    weights = {"landing": page_weight(built_site, built_site / "index.html")}
    posts = {p.stem: page_weight(built_site, p) for p in (built_site / "posts").glob("*.html")}
    heaviest = max(posts, key=lambda slug: sum(posts[slug].values()))
    weights[f"heaviest post ({heaviest})"] = posts[heaviest]
    ARTIFACTS.mkdir(exist_ok=True)
    report = json.dumps(weights, indent=2) + "\n"
    (ARTIFACTS / "page-weight.json").write_text(report, encoding="utf-8")
    # The theme's icon bundle (fontawesome.js, ~1.4 MB) dominates; a budget guards the rest.
    icons = (built_site / "_static" / "scripts" / "fontawesome.js").stat().st_size / 1024
    landing = weights["landing"]
    assert sum(landing.values()) - icons < 1000, landing  # KB; measured ~840 (theme CSS, search)
    assert not loads_mathjax((built_site / "index.html").read_text(encoding="utf-8"))
    for page in (built_site / "posts").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert loads_mathjax(text) == ('class="math' in text), page.name


def loads_mathjax(page: str) -> bool:
    return re.search(r"<script[^>]*(?:src=\"[^\"]*mathjax|>\s*window\.MathJax)", page) is not None


# --- Binder: JupyterLab, configured the way Binder configures it, opens a post as a notebook


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on localhost with the repository's Binder configuration (postBuild)."""
    home = tmp_path_factory.mktemp("binder-home")
    shutil.copytree(REPO / "posts", home / "posts")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "HOME": str(home)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    subprocess.run(["bash", str(REPO / "postBuild")], env=env, check=True)
    port, token = _free_port(), "engineering-logs-test"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--allow-root",
            f"--ServerApp.root_dir={home}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}api/status?token={token}", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield f"{base}lab/tree/{{path}}?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_binder_environment_opens_a_post_as_a_notebook(browser: Browser, jupyterlab: str) -> None:
    slug = str(published_posts()[0]["slug"])
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.goto(jupyterlab.format(path=f"posts/{slug}.md"))
    # The notebook editor shows one empty cell while jupytext converts the file, then the
    # post's cells: wait for a Markdown cell and a code cell to be rendered.
    tab.wait_for_function(
        "document.querySelector('.jp-NotebookPanel .jp-MarkdownCell')"
        " && document.querySelector('.jp-NotebookPanel .jp-CodeCell')",
        timeout=90_000,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "binder-jupyterlab.png"))
    assert tab.locator(".jp-NotebookPanel .jp-Cell").count() >= 2
    assert tab.locator(".jp-FileEditor:visible").count() == 0
    context.close()

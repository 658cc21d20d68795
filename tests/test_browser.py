"""The built site in a real browser: headless Debian Chromium driven by Playwright.

Run against the real site, built once per session (the ``built_site`` fixture). In CI
(``CI=true``) a missing browser is a failure, not a skip. Screenshots and page weights are
written to ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
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
from playwright.sync_api import Browser, Page, Route, sync_playwright

from conftest import CHROMIUM, REPO, require_browser

_spec = importlib.util.spec_from_file_location("lighthouse", REPO / "benchmarks" / "lighthouse.py")
assert _spec is not None and _spec.loader is not None
_lighthouse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lighthouse)
page_types, full_weight = _lighthouse.page_types, _lighthouse.full_weight

pytestmark = [pytest.mark.browser, pytest.mark.build]

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
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BUDGET_KB = {"landing": 400, "heaviest post": 800}  # any other page type: 800


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require_browser()

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


def test_every_page_has_one_header_with_the_site_name_and_the_sites_own_footer(
    page: Page, site_url: str
) -> None:
    categories = {str(p["category"]) for p in published_posts()}
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(site_url + "index.html")
        assert page.locator("header").count() == 1
        assert page.locator("header .el-brand").is_visible()
        assert page.locator("header .el-brand").inner_text().endswith("Engineering Logs")
    footer = page.locator("footer.el-footer")
    assert categories <= set(footer.locator("nav[aria-label=Categories] a").all_inner_texts())
    assert footer.locator("a", has_text="Archive").count() == 1
    assert footer.locator("a", has_text="All tags").count() == 1
    assert footer.locator('a[href$="feed.xml"]').count() == 1
    assert footer.locator('a[href^="https://github.com/"]').count() == 1
    # No document buttons (download, full screen) on index pages.
    assert page.locator(".el-actions, .article-header-buttons").count() == 0


@pytest.mark.parametrize("post", published_posts(), ids=lambda p: str(p["slug"])[:30])
def test_every_post_has_header_tags_neighbours_and_a_launch_button(
    page: Page, site_url: str, post: dict[str, object]
) -> None:
    page.goto(f"{site_url}posts/{post['slug']}.html")
    header = page.locator(".el-post-header")
    assert header.locator(".el-category").text_content() == post["category"]
    assert header.locator(".el-readtime").text_content() == f"{post['read_minutes']} MIN READ"
    assert header.locator(".el-tags a").all_text_contents() == post["tags"]
    assert page.locator(".el-prev-next a").count() >= 1 or _only_post_in_category(post)
    binder = page.get_by_role("link", name="Run this post on Binder")
    assert binder.is_visible()
    # Binder opens the post's reading notebook, which postBuild writes (sitegen.notebook_view).
    assert binder.get_attribute("href", timeout=1000).endswith(
        f"urlpath=lab/tree/read/{post['slug']}.ipynb"
    )
    download = page.get_by_role("link", name="Download notebook")
    assert download.is_visible()
    # The post's reading notebook with the build's outputs and its numbers written in.
    href = urljoin(page.url, download.get_attribute("href") or "")
    assert href == f"{site_url}posts/{post['slug']}.ipynb"
    notebook = json.loads(page.request.get(href).text())
    prose = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "{glue" not in prose and "{eval}" not in prose
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


def test_page_weight_within_budget_and_math_is_mathml(built_site: Path) -> None:
    """Every byte a page loads, every figure included (lazy or not), per page type."""
    weights = {kind: full_weight(built_site, built_site / path) for kind, path in
               page_types(built_site).items()}  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    report = {kind: round(size / 1024, 1) for kind, size in weights.items()}
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(report, indent=2) + "\n")
    for kind, size in weights.items():
        assert size <= BUDGET_KB.get(kind, 800) * 1000, (kind, report[kind])
    pages = [*built_site.glob("*.html"), *built_site.glob("*/*.html")]
    for html_file in [p for p in pages if p.parent.name != "_static"]:  # theme macros, no page
        text = html_file.read_text(encoding="utf-8")
        scripts = " ".join(re.findall(r"<script[^>]*>", text)).lower()
        assert "mathjax" not in scripts, html_file.name
        assert "searchindex.js" not in scripts, html_file.name
        assert "fontawesome" not in text, html_file.name
        if 'class="math"' in text:
            assert "<math " in text, html_file.name


def _require_axe() -> str:
    if not AXE.exists():
        message = f"no axe-core at {AXE} (npm ci)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def checked_pages(site: Path) -> dict[str, str]:
    """Every page type, plus the search page (with a query) and the tag index."""
    return {**page_types(site), "search": "search.html?q=idempotency", "tags": "tags/index.html"}


@pytest.fixture(scope="session")
def page_paths(built_site: Path) -> dict[str, str]:
    return checked_pages(built_site)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_violations_on_any_page_type(
    browser: Browser, site_url: str, page_paths: dict[str, str], scheme: str, size: str
) -> None:
    """axe-core, WCAG 2.1 A and AA rules plus its best practices (heading order, one h1...)."""
    axe = _require_axe()
    context = browser.new_context(
        viewport=PHONE if size == "phone" else DESKTOP, color_scheme=scheme
    )
    found = {}
    for kind, path in page_paths.items():
        tab = context.new_page()
        tab.goto(site_url + path, wait_until="networkidle")
        assert tab.evaluate("document.documentElement.dataset.theme") == scheme
        tab.add_script_tag(content=axe)
        result = tab.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        violations = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]
        ]
        if violations:
            found[kind] = violations
        assert tab.locator("h1").count() == 1, kind
        tab.close()
    context.close()
    assert found == {}


def test_no_console_errors_and_no_requests_to_other_hosts(
    browser: Browser, site_url: str, page_paths: dict[str, str]
) -> None:
    context = browser.new_context(viewport=PHONE)
    errors: list[str] = []
    outside: list[str] = []
    failed: list[str] = []

    def on_request(route: Route) -> None:
        if route.request.url.startswith(site_url):
            route.continue_()
        else:  # recorded and refused: the page must not need it
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", on_request)
    for kind, path in page_paths.items():
        tab = context.new_page()
        tab.on(
            "console",
            lambda m, k=kind: errors.append(f"{k}: {m.text}") if m.type == "error" else None,
        )
        tab.on("pageerror", lambda e, k=kind: errors.append(f"{k}: {e}"))
        tab.on(
            "response",
            lambda r, k=kind: failed.append(f"{k}: {r.url}") if r.status >= 400 else None,
        )
        tab.goto(site_url + path, wait_until="networkidle")
        tab.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy figures too
        tab.wait_for_load_state("networkidle")
        tab.close()
    context.close()
    assert errors == []
    assert outside == []
    assert failed == []


def test_search_finds_posts_and_shows_titles_as_text(page: Page, site_url: str) -> None:
    """Pagefind: one search box; results are links whose names are the posts' titles."""
    posts = published_posts()
    for path in ("index.html", f"posts/{posts[0]['slug']}.html", "archive.html"):
        page.goto(site_url + path)
        assert page.locator("input[type=search], input[name=q]").count() == 0
        assert page.locator('script[src*="search"]').count() == 0
    page.goto(site_url + "search.html")
    assert page.locator("input[type=search]").count() == 1
    box = page.get_by_label("Search the posts and labs")
    box.fill("idempotency")
    box.press("Enter")
    results = page.locator("#el-search-results li a")
    results.first.wait_for(timeout=15_000)
    titles = {str(p["title"]) for p in posts}
    shown = results.all_inner_texts()
    assert any(title in titles for title in shown), shown
    assert page.locator("#el-search-results li a *").count() == 0  # text, not markup
    assert "idempotency" in page.url
    requested = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert not any(name.endswith("searchindex.js") for name in requested)


def test_cards_come_early_in_tab_order_and_show_focus(page: Page, site_url: str) -> None:
    page.goto(site_url + "index.html")
    featured = page.locator("article.el-card--featured a.el-stretched")
    for _stop in range(24):
        page.keyboard.press("Tab")
        if featured.evaluate("a => a === document.activeElement"):
            break
    else:
        pytest.fail("the featured card is not among the first 24 Tab stops")
    card = page.locator("article.el-card--featured")
    shadow = card.evaluate("c => getComputedStyle(c).boxShadow")
    assert shadow != "none", "the focused card shows no focus ring"


def test_category_pages_link_their_own_feed(page: Page, site_url: str, built_site: Path) -> None:
    for category in sorted({str(p["category"]) for p in published_posts()}):
        slug = re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")
        page.goto(f"{site_url}categories/{slug}.html")
        link = page.locator('head link[rel=alternate][type="application/rss+xml"]')
        hrefs = link.evaluate_all("links => links.map(l => l.getAttribute('href'))")
        assert f"../feed-{slug}.xml" in hrefs
        feed = ET.parse(built_site / f"feed-{slug}.xml").getroot()
        items = [item.findtext("link") for item in feed.iter("item")]
        expected = [p["url"] for p in published_posts() if p["category"] == category]
        assert items == expected


def test_archive_is_a_list_by_year_and_featured_card_has_its_read_time(
    page: Page, site_url: str
) -> None:
    posts = published_posts()
    page.goto(site_url + "archive.html")
    years = sorted({str(p["date"])[:4] for p in posts}, reverse=True)
    headings = page.locator("h2").evaluate_all("hs => hs.map(h => h.firstChild.textContent)")
    assert headings[: len(years)] == years
    assert page.locator("ul.el-archive li").count() == len(posts)
    page.goto(site_url + "index.html")
    featured = next(p for p in posts if p["featured"])
    readtime = page.locator("article.el-card--featured .el-readtime").inner_text()
    assert readtime == f"{featured['read_minutes']} MIN READ"


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

"""Binder readers: every post and lab opened in JupyterLab set up as Binder sets it up, run.

The JupyterLab here is configured the way ``postBuild`` configures Binder's: the reading
notebooks written by ``post-notebooks`` into ``read/``, the settings in
``jupyterlab-settings/``. Each notebook is opened from its launch button's path, run with
Run All Cells, and then read the way a person reads it: no raw MyST markup, at least as many
figures as the site's page, every code cell run, no error. Screenshots go to
``test-artifacts/binder/``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import REPO
from sitegen.notebook_view import binder_path

pytestmark = [pytest.mark.browser, pytest.mark.build]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "binder"
POSTS = sorted(p.stem for p in (REPO / "posts").glob("*.md"))
LABS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
RAW_MARKUP = re.compile(
    r"\{glue|\{eval|\{literalinclude|\{doc\}|^:::|^%|^\(.+\)=$|run the cells above"
)
RUN_ALL_TIMEOUT_MS = 600_000
POP_UPS = ".Toastify__toast, .jp-Notification-Toast, .jp-Dialog"


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def binder_repo(built_site: Path) -> Path:
    """The clean copy the site was built from, with postBuild's reading notebooks written."""
    repo = built_site.parent.parent
    subprocess.run([sys.executable, "-m", "sitegen.notebook_view"], cwd=repo, check=True)
    return repo


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url}")


@pytest.fixture(scope="session")
def lab_url(binder_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1, with the repository's Binder settings and no auth."""
    _require_browser()
    port = _free_port()
    log = tmp_path_factory.mktemp("lab") / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--allow-root",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={binder_repo}",
        f"--LabApp.app_settings_dir={binder_repo / 'jupyterlab-settings'}",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for(f"http://127.0.0.1:{port}/api/status", 120)
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell:last-child", timeout=60_000)
    # The kernel connects and JupyterLab writes its metadata: a notebook that would be marked
    # modified is marked by then.
    page.wait_for_function(
        "() => document.querySelector('#jp-main-statusbar')?.textContent.includes('Idle')",
        timeout=120_000,
    )
    return page


def _run_all(page: Page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells").click()
    # Run All marks every cell [*] at once; it is over when none is left and the kernel is
    # idle, whether every cell ran or one failed and the rest were dropped from the queue.
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                .map(e => e.textContent.trim());
            const idle = document.querySelector('#jp-main-statusbar')?.textContent
                .includes('Idle');
            return idle && prompts.some(t => /^\\[\\d+\\]:$/.test(t))
                && !prompts.some(t => t.includes('*'));
        }""",
        timeout=RUN_ALL_TIMEOUT_MS,
    )


def _unrun_cells(page: Page) -> int:
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    return sum(not re.fullmatch(r"\[\d+\]:", text.strip()) for text in prompts)


def _errors(page: Page) -> list[str]:
    return [
        text[:300]
        for text in page.locator(
            ".jp-OutputArea-output[data-mime-type*='stderr']"
        ).all_inner_texts()
        if "Traceback" in text or "Error" in text.split("\n", 1)[0]
    ]


def _site_figures(built_site: Path, docname: str) -> int:
    soup = BeautifulSoup(
        (built_site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser"
    )
    main = soup.find("main") or soup
    return len([img for img in main.find_all("img") if "social" not in str(img.get("src", ""))])


@pytest.mark.parametrize("slug", POSTS)
def test_post_reads_like_its_page_in_binder_and_runs(
    browser: Browser, lab_url: str, built_site: Path, slug: str
) -> None:
    docname = f"posts/{slug}"
    page = _open(browser, f"{lab_url}lab/tree/{binder_path(docname)}")
    try:
        assert page.locator(".jp-mod-dirty").count() == 0, "opened already marked as modified"
        assert page.locator(POP_UPS).count() == 0, "a pop-up covers the post"
        _run_all(page)
        prose = "\n".join(
            page.locator(
                ".jp-MarkdownCell .jp-RenderedMarkdown, .jp-MarkdownCell"
            ).all_inner_texts()
        )
        raw = [line for line in prose.splitlines() if RAW_MARKUP.search(line.strip())]
        assert raw == [], f"{slug}: raw markup in the rendered notebook: {raw[:3]}"
        assert _errors(page) == []
        assert _unrun_cells(page) == 0, f"{slug}: Run All stopped before the last cell"
        figures = page.locator(".jp-Notebook img").count()
        assert figures >= _site_figures(built_site, docname), f"{slug}: {figures} figures"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"))
    finally:
        page.close()


@pytest.mark.parametrize("lab", LABS)
def test_lab_runs_top_to_bottom_in_binder(browser: Browser, lab_url: str, lab: str) -> None:
    page = _open(browser, f"{lab_url}lab/tree/{binder_path(f'notebooks/{lab}')}")
    try:
        assert page.locator(POP_UPS).count() == 0
        _run_all(page)
        assert _errors(page) == []
        assert _unrun_cells(page) == 0, f"{lab}: Run All stopped before the last cell"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{lab}.png"))
    finally:
        page.close()

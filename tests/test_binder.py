"""Binder readers: every post and lab opened in JupyterLab set up as Binder sets it up, run.

The JupyterLab here is configured the way ``postBuild`` configures Binder's: the reading
notebooks written by ``post-notebooks`` into ``read/``, the settings in
``jupyterlab-settings/``. Each notebook is opened from its launch button's path, run with
Run All Cells, and then read the way a person reads it: no raw MyST markup, at least as many
figures as the site's page, every code cell run, no error. Screenshots go to
``test-artifacts/binder/``.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import CHROMIUM, REPO, require_browser
from sitegen.notebook_view import binder_path

pytestmark = [pytest.mark.browser, pytest.mark.build]

ARTIFACTS = REPO / "test-artifacts" / "binder"
POSTS = sorted(p.stem for p in (REPO / "posts").glob("*.md"))
LABS = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
# MyST's "%" comments are dropped by the converter (tests/test_notebook_view.py): here a line
# may start with "%" where a number rendered inline ends the line before it.
RAW_MARKUP = re.compile(
    r"\{glue|\{eval|\{literalinclude|\{doc\}|^:::|^\(.+\)=$|run the cells above"
)
RUN_ALL_TIMEOUT_MS = 600_000
POP_UPS = ".Toastify__toast, .jp-Notification-Toast, .jp-Dialog"


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


# Module scope: the JupyterLab and Playwright of this module end before test_browser.py starts
# its own (two sync Playwright instances cannot run at once).
@pytest.fixture(scope="module")
def lab_url(binder_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1, with the repository's Binder settings and no auth."""
    require_browser()
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
        f"--LabApp.workspaces_dir={log.parent}",
        "--ServerApp.disable_check_xsrf=True",  # so the tests can stop kernels over the API
    ]
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for(f"http://127.0.0.1:{port}/api/status", 120)
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_browser()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _open(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}?reset")  # a fresh workspace: only this notebook open
    page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached", timeout=120_000)
    # The kernel connects and JupyterLab writes its metadata: a notebook that would be marked
    # modified is marked by then.
    page.wait_for_function(
        "() => document.querySelector('#jp-main-statusbar')?.textContent.includes('Idle')",
        timeout=120_000,
    )
    return page


PROMPTS = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map(e => e.textContent.trim())"""
IDLE = "() => document.querySelector('#jp-main-statusbar')?.textContent.includes('Idle')"


def _stop_kernels(lab_url: str) -> None:
    """Shut down every session: a kernel left running per notebook slows the next ones."""
    with urllib.request.urlopen(f"{lab_url}api/sessions", timeout=10) as answer:
        sessions = json.load(answer)
    for session in sessions:
        request = urllib.request.Request(f"{lab_url}api/sessions/{session['id']}", method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def _run_all(page: Page) -> None:
    """Run All Cells, then wait until every cell has run, or the run stopped at an error
    (no cell pending and the kernel idle for a few seconds in a row)."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator("li[data-command='runmenu:run-all']").click()
    deadline = time.monotonic() + RUN_ALL_TIMEOUT_MS / 1000
    quiet_since = None
    while time.monotonic() < deadline:
        prompts = page.evaluate(PROMPTS)
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return
        if any("*" in p for p in prompts) or not page.evaluate(IDLE):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 5:
            return
        time.sleep(0.5)
    raise TimeoutError("Run All did not finish")


def _site_figures(built_site: Path, docname: str) -> int:
    """Figures and plotted outputs on the site's page: the images Sphinx copied to _images/."""
    page = (built_site / f"{docname}.html").read_text(encoding="utf-8")
    main = BeautifulSoup(page, "html.parser").find("main")
    assert main is not None
    return sum("_images/" in str(img.get("src", "")) for img in main.find_all("img"))


def _saved(page: Page, path: Path) -> nbformat.NotebookNode:
    """The notebook as JupyterLab holds it after the run (hidden cells show no prompt)."""
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    return nbformat.read(path, as_version=4)


def _not_run(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {n}: " + (f"{o.ename}: {o.evalue}"[:200] if o else "never ran")
        for n, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for o in [next((x for x in cell.get("outputs", []) if x.output_type == "error"), None)]
        if o is not None or cell.execution_count is None
    ]


@pytest.mark.parametrize("slug", POSTS)
def test_post_reads_like_its_page_in_binder_and_runs(
    browser: Browser, lab_url: str, built_site: Path, binder_repo: Path, slug: str
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
        assert _not_run(_saved(page, binder_repo / binder_path(docname))) == []
        figures = page.locator(".jp-Notebook img").count()
        assert figures >= _site_figures(built_site, docname), f"{slug}: {figures} figures"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"))
    finally:
        page.close()
        _stop_kernels(lab_url)


@pytest.mark.parametrize("lab", LABS)
def test_lab_runs_top_to_bottom_in_binder(
    browser: Browser, lab_url: str, binder_repo: Path, lab: str
) -> None:
    page = _open(browser, f"{lab_url}lab/tree/{binder_path(f'notebooks/{lab}')}")
    try:
        assert page.locator(POP_UPS).count() == 0
        _run_all(page)
        assert _not_run(_saved(page, binder_repo / binder_path(f"notebooks/{lab}"))) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{lab}.png"))
    finally:
        page.close()
        _stop_kernels(lab_url)

"""The live preview, in process: it serves the built site, rebuilds a post when it is saved
(executing that post alone) and serves the new page with the reload script."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sitegen.commands import preview

PAGE = "/posts/queues-in-practice.html"
HANG_GUARD_S = 300  # a bound against hanging, not a timing claim


def test_the_conf_is_jupyter_book_s_own(book: Path) -> None:
    conf = (preview.write_conf(book) / "conf.py").read_text(encoding="utf-8")
    assert "'sitegen.sphinx_ext'" in conf and "nb_execution_mode = 'cache'" in conf
    assert f"html_extra_path = [{str(book / '_extra')!r}]" in conf


def test_a_missing_book_is_one_line(tmp_path: Path) -> None:
    assert preview.main(["--root", str(tmp_path)]) == 2


@pytest.mark.build
def test_a_saved_post_is_rebuilt_alone_and_served(
    book: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app, builder = preview.create_app(book, port=8765)
    builder(changed_paths=())
    first = capfd.readouterr().out
    assert "[sitegen] build summary" in first
    with TestClient(app) as client:  # its lifespan runs the watcher
        page = client.get(PAGE)
        assert page.status_code == 200
        assert "Queues absorb bursts." in page.text
        assert "ws://127.0.0.1:8765/websocket-reload" in page.text  # the browser reloads

        post = book / "posts" / "queues-in-practice.md"
        text = post.read_text(encoding="utf-8")
        text = text.replace("Queues absorb bursts.", "Queues absorb bursts, edited live.")
        post.write_text(text.replace("print(depth)", "print(depth, 'live')"), encoding="utf-8")

        deadline = time.monotonic() + HANG_GUARD_S
        while "edited live" not in client.get(PAGE).text and time.monotonic() < deadline:
            time.sleep(0.5)
        page = client.get(PAGE)
    rebuild = capfd.readouterr().out
    assert "edited live" in page.text and "45 live" in page.text
    assert "[sitegen] executing 1 notebook(s)" in rebuild
    assert "[sitegen] executed 1/1: posts/queues-in-practice" in rebuild
    assert "  notebooks  1 executed, 0 from the cache" in rebuild

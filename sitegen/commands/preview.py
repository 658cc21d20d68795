"""Live preview: build the site, serve it on localhost, rebuild and reload on every save.

The same pipeline as `jupyter-book build .`: the Sphinx configuration is the one Jupyter Book
derives from _config.yml (what `jupyter-book config sphinx .` prints), so the sitegen
extension regenerates the index, pre-executes only the notebooks missing from the shared
execution cache and writes to _build/html. sphinx-autobuild watches the book, rebuilds when
a file is saved (Sphinx re-reads only what changed) and reloads the browser.

    preview               # http://127.0.0.1:8000, Ctrl+C to stop
    preview --port 0      # any free port
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from sitegen.state import STATE_DIR

HOST = "127.0.0.1"  # never reachable from another machine
# Settings Sphinx resolves against the configuration folder: made absolute, because the
# generated conf.py lives in the build state, not beside _config.yml.
CONFDIR_RELATIVE = ("html_extra_path", "html_static_path", "templates_path", "locale_dirs")
# Written by the build itself (the index) or not part of the book: a change there must not
# start a rebuild.
GENERATED = ("_toc.yml", "index.md", "archive.md", "categories", "tags", "_extra", "_build")
NOT_THE_BOOK = ("tests", "benchmarks", "test-artifacts", "docs", ".ci", ".github")
IGNORED_PATTERNS = (r"\.ipynb_checkpoints", r"\.egg-info", r"~$", r"\.sw[px]$", r"/\.#")


def jupyter_book_sphinx_config(root: Path) -> dict[str, Any]:
    """Sphinx's configuration as `jupyter-book build`/`config sphinx` derive it."""
    import click
    from jupyter_book.config import get_final_config

    with warnings.catch_warnings():  # jupyter-book 1's CLI names click 8.2's BaseCommand
        warnings.simplefilter("ignore", DeprecationWarning)
        from jupyter_book.cli.main import build, main

    with click.Context(main) as ctx:
        path_config, source, overrides = ctx.invoke(
            build, path_source=str(root), config=None, toc=None, get_config_only=True
        )
    config, _ = get_final_config(
        user_yaml=Path(path_config) if path_config else None,
        sourcedir=Path(source),
        cli_config=overrides,
    )
    return dict(config)


def write_conf(root: Path) -> Path:
    """conf.py in the build state, as `jupyter-book config sphinx` writes it; its folder."""
    config = jupyter_book_sphinx_config(root)
    for key in CONFDIR_RELATIVE:
        if isinstance(config.get(key), list):
            config[key] = [str(root / item) for item in config[key]]
    lines = ["# Written by `preview` from _config.yml (as `jupyter-book config sphinx`)."]
    lines += [f"{key} = {config[key]!r}" for key in sorted(config)]
    confdir = root / STATE_DIR / "preview"
    confdir.mkdir(parents=True, exist_ok=True)
    (confdir / "conf.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return confdir


def create_app(root: Path, port: int) -> tuple[Any, Any]:
    """The server (a Starlette app that serves _build/html, watches the book and reloads
    the browser after each rebuild) and the builder that runs one build."""
    from sphinx_autobuild.build import Builder
    from sphinx_autobuild.filter import IgnoreFilter
    from sphinx_autobuild.middleware import JavascriptInjectorMiddleware
    from sphinx_autobuild.server import RebuildServer
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    outdir = root / "_build" / "html"
    outdir.mkdir(parents=True, exist_ok=True)
    confdir = write_conf(root)
    sphinx_args = [str(root), str(outdir), "-c", str(confdir), "-d", str(root / "_build/.doctrees")]
    url_host = f"{HOST}:{port}"
    builder = Builder(sphinx_args, url_host=url_host, pre_build_commands=[], post_build_commands=[])
    ignore = IgnoreFilter(
        [str(root / name) for name in (*GENERATED, *NOT_THE_BOOK, ".git")], IGNORED_PATTERNS
    )
    watcher = RebuildServer([root], ignore, change_callback=builder)
    app = Starlette(
        routes=[
            WebSocketRoute("/websocket-reload", watcher, name="reload"),
            Mount("/", app=StaticFiles(directory=outdir, html=True), name="static"),
        ],
        middleware=[Middleware(JavascriptInjectorMiddleware, ws_url=url_host)],
        lifespan=watcher.lifespan,
    )
    return app, builder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="preview",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n")[1],
    )
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the book's folder (default: here)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "_config.yml").is_file():
        print(f"{root}: no _config.yml here; run preview in the book's folder", file=sys.stderr)
        return 2

    import uvicorn
    from sphinx_autobuild.utils import find_free_port

    port = args.port or find_free_port()
    app, builder = create_app(root, port)
    builder(changed_paths=())  # the first build, before serving
    print("Rebuilds when a file is saved; Ctrl+C stops the server.")
    uvicorn.run(app, host=HOST, port=port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())

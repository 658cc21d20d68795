"""A post as a notebook that reads like its page: for Binder readers and the ``.ipynb`` download.

A post's MyST source is written for Sphinx: ``{glue:text}`` roles, ``{glue:figure}`` and
``{literalinclude}`` directives, ``%`` comments, a checklist inside a container, hidden cells.
Opened as-is in JupyterLab those show as raw markup. ``reading_notebook`` rewrites the source
into a notebook for a reader:

* glue roles become ``{eval}`glued.text("key", "spec")``` and figures
  ``{eval}`glued.figure("key")```: jupyterlab-myst evaluates them in the kernel, where
  ``englogs.notebook`` keeps every glued value, so the prose shows the numbers and they change
  when the reader changes the code;
* ``literalinclude`` becomes the code it includes (Sphinx's own ``ModuleAnalyzer`` finds a
  ``:pyobject:``), so the code the post is about is on the page;
* comments go, checklist containers unwrap to the list, admonitions and dropdowns stay (MyST
  renders them);
* cells the site removes or folds are folded (``jupyter.source_hidden``/``outputs_hidden``).

``downloadable`` adds the build's outputs and writes the glued values and figures into the
prose, so the download reads complete in any viewer before anything runs. The site build writes
that version for each page's download link; ``postBuild`` writes the live one for Binder
(``read/<slug>.ipynb``).
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import html
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import nbformat
from jupyter_cache import get_cache
from nbformat import NotebookNode
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.pycode import ModuleAnalyzer

from sitegen.jupyter import read_notebook
from sitegen.state import BuildState, code_version, write_atomic

READ_FOLDER = "read"
DOWNLOADS_STATE = "downloads.json"
GLUE_ROLE = re.compile(r"\{glue(?::text|:md|:any|:)?\}`([^`<]+?)`")
FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
COMMENT = re.compile(r"^%(?!%).*$")
LABEL = re.compile(r"^\([\w:.-]+\)=\s*$")
DOC_ROLE = re.compile(r"\{doc\}`(?P<text>[^`<]*?)(?:\s*<(?P<target>[^>]+)>)?`")
REF_ROLE = re.compile(r"\{(?:ref|numref|eq)\}`(?P<text>[^`<]*?)(?:\s*<[^>]+>)?`")
ADMONITIONS = {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
}
SETUP_SOURCE = "from englogs.notebook import glued  # keeps each glued value for the prose"
# Cell tags the site honours, and how JupyterLab should fold that cell for a reader.
FOLDING = {
    "remove-cell": {"source_hidden": True, "outputs_hidden": True},
    "hide-cell": {"source_hidden": True, "outputs_hidden": True},
    "remove-input": {"source_hidden": True},
    "hide-input": {"source_hidden": True},
    "remove-output": {"outputs_hidden": True},
    "hide-output": {"outputs_hidden": True},
}


class ViewError(ValueError):
    """A directive the reading notebook cannot render, named by post and line."""


def eval_role(match: re.Match[str]) -> str:
    key, _, spec = match.group(1).strip().partition(":")
    args = f'"{key}"' + (f', "{spec}"' if spec else "")
    return f"{{eval}}`glued.text({args})`"


def link_role(match: re.Match[str]) -> str:
    """``{doc}`text <../notebooks/lab>``` as a Markdown link to the notebook or page."""
    text, target = match.group("text").strip(), match.group("target")
    target = target or text
    label = text if match.group("target") else Path(target).name.replace("-", " ")
    if "posts/" in target:  # another post: its reading notebook sits beside this one
        return f"[{label}]({Path(target).name}.ipynb)"
    return f"[{label}]({target}.ipynb)"


def plain_role(match: re.Match[str]) -> str:
    return match.group("text").strip()


def split_directive(
    lines: list[str], start: int
) -> tuple[re.Match[str], dict[str, str], list[str], int]:
    """The directive opening at ``start``: its match, options, body lines and closing index."""
    opening = FENCE_OPEN.match(lines[start])
    assert opening is not None
    fence = opening.group("fence")
    end = start + 1
    while end < len(lines) and not (
        lines[end].strip().startswith(fence[0] * len(fence))
        and set(lines[end].strip()) == {fence[0]}
        and len(lines[end].strip()) >= len(fence)
        and not (fence[0] == ":" and len(lines[end].strip()) > len(fence))
    ):
        end += 1
    body = lines[start + 1 : end]
    options: dict[str, str] = {}
    while body and (option := OPTION.match(body[0])):
        options[option.group("key")] = option.group("value").strip()
        body = body[1:]
    while body and not body[0].strip():
        body = body[1:]
    return opening, options, body, end


@functools.lru_cache(maxsize=64)
def _tags(path: Path, mtime_ns: int) -> dict[str, tuple[str, int, int]]:
    """Sphinx's own map of a module's classes and functions to their lines (as for
    ``literalinclude :pyobject:``), parsed once per file version."""
    return ModuleAnalyzer.for_file(str(path), path.stem).find_tags()


def included_code(path: Path, options: dict[str, str]) -> str:
    """What ``literalinclude`` shows: the file, or one ``:pyobject:``, or ``:lines:``."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if "pyobject" in options:
        tags = _tags(path, path.stat().st_mtime_ns)
        if options["pyobject"] not in tags:
            raise ViewError(f"{path}: no object {options['pyobject']!r} to include")
        _, first, last = tags[options["pyobject"]]
        lines = lines[first - 1 : last]  # the tags' line numbers are 1-based, inclusive
    if "lines" in options:
        wanted: list[str] = []
        for part in options["lines"].split(","):
            low, _, high = part.strip().partition("-")
            wanted += lines[int(low) - 1 : int(high or low)]
        lines = wanted
    if "start-after" in options:
        text_now = "\n".join(lines)
        lines = text_now.split(options["start-after"], 1)[-1].splitlines()[1:]
    if "end-before" in options:
        lines = "\n".join(lines).split(options["end-before"], 1)[0].splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def render_directive(
    opening: re.Match[str], options: dict[str, str], body: list[str], folder: Path
) -> list[str]:
    """A directive as plain Markdown that reads the same in any notebook viewer."""
    name, arg = opening.group("name"), opening.group("arg").strip()
    if name == "literalinclude":
        source = (folder / arg).resolve()
        language = options.get("language", "python" if source.suffix == ".py" else "")
        shown = options.get("pyobject", "")
        origin = f"`{arg.removeprefix('../')}`" + (f", `{shown}`" if shown else "")
        code = included_code(source, options)
        return [f"From {origin}:", "", f"```{language}", *code.splitlines(), "```"]
    if name in {"glue:figure", "glue"}:
        caption = transform_markdown_lines([line for line in body if line.strip()], folder)
        return [f'{{eval}}`glued.figure("{arg}")`', "", *(f"*{line}*" for line in caption)]
    inner = transform_markdown_lines(body, folder)
    if name in ADMONITIONS:
        title = arg if name == "admonition" and arg else name.capitalize()
        return [f"> **{title}**", ">", *(f"> {line}".rstrip() for line in inner)]
    if name == "dropdown":
        return [f"**{arg}**", "", *inner] if arg else inner
    if name == "code-block" or name == "code":
        return [f"```{arg}", *body, "```"]
    return inner  # container and anything else: the content, without the wrapper


def transform_markdown_lines(lines: list[str], folder: Path) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if COMMENT.match(line) or LABEL.match(line):
            index += 1
            continue
        if FENCE_OPEN.match(line):
            opening, options, body, end = split_directive(lines, index)
            out += render_directive(opening, options, body, folder)
            index = end + 1
            continue
        line = DOC_ROLE.sub(link_role, REF_ROLE.sub(plain_role, line))
        out.append(GLUE_ROLE.sub(eval_role, line))
        index += 1
    return out


def transform_markdown(source: str, folder: Path) -> str:
    return "\n".join(transform_markdown_lines(source.splitlines(), folder)).strip("\n")


def fold(cell: NotebookNode) -> None:
    jupyter: dict[str, bool] = {}
    for tag in cell.metadata.get("tags", []):
        jupyter.update(FOLDING.get(tag, {}))
    if jupyter:
        cell.metadata["jupyter"] = jupyter
    if jupyter.get("outputs_hidden"):
        cell.metadata["collapsed"] = True  # JupyterLab mirrors outputs_hidden here on open


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|!])")


def as_text(value: object) -> str:
    """Front-matter text as Markdown that renders as exactly that text, never as markup."""
    one_line = " ".join(str(value).split())
    return MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def header_cell(meta: dict[str, Any]) -> NotebookNode:
    """The page's heading: title, category and date, summary."""
    facts = " · ".join(as_text(meta[k]) for k in ("category", "date") if meta.get(k))
    lines = [f"# {as_text(meta.get('title', ''))}", "", f"*{facts}*" if facts else ""]
    if meta.get("summary"):
        lines += ["", f"> {as_text(meta['summary'])}"]
    cell: NotebookNode = nbformat.v4.new_markdown_cell("\n".join(lines).rstrip())
    return cell


def setup_cell() -> NotebookNode:
    cell: NotebookNode = nbformat.v4.new_code_cell(SETUP_SOURCE)
    cell.metadata.update(tags=["remove-cell"], jupyter={"source_hidden": True})
    return cell


def glued_outputs(executed: NotebookNode) -> dict[str, dict[str, Any]]:
    """``{key: mime bundle}`` of every glue output in an executed notebook, prefix removed."""
    found: dict[str, dict[str, Any]] = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if not scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            found[scrap["name"]] = {
                mime.removeprefix(prefix): value for mime, value in output.get("data", {}).items()
            }
    return found


EVAL_TEXT = re.compile(r'\{eval\}`glued\.text\("([^"]+)"(?:, "([^"]*)")?\)`')
EVAL_FIGURE = re.compile(r'\{eval\}`glued\.figure\("([^"]+)"\)`')


def settle(cell: NotebookNode, glued: dict[str, dict[str, Any]]) -> None:
    """Replace a markdown cell's live expressions with the values the build computed.

    Text becomes the characters the site shows; a figure becomes an image attachment, which
    every notebook viewer renders without a kernel or jupyterlab-myst.
    """
    from myst_nb.core.variables import format_plain_text

    def text(match: re.Match[str]) -> str:
        bundle = glued.get(match.group(1), {})
        if "text/plain" not in bundle:
            raise ViewError(f"no glued value {match.group(1)!r} in the executed notebook")
        return str(format_plain_text(bundle["text/plain"], match.group(2) or ""))

    def figure(match: re.Match[str]) -> str:
        key = match.group(1)
        bundle = glued.get(key, {})
        if "image/png" in bundle:
            cell.setdefault("attachments", {})[f"{key}.png"] = {"image/png": bundle["image/png"]}
            return f"![{key}](attachment:{key}.png)"
        if "text/html" in bundle:  # a glued table: its HTML, which Markdown cells render
            html_text = bundle["text/html"]
            return "".join(html_text) if isinstance(html_text, list) else str(html_text)
        if "text/plain" in bundle:
            return f"```\n{bundle['text/plain']}\n```"
        raise ViewError(f"no glued figure {key!r} in the executed notebook")

    cell.source = EVAL_FIGURE.sub(figure, EVAL_TEXT.sub(text, cell.source))


def code_cells(notebook: NotebookNode) -> Iterator[NotebookNode]:
    return (cell for cell in notebook.cells if cell.cell_type == "code")


def kernel_metadata(language_info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Kernel metadata exactly as JupyterLab writes it on connecting, so a freshly opened
    notebook is not marked modified before the reader has touched it.

    ``language_info``: what a kernel of this environment reported when it ran the post (an
    executed notebook keeps it); without it, ipykernel's own, at the cost of importing
    IPython (0.1 s).
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if language_info is None:
        from ipykernel.ipkernel import IPythonKernel

        language_info = IPythonKernel.language_info
    spec = KernelSpecManager().get_kernel_spec("python3")
    return {
        "kernelspec": {"display_name": spec.display_name, "language": "python", "name": "python3"},
        "language_info": dict(language_info),
    }


def reading_notebook(
    post: Path, source: NotebookNode | None = None, language_info: dict[str, Any] | None = None
) -> NotebookNode:
    """The post as a reader's notebook, its prose evaluated live by jupyterlab-myst.

    ``source``: the post already read as a notebook (by jupytext, or by myst-nb's reader,
    which gives the same cells), to save reading it twice; ``language_info``: see
    ``kernel_metadata``.
    """
    if source is None:
        import jupytext  # 0.16 s (it imports jupyter_server): only when a post must be read

        source = jupytext.read(post)
    notebook: NotebookNode = nbformat.v4.new_notebook()
    notebook.metadata = kernel_metadata(language_info)
    cells: list[NotebookNode] = [header_cell(source.metadata), setup_cell()]
    for cell in source.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            cell.source = transform_markdown(cell.source, post.parent)
        elif cell.cell_type == "code":
            fold(cell)
        cells.append(cell)
    notebook.cells = [c for c in cells if c.cell_type != "markdown" or c.source.strip()]
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # same sources, same bytes (nbformat's ids are random)
    nbformat.validate(notebook)
    return notebook


def downloadable(
    post: Path, executed: NotebookNode, source: NotebookNode | None = None
) -> NotebookNode:
    """The reading notebook with the build's outputs, and its prose values written in.

    For the site's download: it reads like the page in any viewer before anything runs.
    """
    notebook = reading_notebook(post, source, executed.metadata.get("language_info"))
    ran = list(code_cells(executed))
    mine = list(code_cells(notebook))[1:]  # the first is the setup cell
    if len(ran) != len(mine):
        raise ViewError(f"executed notebook has {len(ran)} code cells, the post {len(mine)}")
    for cell, done in zip(mine, ran, strict=True):
        cell.outputs = done.get("outputs", [])
        cell.execution_count = done.get("execution_count")
    glued = glued_outputs(executed)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            settle(cell, glued)
    nbformat.validate(notebook)
    return notebook


def write(notebook: NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def binder_path(docname: str) -> str:
    """Where Binder opens a page as a notebook: a post's reading notebook, or a lab itself."""
    if docname.startswith("posts/"):
        return f"{READ_FOLDER}/{docname.removeprefix('posts/')}.ipynb"
    return f"{docname}.ipynb"


INCLUDE = re.compile(r"^(`{3,}|:{3,})\{literalinclude\}\s+(\S+)", re.MULTILINE)


def _inputs_signature(post: Path, executed_copy: Path) -> str:
    """What a download is made from: the post, the files it includes, myst-nb's copy of the
    executed notebook (rewritten whenever the post is re-read or re-executed), this code."""
    text = post.read_bytes()
    files = [post, executed_copy]
    files += [post.parent / m.group(2) for m in INCLUDE.finditer(text.decode("utf-8", "replace"))]
    stats = [(str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists()]
    return hashlib.sha256(repr((stats, code_version())).encode()).hexdigest()


def write_downloads(app: Sphinx, exception: Exception | None) -> None:
    """Beside each post's page, ``<slug>.ipynb``: its reading notebook with the build's outputs.

    The outputs come from the execution cache (myst-nb's own copies in ``jupyter_execute/``
    have the glue outputs stripped). A download whose inputs have not moved is not redone, so
    an unchanged build pays a few ``stat`` calls per post.
    """
    if exception is not None or app.builder.format != "html":
        return
    state = BuildState(Path(app.srcdir))
    done: dict[str, str] = state.read_json(DOWNLOADS_STATE) or {}
    cache = get_cache(app.env.mystnb_config.execution_cache_path)  # type: ignore[attr-defined]
    executed_root = Path(app.outdir).parent / "jupyter_execute"
    for docname in sorted(d for d in app.env.found_docs if d.startswith("posts/")):
        post = Path(app.env.doc2path(docname))
        target = Path(app.outdir) / f"{docname}.ipynb"
        signature = _inputs_signature(post, executed_root / f"{docname}.ipynb")
        if done.get(docname) == signature and target.exists():
            continue
        # myst-nb's reader, as the build executed it: jupytext's gives the same notebook
        # (tests/test_notebook_view.py) but costs 0.16 s to import.
        source = read_notebook(app.env, post)
        try:
            if source is None:
                raise KeyError(docname)
            _, executed = cache.merge_match_into_notebook(source)
        except KeyError:
            # Not executed (no code, or execution_mode "off"): the page has nothing a
            # notebook would add, and a clean build writes no download; drop an old one.
            target.unlink(missing_ok=True)
            done.pop(docname, None)
            continue
        try:
            notebook = downloadable(post, executed, source=source)
        except ViewError as error:
            raise ExtensionError(f"[sitegen] {post}: {error}") from None
        write_atomic(target, (nbformat.writes(notebook) + "\n").encode("utf-8"))
        done[docname] = signature
    state.write_json(DOWNLOADS_STATE, done)


def setup(app: Sphinx) -> dict[str, Any]:
    # After sitegen.publish's prune (850): no download of a removed post is written back;
    # while Pagefind indexes the pages on another core (sitegen.search, from 870).
    app.connect("build-finished", write_downloads, priority=880)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: Sequence[str] | None = None) -> int:
    """Write each post as a reader's notebook (unexecuted), for Binder's postBuild."""
    parser = argparse.ArgumentParser(prog="post-notebooks", description=main.__doc__)
    parser.add_argument("posts", nargs="*", type=Path, help="posts (default: posts/*.md)")
    parser.add_argument("--out", type=Path, default=Path(READ_FOLDER), help="folder to write")
    args = parser.parse_args(argv)
    posts = args.posts or sorted(Path("posts").glob("*.md"))
    failed = False
    for post in posts:
        try:
            write(reading_notebook(post), args.out / f"{post.stem}.ipynb")
        except (OSError, ViewError) as error:
            print(f"{post}: {error}", file=sys.stderr)
            failed = True
    print(f"wrote {len(posts)} reading notebooks to {args.out}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

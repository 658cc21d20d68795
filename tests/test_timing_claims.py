"""Asserted claims must hold on a loaded 2-core machine: no bare assert on a wall-clock timing.

The build executes notebooks in parallel on busy cores, so a measured time can stretch 5x or
more on either side of a comparison. Any assert whose expression depends on a wall-clock
measurement must say, on the assert's line or the line above, why it survives that:


    # load-safe: 1,300x measured; a 5x slowdown of either side still leaves 50x
    assert offset_ms / keyset_ms > 20, timing

The check follows values in each notebook's own code: a name is a timing when it is assigned
from a clock call (`time.perf_counter()`, `timeit`, ...), from a function that reads a clock
(in the notebook or in `englogs/`), or from another timing. It cannot see through every
construct (a timing smuggled through a dict returned by a library would escape it); the rule
in docs/writing-posts.md covers the rest.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import jupytext
import pytest
from IPython.core.inputtransformer2 import TransformerManager

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([*REPO.glob("posts/*.md"), *REPO.glob("notebooks/*.ipynb")])
# Clocks called bare (``from time import perf_counter``) and through their module.
BARE_CLOCKS = {
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "process_time",
    "process_time_ns",
    "thread_time",
    "default_timer",
}
MODULE_CLOCKS = {"time": BARE_CLOCKS | {"time", "time_ns"}, "timeit": {"timeit", "repeat"}}
TIME_WORD = re.compile(
    r"(^|[_ ])(ms|us|ns|s|sec|secs|seconds|time|times|elapsed|latency|lat|duration|wait|"
    r"p\d+|slope|speedup|throughput|per_s)([_ ]|$)|^t_|_t$|\((ms|s|us)\)",
    re.IGNORECASE,
)
FILLING_METHODS = {"append", "extend", "insert", "update", "add", "setdefault", "appendleft"}
JUSTIFIED = re.compile(r"#\s*load-safe:\s*\S")


@dataclass(frozen=True)
class TimingAssert:
    notebook: str
    cell: int
    line: str


def called_name(call: ast.Call) -> tuple[str | None, str | None]:
    """(module or object name, function name) of a call such as ``time.perf_counter()``."""
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return owner, func.attr
    if isinstance(func, ast.Name):
        return None, func.id
    return None, None


def reads_clock(node: ast.AST, timing_functions: set[str]) -> bool:
    """Does ``node`` call a clock, or a function known to read one?"""
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        owner, name = called_name(call)
        if name in timing_functions:
            return True
        if owner is None and name in BARE_CLOCKS:
            return True
        if owner in MODULE_CLOCKS and name in MODULE_CLOCKS[owner]:
            return True
        if name == "timeit" and owner not in MODULE_CLOCKS:  # timeit.Timer(...).timeit()
            return True
    return False


def returns_timing(fn: ast.FunctionDef | ast.AsyncFunctionDef, timing_functions: set[str]) -> bool:
    """Does ``fn`` return a clock reading or a value computed from one?

    A function that reads a clock only to wait for a deadline is not a measurement.
    """
    tainted = timed_names(fn, timing_functions)
    returns = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return | ast.Yield) and n.value]
    return any(reads_clock(v, timing_functions) or uses(v, tainted) for v in returns)


def functions_reading_clocks(tree: ast.AST, known: set[str]) -> set[str]:
    """Names of functions (and methods) that return timings, to a fixed point."""
    found = set(known)
    defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    changed = True
    while changed:
        changed = False
        for fn in defs:
            if fn.name not in found and returns_timing(fn, found):
                found.add(fn.name)
                changed = True
    return found


def englogs_timing_functions() -> set[str]:
    names: set[str] = set()
    for path in sorted((REPO / "englogs").glob("*.py")):
        names |= functions_reading_clocks(ast.parse(path.read_text(encoding="utf-8")), set())
    return names


def target_names(target: ast.AST) -> set[str]:
    """Base names bound or mutated by an assignment target (``x``, ``x[k]``, ``x.a``, tuples).

    Only the container is a timing after ``times[i] = t``, not the index ``i``.
    """
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Subscript | ast.Attribute):
        return target_names(target.value)
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(target_names(e) for e in target.elts))
    return set()


def uses(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def labels(node: ast.AST) -> list[str]:
    """The words a reference carries: ``e["lat_ms"]["p99"]`` -> ["e", "lat_ms", "p99"]."""
    words = []
    while True:
        if isinstance(node, ast.Subscript):
            keys = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            words += [
                k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            ]
            node = node.value
        elif isinstance(node, ast.Attribute):
            words.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            return [node.id, *reversed(words)]
        else:
            return words


def reads_timing(test: ast.AST, tainted: set[str], timing_functions: set[str]) -> bool:
    """Does an assert's expression compare a wall-clock measurement?

    A result table can hold counts beside timings, so a reference into a timing container counts
    only when one of its words says time (``lat_ms``, ``p99``, ``slope``); a plain name derived
    from a clock always counts.
    """
    if reads_clock(test, timing_functions):
        return True
    local = {
        n.id
        for c in ast.walk(test)
        if isinstance(c, ast.comprehension)
        for n in ast.walk(c.target)
        if isinstance(n, ast.Name)
    }
    tainted = tainted - local
    parent = {id(c): p for p in ast.walk(test) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(test):
        if isinstance(node, ast.Subscript | ast.Attribute):
            words = labels(node)
            if words and words[0] in tainted and any(TIME_WORD.search(w) for w in words):
                return True
        elif (
            isinstance(node, ast.Name)
            and node.id in tainted
            and not isinstance(parent.get(id(node)), ast.Subscript | ast.Attribute)
        ):
            return True
    return False


def timed_names(
    tree: ast.AST, timing_functions: set[str], seed: frozenset[str] = frozenset()
) -> set[str]:
    """Names that hold (or contain) a wall-clock measurement after ``tree``, to a fixed point."""
    tainted: set[str] = set(seed)
    modules = {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value: ast.AST = node.value
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                targets, value = [node.target], node.iter
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.attr in FILLING_METHODS
            ):
                # rows.append(timing) makes rows a container of timings
                targets = [node.func.value]
                value = ast.Tuple(
                    elts=[*node.args, *(k.value for k in node.keywords)], ctx=ast.Load()
                )
            else:
                continue
            if reads_clock(value, timing_functions) or uses(value, tainted):
                new = set().union(*(target_names(t) for t in targets)) - tainted - modules
                if new:
                    tainted |= new
                    changed = True
    return tainted


def python_source(cell_source: str) -> str:
    """Cell source as Python: IPython magics (``%timeit``) become calls ast can parse."""
    return TransformerManager().transform_cell(cell_source)


def after(statement: ast.stmt, tainted: set[str], timing_functions: set[str]) -> set[str]:
    """Timing names after a top-level statement: a plain reassignment clears a name."""
    if isinstance(statement, ast.Assign) and all(
        isinstance(t, ast.Name) for t in statement.targets
    ):
        names = {t.id for t in statement.targets if isinstance(t, ast.Name)}
        if reads_clock(statement.value, timing_functions) or uses(statement.value, tainted):
            return tainted | names
        return tainted - names
    return timed_names(statement, timing_functions, frozenset(tainted))


def justified(lines: list[str], node: ast.Assert) -> bool:
    first, last = node.lineno, node.end_lineno or node.lineno
    nearby = lines[max(first - 2, 0) : last]
    return any(JUSTIFIED.search(text) for text in nearby)


def shown(path: Path) -> str:
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name


def timing_asserts(path: Path, helpers: set[str]) -> list[TimingAssert]:
    """Asserts on wall-clock timings without a load-safe reason, in execution order."""
    notebook = jupytext.read(path)
    cells = [
        (number, python_source(cell.source))
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code"
    ]
    whole = ast.parse("\n".join(source for _, source in cells))
    timing_functions = functions_reading_clocks(whole, helpers) | {"run_line_magic"}
    tainted: set[str] = set()
    found = []
    for number, source in cells:
        lines = source.splitlines()
        for statement in ast.parse(source).body:
            for node in ast.walk(statement):
                if (
                    isinstance(node, ast.Assert)
                    and reads_timing(node.test, tainted, timing_functions)
                    and not justified(lines, node)
                ):
                    line = lines[node.lineno - 1].strip()
                    found.append(TimingAssert(shown(path), number, line))
            tainted = after(statement, tainted, timing_functions)
    return found


@pytest.fixture(scope="module")
def helpers() -> set[str]:
    return englogs_timing_functions()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_timing_asserts_say_why_they_survive_load(path: Path, helpers: set[str]) -> None:
    bare = timing_asserts(path, helpers)
    assert not bare, "\n".join(
        f"{a.notebook}, cell {a.cell}: assert on a wall-clock timing without "
        f"'# load-safe: <why it survives a 5x slowdown of either side>': {a.line}"
        for a in bare
    )


def write_notebook(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "post.md"
    path.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "    format_version: 0.13\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n" + body,
        encoding="utf-8",
    )
    return path


CELL = "```{{code-cell}} ipython3\n{}\n```\n\n"


def test_a_ratio_of_two_clock_readings_is_caught(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path,
        CELL.format("import time\nt0 = time.perf_counter()\nslow = time.perf_counter() - t0")
        + CELL.format(":tags: [remove-cell]\nratio = slow / 1e-9\nassert 0.25 < ratio < 4"),
    )
    assert [a.line for a in timing_asserts(path, set())] == ["assert 0.25 < ratio < 4"]


def test_timings_flow_through_functions_containers_and_helpers(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path,
        CELL.format(
            "from timeit import default_timer\n"
            "def measure(fn):\n    s = default_timer()\n    fn()\n    return default_timer() - s\n"
            "rows = []\nfor n in (1, 2):\n    rows.append({'n': n, 's': measure(print)})\n"
            "cost = best_of(print)"
        )
        + CELL.format("assert rows[1]['s'] > rows[0]['s']\nassert cost < 1"),
    )
    found = timing_asserts(path, {"best_of"})
    assert [a.line for a in found] == ["assert rows[1]['s'] > rows[0]['s']", "assert cost < 1"]


def test_counts_simulated_time_and_justified_timings_pass(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path,
        CELL.format(
            "import time, simpy\nenv = simpy.Environment()\nenv.run(until=5)\n"
            "queries = 3\nt0 = time.perf_counter()\nelapsed = time.perf_counter() - t0"
        )
        + CELL.format(
            "assert env.now == 5 and queries == 3\n"
            "# load-safe: nanoseconds against a 10 s bound, 5x slower still far inside\n"
            "assert elapsed < 10"
        ),
    )
    assert timing_asserts(path, set()) == []


def test_an_index_is_not_a_timing(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path,
        CELL.format(
            "import time\ntimes = {}\nfor i in range(3):\n    times[i] = time.perf_counter()"
        )
        + CELL.format("assert i == 2\nassert times[2] >= times[0]"),
    )
    assert [a.line for a in timing_asserts(path, set())] == ["assert times[2] >= times[0]"]


def test_englogs_timing_helpers_are_recognised(helpers: set[str]) -> None:
    assert {"median_seconds", "best_seconds", "_round_seconds"} <= helpers

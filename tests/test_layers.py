"""The package's layers, read from its imports (AST): each sub-package imports only what lies
below it, and no module imports itself back through others.

    support/      imports nothing of tf1_mnist outside support/
    input_data    imports support/ only
    legacy/       imports support/ and input_data, nothing of training/
    training/     imports support/ and input_data, no post and no command
    the posts     import training/ and support/; their command only in ``__main__``
    commands      (predict, reproduce, cluster) anything

Imports inside ``if __name__ == "__main__":`` and ``if TYPE_CHECKING:`` do not count: the first
run only when the module is the program, the second never.  Deferred imports inside functions
count like any other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tf1_mnist"
POSTS = {"tf1_mnist.softmax", "tf1_mnist.cnn", "tf1_mnist.fc", "tf1_mnist.logistic"}
COMMANDS = {"tf1_mnist.predict", "tf1_mnist.reproduce", "tf1_mnist.cluster"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _skipped_blocks(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if __name__ == "__main__"`` or ``if TYPE_CHECKING``."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = ast.unparse(node.test)
        if test in ("__name__ == '__main__'", "TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skipped |= {id(inner) for inner in ast.walk(node)}
    return skipped


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The tf1_mnist modules ``path`` imports (``from tf1_mnist.x import y`` is ``tf1_mnist.x.y``
    when that is a module, else ``tf1_mnist.x``)."""
    tree = ast.parse(path.read_text())
    skipped = _skipped_blocks(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tf1_mnist")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tf1_mnist"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return found - {module_name(path)}


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) for name, path in paths.items()}


GRAPH = import_graph()


def layer(module: str) -> str:
    for prefix in ("support", "training", "legacy"):
        if module == f"tf1_mnist.{prefix}" or module.startswith(f"tf1_mnist.{prefix}."):
            return prefix
    if module in POSTS:
        return "post"
    if module in COMMANDS:
        return "command"
    if module == "tf1_mnist":
        return "package"
    return module.removeprefix("tf1_mnist.")


ALLOWED = {
    "support": {"support"},
    "input_data": {"support"},
    "legacy": {"support", "input_data", "legacy"},
    "training": {"support", "input_data", "training"},
    "post": {"support", "input_data", "training"},
    "command": {"support", "input_data", "training", "post", "legacy", "command"},
    "package": {"support", "legacy"},  # the IPython extension, imported when loaded
}


def test_the_graph_is_read() -> None:
    """The reader sees the imports it must (else every rule below would pass vacuously)."""
    assert "tf1_mnist.training.loop" in GRAPH["tf1_mnist.training.local"]
    assert "tf1_mnist.support.compat" in GRAPH["tf1_mnist.softmax"]
    assert "tf1_mnist.training.command" not in GRAPH["tf1_mnist.softmax"]  # __main__ only
    assert len(GRAPH) > 30


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_module_imports_only_the_layers_below(module: str) -> None:
    own = layer(module)
    allowed = ALLOWED.get(own, {"support", "input_data"})
    wrong = sorted(m for m in GRAPH[module] if layer(m) not in allowed | {own})
    assert not wrong, f"{module} ({own}) imports {wrong}"


def test_no_import_cycles() -> None:
    """A depth-first search over the whole graph: any back edge is a cycle, printed whole."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_a_cycle_would_be_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cycle test can fail: one edge back from support to training makes it fail."""
    monkeypatch.setitem(
        GRAPH,
        "tf1_mnist.support.console",
        GRAPH["tf1_mnist.support.console"] | {"tf1_mnist.training.loop"},
    )
    with pytest.raises(AssertionError, match="tf1_mnist.support.console"):
        test_no_import_cycles()


def test_importing_a_post_imports_no_runner() -> None:
    """``import tf1_mnist.fc`` gives the post's graph and spec, not the training loop, the
    command or the cluster (its ``__main__`` block brings those)."""
    code = (
        "import sys, tf1_mnist.fc, tf1_mnist.cnn, tf1_mnist.softmax, tf1_mnist.logistic\n"
        "print(sorted(m for m in sys.modules if m.startswith('tf1_mnist.training')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(eval(out))
    assert loaded, out
    assert not loaded & {
        "tf1_mnist.training.loop",
        "tf1_mnist.training.command",
        "tf1_mnist.training.local",
        "tf1_mnist.training.distributed",
    }, loaded


def test_every_folder_of_code_is_an_installed_package() -> None:
    """``packages = find:`` in setup.cfg finds only folders with an ``__init__.py``: a room
    without one would be missing from a non-editable install."""
    from setuptools import find_packages

    found = set(find_packages(str(PACKAGE.parent), include=["tf1_mnist*"]))
    folders = {module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("*.py")}
    assert folders <= found, sorted(folders - found)

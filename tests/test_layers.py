"""The package's imports point down: no cycles, and no layer imports one above it.

Every module of ``actionkit/``, ``cli/`` (``actionkit.cli``) and ``trainers/``
(``actionkit.trainers``) is parsed, and every ``import`` in it is collected, those inside
functions and ``TYPE_CHECKING`` blocks included (a lazy import is still a dependency).
:data:`LAYERS` is the one table of the layering; ``docs/architecture.md`` draws it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Where each installed package's source lives (see ``package-dir`` in pyproject.toml).
SOURCES = {"actionkit": REPO / "actionkit", "actionkit.cli": REPO / "cli", "actionkit.trainers": REPO / "trainers"}

#: Component -> layer. A component (a subpackage or module directly under ``actionkit``,
#: or the ``actionkit`` package's own ``__init__``) may import only components of a lower
#: layer; within a component, modules import each other freely (but never in a cycle).
LAYERS: dict[str, int] = {
    # 0 foundation: import nothing of actionkit
    "actionkit.extras": 0,  # optional dependencies: require(module, extra)
    "actionkit.reports": 0,  # Skip, Note, PrepareReport, PrepareError
    "actionkit.layouts": 0,  # skeleton layouts
    "actionkit.kernels": 0,  # Numba kernels
    "actionkit.parallel": 0,  # ordered process pools
    # 1 helpers over the foundation
    "actionkit.codecs": 1,  # stream codec -> decoder; JPEG/PNG, video files
    "actionkit.normalize": 1,  # load-time skeleton normalisations
    "actionkit.synthetic": 1,  # procedural datasets in the genuine raw formats
    # 2 the store
    "actionkit.store": 2,
    # 3 the package's own face: open_store, __version__
    "actionkit": 3,
    # 4 what reads raw data, and what computes on frames
    "actionkit.sources": 4,
    "actionkit.video": 4,
    # 5 raw -> store pipelines; the learning side over stores
    "actionkit.prepare": 5,
    "actionkit.data": 5,
    "actionkit.models": 5,
    "actionkit.losses": 5,
    "actionkit.export": 5,  # stores -> other projects' files
    "actionkit.results": 5,  # per-sample scores files, metrics, fusion, figures, skeleton drawings
    # 6 what runs them
    "actionkit.demo": 6,
    "actionkit.importers": 6,  # other projects' files -> stores (through prepare)
    "actionkit.trainers": 6,
    # 7 the command line: parses and calls
    "actionkit.cli": 7,
}


def discover(sources: dict[str, Path]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under each source folder."""
    modules: dict[str, Path] = {}
    for package, folder in sources.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def imported(module: str, path: Path, modules: dict[str, Path]) -> Iterable[tuple[str, int]]:
    """The project modules ``module`` imports, with the line of each import.

    ``from p import x`` counts as an import of ``p.x`` when that is a module, else of ``p``.
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                yield name, node.lineno


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """Module -> {imported project module: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in imported(module, path, modules):
            if target != module:
                edges.setdefault(target, line)
        graph[module] = edges
    return graph


def component(module: str) -> str:
    """``actionkit.X`` for a module in or below ``actionkit.X``; ``actionkit`` for the package's ``__init__``."""
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            scc = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                scc.append(top)
                if top == node:
                    break
            if len(scc) > 1:
                found.append(sorted(scc))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(graph: dict[str, dict[str, int]], modules: dict[str, Path],
                   layers: dict[str, int]) -> list[str]:
    """Imports of a component at the same or a higher layer, and components missing from ``layers``."""
    problems = []
    for module, edges in sorted(graph.items()):
        here = component(module)
        if here not in layers:
            problems.append(f"{modules[module]}: {here} has no layer: add it to LAYERS in tests/test_layers.py")
            continue
        for target, line in sorted(edges.items()):
            there = component(target)
            if there == here or there not in layers:  # a component without a layer is reported as such
                continue
            if layers[there] >= layers[here]:
                problems.append(f"{modules[module]}:{line}: {module} (layer {layers[here]}) imports {target} "
                                f"(layer {layers[there]}): a layer imports only layers below it")
    return problems


def package_cycles(graph: dict[str, dict[str, int]], modules: dict[str, Path]) -> list[list[str]]:
    """Cycles between packages: each import lifted to the packages of its two ends.

    Imports between a package and one inside it (``actionkit.prepare`` and the root
    ``actionkit``) are left out: a package contains its subpackages.
    """

    def package(module: str) -> str:
        return module if modules[module].name == "__init__.py" else module.rpartition(".")[0]

    lifted: dict[str, set[str]] = {}
    for module, edges in graph.items():
        source = package(module)
        for target in edges:
            there = package(target)
            if there != source and not there.startswith(source + ".") and not source.startswith(there + "."):
                lifted.setdefault(source, set()).add(there)
    return cycles(lifted)


# ---------------------------------------------------------------------------------- the checks

MODULES = discover(SOURCES)
GRAPH = import_graph(MODULES)


def test_every_package_folder_is_walked():
    assert {"actionkit.store.reader", "actionkit.prepare.skeleton", "actionkit.cli.main",
            "actionkit.trainers.engine"} <= set(MODULES)
    assert len(MODULES) > 100


def test_no_import_cycle_between_modules():
    found = cycles(GRAPH)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_import_cycle_between_packages():
    found = package_cycles(GRAPH, MODULES)
    assert not found, "package import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_layers_import_only_layers_below():
    problems = upward_imports(GRAPH, MODULES, LAYERS)
    assert not problems, "\n".join(problems)


def test_the_issue_layer_order_holds():
    order = ["actionkit.store", "actionkit.sources", "actionkit.prepare", "actionkit.trainers", "actionkit.cli"]
    assert [LAYERS[c] for c in order] == sorted(LAYERS[c] for c in order) and len({LAYERS[c] for c in order}) == 5
    assert LAYERS["actionkit.store"] < LAYERS["actionkit.video"] < LAYERS["actionkit.prepare"]


# -------------------------------------------------------- the checker finds what it is meant to

def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / "actionkit" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return discover({"actionkit": tmp_path / "actionkit"})


@pytest.mark.parametrize("lazy", [False, True])
def test_checker_catches_an_upward_import(tmp_path, lazy):
    body = "def f():\n    from actionkit.sources import base\n" if lazy else "from actionkit.sources.base import X\n"
    modules = _tree(tmp_path, {"__init__.py": "", "store/__init__.py": "", "store/writer.py": body,
                               "sources/__init__.py": "", "sources/base.py": "X = 1\n"})
    problems = upward_imports(import_graph(modules), modules, {"actionkit": 3, "actionkit.store": 2,
                                                                "actionkit.sources": 4})
    assert len(problems) == 1 and "actionkit.store.writer (layer 2) imports actionkit.sources.base" in problems[0]


def test_checker_catches_cycles_and_unplaced_components(tmp_path):
    modules = _tree(tmp_path, {"__init__.py": "", "p/__init__.py": "", "p/a.py": "from . import b\n",
                               "p/b.py": "def f():\n    from actionkit.p import a\n",
                               "q.py": "from actionkit.r import x\n", "r.py": "from actionkit import q\nx = 1\n"})
    graph = import_graph(modules)
    assert cycles(graph) == [["actionkit.p.a", "actionkit.p.b"], ["actionkit.q", "actionkit.r"]]
    two = _tree(tmp_path / "two", {"__init__.py": "", "x/__init__.py": "", "x/m.py": "from actionkit.y import n\n",
                                   "x/k.py": "", "y/__init__.py": "", "y/n.py": "from actionkit.x import k\n"})
    assert cycles(import_graph(two)) == []
    assert package_cycles(import_graph(two), two) == [["actionkit.x", "actionkit.y"]]
    problems = upward_imports(graph, modules, {"actionkit": 0, "actionkit.p": 1, "actionkit.q": 1})
    assert any("actionkit.r has no layer" in p for p in problems)

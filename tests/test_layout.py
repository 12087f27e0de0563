"""The package's layout: imports flow forward through the pipeline, read from the source with ast.

Each module belongs to a layer; a module imports only from its own layer or the layers
before it, only at the top of the module, and the import graph has no circle.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "matcalc"

# The layers in order. A module may import the modules of its own and of earlier layers.
LAYERS = [
    ("matcalc.errors", "matcalc.deadline", "matcalc.arguments",    # what every stage uses
     "matcalc.lazy"),
    ("matcalc.ir",),                          # the expression tree and shapes
    ("matcalc.catalogue",),                   # every function's facts
    ("matcalc.language",),                    # text -> Expr
    ("matcalc.backends", "matcalc.backends.printing",    # Expr -> text, LaTeX (the tree only)
     "matcalc.backends.sympy_interop",                   # Expr <-> SymPy matrix expressions
     "matcalc.backends.matrix_functions"),               # expm, logm, sqrtm in NumPy
    ("matcalc.backends.numeric",),            # Expr -> numbers
    ("matcalc.rules",),                       # differential, canonical form, simplify, conditions
    ("matcalc.backends.code",),               # Expr -> generated code
    ("matcalc.api",),                         # results, derivation, verification, compile
    ("matcalc", "matcalc.cli", "matcalc.problems", "matcalc.__main__"),   # the public face
]


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> int:
    """The layer of a module: the longest prefix of it that a layer names."""
    best = None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (i, len(prefix))
    assert best is not None, f"{name} is in no layer: add it to LAYERS"
    return best[0]


def imports(path: pathlib.Path):
    """(imported module, line, at top level?) for every import of a package module."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"))
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "matcalc":
                continue
            for alias in node.names:      # from . import expr: the module matcalc.expr
                sub = f"{target}.{alias.name}"
                yield (sub if MODULES.get(sub) else target), node.lineno, id(node) in top
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "matcalc":
                    yield alias.name, node.lineno, id(node) in top


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: sorted({t for t, _, _ in imports(p) if t != name}) for name, p in MODULES.items()}


def test_every_import_is_at_the_top_of_its_module():
    inside = [f"{module_name(p)}:{line} imports {t}" for p in MODULES.values()
              for t, line, at_top in imports(p) if not at_top]
    assert inside == []


def test_every_import_names_a_module_of_the_package():
    assert [f"{n} imports {t}" for n, ts in GRAPH.items() for t in ts if t not in MODULES] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_flow_forward(name):
    backward = [t for t in GRAPH[name] if layer(t) > layer(name)]
    assert backward == [], f"{name} (layer {layer(name)}) imports later layers: {backward}"


def test_the_import_graph_has_no_circle():
    state, circles = {}, []

    def visit(n, path):
        state[n] = "open"
        for t in GRAPH.get(n, ()):
            if state.get(t) == "open":
                circles.append(path[path.index(t):] + [t])
            elif t not in state:
                visit(t, path + [t])
        state[n] = "done"

    for n in sorted(GRAPH):
        if n not in state:
            visit(n, [n])
    assert circles == []



def test_no_module_is_longer_than_600_lines_unless_it_is_a_table():
    tables = {"matcalc.problems"}      # the problem set: data
    long = {n: len(p.read_text("utf-8").splitlines()) for n, p in MODULES.items()}
    assert {n: k for n, k in long.items() if k > 600 and n not in tables} == {}

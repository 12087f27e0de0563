"""The notebooks run: every notebook in notebooks/ is executed top to bottom in a
fresh kernel (nbclient), so a failing cell, or a failing assertion in one,
fails the test suite. Each notebook NN_name.ipynb is built from its source
NN_name.py (jupytext's percent format) by notebooks/build.py: the committed
notebook has the source's cells, executed, and every problem of the problem
set has a section.

Building a notebook needs jupytext (the `notebooks` extra); these tests are
skipped without it. The automatic-differentiation notebook also needs JAX,
PyTorch, autograd and matplotlib (the same extra); its execution test is
skipped where they are missing.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("jupytext")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PROBLEM_SET = ROOT.parent / "shared" / "problems.md"   # shared/ lies beside the repository
CELL_TIMEOUT = 600                                      # seconds, per cell

# What each notebook needs beyond the `test` extra.
NEEDS = {"03_autodiff": ("jax", "torch", "autograd", "matplotlib")}


def load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build()
NAMES = list(build.NOTEBOOKS)


def committed(name):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_every_notebook_has_a_source():
    on_disk = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert NAMES and on_disk == NAMES, \
        "notebooks/*.ipynb and their sources notebooks/NN_*.py disagree"


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_the_built_one(name):
    """The committed cells are those of the source: rebuild with `python notebooks/build.py`."""
    built, saved = build.build(name), committed(name)
    assert [(c.cell_type, c.source) for c in saved.cells] == \
           [(c.cell_type, c.source) for c in built.cells], (
        f"{name}.ipynb is out of date: run python notebooks/build.py {name}")


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_executed(name):
    """Committed with outputs (it reads on the web as a solution sheet) and no errors."""
    nb = committed(name)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.execution_count is not None, f"{name} cell {i} was not executed"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{name} cell {i} failed: {errors[0].get('ename')}"


def defined_names(path):
    """The functions and classes a Python file defines, at any depth."""
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@pytest.mark.parametrize("name", NAMES)
def test_helpers_are_written_once(name):
    """What notebooks/helpers.py defines, a notebook imports instead of typing it again."""
    again = defined_names(NOTEBOOKS / f"{name}.py") & defined_names(NOTEBOOKS / "helpers.py")
    assert not again, f"{name}.py defines {sorted(again)} again: import them from helpers"


def test_autodiff_notebook_has_its_plots():
    nb = committed("03_autodiff")
    plots = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for out in cell.outputs:
                if "image/png" in out.get("data", {}):
                    title = re.search(r'(?:set_title|suptitle)\(f?"([A-Z0-9-]+)', cell.source)
                    plots[title.group(1) if title else "?"] = True
    assert {"AD1", "AD2", "AD3", "AD4-AD7", "AD10"} <= set(plots), plots


def problem_ids():
    ids = []
    for line in PROBLEM_SET.read_text().splitlines():
        match = re.match(r"\|\s*([A-Z]+\d+(?:-[A-Z]+\d+)?)\s*\|", line)
        if match:
            first, _, last = match.group(1).partition("-")
            if last:        # AD4-AD7
                prefix = re.match(r"[A-Z]+", first).group()
                lo, hi = int(first[len(prefix):]), int(last[len(prefix):])
                ids += [f"{prefix}{k}" for k in range(lo, hi + 1)]
            else:
                ids.append(first)
    return ids


@pytest.mark.skipif(not PROBLEM_SET.exists(), reason=f"no problem set at {PROBLEM_SET}")
def test_every_problem_has_a_section():
    headings = set()
    for name in NAMES:
        for cell in build.build(name).cells:
            if cell.cell_type == "markdown":
                headings |= set(re.findall(r"^#+ (\S+)", cell.source, flags=re.M))
    ids = problem_ids()
    assert len(ids) == 31 + 6 + 10, ids
    missing = [i for i in ids if i not in headings]
    assert not missing, f"problems without a section headed by their id: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes(name):
    for module in NEEDS.get(name, ()):
        pytest.importorskip(module)
    nb = build.build(name)
    build.execute(nb, timeout=CELL_TIMEOUT)   # raises CellExecutionError on a failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]

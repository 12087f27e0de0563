"""The distributions: `python -m build` makes a wheel with the grammar and py.typed, and an
sdist that carries the tests with their helpers, so that pytest runs inside it.

Building needs the `build` package (in the `test` extra); without it these tests are
skipped. The build itself installs setuptools into an isolated environment, as a user's
`python -m build` does, so it also checks that the build needs no deprecated metadata.
"""
from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import matcalc as mc

pytest.importorskip("build")

ROOT = Path(__file__).resolve().parents[1]

# What pytest needs inside the sdist besides the test modules.
SDIST_NEEDS = ["LICENSE", "README.md", "pyproject.toml", "tests/conftest.py",
               "tests/oracle.py", "tests/strategies.py", "tests/harness.py",
               "tests/closed_forms.py", "tests/katex_render.js", "tests/unit/__init__.py",
               "notebooks/build.py", "notebooks/helpers.py", "notebooks/00_tour.py",
               "notebooks/00_tour.ipynb", ".ci/package.json", "matcalc/language/matcalc.lark",
               "matcalc/py.typed"]


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(wheel, sdist, output of the build) built from a copy of this checkout (the build
    writes its egg-info into the tree it builds)."""
    tree, out = tmp_path_factory.mktemp("tree") / "matcalc", tmp_path_factory.mktemp("dist")
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".git", "node_modules", "__pycache__", "*.egg-info", "build", "dist", ".hypothesis",
        ".mypy_cache", ".ruff_cache"))
    run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(tree)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    wheel, = out.glob("*.whl")
    sdist, = out.glob("*.tar.gz")
    return wheel, sdist, run.stdout + run.stderr


def test_the_build_warns_of_nothing_deprecated(dists):
    log = dists[2]
    assert "deprecated" not in log.lower(), log[-3000:]


def test_the_wheel_has_the_grammar_py_typed_and_the_license(dists):
    wheel = zipfile.ZipFile(dists[0])
    names = set(wheel.namelist())
    assert {"matcalc/language/matcalc.lark", "matcalc/py.typed", "matcalc/cli.py"} <= names
    info = f"matcalc-{mc.__version__}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    metadata = email.message_from_bytes(wheel.read(f"{info}/METADATA"))
    assert metadata["Version"] == mc.__version__
    assert metadata["License-Expression"] == "MIT"
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert not any(n.startswith("tests/") for n in names)


def test_the_sdist_has_the_tests_and_their_helpers(dists):
    sdist = dists[1]
    top = f"matcalc-{mc.__version__}/"
    with tarfile.open(sdist) as tar:
        names = {n.removeprefix(top) for n in tar.getnames()}
    missing = [n for n in SDIST_NEEDS if n not in names]
    assert not missing, f"the sdist lacks {missing}"
    tests = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("test_*.py")}
    assert tests <= names, sorted(tests - names)
    assert not [n for n in names if "__pycache__" in n or "node_modules" in n]


def test_pytest_runs_inside_the_unpacked_sdist(dists, tmp_path):
    """Every test module imports there (collection), and a few whole modules pass; the full
    suite inside the sdist is what a packager runs."""
    with tarfile.open(dists[1]) as tar:
        tar.extractall(tmp_path, filter="data")
    src = tmp_path / f"matcalc-{mc.__version__}"
    env = {**os.environ, "PYTHONPATH": str(src)}
    collect = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "--collect-only", "tests"], cwd=src, env=env,
                             capture_output=True, text=True, timeout=600)
    assert collect.returncode == 0, collect.stdout[-3000:] + collect.stderr[-3000:]
    assert "error" not in collect.stdout.splitlines()[-1], collect.stdout[-3000:]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_layout.py", "tests/unit/test_shapes.py",
                          "tests/test_cli.py::test_grad"], cwd=src, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    check = subprocess.run([sys.executable, "-c", "import matcalc; print(matcalc.__file__)"],
                           cwd=src, env=env, capture_output=True, text=True, timeout=60)
    assert Path(check.stdout.strip()).is_relative_to(src), "the sdist's matcalc was not tested"

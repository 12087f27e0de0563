"""Build the notebooks of matcalc from their sources and execute them.

    python notebooks/build.py                 build and execute every notebook
    python notebooks/build.py 01_matrix_calculus 03_autodiff
    python notebooks/build.py --no-execute    write the notebooks without outputs

Each notebook NN_name.ipynb has its source NN_name.py beside it, in jupytext's
percent format (`# %%` starts a code cell, `# %% [markdown]` a markdown cell):
edit the source, not the notebook. This script reads a source with jupytext,
gives the notebook fixed metadata and deterministic cell ids, executes it with
nbclient in this folder (so `import helpers` finds helpers.py; the `notebooks`
extra: pip install -e ".[notebooks]") and writes it with its outputs, so that
it reads on the web as a solution sheet. tests/test_notebooks.py checks that
the committed notebooks are the ones built from the sources.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(p.stem for p in HERE.glob("[0-9][0-9]_*.py"))
METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def build(name: str):
    """The notebook `name` read from its source, without outputs."""
    nb = jupytext.read(HERE / f"{name}.py", fmt="py:percent")
    nb.metadata = nbformat.from_dict(METADATA)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('_')[0]}-{i:03d}"
        cell.metadata.pop("lines_to_next_cell", None)   # the source's blank lines, not the notebook's
    return nb


def execute(nb, timeout: int = 900):
    """Run nb top to bottom in a fresh kernel in this folder (outputs are filled in)."""
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = joined_streams(cell.outputs)
    return nb


def joined_streams(outputs):
    """Consecutive writes to one stream as one output: where the kernel splits them
    depends on timing, so the committed notebooks would differ from run to run."""
    joined = []
    for out in outputs:
        last = joined[-1] if joined else None
        if last is not None and out.output_type == last.output_type == "stream" and out.name == last.name:
            last.text += out.text
        else:
            joined.append(out)
    return joined


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"notebooks to build (default: all of {NOTEBOOKS})")
    parser.add_argument("--no-execute", action="store_true", help="write them without outputs")
    args = parser.parse_args(argv)
    for name in args.names or NOTEBOOKS:
        if name not in NOTEBOOKS:
            parser.error(f"unknown notebook {name!r}; known: {', '.join(NOTEBOOKS)}")
        nb = build(name)
        start = time.perf_counter()
        if not args.no_execute:
            execute(nb)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"{name}.ipynb: {len(nb.cells)} cells"
              + ("" if args.no_execute else f", executed in {time.perf_counter() - start:.1f} s"))


if __name__ == "__main__":
    sys.exit(main())

"""A runnable Python module of derived results: the printed result as its docstring, the
imports and helpers of the generated sources once each, then the functions."""
from __future__ import annotations

from ..backends.code import BACKENDS, source
from .compile import compile as compiled

COMPILED = {"grad": (1, "value_and_grad"), "hess": (2, "value_grad_hess")}
"""The derivation commands whose results compile() writes as one function: its order and
the function's name (value_grad_hvp for a matrix variable, whose Hessian it gives as the
Hessian-vector product hvp(V))."""


def results_module(doc: str, results, stem: str, backend: str = "numpy") -> str:
    """One function per result, named stem_<variable> (grad_W_1, grad_W_2, ...)."""
    names = [f"{stem}_{r.wrt.name}" for r in results]   # variable names are identifiers
    return module(doc, [(name, source(r, BACKENDS[backend], name=name))
                        for name, r in zip(names, results)])


def compiled_module(doc: str, f, wrt, order: int, name: str, backend: str, options) -> str:
    """The one function compile() writes for f (value and gradients, and Hessian)."""
    return module(doc, [(name, compiled(f, wrt=wrt, order=order, name=name, source=True,
                                        backend=backend, **options))])


def module(doc: str, sources: list[tuple[str, str]]) -> str:
    """The sources (name, generated source) joined into one module under the docstring doc:
    the imports and helpers once each, then the functions named."""
    head: list[str] = []
    functions = []
    for name, code in sources:
        for block in code.strip("\n").split("\n\n\n"):   # as program.Program.source
            if block.startswith(f"def {name}("):
                functions.append(block)
            elif block not in head:
                head.append(block)
    return "\n\n\n".join([docstring(doc) + "\n" + head[0], *head[1:], *functions])


def docstring(doc: str) -> str:
    """doc as a module's docstring (PEP 257); raw when it holds LaTeX's backslashes."""
    if '"""' in doc or doc.endswith("\\"):
        return repr(doc)
    return ('r"""' if "\\" in doc else '"""') + doc + ('\n"""' if "\n" in doc else '"""')

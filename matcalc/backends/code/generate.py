"""The public functions of generated code: source and compiled functions per backend.

    numpy_source(g)             readable source of ``def f(<sorted names>): ...``
    to_numpy(g)                 that function, compiled (positional or keyword arguments)
    jax_source(g), to_jax(g)    the same code against jax.numpy (jittable; JAX is optional)
    torch_source(g), to_torch(g)   the same code against torch, in float64 (batched by
                                torch.func.vmap; PyTorch is optional)
    source(g, backend), function(g, backend)   the same for any Backend object
"""
from __future__ import annotations

import importlib.util

from ... import arguments, deadline
from ...errors import MatcalcError
from ...ir import expr as E
from ...language.parser import parse
from ...rules.simplify import ASSUMPTIONS
from ..printing import text
from .backends import JAX, NUMPY, TORCH, Backend
from .graph import is_col, is_matrix, is_row
from .program import Output, Program, load

__all__ = ["numpy_source", "jax_source", "torch_source", "to_numpy", "to_jax", "to_torch",
           "source", "function", "require"]


def _is_result(obj) -> bool:
    return hasattr(obj, "expr") and hasattr(obj, "wrt") and hasattr(obj, "base")


def _program(obj, name, args, backend, assume=None) -> Program:
    """The Program of an expression, its text, or a result of gradient(), hessian(), ..."""
    assume = arguments.assumptions(assume, ASSUMPTIONS)
    if isinstance(obj, E.Expr):
        return Program([Output("value", obj)], (), args, assume, name, backend,
                       doc=text(obj))
    if isinstance(obj, str):
        e = parse(obj)
        return Program([Output("value", e)], (), args, assume, name, backend, doc=text(e))
    if _is_result(obj):
        if obj.expr is None:
            raise MatcalcError("this result has no closed form to generate code for (a "
                               "Hessian with respect to a matrix without a Kronecker form): "
                               "use mc.hvp(...) or compile(f, wrt) for its Hessian-vector "
                               "product")
        reshape = None
        if hasattr(obj, "map") and not is_matrix(obj.expr.shape):     # a Jacobian is 2-D
            reshape = "(1, -1)" if is_row(obj.expr.shape) else \
                "(-1, 1)" if is_col(obj.expr.shape) else "(1, 1)"
        label = getattr(obj, "label", "result")
        function = obj.source if getattr(obj, "source", None) is not None else obj.base
        doc = f"{label} of {text(function)} wrt {obj.wrt.name}: {text(obj.expr)}"
        variables = [v for v in (obj.wrt, getattr(obj, "direction", None)) if v is not None]
        context = variables + [c for c in (obj.base, getattr(obj, "source", None))
                               if c is not None]
        return Program([Output("value", obj.expr, reshape)], context, args,
                       {**(obj.assume or {}), **(assume or {})}, name, backend, doc=doc,
                       required=variables)
    if hasattr(obj, "by_name"):
        raise MatcalcError("generate code for one gradient at a time, e.g. g['x']")
    if hasattr(obj, "blocks"):
        raise MatcalcError("generate code for one block of a Hessian at a time, e.g. "
                           "H['x', 'y']")
    raise MatcalcError(f"cannot generate code for {type(obj).__name__}: pass an expression "
                       "or a result of gradient(), hessian(), jacobian(), hvp() or derivative()")


@deadline.bounded
def source(result_or_expr, backend: Backend, name: str = "f", args=None, assume=None) -> str:
    """The source of ``def name(<sorted symbol names>): ...`` written for ``backend``."""
    return _program(result_or_expr, name, args, backend, assume).source()


def require(backend: Backend) -> None:
    """MatcalcError, saying how to install it, unless the backend's library is installed."""
    if backend.package and importlib.util.find_spec(backend.package) is None:
        raise MatcalcError(f"{backend.title} code needs {backend.title}, which is not "
                           f"installed: {backend.install}")


@deadline.bounded
def function(result_or_expr, backend: Backend, name: str = "f", args=None, assume=None):
    """The generated function written for ``backend``, compiled."""
    require(backend)
    program = _program(result_or_expr, name, args, backend, assume)
    return load(program.source(), name, program.arg_names, program.pynames)


@deadline.bounded
def numpy_source(result_or_expr, name: str = "f", args=None, assume=None) -> str:
    """Readable NumPy source of ``def name(<sorted symbol names>): ...``.

    ``args`` lists the arguments explicitly (a superset of the symbols, in that
    order), e.g. to give a Hessian the same signature as f.
    """
    return source(result_or_expr, NUMPY, name, args, assume)


@deadline.bounded
def jax_source(result_or_expr, name: str = "f", args=None, assume=None) -> str:
    """The same code as numpy_source, against jax.numpy."""
    return source(result_or_expr, JAX, name, args, assume)


@deadline.bounded
def torch_source(result_or_expr, name: str = "f", args=None, assume=None) -> str:
    """The same code as numpy_source, against torch (arrays it makes are float64)."""
    return source(result_or_expr, TORCH, name, args, assume)


@deadline.bounded
def to_numpy(result_or_expr, name: str = "f", args=None, assume=None):
    """The generated NumPy function (arguments by sorted name, positional or keyword).

    Its ``.source`` is the code, ``.args`` the symbol names in argument order.

    >>> import numpy as np, matcalc as mc
    >>> f = to_numpy(mc.gradient("1/2 ||A x - b||_2^2", wrt="x"))
    >>> f.args
    ('A', 'b', 'x')
    >>> f(np.eye(2), np.ones(2), np.zeros(2))
    array([-1., -1.])
    """
    return function(result_or_expr, NUMPY, name, args, assume)


@deadline.bounded
def to_jax(result_or_expr, name: str = "f", args=None, assume=None):
    """The generated function against jax.numpy (wrap it in jax.jit as you like).

    JAX computes in float32 unless ``jax.config.update("jax_enable_x64", True)``.
    """
    return function(result_or_expr, JAX, name, args, assume)


@deadline.bounded
def to_torch(result_or_expr, name: str = "f", args=None, assume=None):
    """The generated function against torch: its arguments are tensors (a scalar a 0-d
    tensor), float64 for results equal to evaluate()'s, and a scalar result is a 0-d tensor.
    It runs on a batch under ``torch.func.vmap`` and differentiates under torch.func.
    """
    return function(result_or_expr, TORCH, name, args, assume)

"""compile(f, wrt): value, gradient and Hessian (or Hessian-vector product) as one
generated function, sharing every common subexpression between them."""
from __future__ import annotations

from .. import arguments, deadline
from ..backends.code import BACKENDS, Output, Program, is_matrix, load, require
from ..backends.printing import text
from ..errors import UnsupportedError
from ..ir import expr as E
from ..ir.traverse import free_symbols
from ..rules.simplify import simplify
from .derive import gradient, hessian, hvp, prepare


@deadline.bounded
def compile(f, wrt, order: int = 2, shapes: dict | None = None,
            assume: dict | None = None, name: str = "f", direction: str = "V",
            source: bool = False, backend: str = "numpy"):
    """One function returning ``(value, gradient)`` (order 1) or ``(value, gradient,
    Hessian)`` (order 2) from one call; common subexpressions are computed once.

    For a scalar or vector variable the Hessian is the matrix (n x n). For a
    **matrix** variable the third result is a function ``hvp(V)`` returning the
    Hessian-vector product H[V] (shaped like X): the size(X) x size(X) matrix
    is infeasible for n in the hundreds. ``hvp`` reuses what the call computed
    (X^-1 for log det X), so calling it again costs only the products.
    ``source=True`` returns the generated source instead of the function; ``backend``
    names the library of the code: "numpy", "jax" or "torch" (tensors in, tensors out).

    With a list of names, ``wrt=["W_1", "W_2"]`` and ``order=1``, one function returns
    ``(value, (gradient_W_1, gradient_W_2))``, the gradients in the order of wrt, from
    one forward pass: every subexpression, transposed or not, is computed once (the
    backpropagation of a network). ``order=2`` with a list is refused:
    ``hessian(f, wrt=[...])`` gives the blocks, each with its own generated code.

    >>> import numpy as np
    >>> fgh = compile("1/2 x^T A x + b^T x", wrt="x", assume={"A": "symmetric"})
    >>> value, gradient, hessian = fgh(np.eye(2), np.ones(2), np.ones(2))
    >>> value, gradient, hessian.shape
    (3.0, array([2., 2.]), (2, 2))
    """
    order = arguments.count(order, "order", 2)
    source = arguments.choice(source, "source", (False, True))
    library = BACKENDS[arguments.choice(backend, "backend", tuple(BACKENDS))]
    if not source:
        require(library)
    if not isinstance(wrt, str):
        program = _joint_program(f, arguments.variable_names(wrt), order, shapes, assume, name,
                                 library)
    else:
        program = _program(f, wrt, order, shapes, assume, name, direction, library)
    text_ = program.source()
    if source:
        return text_
    return load(text_, name, program.arg_names, program.pynames)


def _program(f, wrt, order, shapes, assume, name, direction, backend) -> Program:
    """The Program of value, gradient and (order 2) Hessian or HVP for one variable."""
    f_expr, X, assume = prepare(f, wrt, shapes, assume)
    value = simplify(f_expr, assume)
    outputs = [Output("value", value)]
    doc = [f"f = {text(f_expr)}"]
    direction_symbol = None
    if order == 2 and is_matrix(X.shape):
        names = {s.name for s in free_symbols(f_expr) if isinstance(s, E.Symbol)}
        while direction in names:
            direction += "1"
        hv = hvp(f_expr, wrt, shapes, assume, direction=direction)
        direction_symbol = hv.direction
        outputs += [Output("gradient", hv.base), Output("hvp", hv.expr, inner=True)]
        doc += [f"gradient: {text(hv.base)}", f"hvp({direction}): {text(hv.expr)}"]
    elif order == 2:
        h = hessian(f_expr, wrt, shapes, assume)
        outputs += [Output("gradient", h.gradient.expr), Output("hessian", h.expr)]
        doc += [f"gradient: {text(h.gradient.expr)}", f"Hessian: {text(h.expr)}"]
    else:
        g = gradient(f_expr, wrt, shapes, assume)
        outputs.append(Output("gradient", g.expr))
        doc.append(f"gradient: {text(g.expr)}")
    context = [X, f_expr]
    return Program(outputs, context, None, assume, name, backend,
                   doc="; ".join(doc), direction=direction_symbol, required=context)


def _joint_program(f, names, order, shapes, assume, name, backend) -> Program:
    """The Program of the value and the gradients for several variables, one DAG."""
    if order != 1:
        raise UnsupportedError(f"compile with several variables ({', '.join(names)}) gives "
                               "the value and the gradients: pass order=1; it does not "
                               "compile the Hessian blocks between them: hessian(f, wrt="
                               f"{names!r}) gives them, and each block its own code "
                               f"(H[{names[0]!r}, {names[-1]!r}].to_numpy()); compile(f, "
                               "wrt=name) gives one variable's Hessian or Hessian-vector "
                               "product")
    f_expr, _, assume = prepare(f, names[0], shapes, assume)
    gradients = gradient(f_expr, names, shapes, assume)
    variables = [gradients[n].wrt for n in names]
    outputs = [Output("value", simplify(f_expr, assume))]
    doc = [f"f = {text(f_expr)}"]
    for n in names:
        outputs.append(Output(f"gradient_{n}", gradients[n].expr, grouped=True))
        doc.append(f"gradient {n}: {text(gradients[n].expr)}")
    context = variables + [f_expr]
    return Program(outputs, context, None, assume, name, backend, doc="; ".join(doc),
                   required=context, joint=True, batch=batch_dimensions(f_expr, variables))


def batch_dimensions(f, variables) -> frozenset:
    """The named dimensions of f's symbols that no variable has (the batch of the data
    X, Y of a network's loss): the cost model of matrix chains takes them as smaller than
    the widths of the weights, so that ``W_2 W_1 X`` is ``W_2 (W_1 X)``."""
    widths = {d for v in variables for d in v.shape}
    return frozenset(d for s in free_symbols(f) if isinstance(s, E.Symbol)
                     for d in s.shape if isinstance(d, str) and d not in widths)

"""compile(f, wrt): value, gradient and Hessian (or Hessian-vector product) as one
generated function, sharing every common subexpression between them."""
from __future__ import annotations

from .. import arguments, deadline
from ..backends.code import Output, Program, is_matrix, load
from ..backends.printing import text
from ..ir import expr as E
from ..rules.simplify import simplify
from .derive import gradient, hessian, hvp, prepare


@deadline.bounded
def compile(f, wrt: str, order: int = 2, shapes: dict | None = None,
            assume: dict | None = None, name: str = "f", direction: str = "V",
            source: bool = False):
    """One function returning ``(value, gradient)`` (order 1) or ``(value, gradient,
    Hessian)`` (order 2) from one call; common subexpressions are computed once.

    For a scalar or vector variable the Hessian is the matrix (n x n). For a
    **matrix** variable the third result is a function ``hvp(V)`` returning the
    Hessian-vector product H[V] (shaped like X): the size(X) x size(X) matrix
    is infeasible for n in the hundreds. ``hvp`` reuses what the call computed
    (X^-1 for log det X), so calling it again costs only the products.
    ``source=True`` returns the generated source instead of the function.

    >>> import numpy as np
    >>> fgh = compile("1/2 x^T A x + b^T x", wrt="x", assume={"A": "symmetric"})
    >>> value, gradient, hessian = fgh(np.eye(2), np.ones(2), np.ones(2))
    >>> value, gradient, hessian.shape
    (3.0, array([2., 2.]), (2, 2))
    """
    order = arguments.count(order, "order", 2)
    source = arguments.choice(source, "source", (False, True))
    f_expr, X, assume = prepare(f, wrt, shapes, assume)
    value = simplify(f_expr, assume)
    outputs = [Output("value", value)]
    doc = [f"f = {text(f_expr)}"]
    direction_symbol = None
    if order == 2 and is_matrix(X.shape):
        names = {s.name for s in E.free_symbols(f_expr) if isinstance(s, E.Symbol)}
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
    program = Program(outputs, context, None, assume, name, "numpy",
                      doc="; ".join(doc), direction=direction_symbol, required=context)
    text_ = program.source()
    if source:
        return text_
    return load(text_, name, program.arg_names, program.pynames)

"""Derivatives by the differential method.

    gradient    df = <G, dX>                   -> G, shaped like X
    jacobian    dF = J dx  (vec(dF) = J vec(dX)) -> J, size(F) x size(X)
    hessian     d^2 f = <H[dX1], dX2>: the Jacobian of the gradient; H[dX] = dG
                (several variables: the blocks H[x, y], the Jacobian of grad_x f wrt y)
    derivative  F^(k)(t) for a scalar t
    hvp         H[v], without forming H

When the variable itself is declared symmetric, the gradient is the one on
the space of symmetric matrices, sym(G) = (G + G^T) / 2: the unique symmetric
G with df = <G, dX> for every symmetric dX (``symmetric="sym"``). Some texts
use 2 G - diag(G), the derivative with respect to the independent entries
of X (``symmetric="entries"``).
"""
from __future__ import annotations

import difflib

from .. import arguments, deadline
from ..backends.printing import text
from ..errors import MatcalcError, UnsupportedError
from ..ir import expr as E
from ..ir.traverse import free_symbols, substitute
from ..language.parser import parse
from ..lazy import sympy
from ..rules.canonical import gradient_from_differential, jacobian_from_differential, vec_jacobian
from ..rules.differential import Step, differential_of
from ..rules.simplify import ASSUMPTIONS, SYMMETRIC_KINDS, expand, simplify as normal_form
from .results import (HVP, DifferentialForm, Gradient, Gradients, Hessian, HessianBlock, Hessians,
                      Jacobian, Jacobians, Result)

MAX_ORDER = 30                 # derivative(): each order differentiates and simplifies again
MAX_DERIVATIVE_SIZE = 2_000    # operations in F^(k) before F^(k+1) is refused


def _parse(f, shapes, assume):
    """(f as an expression, the assumptions checked); an assumed kind makes a matrix square."""
    assume = arguments.assumptions(assume, ASSUMPTIONS)
    shapes = arguments.shapes(shapes)
    if isinstance(f, E.Expr):
        return f, assume
    square = {name: "square" for name in assume if name not in shapes}
    return parse(f, {**square, **shapes}), assume


def prepare(f, wrt: str, shapes=None, assume=None):
    """Parse f and find the variable; check the assumptions."""
    expr, assume = _parse(f, shapes, assume)
    wrt = arguments.variable_name(wrt)
    symbols = {s.name: s for s in free_symbols(expr) if isinstance(s, E.Symbol)}
    for name in assume:
        if name not in symbols and name != wrt:
            raise MatcalcError(f"assumption on {name!r}, which does not occur in {text(expr)}")
    if wrt in symbols:
        return expr, symbols[wrt], assume
    var = parse(wrt, shapes)    # f does not depend on it: the derivative is zero
    if not isinstance(var, E.Symbol):
        close = difflib.get_close_matches(wrt, list(symbols), n=1)
        raise MatcalcError(f"cannot differentiate with respect to {wrt!r}"
                           + (f"; did you mean {close[0]!r}?" if close else ""))
    return expr, var, assume


@deadline.bounded
def simplify(f, assume: dict | None = None, shapes: dict | None = None) -> E.Expr:
    """f (text or an expression) in matcalc's normal form, using the assumptions.

    >>> str(simplify("(X^-1)^T + X^-T"))
    '2 X^-T'
    """
    expr, assume = _parse(f, shapes, assume)
    return normal_form(expr, assume)


def _require_scalar(f, what):
    """f is a scalar. The second derivative of a vector or matrix F, a tensor of order 3 in
    vec layout, is refused with what to write instead: the Hessian of <C, F>, C constant,
    is the sum of the entries' Hessians weighted by C."""
    if f.is_scalar:
        return
    if what == "a gradient":
        raise MatcalcError(f"{text(f)} is a {E.describe(f.shape)}, not a scalar: {what} "
                           "needs a scalar function; the derivative of a vector or matrix is "
                           "its Jacobian (jacobian(), or matcalc jac)")
    c = "c" if f.shape[1] == 1 else "C"
    raise UnsupportedError(f"{text(f):.60} is a {E.describe(f.shape)}, not a scalar: its "
                           "second derivative is a tensor of order 3 (in vec layout), which "
                           f"matcalc does not represent; take {what.replace('a ', 'the ', 1)} "
                           f"of a scalar such as <{c}, {text(f):.40}> ({c} constant: the "
                           f"entries' Hessians weighted by {c}), or jacobian() for the first "
                           "derivative")


def _gradient_expr(f, X, assume, symmetric="sym", steps=None):
    """G with df = <G, dX>; the derivation goes into steps (a list) if given."""
    symmetric = arguments.choice(symmetric, "symmetric", ("sym", "entries"))
    dX = E.Differential(X)
    df = differential_of(normal_form(f, assume), X, steps=steps)
    G = normal_form(gradient_from_differential(df, dX), assume)
    if steps is not None:
        steps.append(Step(("canonical form <G, " + text(dX) + ">",),
                          DifferentialForm(f, X, G).expr))
    if assume.get(X.name) in SYMMETRIC_KINDS and not X.is_scalar:
        if symmetric == "sym":
            G = _symmetric_form(G, assume)
        else:
            G = normal_form(E.add(G, E.Transpose(G), E.mul(E.Number(-1), E.Diag(E.Diag(G)))),
                            assume)
        if steps is not None:
            steps.append(Step((f"{X.name} symmetric: the gradient on symmetric matrices, "
                               + ("sym(G)" if symmetric == "sym" else "2 G - diag(G)"),),
                              DifferentialForm(f, X, G).expr))
    return G


@deadline.bounded
def gradient(f, wrt, shapes: dict | None = None, assume: dict | None = None,
             symmetric: str = "sym") -> Gradient | Gradients:
    """The gradient of a scalar expression f with respect to the variable named wrt.

    With a list of names, the gradients with respect to each (a ``Gradients`` mapping).

    >>> str(gradient("tr(A X^-1 B)", wrt="X"))
    '-X^-T A^T B^T X^-T'
    """
    if not isinstance(wrt, str):
        names = arguments.variable_names(wrt)
        f = _parse(f, shapes, assume)[0]
        return Gradients({name: gradient(f, name, shapes, assume, symmetric) for name in names})
    f, X, assume = prepare(f, wrt, shapes, assume)
    _require_scalar(f, "a gradient")
    steps: list[Step] = []
    G = _gradient_expr(f, X, assume, symmetric, steps)
    return Gradient(f, X, G, assume, steps=tuple(steps))


@deadline.bounded
def differential(f, wrt: str, shapes: dict | None = None,
                 assume: dict | None = None) -> DifferentialForm:
    """df in the canonical form <G, dX>.

    >>> print(differential("ln <x, Ax>", wrt="x"))
    df = <(A + A^T) x, dx> / <x, A x>
    """
    return gradient(f, arguments.variable_name(wrt), shapes, assume).differential


def _jacobian_parts(F, X, assume, tidy=normal_form, steps=None, lhs="dF"):
    """(dF simplified, J or None): J in matrix form for vectors, Kronecker form otherwise."""
    dX = E.Differential(X)
    layers = []
    dF = differential_of(tidy(F, assume), X, steps=layers)
    if layers:
        layers[0] = Step((), layers[0].expr, lhs)
    dF = tidy(dF, assume) if dF is not None else None
    if steps is not None:
        steps += layers + ([Step(("simplify",), dF)] if dF is not None else [])
    dF_simple = dF if dF is not None else E.Zero(F.shape)
    if F.shape[1] == 1 and X.shape[1] == 1:
        J = jacobian_from_differential(dF, dX)
        return dF_simple, tidy(J, assume) if J is not None else E.Zero((F.shape[0], X.shape[0]))
    try:
        J = vec_jacobian(dF, dX)
    except UnsupportedError:
        return dF_simple, None
    size = (E.Vec(F).shape[0], E.Vec(X).shape[0])
    return dF_simple, tidy(J, assume) if J is not None else E.Zero(size)


@deadline.bounded
def jacobian(F, wrt, shapes: dict | None = None, assume: dict | None = None
             ) -> Jacobian | Jacobians:
    """J with dF = J dX: m x n for vectors; size(F) x size(X) in vec layout otherwise.

    With a list of names, the Jacobian with respect to each (a ``Jacobians`` mapping;
    dF = J[x] dx + J[y] dy).

    >>> str(jacobian("A x", wrt="x"))
    'A'
    """
    if not isinstance(wrt, str):
        names = arguments.variable_names(wrt)
        F = _parse(F, shapes, assume)[0]
        return Jacobians({name: jacobian(F, name, shapes, assume) for name in names})
    F, X, assume = prepare(F, wrt, shapes, assume)
    steps: list[Step] = []
    dF, J = _jacobian_parts(F, X, assume, steps=steps)
    if J is not None:
        steps.append(Step((f"read off dF = J {text(E.Differential(X))}",), J, "J"))
    return Jacobian(F, X, J, assume, map=dF, steps=tuple(steps))


@deadline.bounded
def hessian(f, wrt, shapes: dict | None = None, assume: dict | None = None
            ) -> Hessian | Hessians:
    """The Hessian: n x n for a vector x; for a matrix X the map H[dX] and its vec form.

    With a list of names, the block Hessian (``Hessians``): ``H["x", "y"]`` is the Jacobian
    of grad_x f with respect to y, size(x) x size(y) in vec layout, so that H["y", "x"] is
    its transpose and H["x", "x"] the Hessian with respect to x.

    >>> str(hessian("1/2 ||A x - b||_2^2", wrt="x"))
    'A^T A'
    >>> str(hessian("x^T A y", wrt=["x", "y"])["x", "y"])
    'A'
    """
    if not isinstance(wrt, str):
        names = arguments.variable_names(wrt)
        f = _parse(f, shapes, assume)[0]
        gradients = [_gradient_result(*prepare(f, name, shapes, assume)) for name in names]
        blocks = {(g.wrt.name, v.wrt.name): _hessian_block(g, v.wrt, HessianBlock)
                  for g in gradients for v in gradients}
        return Hessians(blocks, Gradients({g.wrt.name: g for g in gradients}))
    return _hessian_block(_gradient_result(*prepare(f, wrt, shapes, assume)), None, Hessian)


def _gradient_result(f, X, assume) -> Gradient:
    """grad_X f with its derivation, for a Hessian."""
    _require_scalar(f, "a Hessian")
    steps: list[Step] = []
    return Gradient(f, X, _gradient_expr(f, X, assume, steps=steps), assume, steps=tuple(steps))


def _hessian_block(g: Gradient, Y: E.Symbol | None, kind):
    """The Jacobian of the gradient g = grad_X f with respect to Y (X when Y is None):
    d(grad_X f) = H dY, in matrix form for vectors (symmetric on the diagonal), in vec
    layout otherwise; ``map`` is d(grad_X f) itself."""
    X, assume = g.wrt, g.assume
    Y = X if Y is None else Y
    lhs = "d(grad f)" if kind is Hessian else f"d(grad_{X.name} f)"
    steps = list(g.steps) + [Step(("read off the gradient",), g.expr,
                                  "grad f" if kind is Hessian else f"grad_{X.name} f")]
    dG, H = _jacobian_parts(g.expr, Y, assume, tidy=expand, steps=steps, lhs=lhs)
    if H is not None and X.shape[1] == 1 and Y.shape[1] == 1:
        H = _symmetric_form(H, assume) if X == Y else H
        steps.append(Step((f"read off {lhs} = H {text(E.Differential(Y))}",), H, "H"))
    label = {} if kind is Hessian else {"label": f"Hessian block H[{X.name}, {Y.name}]"}
    return kind(g.expr, Y, H, assume, map=dG, gradient=g, source=g.base, steps=tuple(steps),
                **label)


def _symmetric_part(G):
    """(G + G^T) / 2."""
    return E.mul(E.Number(sympy.Rational(1, 2)), E.add(G, E.Transpose(G)))


def _symmetric_form(H, assume):
    """A matrix that is symmetric in value, written so that it reads symmetric: itself when
    it does; else itself when it does multiplied out (H - H^T expands to 0), or (H + H^T) / 2
    multiplied out, a symmetric sum (D A + A^T D - A^T E A), or simplified, the shortest."""
    if normal_form(E.Transpose(H), assume) == H:
        return H
    symmetric = _symmetric_part(H)
    candidates = [expand(symmetric, assume), normal_form(symmetric, assume)]
    if isinstance(expand(E.add(H, E.mul(E.Number(-1), E.Transpose(H))), assume), E.Zero):
        candidates.insert(0, H)
    return min(candidates, key=E.size)


@deadline.bounded
def derivative(F, wrt: str, order: int = 1, shapes: dict | None = None,
               assume: dict | None = None) -> Result:
    """The order-th derivative of F with respect to a scalar variable.

    >>> str(derivative("t^3", wrt="t", order=2, shapes={"t": "scalar"}))
    '6 t'
    """
    F, t, assume = prepare(F, wrt, shapes, assume)
    if not t.is_scalar:
        raise MatcalcError(f"derivative() is for a scalar variable; {wrt} is a "
                           f"{E.describe(t.shape)}: use gradient(), jacobian() or hessian()")
    order = arguments.count(order, "order", MAX_ORDER)
    dt = E.Differential(t)
    current = base = F
    for k in range(order):
        deadline.check(f"taking the derivative of order {k + 1}")
        if (size := E.size(current)) > MAX_DERIVATIVE_SIZE:
            raise UnsupportedError(f"the derivative of order {k} of {text(F):.60} has grown to "
                                   f"{size} operations; order {order} is out of reach (the "
                                   f"limit is {MAX_DERIVATIVE_SIZE} operations)")
        base = current
        dF = differential_of(current, t)
        current = normal_form(substitute(dF, dt, E.Number(1)), assume) if dF is not None \
            else E.Zero(F.shape)
    return Result(base, t, current, assume, label=f"derivative of order {order}", source=F)


@deadline.bounded
def hvp(f, wrt: str, shapes: dict | None = None, assume: dict | None = None,
        direction: str | None = None) -> Result:
    """The Hessian-vector product H[v] as an expression in a new symbol ``direction``
    (by default v for a vector variable, V for a matrix).

    >>> str(hvp("1/2 ||A x - b||_2^2", wrt="x"))
    'A^T A v'
    """
    f, X, assume = prepare(f, wrt, shapes, assume)
    _require_scalar(f, "a Hessian-vector product")
    direction = _direction_name(("v" if X.shape[1] == 1 else "V") if direction is None
                                else direction, X)
    if direction in {s.name for s in free_symbols(f) if isinstance(s, E.Symbol)}:
        raise MatcalcError(f"the direction {direction!r} already occurs in {text(f)}; "
                           "choose another name with direction=")
    G = _gradient_expr(f, X, assume)
    v = E.Symbol(direction, X.shape)
    dG = differential_of(G, X)
    Hv = normal_form(substitute(dG, E.Differential(X), v), assume) if dG is not None \
        else E.Zero(X.shape)
    return HVP(G, X, Hv, assume, label="Hessian-vector product", direction=v, source=f)


def _direction_name(name, X):
    """A name that reads back as a symbol of X's kind: not I or exp, nor sigma for a vector."""
    try:
        read = parse(arguments.variable_name(name, "direction"))
    except MatcalcError:
        read = None
    kind = lambda e: (e.is_scalar, e.shape[1] == 1)
    if not isinstance(read, E.Symbol) or not X.is_scalar and kind(read) != kind(X):
        raise MatcalcError(f"direction must name a new {E.describe(X.shape)} like {X.name}, "
                           f"such as {'v' if X.shape[1] == 1 else 'V'!r}, not {name!r}")
    return name

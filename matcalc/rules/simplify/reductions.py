"""Rules of the scalars of a matrix: tr, det, <., .> and the norms; tr(A^T) = tr(A),
tr(x y^T) = y^T x, <I, M> = tr(M), <c 1, V> = c 1^T V 1, det(X^-1) = 1 / det(X),
det(s M) = s^n det(M), det(A B) = det(A) det(B), ||x x^T|| = x^T x."""
from __future__ import annotations

from ...ir import expr as E
from ...ir.constants import constant_value, dimension
from ...ir.expr import Identity, Mul, Number, Transpose, Zero, add, mul
from ..scalar import printed
from .core import rule
from .elementwise import entrywise_algebra
from ...lazy import sympy


@rule(E.Norm)
def simplify_norm(e, simp):
    """||u v^T|| = ||u|| ||v|| (2-norm, Frobenius and nuclear alike); ||x x^T|| = x^T x;
    of c 1 (n x m): |c| n for the 1-norms, else sqrt(c^2 n m)."""
    if (c := constant_value(e.arg)) is not None:
        rows, cols = (dimension(d) for d in e.arg.shape)
        if e.kind in ("l1", "matrix-l1"):
            c = Number(abs(c.value)) if isinstance(c, Number) else E.Func("abs", c)
            return simp(mul(c, rows))
        root = lambda u: E.Power(u, Number(sympy.Rational(1, 2)))
        size = rows if rows == cols else root(mul(rows, cols))
        return simp(mul(root(E.Power(c, Number(2))), size))
    match e.arg:
        case E.Mul((u, E.Transpose(v))) if u.shape[1] == 1 and v.shape[1] == 1 \
                and e.kind in ("spectral", "euclid", "nuclear"):
            if u == v:
                return simp(Mul((Transpose(u), u)))
            return simp(mul(E.Norm(u), E.Norm(v)))
    return e


@rule(E.Trace)
def simplify_trace(e, simp):
    """tr(s) = s for a scalar, tr(A^T) = tr(A), tr(I_n) = n, tr(c 1 1^T) = c n,
    tr(x y^T) = y^T x (a row vector leads), tr(s A) = s tr(A)."""
    a = e.arg
    match a:
        case _ if a.is_scalar:
            return a
        case E.Transpose(b):
            return simp(E.Trace(b))
        case E.Identity(n) if isinstance(n, int):
            return Number(n)
        case E.Add(terms) if any(_sized_constant(t) for t in terms):   # tr(1 1^T + I) = 2 n
            return simp(add(*(E.Trace(t) for t in terms)))
        case _ if (c := constant_value(a)) is not None:
            return simp(mul(c, dimension(a.shape[0])))
        case E.Mul(factors):
            scalars = [f for f in factors if f.is_scalar]
            chain = [f for f in factors if not f.is_scalar]
            for i, f in enumerate(chain):
                if f.shape[0] == 1:
                    return simp(mul(*scalars, Mul(tuple(chain[i:] + chain[:i]))))
            if scalars:
                return simp(mul(*scalars, E.Trace(mul(*chain))))
    return e


def _sized_constant(e) -> bool:
    """c 1 1^T or c I: a constant whose trace is a multiple of its size."""
    factors = e.factors if isinstance(e, Mul) else (e,)
    return constant_value(e) is not None or \
        [f for f in factors if not f.is_scalar] == [Identity(e.shape[0])]


@rule(E.Det)
def simplify_det(e, simp):
    """det(s) = s for a scalar, det(I) = 1, det(A^T) = det(A), det(X^-1) = 1 / det(X),
    det(s M) = s^n det(M), det(A B ...) = det(A) det(B) ... when every factor is square.

    The product rule holds for all square factors, so it changes no domain: log det(A B)
    becomes log(det(A) det(B)), defined where det(A) det(B) > 0 as before; the log is
    not split into log det(A) + log det(B), which would need det(A) > 0 and det(B) > 0."""
    a = e.arg
    match a:
        case _ if a.is_scalar:
            return a
        case E.Identity():
            return Number(1)
        case E.Transpose(b):
            return simp(E.Det(b))
        case E.Inverse(b):
            return simp(E.Power(E.Det(b), Number(-1)))
        case E.Mul(factors) if any(f.is_scalar for f in factors):
            scalars = [f for f in factors if f.is_scalar]
            s = E.Power(mul(*scalars), dimension(e.arg.shape[0]))
            return simp(mul(s, E.Det(mul(*(f for f in factors if not f.is_scalar)))))
        case E.Mul(factors) if all(f.shape[0] == f.shape[1] for f in factors):
            return simp(mul(*(E.Det(f) for f in factors)))
    return e


def entrywise_total(l, r, simp):
    """<A, B> = 1^T (A .* B) 1 when the entrywise product is shorter: <p, y ./ p> = 1^T y."""
    elementwise = lambda m: isinstance(m, E.Hadamard) or isinstance(m, E.Power) and not m.is_scalar
    if not (elementwise(l) or elementwise(r)) or E.has(l, E.Differential, E.D) or \
            E.has(r, E.Differential, E.D):
        return None
    product = E.Hadamard(l, r)
    shorter = entrywise_algebra(product)
    if shorter == product:
        return None
    return simp(E.Inner(E.Ones(l.shape), shorter))


@rule(E.Inner)
def simplify_inner(e, simp):
    """<0, B> = 0, <s, b> = s b for scalars, <I, M> = tr(M), <c 1, V> = c 1^T V 1 (the sum
    of V), <a, b> = <b, a> in one order, scalars pulled out: <s A, B> = s <A, B>;
    <p, y ./ p> = 1^T y (entrywise_total)."""
    l, r = e.left, e.right
    if isinstance(l, Zero) or isinstance(r, Zero):
        return Zero(E.SCALAR)
    if l.is_scalar:
        return simp(mul(l, r))
    if isinstance(l, Identity):
        return simp(E.Trace(r))
    if isinstance(r, Identity):
        return simp(E.Trace(l))
    for ones, v in ((l, r), (r, l)):
        if (c := constant_value(ones)) is not None:
            rows, cols = v.shape
            left = [Transpose(E.Ones((rows, 1)))] if rows != 1 else []
            right = [E.Ones((cols, 1))] if cols != 1 else []
            return simp(mul(c, *left, v, *right))
    if (total := entrywise_total(l, r, simp)) is not None:
        return total
    if (len(printed(r)), printed(r)) < (len(printed(l)), printed(l)):
        return simp(E.Inner(r, l))
    pulled = []
    parts = []
    for side in (l, r):
        if isinstance(side, Mul) and any(f.is_scalar for f in side.factors):
            pulled += [f for f in side.factors if f.is_scalar]
            side = mul(*(f for f in side.factors if not f.is_scalar))
        parts.append(side)
    if pulled:
        return simp(mul(*pulled, E.Inner(*parts)))
    return e

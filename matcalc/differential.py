"""The rules of differentials, one per node type, as the seminar writes them.

``differential(f, X)`` returns df, an expression linear in ``dX``; None stands
for zero (f does not depend on X). A ``Differential`` met on the way (the dX1
of a first differential) is a constant: d(dX1) = 0, which gives second
differentials. Sources: Magnus & Neudecker, "Matrix Differential Calculus";
Petersen & Pedersen, "The Matrix Cookbook" (numbers in brackets).
"""
from __future__ import annotations

from . import expr as E
from .errors import UnsupportedError
from .expr import Hadamard, Inverse, Number, Trace, Transpose, add, mul
from .functions import Z, derivative
from .scalar import apply_elementwise

RULES = {}


def rule(node_type):
    def register(fn):
        RULES[node_type] = fn
        return fn
    return register


def differential(f: E.Expr, var: E.Symbol, index: int = 0) -> E.Expr | None:
    """df with respect to var; ``index`` names the differential (dX, dX1, dX2)."""
    dX = E.Differential(var, index)
    memo = {}

    def d(e):
        if var not in E.free_symbols(e):
            return None
        if e not in memo:
            memo[e] = dX if e == var else RULES[type(e)](e, d)
        return memo[e]

    return d(f)


def hadamard(a, b):
    return None if a is None or b is None else Hadamard(a, b)


def scale(coefficient, du):
    """coefficient * du, elementwise when du is a vector or matrix."""
    if du is None:
        return None
    return mul(coefficient, du) if coefficient.is_scalar else Hadamard(coefficient, du)


@rule(E.Add)
def sum_rule(e, d):
    """d(X + Y) = dX + dY"""
    return add(*(d(t) for t in e.terms))


@rule(E.Mul)
def product_rule(e, d):
    """d(XY) = dX Y + X dY  (so d(AXB) = A dX B)"""
    fs = e.factors
    return add(*(mul(*fs[:i], d(f), *fs[i + 1:]) for i, f in enumerate(fs)))


@rule(E.Hadamard)
def hadamard_rule(e, d):
    """d(X .* Y) = dX .* Y + X .* dY"""
    return add(hadamard(d(e.left), e.right), hadamard(e.left, d(e.right)))


@rule(E.Transpose)
def transpose_rule(e, d):
    """d(X^T) = (dX)^T"""
    return Transpose(d(e.arg))


@rule(E.Inverse)
def inverse_rule(e, d):
    """d(X^-1) = -X^-1 dX X^-1  [Cookbook (59)]"""
    return mul(Number(-1), e, d(e.arg), e)


@rule(E.MatPower)
def matrix_power_rule(e, d):
    """d(X^k) = sum_j X^j dX X^(k-1-j);  X^-k = (X^-1)^k"""
    if e.k < 0:
        return d(E.MatPower(Inverse(e.base), -e.k)) if e.k < -1 else d(Inverse(e.base))
    power = lambda j: None if j == 0 else e.base if j == 1 else E.MatPower(e.base, j)
    dX = d(e.base)
    return add(*(mul(*filter(None, (power(j), dX, power(e.k - 1 - j)))) for j in range(e.k)))


@rule(E.Power)
def power_rule(e, d):
    """d(u^c) = c u^(c-1) du;  d(u^v) = u^v (ln(u) dv + v du / u)"""
    u, v = e.base, e.exponent
    du, dv = d(u), d(v)
    if dv is None:
        return scale(mul(v, E.Power(u, add(v, Number(-1)))), du)
    if not u.is_scalar:
        raise UnsupportedError("an elementwise power whose exponent depends on the variable")
    return mul(e, add(mul(E.Func("log", u), dv), mul(v, du, E.Power(u, Number(-1)))))


@rule(E.Trace)
def trace_rule(e, d):
    """d tr(X) = tr(dX)"""
    return Trace(d(e.arg))


@rule(E.Det)
def determinant_rule(e, d):
    """d det(X) = det(X) tr(X^-1 dX)  [Cookbook (49)]"""
    return mul(e, Trace(mul(Inverse(e.arg), d(e.arg))))


@rule(E.Inner)
def inner_rule(e, d):
    """d<X, Y> = <dX, Y> + <X, dY>"""
    da, db = d(e.left), d(e.right)
    return add(da and E.Inner(da, e.right), db and E.Inner(e.left, db))


@rule(E.Norm)
def norm_rule(e, d):
    """d||X|| = <X, dX> / ||X||  (2-norm of a vector, Frobenius norm of a matrix)"""
    return mul(E.Inner(e.arg, d(e.arg)), E.Power(e, Number(-1)))


@rule(E.Diag)
def diag_rule(e, d):
    """d diag(X) = diag(dX)"""
    return E.Diag(d(e.arg))


@rule(E.Func)
def chain_rule(e, d):
    """d f(U) = f'(U) .* dU  (f'(u) du for a scalar u)"""
    return scale(apply_elementwise(derivative(e.name), Z, e.arg), d(e.arg))

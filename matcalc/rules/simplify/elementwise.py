"""Rules of entrywise operations: .*, the catalogue functions f(U), powers u^c, and softmax
and logsumexp of a constant; entrywise algebra is SymPy's (scalar.py)."""
from __future__ import annotations

from ...ir import expr as E
from ...ir.constants import constant_value, dimension, ones_of
from ...ir.expr import Identity, Mul, Number, Zero, add, mul
from ..scalar import shorter_elementwise, simplify_scalar
from .core import rule
from .structure import transpose_outside


@rule(E.Hadamard)
def simplify_hadamard(e, simp):
    """0 .* A = 0;  (c 1 1^T) .* A = c A for a constant c (1 .* A = A);
    (c A) .* B = c (A .* B) for a scalar c; I .* M = diag(diag(M)); 1 ./ u .* x = x ./ u;
    x^T .* y^T = (x .* y)^T."""
    l, r = e.left, e.right
    if isinstance(l, Zero) or isinstance(r, Zero):
        return Zero(e.shape)
    for constant, other in ((l, r), (r, l)):
        if (c := constant_value(constant)) is not None:
            return simp(mul(c, other))
    scalars = [f for side in (l, r) if isinstance(side, Mul) for f in side.factors
               if f.is_scalar]
    if scalars:
        strip = lambda m: mul(*(f for f in m.factors if not f.is_scalar)) \
            if isinstance(m, Mul) else m
        return simp(mul(*scalars, E.Hadamard(strip(l), strip(r))))
    for identity, other in ((l, r), (r, l)):
        if isinstance(identity, Identity):          # I .* M = diag(diag(M))
            return simp(E.Diag(E.Diag(other)))
    if _divisor(l) and not _divisor(r):
        return simp(E.Hadamard(r, l))
    if (outside := transpose_outside(e, simp)) != e:
        return outside
    return entrywise_algebra(e)


def _divisor(e) -> bool:
    """u.^-c: a quotient is written numerator first, x ./ sqrt(u), not 1 ./ sqrt(u) .* x."""
    return isinstance(e, E.Power) and isinstance(e.exponent, Number) and e.exponent.value < 0


def entrywise_algebra(e):
    """Entrywise algebra by SymPy: (1 - y) ./ (1 - s) .* (1 - s) .* s -> (1 - y) .* s.

    Not on linear forms in dX, whose shape the Jacobian reads."""
    return e if E.has(e, E.Differential, E.D) else shorter_elementwise(e)


@rule(E.Power)
def simplify_power(e, simp):
    """A scalar power by SymPy; U^1 = U; (x^T).^2 = (x.^2)^T."""
    if e.base.is_scalar:
        return simplify_scalar(e)
    return e.base if e.exponent == Number(1) else transpose_outside(e, simp)


@rule(E.Func)
def simplify_func(e, simp):
    """log(1 + exp(u)) = softplus(u), log(1^T exp(u)) = logsumexp(u),
    f(c I) = f(0) 1 1^T + (f(c) - f(0)) I; a scalar f(u) by SymPy; f(x^T W^T) = f(W x)^T."""
    match e:
        case E.Func("log", E.Add((E.Number(1) | E.Ones(), E.Func("exp", u)))):
            return E.Func("softplus", u)
        case E.Func("log", E.Mul((E.Transpose(E.Ones()), E.Func("exp", u)))):
            return E.LogSumExp(u)
    factors = e.arg.factors if isinstance(e.arg, Mul) else (e.arg,)
    I = Identity(e.shape[0])
    if [f for f in factors if not f.is_scalar] == [I]:
        c = mul(*(f for f in factors if f.is_scalar))
        f0, fc = E.Func(e.name, Number(0)), E.Func(e.name, c)
        return simp(add(mul(f0, *ones_of(e.shape)), mul(add(fc, -f0), I)))
    return simplify_scalar(e) if e.arg.is_scalar else transpose_outside(e, simp)


@rule(E.Softmax)
def simplify_softmax(e, simp):
    """softmax(c 1) = 1/n 1."""
    if constant_value(e.arg) is None:
        return e
    return simp(mul(E.Power(dimension(e.shape[0]), Number(-1)), *ones_of(e.shape)))


@rule(E.LogSumExp)
def simplify_logsumexp(e, simp):
    """logsumexp(c 1) = c + log(n); of the columns of c 1 1^T, (c + log(n)) 1^T."""
    c = constant_value(e.arg)
    if c is None:
        return e
    return simp(mul(add(c, E.Func("log", dimension(e.arg.shape[0]))), *ones_of(e.shape)))

"""Constants written with ones: which expressions are a constant c in every entry, and how
such a constant is written (c 1, c 1^T, c 1 1^T, or the scalar c)."""
from __future__ import annotations

from functools import lru_cache

from . import expr as E


def dimension(d) -> E.Expr:
    """The size d as a scalar: a number, or tr(I_d), which prints as the name d."""
    return E.Number(d) if isinstance(d, int) else E.Trace(E.Identity(d))


@lru_cache(maxsize=4096)
def constant_value(e: E.Expr) -> E.Expr | None:
    """c when every entry of e, built of ones and zeros, is the scalar c: 0 and 1; s 1,
    1 1^T and 1^T 1 = n; f(c 1) = f(c) 1, (c 1).^k = c^k 1, c 1 + d 1, (c 1) .* (d 1),
    (c 1)^T, diag(c 1 1^T) = c 1. None for anything else, and for plain scalars."""
    match e:
        case E.Zero():
            return E.Number(0)
        case E.Ones():
            return E.Number(1)
        case E.Transpose(a):
            return constant_value(a)
        case E.Diag(a) if not e.builds_matrix:
            return constant_value(a)
        case E.Add(terms) if not e.is_scalar:
            values = [constant_value(t) for t in terms]
            return None if None in values else E.add(*values)
        case E.Hadamard(l, r):
            values = [constant_value(l), constant_value(r)]
            return None if None in values else times(*values)
        case E.Power(base, exponent) if not base.is_scalar:
            c = constant_value(base)
            return None if c is None else E.Power(c, exponent)
        case E.Func(name, arg) if not arg.is_scalar:
            c = constant_value(arg)
            return None if c is None else E.Func(name, c)
        case E.Mul(factors) if not all(f.is_scalar for f in factors):
            chain = [f for f in factors if not f.is_scalar]
            values = [constant_value(f) for f in chain]
            if None in values:
                return None
            inner = [dimension(f.shape[1]) for f in chain[:-1] if f.shape[1] != 1]
            return times(*(f for f in factors if f.is_scalar), *values, *inner)
    return None


def times(*factors) -> E.Expr:
    return E.mul(*(f for f in factors if f != E.Number(1)))


def ones_of(shape) -> tuple:
    """The factors of the ones of a shape as written: 1, 1^T, or for a matrix the outer
    product 1 1^T (whose two ones a product can contract: 1^T 1 1^T = n 1^T)."""
    rows, cols = shape
    column, row = E.Ones((rows, 1)), E.Transpose(E.Ones((cols, 1)))
    return (column,) if cols == 1 else (row,) if rows == 1 else (column, row)


def is_constant_form(e: E.Expr) -> bool:
    """0, or the ones of its shape times scalars: how a constant is written."""
    if isinstance(e, E.Zero) or e.is_scalar:
        return isinstance(e, E.Zero)
    chain = tuple(f for f in e.factors if not f.is_scalar) if isinstance(e, E.Mul) else (e,)
    return chain == ones_of(e.shape)


def constant_form(e: E.Expr) -> E.Expr | None:
    """e written as a constant (c 1, c 1^T, c 1 1^T, or the scalar c of 1^T 1) when it is
    one and is not written so already; else None."""
    if (c := constant_value(e)) is None or is_constant_form(e):
        return None
    return c if e.is_scalar else times(c, *ones_of(e.shape))

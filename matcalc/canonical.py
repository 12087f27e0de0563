"""The canonical form df = <G, dX>: read the gradient G off a differential.

``adjoint(e, W, dX)`` takes e linear in dX and a weight W shaped like e, and
returns G with <W, e> = <G, dX>. It moves everything off dX by the rules

    <W, A E B>  = <A^T W B^T, E>        <W, E^T>   = <W^T, E>
    <W, s E>    = <s W, E>  (s scalar)  <W, tr E>  = <W I, E>
    <W, E M>    = <<W, M>, E>  (E scalar, M the rest)
    <W, A .* E> = <W .* A, E>           <W, <A, E>> = <W A, E>

so G = adjoint(df, 1) is the gradient, and for a vector-valued dF the
Jacobian transposed applied to W. Linear algebra, not trace juggling: every
rule is the definition of the adjoint of a linear map.
"""
from __future__ import annotations

from . import expr as E
from .errors import UnsupportedError
from .expr import Identity, Number, Transpose, add, mul


def gradient_from_differential(df: E.Expr | None, dX: E.Differential) -> E.Expr:
    """G with df = <G, dX> (a zero of dX's shape when df is zero)."""
    if df is None:
        return E.Zero(dX.shape)
    G = adjoint(df, Number(1), dX)
    return G if G is not None else E.Zero(dX.shape)


def contains(e: E.Expr, dX: E.Differential) -> bool:
    return dX in E.free_symbols(e)


def adjoint(e: E.Expr, W: E.Expr, dX: E.Differential) -> E.Expr | None:
    if e == dX:
        return W
    if not contains(e, dX):
        return None
    match e:
        case E.Add(terms):
            return add(*(adjoint(t, W, dX) for t in terms))
        case E.Transpose(arg):
            return adjoint(arg, Transpose(W), dX)
        case E.Trace(arg):
            return adjoint(arg, mul(W, Identity(arg.shape[0])), dX)
        case E.Inner(left, right):
            return add(adjoint(left, mul(W, right), dX), adjoint(right, mul(W, left), dX))
        case E.Hadamard(left, right):
            return add(adjoint(left, E.Hadamard(W, right), dX),
                       adjoint(right, E.Hadamard(W, left), dX))
        case E.Mul(factors):
            return _adjoint_product(factors, W, dX)
    raise UnsupportedError(f"{type(e).__name__} is not linear in {dX}; cannot read off <G, dX>")


def _adjoint_product(factors, W, dX):
    """<W, s A E B> = <s A^T W B^T, E>;  <W, E M> = <<W, M>, E> for a scalar E."""
    holding = [i for i, f in enumerate(factors) if contains(f, dX)]
    if len(holding) > 1:
        raise UnsupportedError(f"the product is not linear in {dX}")
    terms = []
    for i in holding:
        f = factors[i]
        others = factors[:i] + factors[i + 1:]
        if f.is_scalar:
            rest = mul(*others)
            weight = _inner(W, rest)
        else:
            scalars = [g for g in others if g.is_scalar]
            chain = [g for g in factors if not g.is_scalar]
            j = chain.index(f)
            left, right = chain[:j], chain[j + 1:]
            weight = mul(*scalars, *( [Transpose(mul(*left))] if left else []), W,
                         *([Transpose(mul(*right))] if right else []))
        terms.append(adjoint(f, weight, dX))
    return add(*terms)


def _inner(W, M):
    """<W, M>: a product when both are scalars."""
    if W.is_scalar and M.is_scalar:
        return mul(W, M)
    return E.Inner(W, M)

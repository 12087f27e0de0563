"""Rules of Kronecker products, vec, the commutation matrix and partial traces: the forms
of derivatives in vec layout reduced to matrix forms where one exists.

    0 kron B = A kron 0 = 0;   s kron A = A kron s = s A (s a scalar);   I kron I = I;
    a kron b^T = b^T kron a = a b^T (a column and a row);   (s A) kron B = s (A kron B);
    vec(v) = v, vec(v^T) = v (a vector);   K of a vector is I;
    tr_2((P kron Q)(I kron C)) = tr(Q C) P,   tr_1((C kron I)(P kron Q)) = tr(C P) Q
    (so tr_2(I (I kron C)) = tr(C) I);   tr_2(w c^T) = (I kron c^T) w for vectors w, c;
    a partial trace over a factor of size 1 is its product;   scalars move out of a partial
    trace, which is linear in each part.

[Magnus & Neudecker, "Matrix Differential Calculus", ch. 2-3; the partial trace is the
adjoint of M -> M kron I.]
"""
from __future__ import annotations

from ...ir import expr as E
from ...ir.expr import Identity, Transpose, Zero, add, mul
from ...ir.shapes import dim_product
from .core import rule


def _scalars_and_rest(e):
    """(the scalar factors of e, the rest as one expression)."""
    if isinstance(e, E.Mul) and not E.is_scalar_chain(e):
        scalars = [f for f in e.factors if f.is_scalar]
        return scalars, mul(*(f for f in e.factors if not f.is_scalar))
    return [], e


@rule(E.Kron)
def simplify_kron(e, simp):
    a, b = e.left, e.right
    if isinstance(a, Zero) or isinstance(b, Zero):
        return Zero(e.shape)
    if a.is_scalar or b.is_scalar:
        return simp(mul(a, b))
    if isinstance(a, Identity) and isinstance(b, Identity):
        return Identity(dim_product(a.n, b.n))
    if a.shape[1] == 1 and b.shape[0] == 1:          # a kron b^T = a b^T
        return simp(mul(a, b))
    if a.shape[0] == 1 and b.shape[1] == 1:          # a^T kron b = b a^T
        return simp(mul(b, a))
    (sa, ra), (sb, rb) = _scalars_and_rest(a), _scalars_and_rest(b)
    if sa or sb:
        return simp(mul(*sa, *sb, E.Kron(ra, rb)))
    return e


@rule(E.Vec)
def simplify_vec(e, simp):
    """The vec of a vector is that vector as a column."""
    a = e.arg
    if a.shape[1] == 1:
        return a
    if a.shape[0] == 1:
        return simp(Transpose(a))
    return e


@rule(E.Commutation)
def simplify_commutation(e, simp):
    """K vec(v) = vec(v^T) = vec(v): the commutation matrix of a vector is I."""
    return Identity(e.shape[0]) if 1 in (e.m, e.n) else e


@rule(E.PartialTrace)
def simplify_partial_trace(e, simp):
    W, C = e.arg, e.factor
    if isinstance(W, Zero) or isinstance(C, Zero):
        return Zero(e.shape)
    (sw, W), (sc, C) = _scalars_and_rest(W), _scalars_and_rest(C)
    if sw or sc:
        return simp(mul(*sw, *sc, E.PartialTrace(W, C, e.which)))
    if (reduced := _reduced(e, W, simp)) is not None:
        return simp(reduced)
    if isinstance(W, E.Add) and any(_reduced(e, t, simp) is not None for t in W.terms):
        return simp(add(*(E.PartialTrace(t, C, e.which) for t in W.terms)))
    return e


def _reduced(e, W, simp):
    """The partial trace of W (in e's place) without one, when W is a Kronecker product split
    as e's blocks are, or the identity with square blocks."""
    C = e.factor
    if (C.shape[1] if e.which == 2 else C.shape[0]) == 1:     # blocks 1 x 1, or one block
        return E.PartialTrace(W, C, e.which).product
    if e.which == 2 and e.shape[1] == 1 and C.shape[0] == 1:  # tr_2(w c^T) = (I kron c^T) w
        return mul(E.Kron(Identity(e.shape[0]), C), W)
    if isinstance(W, Identity) and e.shape[0] == e.shape[1] and C.shape[0] == C.shape[1]:
        return mul(E.Trace(C), Identity(e.shape[0]))
    if not isinstance(W, E.Kron):
        return None
    P, Q = W.left, W.right
    if e.which == 2 and P.shape == e.shape:
        return mul(_trace_of_product(Q, C, simp), P)
    if e.which == 1 and Q.shape == e.shape:
        return mul(_trace_of_product(C, P, simp), Q)
    return None


def _trace_of_product(A, B, simp):
    """tr(A B), written ||A||_F^2 (= ||B||_F^2, the one not transposed) when B = A^T."""
    if simp(Transpose(B)) == A:
        return E.Power(E.Norm(B if isinstance(A, Transpose) else A), E.Number(2))
    return E.Trace(mul(A, B))

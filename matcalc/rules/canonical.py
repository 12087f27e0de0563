"""The canonical form df = <G, dX>: read the gradient G off a differential.

``adjoint(e, W, dX)`` takes e linear in dX and a weight W shaped like e, and
returns G with <W, e> = <G, dX>. It moves everything off dX by the rules

    <W, A E B>  = <A^T W B^T, E>        <W, E^T>   = <W^T, E>
    <W, s E>    = <s W, E>  (s scalar)  <W, tr E>  = <W I, E>
    <W, E M>    = <<W, M>, E>  (E scalar, M the rest)
    <W, A .* E> = <W .* A, E>           <W, <A, E>> = <W A, E>
    <W, diag E> = <diag W, E>           <s vec(G), vec E> = <s G, E>
    <W, E kron B> = <tr_2(W (I kron B^T)), E>       <W, A kron E> = <tr_1((A^T kron I) W), E>
    <W, tr_2(E (I kron C))> = <W kron C^T, E>    <W, tr_1((C kron I) E)> = <C^T kron W, E>
    <W, Df(X)[E]> = <Df(X^T)[W], E>

(the last for a matrix function f with a power series of real coefficients: expm,
logm, sqrtm; Higham, "Functions of Matrices", (3.15))

so G = adjoint(df, 1) is the gradient, and for a vector-valued dF the
Jacobian transposed applied to W. Linear algebra, not trace juggling: every
rule is the definition of the adjoint of a linear map.
"""
from __future__ import annotations

from .. import deadline
from ..ir import expr as E
from ..ir.constants import ones_of
from ..ir.traverse import free_symbols
from ..errors import UnsupportedError
from ..ir.expr import Identity, Number, Transpose, add, mul


def gradient_from_differential(df: E.Expr | None, dX: E.Differential) -> E.Expr:
    """G with df = <G, dX> (a zero of dX's shape when df is zero)."""
    if df is None:
        return E.Zero(dX.shape)
    G = adjoint(df, Number(1), dX)
    return G if G is not None else E.Zero(dX.shape)


def contains(e: E.Expr, dX: E.Differential) -> bool:
    return dX in free_symbols(e)


def adjoint(e: E.Expr, W: E.Expr, dX: E.Differential) -> E.Expr | None:
    deadline.check("reading off the gradient")
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
        case E.Diag(arg):
            return adjoint(arg, E.Diag(W), dX)
        case E.MatFunc(X, which, (direction,)):
            return adjoint(direction, E.MatFunc(Transpose(X), which, (W,)), dX)
        case E.Mul(factors):
            return _adjoint_product(factors, W, dX)
        case E.Kron(left, right):
            return add(adjoint(left, E.PartialTrace(W, Transpose(right), 2), dX),
                       adjoint(right, E.PartialTrace(W, Transpose(left), 1), dX))
        case E.PartialTrace():
            return _adjoint_partial_trace(e, W, dX)
        case E.Vec(arg):
            return adjoint(arg, _unvec(W, arg.shape), dX)
    raise UnsupportedError(f"{type(e).__name__} is not linear in {dX}; cannot read off <G, dX>")


def _adjoint_partial_trace(e, W, dX):
    """The partial trace is the adjoint of M -> M kron I (I kron M); in its factor C:
    <W, tr_2(M (I kron E))> = <tr_1(M^T (W kron I)), E>,
    <W, tr_1((E kron I) M)> = <tr_2((I kron W) M^T), E>."""
    M, C = e.arg, e.factor
    if e.which == 2:
        return add(adjoint(M, E.Kron(W, Transpose(C)), dX),
                   adjoint(C, E.PartialTrace(mul(Transpose(M), E.Kron(W, Identity(C.shape[1]))),
                                             Identity(e.shape[1]), 1), dX))
    return add(adjoint(M, E.Kron(Transpose(C), W), dX),
               adjoint(C, E.PartialTrace(mul(E.Kron(Identity(C.shape[0]), W), Transpose(M)),
                                         Identity(e.shape[0]), 2), dX))


def _unvec(W, shape):
    """G with vec(G) = W, for G of the shape given, where W is built of vecs of that shape
    (vec commutes with sums, scalar factors and entrywise operations): <W, vec E> = <G, E>."""
    match W:
        case E.Vec(G) if G.shape == shape:
            return G
        case E.Transpose(E.Transpose(G)):
            return _unvec(G, shape)
        case E.Transpose(E.Mul(factors)):                 # (s A B)^T = s B^T A^T
            parts = [f if f.is_scalar else Transpose(f) for f in reversed(factors)]
            return _unvec(mul(*parts), shape)
        case E.Transpose(E.Add(terms)):
            return _unvec(add(*(Transpose(t) for t in terms)), shape)
        case E.Ones():
            return mul(*ones_of(shape))
        case E.Zero():
            return E.Zero(shape)
        case E.Mul(factors) if sum(not f.is_scalar for f in factors) == 1:
            return mul(*(f if f.is_scalar else _unvec(f, shape) for f in factors))
        case E.Add(terms):
            return add(*(_unvec(t, shape) for t in terms))
        case E.Hadamard(left, right):
            return E.Hadamard(_unvec(left, shape), _unvec(right, shape))
        case E.Func(name, arg):
            return E.Func(name, _unvec(arg, shape))
        case E.Power(base, exponent):
            return E.Power(_unvec(base, shape), exponent)
        case E.Extremum(arg, which) if not W.is_scalar:
            return E.Extremum(_unvec(arg, shape), which)
    raise UnsupportedError(f"the gradient through vec(.) against the weight {W} needs it "
                           "unstacked into a matrix (unvec), which matcalc does not write; write "
                           "the function of the entries on the matrix itself (1^T X 1 for "
                           "1^T vec(X), <B, X> for vec(B)^T vec(X))")


def split_product(factors, dX):
    """(E, scalars, left, right) for a product s L E R whose one factor E holds dX.

    For a scalar E, ``left`` is the whole matrix chain and ``right`` is empty.
    """
    holding = [i for i, f in enumerate(factors) if contains(f, dX)]
    if len(holding) != 1:
        raise UnsupportedError(f"the product is not linear in {dX}")
    f = factors[holding[0]]
    scalars = [g for i, g in enumerate(factors) if g.is_scalar and i != holding[0]]
    chain = [g for g in factors if not g.is_scalar]
    if f.is_scalar:
        return f, scalars, chain, []
    j = chain.index(f)
    return f, scalars, chain[:j], chain[j + 1:]


def _adjoint_product(factors, W, dX):
    """<W, s A E B> = <s A^T W B^T, E>;  <W, E M> = <<W, M>, E> for a scalar E."""
    f, scalars, left, right = split_product(factors, dX)
    if f.is_scalar:
        return adjoint(f, _inner(W, mul(*scalars, *left)), dX)
    return adjoint(f, mul(*scalars, *([Transpose(mul(*left))] if left else []), W,
                          *([Transpose(mul(*right))] if right else [])), dX)


def _inner(W, M):
    """<W, M>: a product when both are scalars."""
    if W.is_scalar and M.is_scalar:
        return mul(W, M)
    return E.Inner(W, M)


def jacobian_from_differential(dF: E.Expr | None, dx: E.Differential) -> E.Expr | None:
    """J with dF = J dx, for a vector (or scalar) dF and a vector (or scalar) variable.

    Term by term: dx -> I; a scalar s linear in dx -> (grad s)^T;
    c A dx -> c A;  a (dx^T b) -> a b^T;  u .* dF -> diag(u) J_F.
    """
    return None if dF is None else _jacobian(dF, dx)


def _jacobian(L, dx):
    deadline.check("reading off the Jacobian")
    if L == dx:
        return Identity(dx.shape[0])
    if not contains(L, dx):
        return None
    if L.is_scalar:
        return Transpose(adjoint(L, Number(1), dx))
    match L:
        case E.Add(terms):
            return add(*(_jacobian(t, dx) for t in terms))
        case E.Hadamard(left, right):
            return add(mul(E.Diag(right), _jacobian(left, dx)) if contains(left, dx) else None,
                       mul(E.Diag(left), _jacobian(right, dx)) if contains(right, dx) else None)
        case E.Diag(arg) if not L.builds_matrix:
            return _diagonal_jacobian(arg, dx)
        case E.Kron(left, right):                  # of two vectors: dx kron b = (I kron b) dx
            return add(mul(E.Kron(Identity(left.shape[0]), right), _jacobian(left, dx))
                       if contains(left, dx) else None,
                       mul(E.Kron(left, Identity(right.shape[0])), _jacobian(right, dx))
                       if contains(right, dx) else None)
        case E.Mul(factors):
            f, scalars, left, right = split_product(factors, dx)
            if f.is_scalar:                        # (A x) <g, dx>
                return mul(*scalars, *left, _jacobian(f, dx))
            if isinstance(f, E.Diag) and f.builds_matrix and right:    # diag(u) v = diag(v) u
                return mul(*scalars, *left, E.Diag(mul(*right)), _jacobian(f.arg, dx))
            if isinstance(f, E.Add):               # A (dx b^T + b dx^T) c: distribute
                return _jacobian(add(*(mul(*scalars, *left, t, *right) for t in f.terms)), dx)
            if not right:                          # c A dx
                return mul(*scalars, *left, _jacobian(f, dx))
            if E.mul(f, *right).is_scalar:         # a (dx^T b): the scalar dx^T b
                return mul(*scalars, *left, _jacobian(E.mul(f, *right), dx))
            if E.mul(*right).is_scalar:            # A dx (b^T c): a scalar tail
                return mul(*scalars, E.mul(*right), *left, _jacobian(f, dx))
    raise UnsupportedError(f"cannot write the Jacobian of {L} as a matrix")


def _diagonal_jacobian(M, dx):
    """The Jacobian of diag(M), the diagonal of a matrix M linear in dx:
    diag(diag(u)) = u;  diag(A diag(u) B) = (A .* B^T) u;  diag(A u b^T) = diag(b) A u;
    diag(a u^T B) = diag(a) B^T u;  diag(P .* Q) = diag(P) .* diag(Q);  diag(M^T) = diag(M);
    diag(s A) = diag(A) s for a scalar s linear in dx."""
    match M:
        case E.Diag(u):
            return _jacobian(u, dx)
        case E.Add(terms):
            return add(*(_diagonal_jacobian(t, dx) for t in terms if contains(t, dx)))
        case E.Transpose(arg):
            return _diagonal_jacobian(arg, dx)
        case E.Hadamard(left, right):
            return add(*(mul(E.Diag(E.Diag(other)), _diagonal_jacobian(side, dx))
                         for side, other in ((left, right), (right, left)) if contains(side, dx)))
        case E.Mul(factors):
            f, scalars, left, right = split_product(factors, dx)
            A = mul(*left) if left else Identity(M.shape[0])
            B = mul(*right) if right else Identity(M.shape[1])
            if isinstance(f, E.Diag) and f.builds_matrix:
                AB = E.Hadamard(A, Transpose(B)) if left and right else \
                    E.Diag(E.Diag(A if left else B))               # A .* I = diag(diag(A))
                return mul(*scalars, AB, _jacobian(f.arg, dx))
            if f.is_scalar:                             # diag(f A) = diag(A) f
                return mul(*scalars, E.Diag(A), _jacobian(f, dx))
            if f.shape[1] == 1:
                return mul(*scalars, E.Diag(Transpose(B)), A, _jacobian(f, dx))
            if isinstance(f, E.Transpose) and f.shape[0] == 1:
                return mul(*scalars, E.Diag(A), Transpose(B), _jacobian(f.arg, dx))
    raise UnsupportedError(f"cannot write the Jacobian of diag({M}) as a matrix")


def vec_jacobian(dF: E.Expr | None, dX: E.Differential) -> E.Expr | None:
    """J with vec(dF) = J vec(dX), in Kronecker form.

    vec(A dX B) = (B^T kron A) vec(dX)  [Cookbook (520)];  vec(M^T) = K vec(M);
    vec(s M) = vec(M) (grad s)^T for a scalar s linear in dX;  vec(U .* M) = diag(vec U) vec M;
    vec(A kron B) = (I_n kron K kron I_p)(vec A kron vec B) for A m x n, B p x q, with K the
    commutation matrix of a q x m matrix [Magnus & Neudecker, Theorem 3.10], so that
    vec(A kron dB) = (...)(vec A kron I) vec dB and vec(dA kron B) = (...)(I kron vec B) vec dA.
    """
    return None if dF is None else _vec_jacobian(dF, dX)


def _vec_jacobian(L, dX):
    deadline.check("reading off the Jacobian")
    if L == dX:
        return Identity(E.Vec(dX).shape[0])
    if not contains(L, dX):
        return None
    if L.is_scalar:
        return Transpose(E.Vec(adjoint(L, Number(1), dX)))
    match L:
        case E.Add(terms):
            return add(*(_vec_jacobian(t, dX) for t in terms))
        case E.Transpose(arg):
            return mul(E.Commutation(*arg.shape), _vec_jacobian(arg, dX))
        case E.Hadamard(left, right):
            return add(*(mul(E.Diag(E.Vec(other)), _vec_jacobian(side, dX))
                         for side, other in ((left, right), (right, left)) if contains(side, dX)))
        case E.Kron(left, right):
            P, Jl, Jr = _kron_vec(left, right), _vec_jacobian(left, dX), _vec_jacobian(right, dX)
            return add(Jl and mul(P, E.Kron(_identity(left), E.Vec(right)), Jl),
                       Jr and mul(P, E.Kron(E.Vec(left), _identity(right)), Jr))
        case E.Mul(factors):
            f, scalars, left, right = split_product(factors, dX)
            if f.is_scalar:
                return mul(*scalars, E.Vec(mul(*left)), _vec_jacobian(f, dX))
            A = mul(*left) if left else Identity(f.shape[0])
            B = mul(*right) if right else Identity(f.shape[1])
            return mul(*scalars, E.Kron(Transpose(B), A), _vec_jacobian(f, dX))
    raise UnsupportedError(f"cannot write the Jacobian of {L} in Kronecker form")


def _identity(M):
    """The identity of vec(M)'s length."""
    return Identity(E.Vec(M).shape[0])


def _kron_vec(A, B):
    """I_n kron K kron I_p, which takes vec A kron vec B to vec(A kron B) (A m x n, B p x q)."""
    (m, n), (p, q) = A.shape, B.shape
    return E.Kron(E.Kron(Identity(n), E.Commutation(q, m)), Identity(p))

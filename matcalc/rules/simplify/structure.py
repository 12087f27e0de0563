"""Rules of the matrix structure: transposes pushed to the leaves, inverses, powers,
identities, and the structure of a constant (diag(c 1) = c I, eig(0) = 0); Kronecker
products are in kronecker.py."""
from __future__ import annotations

from ...backends.printing import text
from ...errors import NotDifferentiableError
from ...ir import expr as E
from ...ir.constants import constant_value
from ...ir.expr import Identity, Inverse, MatPower, Number, Transpose, Zero, add, mul
from .core import rule


@rule(E.Transpose)
def simplify_transpose(e, simp):
    """(A B)^T = B^T A^T, (A^T)^T = A, A^T = A for symmetric A, (X^-1)^T = X^-1 for
    symmetric X; a scalar, I, diag(v) and v1 v1^T are their own transposes."""
    a = e.arg
    if a.is_scalar:
        return a
    match a:
        case E.Transpose(b):
            return b
        case E.Symbol(name) if name in simp.symmetric:
            return a
        case E.Identity():
            return a
        case E.Diag() if a.builds_matrix:
            return a
        case E.TopEigvec():
            return a
        case E.Zero(dims):
            return Zero((dims[1], dims[0]))
        case E.Add(terms):
            return simp(add(*(Transpose(t) for t in terms)))
        case E.Mul(factors):
            scalars = [f for f in factors if f.is_scalar]
            chain = [Transpose(f) for f in reversed(factors) if not f.is_scalar]
            return simp(mul(*scalars, *chain))
        case E.MatPower(b, k):
            return MatPower(simp(Transpose(b)), k)
        case E.Inverse(b):
            return a if simp.is_symmetric(b) else e
        case E.Hadamard(l, r):
            return simp(E.Hadamard(Transpose(l), Transpose(r)))
        case E.Func(name, arg):
            return E.Func(name, simp(Transpose(arg)))
        case E.Power(base, x):
            return E.Power(simp(Transpose(base)), x if x.is_scalar else simp(Transpose(x)))
        case E.Kron(l, r):
            return simp(E.Kron(Transpose(l), Transpose(r)))
    return e


@rule(E.Inverse)
def simplify_inverse(e, simp):
    """(X^T)^-1 = X^-T, (X^-1)^-1 = X, I^-1 = I, (X^k)^-1 = X^-k, Q^-1 = Q^T for orthogonal
    Q; a scalar's inverse is its power -1; the zero matrix has none."""
    a = e.arg
    match a:
        case _ if a.is_scalar:
            return E.Power(a, Number(-1))
        case E.Transpose(b):
            return simp(Transpose(Inverse(b)))
        case E.Inverse(b):
            return b
        case E.Identity():
            return a
        case E.MatPower(b, k):
            return MatPower(b, -k)
        case E.Symbol(name) if name in simp.orthogonal:
            return Transpose(a)
        case E.Zero():
            raise NotDifferentiableError(f"{text(e)}: the zero matrix has no inverse")
    return e


@rule(E.Identity)
def simplify_identity(e, simp):
    """The 1 x 1 identity is the number 1."""
    return Number(1) if e.is_scalar else e


@rule(E.MatPower)
def simplify_matpower(e, simp):
    """X^0 = I^k = I, 0^k = 0 for k > 0, X^1 = X, diag(u)^k = diag(u.^k) for k > 1."""
    if e.k == 0 or isinstance(e.base, Identity):
        return Identity(e.shape[0])
    if isinstance(e.base, E.Diag) and e.base.builds_matrix and e.k > 1:
        return E.Diag(simp(E.Power(e.base.arg, Number(e.k))))
    if isinstance(e.base, Zero) and e.k > 0:
        return e.base
    return e.base if e.k == 1 else e


@rule(E.Diag)
def simplify_diag(e, simp):
    """diag(c 1) = c I; the diagonal of diag(u) is u, of s M is s diag(M), of u v^T is u .* v."""
    a = e.arg
    if e.builds_matrix:
        c = constant_value(a)
        return e if c is None else simp(mul(c, Identity(e.shape[0])))
    if isinstance(a, E.Diag):
        return a.arg
    if not isinstance(a, E.Mul):
        return e
    scalars = [f for f in a.factors if f.is_scalar]
    chain = [f for f in a.factors if not f.is_scalar]
    if scalars:
        return simp(mul(*scalars, E.Diag(mul(*chain))))
    for i in range(1, len(chain)):
        if chain[i - 1].shape[1] == 1 and not chain[i - 1].is_scalar:      # (u)(v^T)
            return simp(E.Hadamard(mul(*chain[:i]), Transpose(mul(*chain[i:]))))
    return e


@rule(E.Eig)
def simplify_eig(e, simp):
    """eig(0) = 0; the eigenvalue of a scalar (a 1 x 1 matrix) is itself."""
    return Zero(e.shape) if isinstance(e.arg, Zero) else e.arg if e.arg.is_scalar else e


@rule(E.SingularFactor, E.TopEigvec)
def refuse_singular_factor_of_zero(e, simp):
    """polar(0), svtop(0) and eigtop(0) do not exist: U, V, v1 of 0 are not unique. Of a
    scalar s (a 1 x 1 matrix, s = sign(s) |s| 1): polar(s) = svtop(s) = sign(s), eigtop(s) = 1;
    of a vector x (x = (x / ||x||) ||x|| 1): polar(x) = svtop(x) = x / ||x||, and so of x^T."""
    if isinstance(e.arg, Zero):
        raise NotDifferentiableError(f"{text(e)} is undefined: the zero matrix has no "
                                     "unique singular vectors or eigenvectors")
    if e.arg.is_scalar:
        return Number(1) if isinstance(e, E.TopEigvec) else E.Func("sign", e.arg)
    if isinstance(e, E.SingularFactor) and 1 in (e.arg.shape[0], e.arg.shape[1]):
        column = e.arg if e.arg.shape[1] == 1 else simp(Transpose(e.arg))
        return simp(mul(e.arg, E.Power(E.Norm(column), Number(-1))))
    return e

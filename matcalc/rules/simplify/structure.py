"""Rules of the matrix structure: transposes pushed to the leaves, inverses, powers,
identities, and the structure of a constant (diag(c 1) = c I, eig(0) = 0, 0 kron B = 0)."""
from __future__ import annotations

from ...backends.printing import text
from ...errors import NotDifferentiableError
from ...ir import expr as E
from ...ir.constants import constant_value
from ...ir.expr import Identity, Inverse, MatPower, Number, Transpose, Zero, add, mul
from ...lazy import sympy
from .core import rule


@rule(E.Transpose)
def simplify_transpose(e, simp):
    """(A B)^T = B^T A^T, (A^T)^T = A, A^T = A for symmetric A, (X^-1)^T = X^-1 and
    f(X)^T = f(X) for symmetric X, Df(X)[W]^T = Df(X^T)[W^T]; a scalar, I, diag(v) and
    v1 v1^T are their own transposes."""
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
        case E.MatFunc(b, which, (W,)):
            return simp(E.MatFunc(Transpose(b), which, (Transpose(W),)))
        case E.MatFunc(b):
            return a if simp.is_symmetric(b) else e
        case E.Inverse(b):
            return a if simp.is_symmetric(b) else e
        case E.Hadamard(l, r):
            return simp(E.Hadamard(Transpose(l), Transpose(r)))
        case E.Func(name, arg):
            return E.Func(name, simp(Transpose(arg)))
        case E.Power(base, x):
            return E.Power(simp(Transpose(base)), x)
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
    """X^0 = I^k = I, 0^k = 0 for k > 0, X^1 = X."""
    if e.k == 0 or isinstance(e.base, Identity):
        return Identity(e.shape[0])
    if isinstance(e.base, Zero) and e.k > 0:
        return e.base
    return e.base if e.k == 1 else e


DERIVATIVES = {"expm": lambda X: E.MatFunc(X, "expm"), "logm": Inverse,
               "sqrtm": lambda X: mul(Number(sympy.Rational(1, 2)), Inverse(E.MatFunc(X, "sqrtm")))}
"""f'(X) of each matrix function: Df(X)[I] = f'(X)."""


@rule(E.MatFunc)
def simplify_matrix_function(e, simp):
    """f(X^T) = f(X)^T; Df(X)[I] = f'(X) (expm(X), X^-1, 1/2 sqrtm(X)^-1), Df(X)[0] = 0,
    Df(X)[c W] = c Df(X)[W] for a scalar c."""
    match e:
        case E.MatFunc(E.Transpose(b), which, ()):
            return Transpose(E.MatFunc(b, which))
        case E.MatFunc(X, which, (Identity(),)):
            return simp(DERIVATIVES[which](X))
        case E.MatFunc(_, _, (Zero(),)):
            return Zero(e.shape)
        case E.MatFunc(X, which, (E.Mul(factors),)) if any(f.is_scalar for f in factors):
            scalars = [f for f in factors if f.is_scalar]
            rest = mul(*(f for f in factors if not f.is_scalar))
            return simp(mul(*scalars, E.MatFunc(X, which, (rest,))))
    return e


@rule(E.SymbolicPower)
def simplify_symbolic_power(e, simp):
    """X^k for a number k is the integer power; I^k = I."""
    if isinstance(e.base, Identity):
        return e.base
    k = e.exponent
    if isinstance(k, Number) and k.value.is_integer:
        return simp(MatPower(e.base, int(k.value)))
    return e


@rule(E.Diag)
def simplify_diag(e, simp):
    """diag(c 1) = c I."""
    if e.builds_matrix and (c := constant_value(e.arg)) is not None:
        return simp(mul(c, Identity(e.shape[0])))
    return e


@rule(E.Eig)
def simplify_eig(e, simp):
    """eig(0) = 0."""
    return Zero(e.shape) if isinstance(e.arg, Zero) else e


@rule(E.Kron)
def simplify_kron(e, simp):
    """0 kron B = A kron 0 = 0."""
    return Zero(e.shape) if any(isinstance(c, Zero) for c in e.children) else e


@rule(E.SingularFactor, E.TopEigvec)
def refuse_singular_factor_of_zero(e, simp):
    """polar(0), svtop(0) and eigtop(0) do not exist: U, V, v1 of 0 are not unique."""
    if isinstance(e.arg, Zero):
        raise NotDifferentiableError(f"{text(e)} is undefined: the zero matrix has no "
                                     "unique singular vectors or eigenvectors")
    return e

"""Rules of the matrix structure: transposes pushed to the leaves, inverses, powers,
identities, and the structure of a constant (diag(c 1) = c I, eig(0) = 0); Kronecker
products are in kronecker.py."""
from __future__ import annotations

from functools import lru_cache

from ...backends.printing import text
from ...errors import NotDifferentiableError
from ...ir import expr as E
from ...ir.constants import constant_value
from ...ir.expr import Identity, Inverse, MatPower, Number, Transpose, Zero, add, mul
from ...ir.shapes import resolve
from ...lazy import sympy
from .core import rule


@lru_cache(maxsize=8192)
def transposes(e: E.Expr) -> int:
    """How many transposes e prints with (X^T and X^-T alike, a row of ones 1^T too), each
    occurrence of a shared subtree counted; read off the tree, each distinct node once."""
    own = isinstance(e, Transpose) and not e.arg.is_scalar or \
        isinstance(e, E.Ones) and resolve(e.shape[0]) == 1 and resolve(e.shape[1]) != 1
    return own + sum(transposes(c) for c in e.children)


def is_column(e: E.Expr) -> bool:
    return resolve(e.shape[1]) == 1 and not e.is_scalar


@rule(E.Transpose)
def simplify_transpose(e, simp):
    """(A B)^T = B^T A^T, (A^T)^T = A, A^T = A for symmetric A, (X^-1)^T = X^-1 and
    f(X)^T = f(X) for symmetric X, Df(X)[W]^T = Df(X^T)[W^T]; a scalar, I, diag(v) and
    v1 v1^T are their own transposes. Two transposes stay outside, as textbooks write them:
    that of a column sum, (x - m)^T (row_sum_transposed), and that of an elementwise
    operation, tanh(W x)^T, unless the transposed argument reads simpler
    (tanh(x^T W^T)^T = tanh(W x))."""
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
        case E.Add(terms) if not is_column(a):
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
            inside = simp(Transpose(l)), simp(Transpose(r))
            return E.Hadamard(*inside) if sum(map(transposes, inside)) < \
                transposes(l) + transposes(r) else e
        case E.Func(name, arg):
            inside = simp(Transpose(arg))
            return E.Func(name, inside) if transposes(inside) < transposes(arg) else e
        case E.Power(base, x):
            inside = simp(Transpose(base)), x if x.is_scalar else simp(Transpose(x))
            return E.Power(*inside) if sum(map(transposes, inside)) < \
                transposes(base) + transposes(x) else e
        case E.Kron(l, r):
            return simp(E.Kron(Transpose(l), Transpose(r)))
    return e


def row_sum_transposed(e: E.Add, simp) -> E.Expr:
    """A row-vector sum as the transpose of a column sum: x^T - m^T = (x - m)^T."""
    return simp(Transpose(add(*(Transpose(t) for t in e.terms))))


def transpose_outside(e: E.Func | E.Power | E.Hadamard, simp) -> E.Expr:
    """f(U), U.^c or U .* V written with the transpose outside when the arguments read
    simpler transposed: tanh(x^T W^T) = tanh(W x)^T, (x^T).^2 = (x.^2)^T,
    x^T .* y^T = (x .* y)^T, (X^T).^(Y^T) = (X.^Y)^T."""
    if isinstance(e, E.Power) and e.exponent.is_scalar:
        base = simp(Transpose(e.base))
        return e if transposes(base) >= transposes(e.base) else Transpose(E.Power(base, e.exponent))
    inside = [simp(Transpose(p)) for p in e.children]        # U.^V: both transposed
    if sum(map(transposes, inside)) >= sum(map(transposes, e.children)):
        return e
    return Transpose(e.with_children(inside))


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
    """diag(c 1) = c I; the diagonal of a matrix: diagonal_of."""
    if e.builds_matrix and (c := constant_value(e.arg)) is not None:
        return simp(mul(c, Identity(e.shape[0])))
    return e if e.builds_matrix else diagonal_of(e, simp)


def diagonal_of(e: E.Diag, simp) -> E.Expr:
    """diag(I) = 1, diag(diag(x)) = x, diag(A^T) = diag(A), diag(A diag(x)) = diag(A) .* x,
    diag(diag(x) A) = x .* diag(A), diag(s A) = s diag(A), diag(u v^T) = u .* v."""
    a = e.arg
    match a:
        case E.Identity():
            return E.Ones(e.shape)
        case E.Diag() if a.builds_matrix:
            return a.arg
        case E.Transpose(b):
            return simp(E.Diag(b))
        case E.Mul(factors):
            chain = [f for f in factors if not f.is_scalar]
            if len(chain) < len(factors):
                return simp(mul(*(f for f in factors if f.is_scalar), E.Diag(mul(*chain))))
            if len(chain) == 2 and is_column(chain[0]) and isinstance(chain[1], Transpose):
                return simp(E.Hadamard(chain[0], chain[1].arg))      # diag(u v^T) = u .* v
            if isinstance(chain[-1], E.Diag) and chain[-1].builds_matrix:
                return simp(E.Hadamard(E.Diag(mul(*chain[:-1])), chain[-1].arg))
            if isinstance(chain[0], E.Diag) and chain[0].builds_matrix:
                return simp(E.Hadamard(chain[0].arg, E.Diag(mul(*chain[1:]))))
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

"""Numbers: evaluate expressions with NumPy, draw random inputs, check by finite differences.

Values follow NumPy conventions: a vector is a 1-D array ``(n,)``, a matrix a
2-D array, a scalar a float. Internally every value is 2-D, like the shapes.

An inverse of a numerically singular matrix M is not computed. The expression
is then evaluated as a limit: M is replaced by M + t P, where P spans the
null directions of M (from its SVD), and the value at t = 0 is interpolated
from Chebyshev points in t. Products of det(M) and inverses of M that come
from differentiating det (det(M) M^-1 = adj(M) and its derivatives) are
polynomials in t, so the limit is exact up to rounding. Interpolating on a
second set of points and along a second, random direction checks that the
limit exists and does not depend on the path; where it does not, the value is
undefined (NotDefinedError).
"""
from __future__ import annotations

import math
from functools import singledispatch
from typing import Literal

import numpy as np

from .. import arguments
from .. import deadline
from ..ir import expr as E
from ..ir.traverse import free_symbols, substitute
from ..ir.shapes import factors_of
from .printing import text
from .matrix_functions import _dmatfunc, _matfunc
from ..errors import MatcalcError, NotDefinedError, ShapeError, TooLargeError
from ..catalogue.functions import ELEMENTWISE

SINGULAR = 1e-8          # reciprocal condition number (1-norm) below which M^-1 is a limit
NULL = 1e-8              # singular values below NULL * the largest span the null directions
MAX_DEPTH = 4            # nested limits (singular matrices inside singular matrices)
MAX_ENTRIES = 10 ** 7    # numbers drawn at once (80 MB)
EPS = np.finfo(float).eps


def evaluate(e: E.Expr, values: dict, context: tuple = ()):
    """Value of e; dimensions are bound by the values of the symbols of e and of context."""
    env = Environment(values, [e, *context])
    try:
        return to_user(value(e, env), e.shape)
    except MemoryError:
        raise TooLargeError(f"evaluating {_key(e):.80} needs more memory than there is") from None
    except np.linalg.LinAlgError as err:
        raise NotDefinedError(f"{_key(e):.80} cannot be evaluated at these values: {err}") from None


E.READERS["evaluate"] = evaluate


class Environment:
    def __init__(self, values, exprs):
        values = arguments.values(values)
        self.arrays, self.dims, self.direct = {}, {}, frozenset()
        required = free_symbols(exprs[0])
        for s in sorted({s for x in exprs for s in free_symbols(x)}, key=_key):
            name = _key(s)
            if name not in values:
                if s in required:
                    raise MatcalcError(f"no value given for {name}")
                continue
            a = to_internal(values[name], name)
            for d, size in zip(s.shape, a.shape):
                self.bind(d, size, name)
            self.arrays[s] = a

    def bind(self, d, size, name):
        if isinstance(d, int):
            if d != size:
                raise ShapeError(f"{name} has {size} where its shape needs {d}")
            return
        if self.dims.setdefault(d, size) != size:
            raise ShapeError(f"the value of {name} makes {d} = {size}, but another value "
                             f"makes it {self.dims[d]}")

    def size(self, d):
        if isinstance(d, int):
            return d
        if "*" in d:
            return int(np.prod([self.size(p) for p in factors_of(d)]))
        if d not in self.dims:
            raise MatcalcError(f"the dimension {d} is not fixed by the values given")
        return self.dims[d]

    def extended(self, arrays=None, direct=()):
        """The same values, with more symbols and matrices whose inverse is taken as it is."""
        env = object.__new__(Environment)
        env.arrays, env.dims = {**self.arrays, **(arrays or {})}, self.dims
        env.direct = self.direct | frozenset(direct)
        return env


def _key(s):
    return text(s)


def to_internal(value, name="value") -> np.ndarray:
    try:
        a = np.asarray(value)
        if a.dtype.kind == "c":
            raise MatcalcError(f"{name} has complex entries; matcalc computes with real "
                               "numbers only")
        if a.dtype.kind not in "biufO":
            raise TypeError
        a = a.astype(float)
    except (TypeError, ValueError):
        raise MatcalcError(f"{name} must be a number or an array of numbers, "
                           f"not {type(value).__name__} {value!r:.60}") from None
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim == 2:
        return a
    raise MatcalcError(f"{name} must be a scalar, vector or matrix, not a {a.ndim}-D array")


def to_user(a: np.ndarray, shape):
    if shape[0] == 1 and shape[1] == 1:
        return float(a[0, 0])
    if shape[1] == 1:
        return a[:, 0]
    return a


class Singular(Exception):
    """Raised inside evaluation for the matrix whose inverse would be needed; never escapes."""

    def __init__(self, matrix: E.Expr):
        self.matrix = matrix


def value(e: E.Expr, env, depth: int = 0) -> np.ndarray:
    """ev(e), with a singular inverse evaluated as a limit (see the module docstring)."""
    try:
        return ev(e, env)
    except Singular as s:
        singular = s.matrix
    return _limit(e, env, singular, depth)


def _chebyshev(a, b, n=20):
    return (a + b) / 2 + (b - a) / 2 * np.cos((2 * np.arange(n) + 1) * np.pi / (2 * n))


def _weights_at_zero(nodes):
    """Lagrange weights that interpolate at t = 0 from values at the nodes."""
    return np.array([math.prod(ti / (ti - tj) for ti in nodes if ti != tj) for tj in nodes])


CENTERED, SHIFTED = _chebyshev(-1.0, 1.0), _chebyshev(-0.3, 1.0)
PATHS = ((CENTERED, _weights_at_zero(CENTERED)), (SHIFTED, _weights_at_zero(SHIFTED)))
REACH = (1.0, 0.1, 0.01, 0.001)     # how far the path goes, relative to M's largest singular value


def _limit(e, env, M, depth):
    """e as M -> M along M + t P (P spanning the null directions of M), t -> 0; checked on
    shifted points and along a random direction (relative to the size of e near M, above
    the rounding of its largest values on the path), and tried again closer to M where
    that fails. Where no limit exists, a matrix only ill-conditioned is inverted as it is."""
    while isinstance(M, E.Transpose):
        M = M.arg
    if depth >= MAX_DEPTH:
        raise NotDefinedError(f"{_key(e):.80} has no value here: {_key(M)} is singular")
    A = value(M, env, depth + 1)
    null, generic, S = _null_directions(A)
    t, P = E.Symbol("t'"), E.Symbol("P'", M.shape)
    path = substitute(e, M, E.add(M, E.mul(t, P)))

    def along(direction, nodes, weights):
        at = lambda tj: value(path, env.extended({t: np.array([[tj]]), P: direction}), depth + 1)
        points = [at(tj) for tj in nodes]
        return sum(w * p for w, p in zip(weights, points)), points

    with np.errstate(all="ignore"):
        for reach in REACH:
            estimate, points = along(reach * null, *PATHS[0])
            if not np.all(np.isfinite(estimate)):
                break
            near = max(np.max(np.abs(p)) for tj, p in zip(CENTERED, points) if abs(tj) < 0.3)
            far = max(np.max(np.abs(p)) for p in points)
            close = lambda other, tolerance: np.max(np.abs(other - estimate)) <= \
                tolerance * near + 100 * EPS * far
            if close(along(reach * null, *PATHS[1])[0], 1e-8):
                if close(along(reach * generic, *PATHS[1])[0], 1e-6):
                    return estimate
                break
    if S[-1] > len(S) * EPS * S[0]:
        return value(e, env.extended(direct=[M]), depth)
    raise NotDefinedError(f"{_key(e):.80} has no value here: {_key(M)} is singular")


def _null_directions(A):
    """(P, W, singular values): P moves the null directions of A by half its largest singular
    value, W is a random direction a tenth as large; both symmetric when A is."""
    U, S, Vt = np.linalg.svd(A)
    size = S[0] if S[0] > 0 else 1.0
    W = np.random.default_rng(len(S)).standard_normal(A.shape)
    if np.max(np.abs(A - A.T)) <= NULL * size:
        lam, Q = np.linalg.eigh(A)
        null = np.abs(lam) <= max(np.min(np.abs(lam)), NULL * size)
        P, W = Q[:, null] @ Q[:, null].T, W + W.T
    else:
        null = S <= max(S[-1], NULL * size)
        P = U[:, null] @ Vt[null]
    return size / 2 * P, size / 20 * W / np.linalg.norm(W, 2), S


def _inverse(M: E.Expr, env) -> np.ndarray:
    """M^-1, unless M is numerically singular (then Singular(M))."""
    A = ev(M, env)
    if not np.all(np.isfinite(A)):
        return np.full(A.shape, np.nan)
    try:
        inverse = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise Singular(M) from None
    with np.errstate(all="ignore"):
        rcond = 1 / (np.linalg.norm(A, 1) * np.linalg.norm(inverse, 1))
    if M not in env.direct and not rcond >= SINGULAR:
        raise Singular(M)
    return inverse


@singledispatch
def ev(e, env) -> np.ndarray:
    raise MatcalcError(f"cannot evaluate {type(e).__name__}")


@ev.register
def _(e: E.Symbol, env):
    return env.arrays[e]


@ev.register
def _(e: E.Differential, env):
    return env.arrays[e]


@ev.register
def _(e: E.Number, env):
    return np.array([[float(e.value)]])


@ev.register
def _(e: E.Identity, env):
    return np.eye(env.size(e.n))


@ev.register
def _(e: E.Zero, env):
    return np.zeros(tuple(env.size(d) for d in e.dims))


@ev.register
def _(e: E.Ones, env):
    return np.ones(tuple(env.size(d) for d in e.dims))


@ev.register
def _(e: E.Add, env):
    return sum(ev(t, env) for t in e.terms)


@ev.register
def _(e: E.Mul, env):
    scale, chain = 1.0, None
    for f in e.factors:
        v = ev(f, env)
        if f.is_scalar:
            scale = scale * v[0, 0]
        else:
            chain = v if chain is None else chain @ v
    with np.errstate(all="ignore"):
        return scale * (chain if chain is not None else np.ones((1, 1)))


@ev.register
def _(e: E.Hadamard, env):
    return ev(e.left, env) * ev(e.right, env)


@ev.register
def _(e: E.Transpose, env):
    return ev(e.arg, env).T


@ev.register
def _(e: E.Inverse, env):
    return _inverse(e.arg, env)


@ev.register
def _(e: E.MatPower, env):
    if e.k < 0:
        return np.linalg.matrix_power(_inverse(e.base, env), -e.k)
    return np.linalg.matrix_power(ev(e.base, env), e.k)


@ev.register
def _(e: E.Power, env):
    with np.errstate(all="ignore"):
        exponent = ev(e.exponent, env)
        return np.power(ev(e.base, env), exponent[0, 0] if e.exponent.is_scalar else exponent)


@ev.register
def _(e: E.Trace, env):
    return np.array([[np.trace(ev(e.arg, env))]])


@ev.register
def _(e: E.Det, env):
    return np.array([[np.linalg.det(ev(e.arg, env))]])


@ev.register
def _(e: E.Inner, env):
    return np.array([[np.sum(ev(e.left, env) * ev(e.right, env))]])


NORMS: dict[str, float | Literal["nuc"] | None] = {"euclid": None, "l1": 1, "spectral": 2,
                                                  "nuclear": "nuc"}


@ev.register
def _(e: E.Norm, env):
    a = ev(e.arg, env)
    if e.kind == "l1":
        return np.array([[np.sum(np.abs(a))]])
    if e.kind == "max":
        return np.array([[np.max(np.abs(a))]])
    if e.kind == "lp":
        p = float(ev(e.order[0], env)[0, 0])
        return np.array([[np.sum(np.abs(a) ** p) ** (1 / p)]])
    if e.kind not in NORMS:
        raise MatcalcError(f"cannot evaluate the norm {e}")
    return np.array([[np.linalg.norm(a, NORMS[e.kind])]])


@ev.register
def _(e: E.Diag, env):
    a = ev(e.arg, env)
    return np.diag(a[:, 0]) if e.builds_matrix else np.diag(a).reshape(-1, 1)


@ev.register
def _(e: E.Kron, env):
    return np.kron(ev(e.left, env), ev(e.right, env))


@ev.register
def _(e: E.PartialTrace, env):
    return partial_trace(ev(e.arg, env), ev(e.factor, env), e.which)


def partial_trace(W: np.ndarray, C: np.ndarray, which: int) -> np.ndarray:
    """tr_2(W (I kron C)) (which 2: each block by its trace) or tr_1((C kron I) W) (which 1:
    the sum of the diagonal blocks); the sizes are those of W and C."""
    (r, c), (a, b) = W.shape, C.shape
    if which == 2:
        M = W @ np.kron(np.eye(c // a), C)
        return np.einsum("ikjk->ij", M.reshape(r // b, b, c // a, b))
    M = np.kron(C, np.eye(r // b)) @ W
    return np.einsum("kikj->ij", M.reshape(a, r // b, a, c // a))


@ev.register
def _(e: E.Vec, env):
    return ev(e.arg, env).reshape(-1, 1, order="F")


@ev.register
def _(e: E.Commutation, env):
    return commutation(env.size(e.m), env.size(e.n))


def commutation(m: int, n: int) -> np.ndarray:
    """K with K vec(X) = vec(X^T) for X of shape (m, n)."""
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[i * n + j, j * m + i] = 1.0
    return K


@ev.register
def _(e: E.Softmax, env):
    """Of each column."""
    u = ev(e.arg, env)
    w = np.exp(u - np.max(u, axis=0))
    return w / np.sum(w, axis=0)


@ev.register
def _(e: E.LogSumExp, env):
    """Of each column: a row."""
    u = ev(e.arg, env)
    m = np.max(u, axis=0)
    return (m + np.log(np.sum(np.exp(u - m), axis=0))).reshape(1, -1)


@ev.register
def _(e: E.SymbolicPower, env):
    k = float(ev(e.exponent, env).item())
    if k != round(k) or abs(k) > 2 ** 31:
        raise NotDefinedError(f"{text(e)} is a power for an integer exponent, not {k:g}")
    base = _inverse(e.base, env) if k < 0 else ev(e.base, env)
    return np.linalg.matrix_power(base, abs(int(k)))


@ev.register
def _(e: E.MatFunc, env):
    if e.direction:
        return _dmatfunc(e.which, ev(e.arg, env), ev(e.direction[0], env))
    return _matfunc(e.which, ev(e.arg, env))


@ev.register
def _(e: E.Eig, env):
    return np.sort(np.real(np.linalg.eigvals(ev(e.arg, env))))[::-1].reshape(-1, 1)


@ev.register
def _(e: E.SingularFactor, env):
    U, _, Vt = np.linalg.svd(ev(e.arg, env), full_matrices=False)
    return U @ Vt if e.which == "polar" else np.outer(U[:, 0], Vt[0])


@ev.register
def _(e: E.LambdaMax, env):
    return np.array([[np.linalg.eigvalsh(ev(e.arg, env))[-1 if e.which == "max" else 0]]])


@ev.register
def _(e: E.TopEigvec, env):
    v = np.linalg.eigh(ev(e.arg, env))[1][:, -1 if e.which == "top" else 0]
    return np.outer(v, v)


@ev.register
def _(e: E.Extremum, env):
    """max(x), min(x); ismax(x), ismin(x): 1.0 at the entry equal to it, else 0.0, and nan
    where it is attained more than once (max has no gradient there)."""
    u = ev(e.arg, env)
    extremum = np.max(u) if e.which.endswith("max") else np.min(u)
    if len(e.which) == 3:
        return np.array([[extremum]])
    hits = u == extremum
    return hits.astype(float) if np.sum(hits) == 1 else np.full(u.shape, np.nan)


@ev.register
def _(e: E.Func, env):
    if e.name == "log" and (product := determinant_powers(e.arg)) is not None:
        return np.array([[_log_determinant_powers(*product, env)]])
    with np.errstate(all="ignore"):
        return ELEMENTWISE[e.name].numpy(ev(e.arg, env))


def determinant_powers(e) -> tuple[float, list[tuple[E.Expr, int]]] | None:
    """(c, [(X_i, k_i)]) when e = c det(X_1)^k_1 det(X_2)^k_2 ... (integers k_i), else None."""
    c, powers = 1.0, list[tuple[E.Expr, int]]()
    for f in e.factors if isinstance(e, E.Mul) else (e,):
        if isinstance(f, E.Number):
            c *= float(f.value)
        elif isinstance(f, E.Det):
            powers.append((f.arg, 1))
        elif isinstance(f, E.Power) and isinstance(f.base, E.Det) and \
                isinstance(f.exponent, E.Number) and f.exponent.value.is_integer:
            powers.append((f.base.arg, int(f.exponent.value)))
        else:
            return None
    return (c, powers) if powers else None


def _log_determinant_powers(c, powers, env) -> float:
    """log(c det(X_1)^k_1 ...) by slogdet, so that a determinant past the floating-point range
    still has its logarithm; -inf where the product is 0, nan where it is negative (as log)."""
    sign, total = np.sign(c), np.log(abs(c)) if c else -np.inf
    for X, k in powers:
        s, value = np.linalg.slogdet(ev(X, env))
        sign, total = sign * s ** k, total + k * value
    return total if sign > 0 else -np.inf if sign == 0 else np.nan


# ---- random inputs and finite differences ---------------------------------------------

def draw(symbols, assume: dict, rng: np.random.Generator, sizes: dict) -> dict:
    """Random values that respect the shapes and assumptions (square matrices near I), at
    most MAX_ENTRIES numbers in all."""
    values: dict[str, np.ndarray | float] = {}
    entries = 0
    for s in sorted(symbols, key=_key):
        if isinstance(s, E.Differential):
            continue
        rows, cols = (_draw_size(d, sizes, rng) for d in s.shape)
        entries += rows * cols
        if entries > MAX_ENTRIES:
            raise TooLargeError(f"random values up to {_key(s)} ({rows} x {cols}) would hold "
                                f"{entries:,} numbers, more than the {MAX_ENTRIES:,} drawn at "
                                "once; give smaller sizes")
        kind = assume.get(s.name)
        R = rng.standard_normal((rows, cols))
        if kind == "orthogonal":
            value = np.linalg.qr(R)[0]
        elif kind == "diagonal":
            value = np.diag(rng.uniform(0.5, 2.0, rows))
        elif kind in ("spd", "symmetric"):
            value = R @ R.T / rows + np.eye(rows) if kind == "spd" else \
                np.eye(rows) + 0.3 * (R + R.T) / np.sqrt(rows)
        elif rows == cols and rows > 1:
            value = np.eye(rows) + 0.3 * R / np.sqrt(rows)
        elif rows == cols == 1:
            values[_key(s)] = float(rng.uniform(0.5, 1.5))
            continue
        else:
            value = R
        values[_key(s)] = value if cols != 1 or rows == 1 else value[:, 0]
    return values


def _draw_size(d, sizes, rng) -> int:
    """The size of dimension d: drawn once per name; a product m*n of its factors' sizes."""
    if isinstance(d, int):
        return d
    if "*" in d:
        return int(np.prod([_draw_size(p, sizes, rng) for p in factors_of(d)]))
    return sizes.setdefault(d, int(rng.integers(2, 6)))


def directions(shape, symmetric: bool, rng: np.random.Generator, most: int):
    """(perturbations of a value of this shape, the number of its entries): the unit
    perturbation of each entry (of each symmetric pair for a symmetric variable); beyond
    ``most`` entries, ``most`` random directions of norm 1 instead, each touching every entry."""
    rows, cols = (*shape, 1, 1)[:2]
    count = rows * (rows + 1) // 2 if symmetric else rows * cols
    if count <= most:
        entries = [(i, j) for i in range(rows) for j in range(cols) if not symmetric or j >= i]
        return (_unit(shape, i, j, symmetric) for i, j in entries), count
    return (_random_direction(shape, symmetric, rng) for _ in range(most)), count


def _unit(shape, i, j, symmetric):
    deadline.check("comparing with finite differences")
    V = np.zeros((*shape, 1, 1)[:2])
    V[i, j] = 1.0
    if symmetric:
        V[j, i] = 1.0
    return V.reshape(shape)


def _random_direction(shape, symmetric, rng):
    deadline.check("comparing with finite differences")
    V = rng.standard_normal((*shape, 1, 1)[:2])
    if symmetric:
        V = V + V.T
    return (V / np.linalg.norm(V)).reshape(shape)


def central_difference(f, X, V, h=1e-6):
    """(f'(X)[V] by central differences, an estimate of its error): the difference from
    twice the step, plus the rounding of f's values over the step."""
    step = h * max(1.0, float(np.max(np.abs(X))))
    with np.errstate(all="ignore"):
        plus, minus = np.asarray(f(X + step * V)), np.asarray(f(X - step * V))
        estimate = (plus - minus) / (2 * step)
        coarse = (np.asarray(f(X + 2 * step * V)) - np.asarray(f(X - 2 * step * V))) / (4 * step)
        noise = np.abs(estimate - coarse) + EPS * np.maximum(np.abs(plus), np.abs(minus)) / step
    return estimate, np.where(np.isnan(noise), np.inf, noise)

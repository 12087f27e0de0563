"""Numbers: evaluate expressions with NumPy, draw random inputs, check by finite differences.

Values follow NumPy conventions: a vector is a 1-D array ``(n,)``, a matrix a
2-D array, a scalar a float. Internally every value is 2-D, like the shapes.
"""
from __future__ import annotations

from functools import singledispatch

import numpy as np

from . import arguments, deadline, expr as E
from .errors import MatcalcError, ShapeError
from .functions import ELEMENTWISE


def evaluate(e: E.Expr, values: dict, context: tuple = ()):
    """Value of e; dimensions are bound by the values of the symbols of e and of context."""
    env = Environment(values, [e, *context])
    return to_user(ev(e, env), e.shape)


class Environment:
    def __init__(self, values, exprs):
        values = arguments.values(values)
        self.arrays, self.dims = {}, {}
        required = E.free_symbols(exprs[0])
        for s in sorted({s for x in exprs for s in E.free_symbols(x)}, key=_key):
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
            return int(np.prod([self.size(int(p) if p.isdigit() else p) for p in d.split("*")]))
        if d not in self.dims:
            raise MatcalcError(f"the dimension {d} is not fixed by the values given")
        return self.dims[d]


def _key(s):
    from .printing import text
    return text(s)


def to_internal(value, name="value") -> np.ndarray:
    try:
        a = np.asarray(value, dtype=float)
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
    return np.linalg.inv(ev(e.arg, env))


@ev.register
def _(e: E.MatPower, env):
    return np.linalg.matrix_power(ev(e.base, env), e.k)


@ev.register
def _(e: E.Power, env):
    with np.errstate(all="ignore"):
        return np.power(ev(e.base, env), ev(e.exponent, env)[0, 0])


@ev.register
def _(e: E.Trace, env):
    return np.array([[np.trace(ev(e.arg, env))]])


@ev.register
def _(e: E.Det, env):
    return np.array([[np.linalg.det(ev(e.arg, env))]])


@ev.register
def _(e: E.Inner, env):
    return np.array([[np.sum(ev(e.left, env) * ev(e.right, env))]])


NORMS = {"euclid": None, "l1": 1, "spectral": 2, "nuclear": "nuc"}


@ev.register
def _(e: E.Norm, env):
    a = ev(e.arg, env)
    if e.kind == "l1":
        return np.array([[np.sum(np.abs(a))]])
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
    u = ev(e.arg, env)
    w = np.exp(u - np.max(u))
    return w / np.sum(w)


@ev.register
def _(e: E.LogSumExp, env):
    u = ev(e.arg, env)
    m = np.max(u)
    return np.array([[m + np.log(np.sum(np.exp(u - m)))]])


@ev.register
def _(e: E.Eig, env):
    return np.sort(np.real(np.linalg.eigvals(ev(e.arg, env))))[::-1].reshape(-1, 1)


@ev.register
def _(e: E.SingularFactor, env):
    U, _, Vt = np.linalg.svd(ev(e.arg, env), full_matrices=False)
    return U @ Vt if e.which == "polar" else np.outer(U[:, 0], Vt[0])


@ev.register
def _(e: E.LambdaMax, env):
    return np.array([[np.linalg.eigvalsh(ev(e.arg, env))[-1]]])


@ev.register
def _(e: E.TopEigvec, env):
    v = np.linalg.eigh(ev(e.arg, env))[1][:, -1]
    return np.outer(v, v)


@ev.register
def _(e: E.Func, env):
    with np.errstate(all="ignore"):
        return ELEMENTWISE[e.name].numpy(ev(e.arg, env))


# ---- random inputs and finite differences ---------------------------------------------

def draw(symbols, assume: dict, rng: np.random.Generator, sizes: dict) -> dict:
    """Random values that respect the shapes and assumptions (square matrices near I)."""
    values = {}
    for s in sorted(symbols, key=_key):
        if isinstance(s, E.Differential):
            continue
        rows, cols = (_draw_size(d, sizes, rng) for d in s.shape)
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
            value = float(rng.uniform(0.5, 1.5))
        else:
            value = R
        values[_key(s)] = value if cols != 1 or rows == 1 else value[:, 0]
    return values


def _draw_size(d, sizes, rng) -> int:
    """The size of dimension d: drawn once per name; a product m*n of its factors' sizes."""
    if isinstance(d, int):
        return d
    if "*" in d:
        return int(np.prod([_draw_size(int(p) if p.isdigit() else p, sizes, rng)
                            for p in d.split("*")]))
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
    scale = max(1.0, float(np.max(np.abs(X))))
    return (f(X + h * scale * V) - f(X - h * scale * V)) / (2 * h * scale)

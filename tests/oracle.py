"""Engine-independent numerical oracle for the acceptance tests.

Nothing here imports matcalc: the tests compare the engine against finite
differences and against closed forms written directly in NumPy.

- ``central_gradient``: central finite-difference gradient of a scalar function.
- ``central_jacobian``: central finite-difference Jacobian of a scalar, vector or
  matrix function, in vec (column-major) layout.
- ``directional_difference``: (F(X + h V) - F(X - h V)) / 2h.
- ``second_differences``: the Hessian of a scalar function of a vector.
- ``rng_values``: random inputs of the kinds the problem set needs.
- ``assert_close``: an ``allclose``-style check whose message reports the errors.
- NumPy building blocks the closed forms share: ``sigma``, ``softmax``, ``vec``, ...
"""
from __future__ import annotations

import numpy as np

__all__ = ["central_gradient", "central_jacobian", "directional_difference",
           "second_differences", "rng_values", "assert_close", "sigma", "softmax",
           "logsumexp", "softmax_jacobian", "sym", "vec", "unvec", "commutation"]


# ---------------------------------------------------------------------------
# NumPy building blocks
# ---------------------------------------------------------------------------

def sigma(z):
    """The logistic sigmoid 1 / (1 + exp(-z)), without overflow for large |z|."""
    return np.exp(-np.logaddexp(0.0, -z))


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def logsumexp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))


def softmax_jacobian(z):
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


def sym(G):
    return (G + G.T) / 2


def vec(A):
    """Stack the columns of A (a vector is its own vec)."""
    return np.ravel(np.asarray(A, dtype=float), order="F")


def unvec(v, shape):
    return np.reshape(v, shape, order="F")


def commutation(m, n):
    """K (mn x mn) with K vec(A) = vec(A^T) for every m x n matrix A."""
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[j + i * n, i + j * m] = 1.0  # A[i, j] is vec(A)[i + j m], vec(A^T)[j + i n]
    return K


# ---------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------

def central_gradient(f, values, wrt, h=1e-6):
    """Central-difference gradient of ``f(values) -> float`` wrt ``values[wrt]``.

    ``values[wrt]`` may be a float, a 1-D vector or a 2-D matrix; the result has
    the same shape (a float for a scalar). Neither ``values`` nor its arrays are
    modified: ``f`` is called on a shallow copy of the dict holding a perturbed
    copy of the entry.
    """
    point = values[wrt]
    is_scalar = np.ndim(point) == 0
    base = np.array(point, dtype=float)  # a private copy
    grad = np.zeros_like(base)
    trial = dict(values)

    def f_at(entry):
        trial[wrt] = float(entry) if is_scalar else entry
        return float(f(trial))

    for index in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (f_at(plus) - f_at(minus)) / (2 * h)
    return float(grad) if is_scalar else grad


def central_jacobian(F, values, wrt, h=1e-6):
    """Central-difference Jacobian of ``F(values)`` wrt ``values[wrt]``, in vec layout.

    ``F`` may return a float, a 1-D vector or a 2-D matrix, and ``values[wrt]``
    may be a float, a vector or a matrix. With ``vec`` stacking columns
    (column-major, Fortran order; a float counts as a 1-vector), the result is
    the 2-D array ``J`` of shape ``(size(F), size(X))`` with
    ``J[i, j] = d vec(F)_i / d vec(X)_j``. For a vector variable and a vector
    function this is the usual Jacobian; for the gradient of a scalar function
    it is the Hessian. ``values`` and its arrays are not modified.
    """
    point = values[wrt]
    is_scalar = np.ndim(point) == 0
    base = np.array(point, dtype=float)  # a private copy
    trial = dict(values)

    def vec_F_at(entry):
        trial[wrt] = float(entry) if is_scalar else entry
        return np.ravel(np.asarray(F(trial), dtype=float), order="F")

    columns = []
    for j in range(base.size):
        plus, minus = base.copy(), base.copy()
        index = np.unravel_index(j, base.shape, order="F") if base.ndim else ()
        plus[index] += h
        minus[index] -= h
        columns.append((vec_F_at(plus) - vec_F_at(minus)) / (2 * h))
    return np.stack(columns, axis=1)


def directional_difference(F, values, wrt, V, h=1e-6):
    """(F(X + h V) - F(X - h V)) / 2h at X = values[wrt], F a function of the values."""
    X = np.asarray(values[wrt], dtype=float)
    return (np.asarray(F({**values, wrt: X + h * V}), dtype=float)
            - np.asarray(F({**values, wrt: X - h * V}), dtype=float)) / (2 * h)


def second_differences(f, values, wrt, h=1e-4):
    """The Hessian of the scalar f at values with respect to the vector values[wrt]."""
    x = np.array(values[wrt], dtype=float)
    n = x.size
    H = np.zeros((n, n))
    at = lambda y: float(f({**values, wrt: y}))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = H[j, i] = (at(x + ei + ej) - at(x + ei - ej) - at(x - ei + ej)
                                 + at(x - ei - ej)) / (4 * h * h)
    return H


# ---------------------------------------------------------------------------
# Random draws
# ---------------------------------------------------------------------------

def _vector(rng, n):
    return rng.standard_normal(n)


def _positive_vector(rng, n):
    return rng.uniform(0.5, 2.0, n)


def _matrix(rng, m, n):
    return rng.standard_normal((m, n))


def _square(rng, n):
    """Close to I: singular values in about [0.4, 1.6], determinant > 0."""
    while True:
        X = np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
        if np.linalg.det(X) > 0:
            return X


def _symmetric(rng, n):
    G = rng.standard_normal((n, n))
    return (G + G.T) / 2


def _spd(rng, n):
    """Eigenvalues in about [1, 5]."""
    G = rng.standard_normal((n, n))
    return np.eye(n) + G @ G.T / n


def _posdef(rng, n):
    """Not symmetric, but with an SPD symmetric part, so x^T A x > 0 for x != 0."""
    G = rng.standard_normal((n, n))
    return _spd(rng, n) + (G - G.T) / 2


def _binary_vector(rng, n):
    """Labels: entries 0.0 or 1.0."""
    return rng.integers(0, 2, n).astype(float)


def _nonzero_vector(rng, n):
    """Random signs, magnitudes in [0.5, 2]: away from the kinks of |.| and sign."""
    return rng.choice([-1.0, 1.0], n) * rng.uniform(0.5, 2.0, n)


def _sign_vector(rng, n):
    """Labels: entries -1.0 or 1.0."""
    return rng.choice([-1.0, 1.0], n)


def _positive_matrix(rng, m, n):
    """Entries in [0.2, 1.2] (inside (0, pi/2): sin, cos, log, sqrt are smooth)."""
    return rng.uniform(0.2, 1.2, (m, n))


def _orthonormal_columns(rng, m, r):
    Q, R = np.linalg.qr(rng.standard_normal((m, r)))
    return Q * np.sign(np.diag(R))


def _separated_matrix(rng, m, n):
    """U diag(s) V^T of full rank min(m, n), singular values s in [1, ~1 + 0.8 r]
    pairwise at least 0.5 apart (so the SVD, the spectral and the nuclear norm are
    differentiable)."""
    r = min(m, n)
    s = 1.0 + 0.8 * np.arange(r) + rng.uniform(0.0, 0.3, r)
    return _orthonormal_columns(rng, m, r) @ np.diag(rng.permutation(s)) @ \
        _orthonormal_columns(rng, n, r).T


def _gapped_symmetric(rng, n):
    """Symmetric, top eigenvalue at least 1 above the others (simple lambda_max)."""
    lam = rng.standard_normal(n)
    top = int(np.argmax(lam))
    lam[top] = np.max(np.delete(lam, top)) + rng.uniform(1.0, 2.0) if n > 1 else lam[top]
    Q = _orthonormal_columns(rng, n, n)
    X = Q @ np.diag(lam) @ Q.T
    return (X + X.T) / 2


def _scalar(rng):
    return float(rng.standard_normal())


def _positive_scalar(rng):
    return float(rng.uniform(0.5, 2.0))


_KINDS = {
    "scalar": _scalar,
    "positive_scalar": _positive_scalar,
    "vector": _vector,
    "positive_vector": _positive_vector,
    "matrix": _matrix,
    "square": _square,
    "symmetric": _symmetric,
    "spd": _spd,
    "posdef": _posdef,
    "binary_vector": _binary_vector,
    "nonzero_vector": _nonzero_vector,
    "sign_vector": _sign_vector,
    "positive_matrix": _positive_matrix,
    "separated_matrix": _separated_matrix,
    "gapped_symmetric": _gapped_symmetric,
}


def _size(token, dims):
    token = token.strip()
    if token.isdigit():
        return int(token)
    if token not in dims:
        raise KeyError(f"dimension {token!r} is not in dims={dims!r}")
    return int(dims[token])


def rng_values(rng, spec, dims=None):
    """Draw one value per name of ``spec`` (in the dict's order).

    ``spec`` maps names to kinds ``"kind"`` or ``"kind:d1,d2"``, where each ``d``
    is an integer or a key of ``dims``:

    ============================  ==========================================
    ``"scalar"``                  float ~ N(0, 1)
    ``"positive_scalar"``         float in [0.5, 2]
    ``"vector:n"``                1-D, entries ~ N(0, 1)
    ``"positive_vector:n"``       1-D, entries in [0.5, 2]
    ``"matrix:m,n"``              2-D, entries ~ N(0, 1)
    ``"square:n"``                I + 0.3 randn / sqrt(n): well conditioned,
                                  det > 0, not symmetric
    ``"symmetric:n"``             (G + G^T) / 2
    ``"spd:n"``                   I + G G^T / n
    ``"posdef:n"``                SPD + skew: not symmetric, x^T A x > 0
    ``"binary_vector:n"``         1-D, entries 0.0 or 1.0 (labels)
    ``"nonzero_vector:n"``        1-D, random signs, |entries| in [0.5, 2]
    ``"sign_vector:n"``           1-D, entries -1.0 or 1.0 (labels)
    ``"positive_matrix:m,n"``     2-D, entries in [0.2, 1.2]
    ``"separated_matrix:m,n"``    full rank, singular values >= 1 and
                                  pairwise >= 0.5 apart
    ``"gapped_symmetric:n"``      symmetric, top eigenvalue >= 1 above the
                                  rest
    ============================  ==========================================

    Example: ``rng_values(rng, {"A": "matrix:m,n", "x": "vector:n"},
    dims={"m": 4, "n": 3})``.
    """
    dims = dims or {}
    values = {}
    for name, kind in spec.items():
        label, _, sizes = kind.partition(":")
        if label not in _KINDS:
            raise ValueError(f"unknown kind {kind!r} for {name!r}; known: {sorted(_KINDS)}")
        args = [_size(token, dims) for token in sizes.split(",")] if sizes else []
        values[name] = _KINDS[label](rng, *args)
    return values


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------

def assert_close(actual, expected, rtol=1e-6, atol=1e-8, what=""):
    """Assert ``|actual - expected| <= atol + rtol * |expected|`` elementwise.

    Shapes must match exactly (a scalar and a 1-element array do not). The
    failure message gives the worst absolute and relative errors and where.
    """
    label = f"{what}: " if what else ""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        raise AssertionError(f"{label}shape {a.shape} != expected shape {e.shape}")
    if not np.all(np.isfinite(a)):
        raise AssertionError(f"{label}non-finite entries in actual:\n{a}")
    err = np.abs(a - e)
    bad = err > atol + rtol * np.abs(e)
    if np.any(bad):
        rel = err / np.maximum(np.abs(e), np.finfo(float).tiny)
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(err), err.shape))
        raise AssertionError(
            f"{label}{int(bad.sum())} of {err.size} entries differ "
            f"(rtol={rtol:g}, atol={atol:g}); max abs error {err.max():.3e} at {worst}, "
            f"max rel error {rel.max():.3e}\nactual:\n{a}\nexpected:\n{e}"
        )

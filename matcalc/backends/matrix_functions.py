"""The matrix functions expm, logm, sqrtm and their Frechet derivatives, with NumPy only.

``_matfunc(name, X)`` is f(X); ``_dmatfunc(name, X, E)`` is Df(X)[E], the part of
f(X + E) - f(X) linear in E. A symmetric X = Q diag(l) Q^T goes by its eigendecomposition
(eigh), and Df(X)[E] = Q (F .* (Q^T E Q)) Q^T with F the divided differences
F_ij = (f(l_i) - f(l_j)) / (l_i - l_j), f'(l_i) where l_i = l_j (Daleckii-Krein; Higham,
"Functions of Matrices", thm. 3.11). A general X: expm by scaling and squaring with the
[13/13] Pade approximant (Higham 2005, "The scaling and squaring method for the matrix
exponential revisited"), Dexpm(X)[E] the upper right block of expm([[X, E], [0, X]]);
logm and sqrtm by the (complex) eigendecomposition X = V diag(l) V^-1, for which the same
divided differences hold. The functions are written out as they stand into generated NumPy
code (backends/code/backends.py): ``_dmatfunc`` calls only NumPy and the others.
"""
from __future__ import annotations

import numpy as np


def _divided(name, a, b):
    """F_ij = (f(a_i) - f(b_j)) / (a_i - b_j), f'(a_i) at a_i = b_j, without cancellation:
    exp: e^m sinh(h) / h with m, h the half sum and half difference; log: 2 atanh(z) / z / s
    with s = a + b, z = (a - b) / s; sqrt: 1 / (sqrt a + sqrt b)."""
    a, b = a[:, None], b[None, :]
    if name == "sqrtm":
        return 1.0 / (np.sqrt(a) + np.sqrt(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "expm":
            h = (a - b) / 2
            ratio = np.where(h == 0, 1.0, np.sinh(h) / np.where(h == 0, 1.0, h))
            return np.exp((a + b) / 2) * ratio
        s = a + b
        z = (a - b) / s
        ratio = np.where(z == 0, 1.0, np.arctanh(z) / np.where(z == 0, 1.0, z))
        return 2 * ratio / s


def _symmetric(X):
    """Whether X is symmetric up to rounding (its entries' differences within 1e-12 of X)."""
    return bool(np.all(np.abs(X - X.T) <= 1e-12 * max(np.abs(X).max(initial=0.0), 1e-300)))


def _eigen(name, X):
    """(l, V, V^-1, f(l)) for X = V diag(l) V^-1: eigh for a symmetric X (V orthogonal, real),
    eig otherwise (complex); a logm or sqrtm needs no eigenvalue on the closed negative real
    axis (log and sqrt are the principal branches), a symmetric one a positive eigenvalue."""
    if _symmetric(X):
        lam, V = np.linalg.eigh((X + X.T) / 2)
        Vinv = V.T
    else:
        lam, V = np.linalg.eig(X)
        Vinv = np.linalg.inv(V)
    if name != "expm" and np.any((np.abs(lam.imag) <= 1e-14 * np.abs(lam)) & (lam.real <= 0)):
        raise np.linalg.LinAlgError(f"{name} needs a matrix without eigenvalues on the closed "
                                    "negative real axis")
    f = {"expm": np.exp, "logm": np.log, "sqrtm": np.sqrt}[name]
    return lam, V, Vinv, f(lam)


def _expm_pade(X):
    """expm of a general square X: scaling by 2^-s to 1-norm <= 5.37, the [13/13] Pade
    approximant, s squarings (Higham 2005, algorithm 2.3 at degree 13)."""
    b = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0, 1.0)
    norm = np.abs(X).sum(axis=0).max() if X.size else 0.0
    s = max(0, int(np.ceil(np.log2(norm / 5.371920351148152)))) if norm > 0 else 0
    A = X / 2.0 ** s
    I = np.eye(len(A))
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2
             + b[1] * I)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * I
    R = np.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


def _matfunc(name, X):
    """f(X) for f expm, logm or sqrtm (see the module docstring)."""
    X = np.asarray(X, dtype=float)
    if name == "expm" and not _symmetric(X):
        return _expm_pade(X)
    lam, V, Vinv, f = _eigen(name, X)
    return np.real((V * f) @ Vinv)


def _dmatfunc(name, X, E):
    """Df(X)[E]: V (F .* (V^-1 E V)) V^-1 (Daleckii-Krein) for a diagonalizable X, and for a
    general X and expm the upper right block of expm([[X, E], [0, X]])."""
    X, E = np.asarray(X, dtype=float), np.asarray(E, dtype=float)
    if name == "expm" and not _symmetric(X):
        n = len(X)
        return _matfunc("expm", np.block([[X, E], [np.zeros_like(X), X]]))[:n, n:]
    lam, V, Vinv, _ = _eigen(name, X)
    return np.real(V @ (_divided(name, lam, lam) * (Vinv @ E @ V)) @ Vinv)

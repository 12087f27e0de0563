"""The NumPy truth of every case of ``matcalc.problems.CASES``, by case id.

Nothing here imports matcalc: the text, the variable, the shapes and the
assumptions of a case come from the package's table; this module holds what
checks the engine's answer, written directly in NumPy: the kinds of the random
values (``oracle.rng_values``), the function and its closed-form derivatives.
All functions take the values as keyword arguments.

Layout: ``vec`` stacks columns; a Hessian wrt X is size(X) x size(X), a
Jacobian of F wrt X is size(F) x size(X). For a scalar variable t the gradient
is f'(t) and the Hessian f''(t).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from numpy.linalg import det, inv, norm, solve, svd

from oracle import commutation, logsumexp, sigma, softmax, softmax_jacobian, sym

# Distance from a kink (relu, |.|) required of a draw; far above h = 1e-6.
KINK_MARGIN = 1e-3

tr = np.trace


@dataclass(frozen=True)
class Closed:
    """The NumPy side of one case: the kinds of its random values and its closed forms."""
    spec: dict
    f: Callable | None = None        # the scalar function
    grad: Callable | None = None     # shaped like the variable
    hess: Callable | None = None     # size(X) x size(X), vec layout
    F: Callable | None = None        # a vector or matrix function (Jacobian cases)
    jac: Callable | None = None      # size(F) x size(X), vec layout
    derived: Callable | None = None  # (**values) -> dict of values computed from the drawn
    valid: Callable | None = None    # (**values) -> bool: the draw avoids kinks


ORACLES: dict[str, Closed] = {}


def add(ids: str, closed: Closed) -> None:
    """The same NumPy truth for each of the space-separated case ids."""
    for case_id in ids.split():
        assert case_id not in ORACLES, f"{case_id}: two oracles"
        ORACLES[case_id] = closed


# ---------------------------------------------------------------------------
# A. Matrix calculus, B. Seminar, C. Automatic differentiation
# ---------------------------------------------------------------------------

def quadratic(A, x, b, c):
    return 0.5 * x @ A @ x + b @ x + c


def rayleigh(A, x):
    return (A @ x @ x) / (x @ x)


def logistic_loss(Z, theta, y):
    s = sigma(Z @ theta)
    return -np.sum(y * np.log(s) + (1 - y) * np.log(1 - s))


def layer_loss(W, x, b, y):
    return 0.5 * norm(sigma(W @ x + b) - y) ** 2


def layer_delta(W, x, b, y):
    s = sigma(W @ x + b)
    return (s - y) * s * (1 - s)


def shifted(A, t):
    return A - t * np.eye(len(A))


def logdet_hess(X):
    """-(X^-1 kron X^-T) K: vec of H[dX] = -X^-T dX^T X^-T."""
    n = len(X)
    return -np.kron(inv(X), inv(X).T) @ commutation(n, n)


def p24_hess(x):
    u = x @ x
    L = 1 + np.log(u)
    return 2 * u**u * L * np.eye(len(x)) + 4 * u**u * (L**2 + 1 / u) * np.outer(x, x)


def p25_hess(A, x):
    s, f = x @ x, rayleigh(A, x)
    r = A @ x - f * x
    return 2 * (A - f * np.eye(len(x))) / s - 4 * (np.outer(x, r) + np.outer(r, x)) / s**2


def p28_f(A, x, m, mu):
    return np.sum(np.log1p(np.exp(A @ x))) / m + mu / 2 * norm(x) ** 2


def p28_hess(A, x, m, mu):
    s = sigma(A @ x)
    return A.T @ np.diag(s * (1 - s)) @ A / m + mu * np.eye(len(x))


QUADRATIC_SPEC = {"A": "matrix:n,n", "x": "vector:n", "b": "vector:n", "c": "scalar"}

add("P1-x", Closed({"A": "matrix:m,n", "x": "vector:n"},
                   F=lambda A, x: A @ x, jac=lambda A, x: A))
add("P1-A", Closed({"A": "matrix:m,n", "x": "vector:n"},
                   F=lambda A, x: A @ x,
                   jac=lambda A, x: np.kron(x[None, :], np.eye(A.shape[0]))))  # m x mn
add("P2", Closed({"c": "vector:n", "x": "vector:n"}, f=lambda c, x: c @ x, grad=lambda c, x: c))
add("P3 P3-hess S1", Closed(QUADRATIC_SPEC, f=quadratic,
                            grad=lambda A, x, b, c: 0.5 * (A + A.T) @ x + b,
                            hess=lambda A, x, b, c: 0.5 * (A + A.T)))
add("P3-sym P3-sym-hess", Closed({**QUADRATIC_SPEC, "A": "symmetric:n"}, f=quadratic,
                                 grad=lambda A, x, b, c: A @ x + b,
                                 hess=lambda A, x, b, c: A))
add("P4 P4-hess", Closed({"x": "vector:n"}, f=lambda x: -np.exp(-x @ x),
                         grad=lambda x: 2 * np.exp(-x @ x) * x,
                         hess=lambda x: 2 * np.exp(-x @ x) * (np.eye(len(x))
                                                              - 2 * np.outer(x, x))))
add("P5 P5-hess", Closed({"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
                         f=lambda A, x, b: 0.5 * norm(A @ x - b) ** 2,
                         grad=lambda A, x, b: A.T @ (A @ x - b),
                         hess=lambda A, x, b: A.T @ A))
add("P6", Closed({"x": "vector:n"}, f=lambda x: norm(x), grad=lambda x: x / norm(x)))
add("P7", Closed({"A": "matrix:m,n", "x": "vector:n"}, f=lambda A, x: norm(A @ x),
                 grad=lambda A, x: A.T @ A @ x / norm(A @ x)))
add("P8 P8-hess", Closed({"x": "vector:n"}, f=lambda x: -1 / (1 + x @ x),
                         grad=lambda x: 2 * x / (1 + x @ x) ** 2,
                         hess=lambda x: (2 * np.eye(len(x)) / (1 + x @ x) ** 2
                                         - 8 * np.outer(x, x) / (1 + x @ x) ** 3)))
# general A, drawn with x^T A x > 0 so that the log is defined
add("P9 P9-diff P19-general", Closed({"A": "posdef:n", "x": "vector:n"},
                                     f=lambda A, x: np.log(x @ A @ x),
                                     grad=lambda A, x: (A + A.T) @ x / (x @ A @ x)))
add("P10 P14-det P29-det", Closed({"X": "square:n"}, f=lambda X: det(X),
                                  grad=lambda X: det(X) * inv(X).T))
add("P14-prod-eig", Closed({"X": "square:n"},
                           f=lambda X: float(np.prod(np.linalg.eigvals(X)).real),
                           grad=lambda X: det(X) * inv(X).T))
# X declared spd: the gradient on S^n, sym(X^-T) = X^-1; the Hessian is only determined
# on symmetric directions, H[dX] = -X^-1 dX X^-1
add("P11 P11-hess", Closed({"X": "spd:n"}, f=lambda X: np.log(det(X)),
                           grad=lambda X: (inv(X) + inv(X).T) / 2,
                           hess=lambda X: -np.kron(inv(X), inv(X))))
add("P11-hess-general P29-lndet", Closed({"X": "square:n"}, f=lambda X: np.log(det(X)),
                                         grad=lambda X: inv(X).T, hess=logdet_hess))
add("P12 P12-hess P12-logsumexp P12-logsumexp-hess",
    Closed({"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
           f=lambda A, x, b: logsumexp(A @ x + b),
           grad=lambda A, x, b: A.T @ softmax(A @ x + b),
           hess=lambda A, x, b: A.T @ softmax_jacobian(A @ x + b) @ A))
add("P14-sum-eig", Closed({"X": "square:n"}, f=lambda X: float(np.sum(np.linalg.eigvals(X)).real),
                          grad=lambda X: np.eye(len(X))))
add("P14-tr S5", Closed({"X": "matrix:n,n"}, f=lambda X: tr(X), grad=lambda X: np.eye(len(X))))
add("P29-tr", Closed({"X": "square:n"}, f=lambda X: tr(X), grad=lambda X: np.eye(len(X))))
add("P15", Closed({"X": "matrix:m,n"}, f=lambda X: norm(X) ** 2, grad=lambda X: 2 * X))
add("P16 P16-hess", Closed({"Z": "matrix:m,n", "theta": "vector:n", "y": "binary_vector:m"},
                           f=logistic_loss,
                           grad=lambda Z, theta, y: Z.T @ (sigma(Z @ theta) - y),
                           hess=lambda Z, theta, y: Z.T @ np.diag(
                               sigma(Z @ theta) * (1 - sigma(Z @ theta))) @ Z))
add("P17", Closed({"A": "matrix:m,n", "X": "matrix:n,m"}, f=lambda A, X: tr(A @ X),
                  grad=lambda A, X: A.T))
add("P18", Closed({"S": "matrix:n,n", "X": "spd:n"},
                  f=lambda S, X: np.sum(S * X) - np.log(det(X)),
                  grad=lambda S, X: S - inv(X).T))
add("P19 S4 S4-diff", Closed({"A": "spd:n", "x": "vector:n"},
                             f=lambda A, x: np.log(A @ x @ x),
                             grad=lambda A, x: (A + A.T) @ x / (A @ x @ x)))
add("P20 P20-hess", Closed({"a": "vector:n", "x": "vector:n"},
                           f=lambda a, x: np.log1p(np.exp(a @ x)),
                           grad=lambda a, x: sigma(a @ x) * a,
                           hess=lambda a, x: sigma(a @ x) * (1 - sigma(a @ x)) * np.outer(a, a)))
add("P21 P21-hess S3 S3-hess", Closed({"x": "vector:n"}, f=lambda x: norm(x) ** 3 / 3,
                                     grad=lambda x: norm(x) * x,
                                     hess=lambda x: (norm(x) * np.eye(len(x))
                                                     + np.outer(x, x) / norm(x))))
add("P22", Closed({"A": "matrix:m,k", "X": "matrix:k,n", "B": "matrix:m,n"},
                  f=lambda A, X, B: norm(A @ X - B),
                  grad=lambda A, X, B: A.T @ (A @ X - B) / norm(A @ X - B)))
P23_SPEC = {"W": "matrix:m,n", "x": "vector:n", "b": "vector:m", "y": "vector:m"}
add("P23-W", Closed(P23_SPEC, f=layer_loss,
                    grad=lambda W, x, b, y: np.outer(layer_delta(W, x, b, y), x)))
add("P23-b", Closed(P23_SPEC, f=layer_loss, grad=layer_delta))
add("P24 P24-hess", Closed({"x": "vector:n"}, f=lambda x: (x @ x) ** (x @ x),
                           grad=lambda x: 2 * (x @ x) ** (x @ x) * (1 + np.log(x @ x)) * x,
                           hess=p24_hess))
add("P25 P25-hess", Closed({"A": "symmetric:n", "x": "vector:n"}, f=rayleigh,
                           grad=lambda A, x: 2 * (A @ x - rayleigh(A, x) * x) / (x @ x),
                           hess=p25_hess))
add("P26 P26-hess", Closed({"A": "symmetric:n", "x": "vector:n"},
                           f=lambda A, x: 0.5 * norm(A - np.outer(x, x)) ** 2,
                           grad=lambda A, x: 2 * (x @ x) * x - 2 * A @ x,
                           hess=lambda A, x: (2 * (x @ x) * np.eye(len(x)) + 4 * np.outer(x, x)
                                              - 2 * A)))
add("P27 P27-hess", Closed({"x": "vector:n"}, f=lambda x: norm(np.outer(x, x), 2),
                           grad=lambda x: 2 * x, hess=lambda x: 2 * np.eye(len(x))))
# m, the number of rows of A in the problem set, is any positive scalar to the engine
add("P28 P28-hess", Closed({"A": "matrix:m,n", "x": "vector:n", "m": "positive_scalar",
                            "mu": "positive_scalar"},
                           f=p28_f, grad=lambda A, x, m, mu: A.T @ sigma(A @ x) / m + mu * x,
                           hess=p28_hess))
add("P29-trinv", Closed({"X": "square:n"}, f=lambda X: tr(inv(X)),
                        grad=lambda X: -(inv(X) @ inv(X)).T))
add("P30 P30-2", Closed({"A": "square:n", "t": "scalar"},
                        f=lambda A, t: det(shifted(A, t)),
                        grad=lambda A, t: -det(shifted(A, t)) * tr(inv(shifted(A, t))),
                        hess=lambda A, t: det(shifted(A, t)) * (
                            tr(inv(shifted(A, t))) ** 2
                            - tr(inv(shifted(A, t)) @ inv(shifted(A, t))))))
add("P31", Closed({"A": "matrix:n,n", "B": "matrix:n,n", "X": "square:n"},
                  f=lambda A, B, X: tr(A @ X @ X @ B @ inv(X).T),
                  grad=lambda A, B, X: (A.T @ inv(X) @ B.T @ X.T + X.T @ A.T @ inv(X) @ B.T
                                        - inv(X).T @ A @ X @ X @ B @ inv(X).T)))
add("S2", Closed({"A": "matrix:m,n", "X": "square:n", "B": "matrix:n,m"},
                 f=lambda A, X, B: tr(A @ inv(X) @ B),
                 grad=lambda A, X, B: -inv(X).T @ A.T @ B.T @ inv(X).T))
# X not symmetric (det X > 0), so X^-T and X^-1 differ
add("S6", Closed({"S": "matrix:n,n", "X": "square:n"},
                 f=lambda S, X: np.sum(S * X) - np.log(det(X)),
                 grad=lambda S, X: S - inv(X).T))
AD8_SPEC = {"g": "vector:n", "A": "square:n", "b": "vector:n"}
add("AD8-A", Closed(AD8_SPEC, f=lambda g, A, b: g @ solve(A, b),
                    grad=lambda g, A, b: -np.outer(solve(A.T, g), solve(A, b))))
add("AD8-b", Closed(AD8_SPEC, f=lambda g, A, b: g @ solve(A, b),
                    grad=lambda g, A, b: solve(A.T, g)))


# ---------------------------------------------------------------------------
# Identities: the Matrix Cookbook, Jacobians, spectral functions, elementwise
# ---------------------------------------------------------------------------

def nuclear_gradient(W):
    U, _, Vt = svd(W, full_matrices=False)
    return U @ Vt


def spectral_gradient(W):
    U, _, Vt = svd(W, full_matrices=False)
    return np.outer(U[:, 0], Vt[0])


def lambda_max_gradient(X):
    _, Q = np.linalg.eigh(sym(X))
    return np.outer(Q[:, -1], Q[:, -1])


def sqrt_hess(x):
    r = np.sqrt(x @ x + 1)
    return np.eye(len(x)) / r - np.outer(x, x) / r**3


add("CB-trXTBX", Closed({"B": "matrix:n,n", "X": "matrix:n,m"}, f=lambda B, X: tr(X.T @ B @ X),
                        grad=lambda B, X: B @ X + B.T @ X))
add("CB-aTXinvb", Closed({"a": "vector:n", "X": "square:n", "b": "vector:n"},
                         f=lambda a, X, b: a @ inv(X) @ b,
                         grad=lambda a, X, b: -inv(X).T @ np.outer(a, b) @ inv(X).T))
add("CB-trAXBX", Closed({"A": "matrix:m,n", "X": "matrix:n,m", "B": "matrix:m,n"},
                        f=lambda A, X, B: tr(A @ X @ B @ X),
                        grad=lambda A, X, B: A.T @ X.T @ B.T + B.T @ X.T @ A.T))
add("CB-trAXB", Closed({"A": "matrix:m,n", "X": "matrix:n,k", "B": "matrix:k,m"},
                       f=lambda A, X, B: tr(A @ X @ B), grad=lambda A, X, B: A.T @ B.T))
add("CB-trXTAX-hess", Closed({"A": "matrix:n,n", "X": "matrix:n,m"},
                             f=lambda A, X: tr(X.T @ A @ X),
                             grad=lambda A, X: (A + A.T) @ X,
                             hess=lambda A, X: np.kron(np.eye(X.shape[1]), A + A.T)))
add("J-AXB", Closed({"A": "matrix:m,k", "X": "matrix:k,n", "B": "matrix:n,k"},
                    F=lambda A, X, B: A @ X @ B, jac=lambda A, X, B: np.kron(B.T, A)))
add("J-inv", Closed({"X": "square:n"}, F=lambda X: inv(X),
                    jac=lambda X: -np.kron(inv(X).T, inv(X))))
add("J-softmax", Closed({"z": "vector:n"}, F=lambda z: softmax(z), jac=softmax_jacobian))
add("J-softmax-affine", Closed({"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
                               F=lambda A, x, b: softmax(A @ x + b),
                               jac=lambda A, x, b: softmax_jacobian(A @ x + b) @ A))
add("AD9", Closed({"W": "separated_matrix:m,n"},
                  f=lambda W: float(np.sum(svd(W, compute_uv=False))), grad=nuclear_gradient))
add("AD9-wide", Closed({"W": "separated_matrix:k,n"},
                       f=lambda W: float(np.sum(svd(W, compute_uv=False))),
                       grad=nuclear_gradient))
add("AD9-spectral", Closed({"W": "separated_matrix:m,n"}, f=lambda W: norm(W, 2),
                           grad=spectral_gradient))
# X declared symmetric: f extended off S^n as lambda_max(sym(X)), smooth near a simple
# top eigenvalue
add("AD9-lambda-max", Closed({"X": "gapped_symmetric:n"},
                             f=lambda X: float(np.linalg.eigvalsh(sym(X))[-1]),
                             grad=lambda_max_gradient))
add("E-log-sin", Closed({"a": "vector:m", "X": "positive_matrix:m,n", "b": "vector:n"},
                        f=lambda a, X, b: a @ np.log(np.sin(X)) @ b,
                        grad=lambda a, X, b: np.outer(a, b) * np.cos(X) / np.sin(X)))
add("E-sin-AXB", Closed({"a": "vector:m", "A": "matrix:m,k", "X": "matrix:k,n",
                         "B": "matrix:n,m", "b": "vector:m"},
                        f=lambda a, A, X, B, b: a @ np.sin(A @ X @ B) @ b,
                        grad=lambda a, A, X, B, b: A.T @ (np.outer(a, b)
                                                          * np.cos(A @ X @ B)) @ B.T))
add("E-softplus-sum E-softplus-sum-hess",
    Closed({"A": "matrix:m,n", "x": "vector:n"}, f=lambda A, x: np.sum(np.log1p(np.exp(A @ x))),
           grad=lambda A, x: A.T @ sigma(A @ x),
           hess=lambda A, x: A.T @ np.diag(sigma(A @ x) * (1 - sigma(A @ x))) @ A))
add("E-relu", Closed({"A": "matrix:m,n", "x": "vector:n"},
                     f=lambda A, x: np.sum(np.maximum(A @ x, 0)),
                     grad=lambda A, x: A.T @ (A @ x > 0).astype(float),
                     valid=lambda A, x: bool(np.min(np.abs(A @ x)) > KINK_MARGIN)))
add("E-l1", Closed({"x": "nonzero_vector:n"}, f=lambda x: np.sum(np.abs(x)),
                   grad=lambda x: np.sign(x),
                   valid=lambda x: bool(np.min(np.abs(x)) > KINK_MARGIN)))
add("E-ratio E-ratio-hess", Closed({"a": "vector:n", "x": "vector:n"},
                                   f=lambda a, x: a @ (x / (1 + x**2)),
                                   grad=lambda a, x: a * (1 - x**2) / (1 + x**2) ** 2,
                                   hess=lambda a, x: np.diag(a * (2 * x**3 - 6 * x)
                                                             / (1 + x**2) ** 3)))
add("E-tanh", Closed({"W": "matrix:m,n", "x": "vector:n"}, f=lambda W, x: np.sum(np.tanh(W @ x)),
                     grad=lambda W, x: np.outer(1 - np.tanh(W @ x) ** 2, x)))
add("E-sqrt E-sqrt-hess", Closed({"x": "vector:n"}, f=lambda x: np.sqrt(x @ x + 1),
                                 grad=lambda x: x / np.sqrt(x @ x + 1), hess=sqrt_hess))


# ---------------------------------------------------------------------------
# Losses (losses.md); "lambda" is a keyword of Python, read from **v
# ---------------------------------------------------------------------------

def cross_entropy(W, x, y):
    return -y @ np.log(softmax(W @ x))


def column_softmax(Z):
    E = np.exp(Z - np.max(Z, axis=0))
    return E / np.sum(E, axis=0)


def network2(W_1, x, b_1, W_2, b_2, y):
    """h, r and delta of the two-layer network of L6."""
    h = np.tanh(W_1 @ x + b_1)
    r = W_2 @ h + b_2 - y
    return h, r, (W_2.T @ r) * (1 - h**2)


def network3(W_1, W_2, W_3, x, y):
    """h_1, h_2, r, delta_2 and delta_1 of the three-layer network of L20."""
    h_1 = np.tanh(W_1 @ x)
    h_2 = np.tanh(W_2 @ h_1)
    r = W_3 @ h_2 - y
    delta_2 = (W_3.T @ r) * (1 - h_2**2)
    return h_1, h_2, r, delta_2, (W_2.T @ delta_2) * (1 - h_1**2)


def gaussian_nll(x, m, S):
    r = x - m
    return 0.5 * np.log(det(S)) + 0.5 * r @ solve(S, r)


def mahalanobis(x, m, S):
    r = x - m
    return np.sqrt(r @ solve(S, r))


L1_SPEC = {"W": "matrix:m,n", "x": "vector:n", "y": "vector:m"}
L5_SPEC = {"X": "matrix:m,n", "U": "matrix:m,k", "V": "matrix:n,k"}
L6_SPEC = {"W_1": "matrix:m,n", "x": "vector:n", "b_1": "vector:m", "W_2": "matrix:k,m",
           "b_2": "vector:k", "y": "vector:k"}
# b = A x + s with s > 0: inside the barrier's domain
L7_SPEC = {"A": "matrix:m,n", "x": "vector:n", "c": "vector:n", "s": "positive_vector:m"}
L10_SPEC = {"X": "matrix:m,n", "w": "vector:n", "y": "vector:m"}
L20_SPEC = {"W_1": "matrix:m,n", "W_2": "matrix:k,m", "W_3": "matrix:n,k", "x": "vector:n",
            "y": "vector:n"}


def l6(**v):
    return 0.5 * norm(network2(**v)[1]) ** 2


def l20(**v):
    return 0.5 * norm(network3(**v)[2]) ** 2


def log_barrier(A, x, c, b, s):
    return c @ x - np.sum(np.log(b - A @ x))


add("L1", Closed(L1_SPEC, f=cross_entropy,
                 grad=lambda W, x, y: np.outer(softmax(W @ x) * np.sum(y) - y, x)))
add("L1H", Closed(L1_SPEC, f=cross_entropy,
                  grad=lambda W, x, y: W.T @ (softmax(W @ x) * np.sum(y) - y),
                  hess=lambda W, x, y: np.sum(y) * W.T @ softmax_jacobian(W @ x) @ W))
add("L3", Closed({"X": "matrix:m,n", "w": "vector:n", "y": "vector:m", "lambda": "scalar"},
                 f=lambda X, w, y, **v: norm(X @ w - y) ** 2 + v["lambda"] * norm(w) ** 2,
                 grad=lambda X, w, y, **v: 2 * X.T @ (X @ w - y) + 2 * v["lambda"] * w))
add("L4m", Closed({"x": "vector:n", "m": "vector:n", "S": "spd:n"}, f=gaussian_nll,
                  grad=lambda x, m, S: solve(S, m - x)))
add("L4S", Closed({"x": "vector:n", "m": "vector:n", "S": "spd:n"}, f=gaussian_nll,
                  grad=lambda x, m, S: 0.5 * (inv(S) - inv(S) @ np.outer(x - m, x - m) @ inv(S))))
add("L5U", Closed(L5_SPEC, f=lambda X, U, V: norm(X - U @ V.T) ** 2,
                  grad=lambda X, U, V: -2 * (X - U @ V.T) @ V))
add("L5V", Closed(L5_SPEC, f=lambda X, U, V: norm(X - U @ V.T) ** 2,
                  grad=lambda X, U, V: -2 * (X - U @ V.T).T @ U))
add("L6-W_1", Closed(L6_SPEC, f=l6, grad=lambda **v: np.outer(network2(**v)[2], v["x"])))
add("L6-b_1", Closed(L6_SPEC, f=l6, grad=lambda **v: network2(**v)[2]))
add("L6-W_2", Closed(L6_SPEC, f=l6, grad=lambda **v: np.outer(network2(**v)[1],
                                                              network2(**v)[0])))
add("L6-b_2", Closed(L6_SPEC, f=l6, grad=lambda **v: network2(**v)[1]))
add("L7 L7H", Closed(L7_SPEC, f=log_barrier,
                     grad=lambda A, x, c, b, s: c + A.T @ (1 / (b - A @ x)),
                     hess=lambda A, x, c, b, s: A.T @ np.diag(1 / (b - A @ x) ** 2) @ A,
                     derived=lambda A, x, c, s: {"b": A @ x + s}))
add("L10 L10H", Closed(L10_SPEC, f=lambda X, w, y: np.sum(np.exp(X @ w)) - y @ X @ w,
                       grad=lambda X, w, y: X.T @ (np.exp(X @ w) - y),
                       hess=lambda X, w, y: X.T @ np.diag(np.exp(X @ w)) @ X))
add("L11", Closed({"X": "matrix:m,n", "lambda": "positive_scalar"},
                  f=lambda X, **v: np.log(det(X.T @ X + v["lambda"] * np.eye(X.shape[1]))),
                  grad=lambda X, **v: 2 * X @ inv(X.T @ X + v["lambda"] * np.eye(X.shape[1]))))
add("L12", Closed({"A": "matrix:m,k", "X": "matrix:k,n", "B": "matrix:n,m", "C": "matrix:m,m"},
                  f=lambda A, X, B, C: 0.5 * norm(A @ X @ B - C) ** 2,
                  grad=lambda A, X, B, C: A.T @ (A @ X @ B - C) @ B.T))
add("L13", Closed({"a": "vector:n", "K": "symmetric:n"},
                  f=lambda a, K: 0.5 * a @ K @ a - np.sum(a), grad=lambda a, K: K @ a - 1))
add("L15", Closed({"p": "positive_vector:n"}, f=lambda p: np.sum(p * np.log(p)),
                  grad=lambda p: 1 + np.log(p)))
add("L16", Closed({"x": "vector:n", "m": "vector:n", "S": "spd:n"}, f=mahalanobis,
                  grad=lambda x, m, S: solve(S, x - m) / mahalanobis(x, m, S)))
add("L18", Closed({"W": "matrix:m,n", "X": "matrix:n,k", "Y": "positive_matrix:m,k"},
                  f=lambda W, X, Y: -np.sum(Y * np.log(column_softmax(W @ X))),
                  grad=lambda W, X, Y: (column_softmax(W @ X) * np.sum(Y, axis=0) - Y) @ X.T))
add("L19", Closed({"X": "matrix:m,n", "w": "vector:n", "y": "sign_vector:m",
                   "lambda": "positive_scalar"},
                  f=lambda X, w, y, **v: (np.sum(np.logaddexp(0.0, -y * (X @ w)))
                                          + v["lambda"] / 2 * norm(w) ** 2),
                  grad=lambda X, w, y, **v: v["lambda"] * w - X.T @ (y * sigma(-y * (X @ w)))))
add("L20-W_1", Closed(L20_SPEC, f=l20, grad=lambda **v: np.outer(network3(**v)[4], v["x"])))
add("L20-W_2", Closed(L20_SPEC, f=l20, grad=lambda **v: np.outer(network3(**v)[3],
                                                                 network3(**v)[0])))
add("L20-W_3", Closed(L20_SPEC, f=l20, grad=lambda **v: np.outer(network3(**v)[2],
                                                                 network3(**v)[1])))

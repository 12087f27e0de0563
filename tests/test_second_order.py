"""Acceptance tests: second-order problems of the seminar problem set.

Hessians, Jacobians, the second derivative of a scalar function and
Hessian-vector products. As in test_problems.py, every engine result is
compared with two independent oracles, never with the engine itself:

- finite differences of NumPy code (``oracle.central_jacobian`` of the NumPy
  gradient for a Hessian, of the NumPy function for a Jacobian), and
- the closed-form answer of the problem set, written in NumPy.

The oracles are checked against each other without the engine too (the
``test_*_oracles`` tests): the NumPy gradient against central differences of
the NumPy f, the closed-form Hessian or Jacobian against central differences.

Layout: ``vec`` stacks columns (Fortran order). The Hessian wrt a vector x is
n x n; wrt a matrix X it is the size(X) x size(X) array
``H[i, j] = d vec(G)_i / d vec(X)_j`` of the gradient G. The Jacobian of F wrt
X is size(F) x size(X) in the same layout.

Each table row gives the matcalc text, the variable, the kinds of random
values (see ``oracle.rng_values``), NumPy functions of the values (keyword
arguments) and optional shapes and assumptions.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from numpy.linalg import det, inv, norm

import matcalc as mc
from oracle import assert_close, central_gradient, central_jacobian, rng_values

SEEDS = (0, 1, 2)
SIZES = ({"n": 3, "m": 4, "k": 2}, {"n": 5, "m": 2, "k": 3})

# Engine vs closed form: both exact up to rounding.
EXACT_RTOL, EXACT_ATOL = 1e-7, 1e-9
# Against central differences (h = 1e-6): truncation and cancellation errors.
FD_RTOL, FD_ATOL = 1e-5, 1e-6
# Second derivative by the 3-point difference (f(t+h) - 2 f(t) + f(t-h)) / h^2.
SECOND_DIFFERENCE_H = 1e-4

tr = np.trace


# ---------------------------------------------------------------------------
# vec layout
# ---------------------------------------------------------------------------

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


def sigma(z):
    return 1 / (1 + np.exp(-z))


def size(value):
    return int(np.size(value))


def draws(problem, extra=None):
    """(label, values) for every seed and size setting.

    ``extra(rng, values)`` may add entries (a direction) drawn after the values.
    """
    for dims in SIZES:
        for seed in SEEDS:
            label = f"{problem.id} seed={seed} dims={dims}"
            rng = np.random.default_rng(seed)
            values = rng_values(rng, problem.spec, dims)
            if extra is not None:
                values = {**values, **extra(rng, values)}
            yield label, values


# ---------------------------------------------------------------------------
# Hessians
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HessianProblem:
    id: str
    text: str
    wrt: str
    spec: dict
    f: Callable
    grad: Callable      # closed-form gradient, shaped like the variable
    hess: Callable      # closed-form Hessian, size(X) x size(X) in vec layout
    shapes: dict | None = None
    assume: dict | None = None


def quadratic(x, A, b, c):
    return 0.5 * x @ A @ x + b @ x + c


def rayleigh(A, x):
    return (A @ x @ x) / (x @ x)


def p25_hess(A, x):
    s, f = x @ x, rayleigh(A, x)
    r = A @ x - f * x
    return 2 * (A - f * np.eye(len(x))) / s - 4 * (np.outer(x, r) + np.outer(r, x)) / s**2


def p24_hess(x):
    u = x @ x
    L = 1 + np.log(u)
    return 2 * u**u * L * np.eye(len(x)) + 4 * u**u * (L**2 + 1 / u) * np.outer(x, x)


def logdet_hess(X):
    """-(X^-1 kron X^-T) K: vec of H[dX] = -X^-T dX^T X^-T."""
    n = len(X)
    return -np.kron(inv(X), inv(X).T) @ commutation(n, n)


HESSIAN_PROBLEMS = [
    # --- vector variable --------------------------------------------------------
    HessianProblem("P3", "1/2 x^T A x + b^T x + c", "x",
                   {"A": "matrix:n,n", "x": "vector:n", "b": "vector:n", "c": "scalar"},
                   f=quadratic,
                   grad=lambda A, x, b, c: 0.5 * (A + A.T) @ x + b,
                   hess=lambda A, x, b, c: 0.5 * (A + A.T)),
    HessianProblem("P3-symmetric", "1/2 x^T A x + b^T x + c", "x",
                   {"A": "symmetric:n", "x": "vector:n", "b": "vector:n", "c": "scalar"},
                   f=quadratic,
                   grad=lambda A, x, b, c: A @ x + b,
                   hess=lambda A, x, b, c: A,
                   assume={"A": "symmetric"}),
    HessianProblem("P4", "-exp(-x^T x)", "x", {"x": "vector:n"},
                   f=lambda x: -np.exp(-x @ x),
                   grad=lambda x: 2 * np.exp(-x @ x) * x,
                   hess=lambda x: 2 * np.exp(-x @ x) * (np.eye(len(x)) - 2 * np.outer(x, x))),
    HessianProblem("P5", "1/2 ||A x - b||_2^2", "x",
                   {"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
                   f=lambda A, x, b: 0.5 * norm(A @ x - b) ** 2,
                   grad=lambda A, x, b: A.T @ (A @ x - b),
                   hess=lambda A, x, b: A.T @ A),
    HessianProblem("P8", "-1 / (1 + x^T x)", "x", {"x": "vector:n"},
                   f=lambda x: -1 / (1 + x @ x),
                   grad=lambda x: 2 * x / (1 + x @ x) ** 2,
                   hess=lambda x: (2 * np.eye(len(x)) / (1 + x @ x) ** 2
                                   - 8 * np.outer(x, x) / (1 + x @ x) ** 3)),
    HessianProblem("P20", "log(1 + exp(<a, x>))", "x", {"a": "vector:n", "x": "vector:n"},
                   f=lambda a, x: np.log1p(np.exp(a @ x)),
                   grad=lambda a, x: sigma(a @ x) * a,
                   hess=lambda a, x: sigma(a @ x) * (1 - sigma(a @ x)) * np.outer(a, a)),
    HessianProblem("P21", "1/3 ||x||_2^3", "x", {"x": "vector:n"},
                   f=lambda x: norm(x) ** 3 / 3,
                   grad=lambda x: norm(x) * x,
                   hess=lambda x: norm(x) * np.eye(len(x)) + np.outer(x, x) / norm(x)),
    HessianProblem("S3", "1/3 ||x||_2^3", "x", {"x": "vector:n"},
                   f=lambda x: norm(x) ** 3 / 3,
                   grad=lambda x: norm(x) * x,
                   hess=lambda x: norm(x) * np.eye(len(x)) + np.outer(x, x) / norm(x)),
    HessianProblem("P24", "<x, x>^<x, x>", "x", {"x": "vector:n"},
                   f=lambda x: (x @ x) ** (x @ x),
                   grad=lambda x: 2 * (x @ x) ** (x @ x) * (1 + np.log(x @ x)) * x,
                   hess=p24_hess),
    HessianProblem("P25", "<A x, x> / ||x||_2^2", "x", {"A": "symmetric:n", "x": "vector:n"},
                   f=rayleigh,
                   grad=lambda A, x: 2 * (A @ x - rayleigh(A, x) * x) / (x @ x),
                   hess=p25_hess,
                   assume={"A": "symmetric"}),
    HessianProblem("P26", "1/2 ||A - x x^T||_F^2", "x", {"A": "symmetric:n", "x": "vector:n"},
                   f=lambda A, x: 0.5 * norm(A - np.outer(x, x)) ** 2,
                   grad=lambda A, x: 2 * (x @ x) * x - 2 * A @ x,
                   hess=lambda A, x: (2 * (x @ x) * np.eye(len(x)) + 4 * np.outer(x, x)
                                      - 2 * A),
                   assume={"A": "symmetric"}),
    # --- matrix variable, unconstrained (vec layout) -----------------------------
    # P11 without assumptions: X square, not symmetric, det X > 0.
    HessianProblem("P11-unconstrained", "log(det(X))", "X", {"X": "square:n"},
                   f=lambda X: np.log(det(X)),
                   grad=lambda X: inv(X).T,
                   hess=logdet_hess),
    HessianProblem("CB-trXTAX", "tr(X^T A X)", "X", {"A": "matrix:n,n", "X": "matrix:n,m"},
                   f=lambda A, X: tr(X.T @ A @ X),
                   grad=lambda A, X: (A + A.T) @ X,
                   hess=lambda A, X: np.kron(np.eye(X.shape[1]), A + A.T)),
]

HESSIANS = {p.id: p for p in HESSIAN_PROBLEMS}
assert len(HESSIANS) == len(HESSIAN_PROBLEMS), "duplicate Hessian problem ids"


@functools.cache
def engine_hessian(problem_id):
    """The engine's symbolic Hessian, derived once per problem."""
    p = HESSIANS[problem_id]
    return mc.hessian(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


def hessian_scale(p, values):
    """Magnitude for the absolute tolerances (finite differences of the gradient
    lose about eps * |grad| / h)."""
    return max(1.0, np.max(np.abs(p.hess(**values))), np.max(np.abs(p.grad(**values))),
               abs(p.f(**values)))


@pytest.mark.parametrize("problem", HESSIAN_PROBLEMS, ids=[p.id for p in HESSIAN_PROBLEMS])
def test_hessian_oracles(problem):
    """Engine-free: NumPy gradient vs central differences of f; closed-form
    Hessian symmetric and equal to central differences of the NumPy gradient."""
    f = lambda values: problem.f(**values)
    grad = lambda values: problem.grad(**values)
    for label, values in draws(problem):
        scale = hessian_scale(problem, values)
        assert_close(problem.grad(**values), central_gradient(f, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: NumPy gradient vs central differences of f")
        closed = problem.hess(**values)
        assert_close(closed, closed.T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: closed-form Hessian symmetric")
        assert_close(closed, central_jacobian(grad, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: closed-form Hessian vs Jacobian of the NumPy gradient")


@pytest.mark.parametrize("problem", HESSIAN_PROBLEMS, ids=[p.id for p in HESSIAN_PROBLEMS])
def test_hessian(problem):
    h = engine_hessian(problem.id)
    grad = lambda values: problem.grad(**values)
    for label, values in draws(problem):
        N = size(values[problem.wrt])
        H = np.asarray(h.evaluate(values), dtype=float)
        assert H.shape == (N, N), (
            f"{label}: Hessian shape {H.shape} != ({N}, {N}) for {problem.wrt} of shape "
            f"{np.shape(values[problem.wrt])}")

        scale = hessian_scale(problem, values)
        assert_close(H, H.T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine Hessian symmetric")
        assert_close(H, central_jacobian(grad, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs Jacobian of the NumPy gradient")
        assert_close(H, problem.hess(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


# P11 as stated (X in S++), with X declared spd. The engine then uses the
# gradient on symmetric matrices, G = sym(X^-T) = X^-1, and its Hessian is only
# determined on symmetric directions dX: H[dX] = -X^-1 dX X^-1. How H acts on
# non-symmetric directions is a convention (e.g. -(X^-1 kron X^-1) or
# -(X^-1 kron X^-T) K, which agree on symmetric dX), so only H P is checked,
# P = (I + K) / 2 the projector onto vecs of symmetric matrices.
P11_SPD = HessianProblem(
    "P11-spd", "log(det(X))", "X", {"X": "spd:n"},
    f=lambda X: np.log(det(X)),
    grad=lambda X: (inv(X) + inv(X).T) / 2,         # sym(X^-T), smooth off S^n too
    hess=lambda X: -np.kron(inv(X), inv(X)),        # valid on symmetric directions
    assume={"X": "spd"})


def symmetric_projector(n):
    return (np.eye(n * n) + commutation(n, n)) / 2


def test_hessian_spd_variable_oracles():
    p = P11_SPD
    f = lambda values: p.f(**values)
    grad = lambda values: p.grad(**values)
    for label, values in draws(p):
        X = values["X"]
        P = symmetric_projector(len(X))
        scale = hessian_scale(p, values)
        # the gradient on S^n is sym of the unconstrained one
        G_fd = central_gradient(f, values, "X")
        assert_close(p.grad(**values), (G_fd + G_fd.T) / 2, rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: NumPy gradient on S^n vs sym(FD)")
        assert_close(p.hess(**values) @ P, central_jacobian(grad, values, "X") @ P,
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: closed-form Hessian on S^n vs FD")
        assert_close(p.hess(**values) @ P, logdet_hess(X) @ P, rtol=EXACT_RTOL,
                     atol=EXACT_ATOL * scale,
                     what=f"{label}: both vec forms agree on symmetric directions")


def test_hessian_spd_variable():
    p = P11_SPD
    h = mc.hessian(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)
    grad = lambda values: p.grad(**values)
    for label, values in draws(p):
        n = len(values["X"])
        H = np.asarray(h.evaluate(values), dtype=float)
        assert H.shape == (n * n, n * n), f"{label}: Hessian shape {H.shape}"
        P = symmetric_projector(n)
        scale = hessian_scale(p, values)
        assert_close(P @ H @ P, (P @ H @ P).T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine Hessian symmetric on S^n")
        assert_close(H @ P, central_jacobian(grad, values, "X") @ P,
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs FD on symmetric directions")
        assert_close(H @ P, p.hess(**values) @ P, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs -X^-1 dX X^-1 on symmetric directions")


# ---------------------------------------------------------------------------
# Jacobians
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JacobianProblem:
    id: str
    text: str
    wrt: str
    spec: dict
    F: Callable         # the vector or matrix function
    jac: Callable       # closed form, size(F) x size(X) in vec layout
    shapes: dict | None = None
    assume: dict | None = None


JACOBIAN_PROBLEMS = [
    JacobianProblem("P1-x", "A x", "x", {"A": "matrix:m,n", "x": "vector:n"},
                    F=lambda A, x: A @ x,
                    jac=lambda A, x: A),
    JacobianProblem("P1-A", "A x", "A", {"A": "matrix:m,n", "x": "vector:n"},
                    F=lambda A, x: A @ x,
                    jac=lambda A, x: np.kron(x[None, :], np.eye(A.shape[0]))),  # m x mn
    JacobianProblem("AXB", "A X B", "X",
                    {"A": "matrix:m,k", "X": "matrix:k,n", "B": "matrix:n,k"},
                    F=lambda A, X, B: A @ X @ B,
                    jac=lambda A, X, B: np.kron(B.T, A)),
    JacobianProblem("Xinv", "X^-1", "X", {"X": "square:n"},
                    F=lambda X: inv(X),
                    jac=lambda X: -np.kron(inv(X).T, inv(X))),
]

JACOBIANS = {p.id: p for p in JACOBIAN_PROBLEMS}
assert len(JACOBIANS) == len(JACOBIAN_PROBLEMS), "duplicate Jacobian problem ids"


@functools.cache
def engine_jacobian(problem_id):
    """The engine's symbolic Jacobian, derived once per problem."""
    p = JACOBIANS[problem_id]
    return mc.jacobian(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


def jacobian_scale(p, values):
    return max(1.0, np.max(np.abs(p.jac(**values))), np.max(np.abs(p.F(**values))))


@pytest.mark.parametrize("problem", JACOBIAN_PROBLEMS, ids=[p.id for p in JACOBIAN_PROBLEMS])
def test_jacobian_oracles(problem):
    """Engine-free: closed-form Jacobian vs central differences of F."""
    F = lambda values: problem.F(**values)
    for label, values in draws(problem):
        assert_close(problem.jac(**values), central_jacobian(F, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * jacobian_scale(problem, values),
                     what=f"{label}: closed-form Jacobian vs central differences")


@pytest.mark.parametrize("problem", JACOBIAN_PROBLEMS, ids=[p.id for p in JACOBIAN_PROBLEMS])
def test_jacobian(problem):
    j = engine_jacobian(problem.id)
    F = lambda values: problem.F(**values)
    for label, values in draws(problem):
        shape = (size(problem.F(**values)), size(values[problem.wrt]))
        J = np.asarray(j.evaluate(values), dtype=float)
        assert J.shape == shape, f"{label}: Jacobian shape {J.shape} != {shape}"

        scale = jacobian_scale(problem, values)
        assert_close(J, central_jacobian(F, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs central differences")
        assert_close(J, problem.jac(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


# ---------------------------------------------------------------------------
# Scalar variable: P30, f(t) = det(A - t I), f' and f''
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ScalarProblem:
    id: str
    text: str
    wrt: str
    spec: dict
    f: Callable
    derivatives: dict   # order -> closed form
    shapes: dict | None = None


def shifted(A, t):
    return A - t * np.eye(len(A))


P30 = ScalarProblem(
    "P30", "det(A - t I)", "t", {"A": "square:n", "t": "scalar"},
    f=lambda A, t: det(shifted(A, t)),
    derivatives={
        1: lambda A, t: -det(shifted(A, t)) * tr(inv(shifted(A, t))),
        2: lambda A, t: det(shifted(A, t)) * (tr(inv(shifted(A, t))) ** 2
                                              - tr(inv(shifted(A, t)) @ inv(shifted(A, t)))),
    },
    shapes={"t": "scalar"})


@functools.cache
def engine_derivative(order):
    p = P30
    return mc.derivative(p.text, wrt=p.wrt, order=order, shapes=p.shapes)


def finite_differences(order, values):
    """Independent of the closed forms for order 2: a 3-point second difference of f."""
    f = lambda v: P30.f(**v)
    if order == 1:
        return central_gradient(f, values, "t")
    h, t = SECOND_DIFFERENCE_H, values["t"]
    at = lambda s: f({**values, "t": s})
    return (at(t + h) - 2 * at(t) + at(t - h)) / h**2


def scalar_scale(values):
    return max(1.0, abs(P30.f(**values)),
               *(abs(d(**values)) for d in P30.derivatives.values()))


@pytest.mark.parametrize("order", (1, 2))
def test_scalar_derivative_oracles(order):
    """Engine-free: closed forms vs differences of f (and f'' vs differences of f')."""
    for label, values in draws(P30):
        closed = P30.derivatives[order](**values)
        scale = scalar_scale(values)
        assert_close(closed, finite_differences(order, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: closed-form f^({order}) vs FD of f")
        if order == 2:
            d1 = lambda v: P30.derivatives[1](**v)
            assert_close(closed, central_gradient(d1, values, "t"), rtol=FD_RTOL,
                         atol=FD_ATOL * scale, what=f"{label}: closed-form f'' vs FD of f'")


@pytest.mark.parametrize("order", (1, 2))
def test_scalar_derivative(order):
    d = engine_derivative(order)
    for label, values in draws(P30):
        value = d.evaluate(values)
        assert np.ndim(value) == 0, f"{label}: f^({order}) has shape {np.shape(value)}"
        value = float(value)
        scale = scalar_scale(values)
        assert_close(value, finite_differences(order, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: engine f^({order}) vs FD of f")
        assert_close(value, P30.derivatives[order](**values), rtol=EXACT_RTOL,
                     atol=EXACT_ATOL * scale, what=f"{label}: engine f^({order}) vs closed form")


# ---------------------------------------------------------------------------
# Hessian-vector products: mc.hvp(...).evaluate({**values, "v": V}) = H[V]
# ---------------------------------------------------------------------------

HVP_PROBLEMS = [HESSIANS[i] for i in ("P5", "P8", "P24", "P11-unconstrained")]
for _p in HVP_PROBLEMS:
    assert "v" not in _p.spec, f"{_p.id}: 'v' is the direction's key"

# The explicit action H[V] where the problem set gives one (else vec(H) vec(V)).
HVP_ACTIONS = {
    "P11-unconstrained": lambda X, v: -inv(X).T @ v.T @ inv(X).T,
}


def direction(problem):
    def draw(rng, values):
        return {"v": rng.standard_normal(np.shape(values[problem.wrt]))}
    return draw


@functools.cache
def engine_hvp(problem_id):
    p = HESSIANS[problem_id]
    return mc.hvp(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


def hvp_expected(problem, values):
    """The closed-form Hessian (vec layout) applied to vec(V), shaped like V."""
    point = {k: val for k, val in values.items() if k != "v"}
    V = values["v"]
    return unvec(problem.hess(**point) @ vec(V), np.shape(V))


def hvp_finite_difference(problem, values, h=1e-6):
    """(grad(X + h V) - grad(X - h V)) / 2h of the NumPy gradient."""
    point = {k: val for k, val in values.items() if k != "v"}
    X, V = point[problem.wrt], values["v"]
    g = lambda Y: problem.grad(**{**point, problem.wrt: Y})
    return (g(X + h * V) - g(X - h * V)) / (2 * h)


def hvp_scale(problem, values):
    point = {k: val for k, val in values.items() if k != "v"}
    return max(1.0, np.max(np.abs(hvp_expected(problem, values))),
               np.max(np.abs(problem.grad(**point))) * max(1.0, np.max(np.abs(values["v"]))))


@pytest.mark.parametrize("problem", HVP_PROBLEMS, ids=[p.id for p in HVP_PROBLEMS])
def test_hvp_oracles(problem):
    """Engine-free: vec(H) vec(V) vs a directional difference of the NumPy
    gradient and vs the explicit action H[V] where there is one."""
    for label, values in draws(problem, direction(problem)):
        expected = hvp_expected(problem, values)
        scale = hvp_scale(problem, values)
        assert_close(expected, hvp_finite_difference(problem, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: closed-form H v vs FD")
        if problem.id in HVP_ACTIONS:
            X = values[problem.wrt]
            assert_close(HVP_ACTIONS[problem.id](X, values["v"]), expected,
                         rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                         what=f"{label}: H[V] vs vec-layout Hessian times vec(V)")


@pytest.mark.parametrize("problem", HVP_PROBLEMS, ids=[p.id for p in HVP_PROBLEMS])
def test_hvp(problem):
    hv = engine_hvp(problem.id)
    for label, values in draws(problem, direction(problem)):
        out = np.asarray(hv.evaluate({**values, hv.direction.name: values["v"]}), dtype=float)
        V = values["v"]
        assert out.shape == np.shape(V), (
            f"{label}: H v shape {out.shape} != shape of {problem.wrt} {np.shape(V)}")

        scale = hvp_scale(problem, values)
        assert_close(out, hvp_finite_difference(problem, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: engine H v vs FD of the gradient")
        assert_close(out, hvp_expected(problem, values), rtol=EXACT_RTOL,
                     atol=EXACT_ATOL * scale, what=f"{label}: engine H v vs closed-form H v")
        if problem.id in HVP_ACTIONS:
            X = values[problem.wrt]
            assert_close(out, HVP_ACTIONS[problem.id](X, V), rtol=EXACT_RTOL,
                         atol=EXACT_ATOL * scale, what=f"{label}: engine H[V] vs closed form")

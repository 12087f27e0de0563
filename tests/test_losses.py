"""Acceptance tests: losses, elementwise functions, norms and spectral functions.

Problems P12, P14, P16, P20, P23, P27, P28, AD8 and AD9 of
the seminar problem set, and compositions of elementwise functions.
As in test_problems.py and test_second_order.py, every engine result is
evaluated at random points (3 seeds x 2 size settings) and compared with two
independent oracles, never with the engine itself:

- central finite differences of NumPy code (of f for a gradient or a Jacobian,
  of the NumPy gradient for a Hessian), and
- the closed-form answer, written in NumPy.

The ``*_oracles`` tests check the oracles against each other without the
engine: the NumPy gradient against central differences of f, the closed-form
Hessian or Jacobian against central differences.

Each table row gives the matcalc text, the variable, the kinds of random
values (see ``oracle.rng_values``), NumPy functions of the values (keyword
arguments), optional shapes and assumptions, ``derived`` (values computed from
the drawn ones, e.g. the number of rows ``m`` of P28) and ``valid`` (a
predicate of the values, asserted for every draw, that keeps it away from
non-differentiable points).

Layout: ``vec`` stacks columns (Fortran order); a Hessian wrt a vector x is
n x n, a Jacobian of F wrt x is size(F) x size(x).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from numpy.linalg import det, inv, norm, solve, svd

import matcalc as mc
from oracle import assert_close, central_gradient, central_jacobian, rng_values

SEEDS = (0, 1, 2)
SIZES = ({"n": 3, "m": 4, "k": 2}, {"n": 5, "m": 2, "k": 3})

# Engine vs closed form: both exact up to rounding.
EXACT_RTOL, EXACT_ATOL = 1e-7, 1e-9
# Against central differences (h = 1e-6): truncation and cancellation errors.
FD_RTOL, FD_ATOL = 1e-5, 1e-6
# Distance from a kink (relu, |.|) required of a draw; far above h = 1e-6.
KINK_MARGIN = 1e-3


# ---------------------------------------------------------------------------
# NumPy building blocks (independent of matcalc)
# ---------------------------------------------------------------------------

def sigma(z):
    """1 / (1 + exp(-z)), without overflow for large |z|."""
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


def top_singular_pair(W):
    U, _, Vt = svd(W, full_matrices=False)
    return U[:, 0], Vt[0]


def top_eigenvector(X):
    _, Q = np.linalg.eigh(sym(X))
    return Q[:, -1]


def size(value):
    return int(np.size(value))


# ---------------------------------------------------------------------------
# Gradients (and Hessians where the problem asks for them)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    id: str
    text: str
    wrt: str
    spec: dict
    f: Callable
    grad: Callable                  # closed-form gradient, shaped like the variable
    hess: Callable | None = None    # closed-form Hessian, size(X) x size(X) (vec layout)
    shapes: dict | None = None
    assume: dict | None = None
    derived: Callable | None = None  # (**values) -> dict of extra values
    valid: Callable | None = None    # (**values) -> bool: the draw avoids kinks


def draws(problem):
    """(label, values) for every seed and size setting."""
    for dims in SIZES:
        for seed in SEEDS:
            label = f"{problem.id} seed={seed} dims={dims}"
            values = rng_values(np.random.default_rng(seed), problem.spec, dims)
            if problem.derived is not None:
                values = {**values, **problem.derived(**values)}
            if problem.valid is not None:
                assert problem.valid(**values), f"{label}: draw too close to a kink"
            yield label, values


def symmetric_variable(problem):
    return (problem.assume or {}).get(problem.wrt) in ("symmetric", "spd")


def fd_gradient(problem, values):
    """Central differences of f; for a variable declared symmetric the gradient
    on S^n is sym of the unconstrained one."""
    G = central_gradient(lambda v: problem.f(**v), values, problem.wrt)
    return sym(G) if symmetric_variable(problem) else G


def logistic_loss(Z, theta, y):
    s = sigma(Z @ theta)
    return -np.sum(y * np.log(s) + (1 - y) * np.log(1 - s))


def layer_delta(W, x, b, y):
    s = sigma(W @ x + b)
    return (s - y) * s * (1 - s)


def layer_loss(W, x, b, y):
    return 0.5 * norm(sigma(W @ x + b) - y) ** 2


def p28_f(A, x, m, mu):
    return np.sum(np.log1p(np.exp(A @ x))) / m + mu / 2 * norm(x) ** 2


def p28_hess(A, x, m, mu):
    s = sigma(A @ x)
    return A.T @ np.diag(s * (1 - s)) @ A / m + mu * np.eye(len(x))


def p12_hess(A, x, b):
    return A.T @ softmax_jacobian(A @ x + b) @ A


def nuclear_gradient(W):
    U, _, Vt = svd(W, full_matrices=False)
    return U @ Vt


def spectral_gradient(W):
    u, v = top_singular_pair(W)
    return np.outer(u, v)


def lambda_max_gradient(X):
    v = top_eigenvector(X)
    return np.outer(v, v)


def ratio_hess(a, x):
    return np.diag(a * (2 * x**3 - 6 * x) / (1 + x**2) ** 3)


def sqrt_hess(x):
    r = np.sqrt(x @ x + 1)
    return np.eye(len(x)) / r - np.outer(x, x) / r**3


def relu_away_from_kink(A, x):
    return bool(np.min(np.abs(A @ x)) > KINK_MARGIN)


LOSS_PROBLEMS = [
    # --- P12: log-sum-exp -------------------------------------------------------
    Problem("P12", "log(sum(exp(A x + b)))", "x",
            {"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
            f=lambda A, x, b: logsumexp(A @ x + b),
            grad=lambda A, x, b: A.T @ softmax(A @ x + b),
            hess=p12_hess),
    Problem("P12-logsumexp", "logsumexp(A x + b)", "x",
            {"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
            f=lambda A, x, b: logsumexp(A @ x + b),
            grad=lambda A, x, b: A.T @ softmax(A @ x + b),
            hess=p12_hess),
    # --- P14: spectral forms of trace and determinant (X not symmetric) ---------
    Problem("P14-sum-eig", "sum(eig(X))", "X", {"X": "square:n"},
            f=lambda X: float(np.sum(np.linalg.eigvals(X)).real),
            grad=lambda X: np.eye(len(X))),
    Problem("P14-prod-eig", "prod(eig(X))", "X", {"X": "square:n"},
            f=lambda X: float(np.prod(np.linalg.eigvals(X)).real),
            grad=lambda X: det(X) * inv(X).T),
    # --- P16: binary logistic regression (the problem set asks for the gradient;
    # the Hessian Z^T diag(s .* (1 - s)) Z is checked too) ------------------------
    Problem("P16", "-sum(y .* log(sigma(Z theta)) + (1 - y) .* log(1 - sigma(Z theta)))",
            "theta", {"Z": "matrix:m,n", "theta": "vector:n", "y": "binary_vector:m"},
            f=logistic_loss,
            grad=lambda Z, theta, y: Z.T @ (sigma(Z @ theta) - y),
            hess=lambda Z, theta, y: (Z.T @ np.diag(sigma(Z @ theta) * (1 - sigma(Z @ theta)))
                                      @ Z),
            shapes={"theta": "vector"}),
    # --- P20: softplus of a linear form --------------------------------------------
    Problem("P20", "log(1 + exp(<a, x>))", "x", {"a": "vector:n", "x": "vector:n"},
            f=lambda a, x: np.log1p(np.exp(a @ x)),
            grad=lambda a, x: sigma(a @ x) * a,
            hess=lambda a, x: sigma(a @ x) * (1 - sigma(a @ x)) * np.outer(a, a)),
    # --- P23: one-layer network, one variable at a time (both at once below) ------
    Problem("P23-W", "1/2 ||sigma(W x + b) - y||_2^2", "W",
            {"W": "matrix:m,n", "x": "vector:n", "b": "vector:m", "y": "vector:m"},
            f=layer_loss,
            grad=lambda W, x, b, y: np.outer(layer_delta(W, x, b, y), x)),
    Problem("P23-b", "1/2 ||sigma(W x + b) - y||_2^2", "b",
            {"W": "matrix:m,n", "x": "vector:n", "b": "vector:m", "y": "vector:m"},
            f=layer_loss,
            grad=layer_delta),
    # --- P27: spectral norm of a rank-one matrix, equal to x^T x -------------------
    Problem("P27", "||x x^T||_2", "x", {"x": "vector:n"},
            f=lambda x: norm(np.outer(x, x), 2),
            grad=lambda x: 2 * x,
            hess=lambda x: 2 * np.eye(len(x))),
    # --- P28: l2-regularized logistic loss, m the number of rows of A -------------
    Problem("P28", "1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2", "x",
            {"A": "matrix:m,n", "x": "vector:n", "mu": "positive_scalar"},
            f=p28_f,
            grad=lambda A, x, m, mu: A.T @ sigma(A @ x) / m + mu * x,
            hess=p28_hess,
            shapes={"m": "scalar"},
            derived=lambda A, x, mu: {"m": float(A.shape[0])}),
    # --- AD8: x = A^-1 b inside a loss; dL/dA = -A^-T g x^T, dL/db = A^-T g ------
    Problem("AD8-A", "<g, A^-1 b>", "A", {"g": "vector:n", "A": "square:n", "b": "vector:n"},
            f=lambda g, A, b: g @ solve(A, b),
            grad=lambda g, A, b: -np.outer(solve(A.T, g), solve(A, b))),
    Problem("AD8-b", "<g, A^-1 b>", "b", {"g": "vector:n", "A": "square:n", "b": "vector:n"},
            f=lambda g, A, b: g @ solve(A, b),
            grad=lambda g, A, b: solve(A.T, g)),
    # --- AD9: nuclear and spectral norms, lambda_max -------------------------------
    Problem("AD9-nuclear", "||W||_*", "W", {"W": "separated_matrix:m,n"},
            f=lambda W: float(np.sum(svd(W, compute_uv=False))),
            grad=nuclear_gradient),
    Problem("AD9-nuclear-wide", "||W||_*", "W", {"W": "separated_matrix:k,n"},
            f=lambda W: float(np.sum(svd(W, compute_uv=False))),
            grad=nuclear_gradient),
    Problem("AD9-spectral", "||W||_2", "W", {"W": "separated_matrix:m,n"},
            f=lambda W: norm(W, 2),
            grad=spectral_gradient),
    # X declared symmetric: the gradient on S^n (sym of the unconstrained one);
    # f extended off S^n as lambda_max(sym(X)), smooth near a simple top eigenvalue.
    Problem("AD9-lambda-max", "lambda_max(X)", "X", {"X": "gapped_symmetric:n"},
            f=lambda X: float(np.linalg.eigvalsh(sym(X))[-1]),
            grad=lambda_max_gradient,
            assume={"X": "symmetric"}),
    # --- elementwise compositions --------------------------------------------------
    Problem("E-log-sin", "a^T log(sin(X)) b", "X",
            {"a": "vector:m", "X": "positive_matrix:m,n", "b": "vector:n"},
            f=lambda a, X, b: a @ np.log(np.sin(X)) @ b,
            grad=lambda a, X, b: np.outer(a, b) * np.cos(X) / np.sin(X)),
    Problem("E-sin-AXB", "a^T sin(A X B) b", "X",
            {"a": "vector:m", "A": "matrix:m,k", "X": "matrix:k,n", "B": "matrix:n,m",
             "b": "vector:m"},
            f=lambda a, A, X, B, b: a @ np.sin(A @ X @ B) @ b,
            grad=lambda a, A, X, B, b: A.T @ (np.outer(a, b) * np.cos(A @ X @ B)) @ B.T),
    Problem("E-softplus-sum", "sum(log(1 + exp(A x)))", "x",
            {"A": "matrix:m,n", "x": "vector:n"},
            f=lambda A, x: np.sum(np.log1p(np.exp(A @ x))),
            grad=lambda A, x: A.T @ sigma(A @ x),
            hess=lambda A, x: A.T @ np.diag(sigma(A @ x) * (1 - sigma(A @ x))) @ A),
    Problem("E-relu", "1^T relu(A x)", "x", {"A": "matrix:m,n", "x": "vector:n"},
            f=lambda A, x: np.sum(np.maximum(A @ x, 0)),
            grad=lambda A, x: A.T @ (A @ x > 0).astype(float),
            valid=relu_away_from_kink),
    Problem("E-l1", "||x||_1", "x", {"x": "nonzero_vector:n"},
            f=lambda x: np.sum(np.abs(x)),
            grad=lambda x: np.sign(x),
            valid=lambda x: bool(np.min(np.abs(x)) > KINK_MARGIN)),
    Problem("E-ratio", "a^T (x ./ (1 + x.^2))", "x", {"a": "vector:n", "x": "vector:n"},
            f=lambda a, x: a @ (x / (1 + x**2)),
            grad=lambda a, x: a * (1 - x**2) / (1 + x**2) ** 2,
            hess=ratio_hess),
    Problem("E-tanh", "sum(tanh(W x))", "W", {"W": "matrix:m,n", "x": "vector:n"},
            f=lambda W, x: np.sum(np.tanh(W @ x)),
            grad=lambda W, x: np.outer(1 - np.tanh(W @ x) ** 2, x)),
    Problem("E-sqrt", "sqrt(x^T x + 1)", "x", {"x": "vector:n"},
            f=lambda x: np.sqrt(x @ x + 1),
            grad=lambda x: x / np.sqrt(x @ x + 1),
            hess=sqrt_hess),
]

PROBLEMS = {p.id: p for p in LOSS_PROBLEMS}
assert len(PROBLEMS) == len(LOSS_PROBLEMS), "duplicate problem ids"
HESSIAN_PROBLEMS = [p for p in LOSS_PROBLEMS if p.hess is not None]

# Known engine gaps: (kind, problem id) -> reason. Marked xfail(strict=True) so
# that a fix shows up as an unexpected pass.
XFAIL: dict[tuple[str, str], str] = {}


def params(kind, problems):
    out = []
    for p in problems:
        reason = XFAIL.get((kind, p.id))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(p, id=p.id, marks=marks))
    return out


@functools.cache
def engine_gradient(problem_id):
    """The engine's symbolic gradient, derived once per problem."""
    p = PROBLEMS[problem_id]
    return mc.gradient(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


@functools.cache
def engine_hessian(problem_id):
    """The engine's symbolic Hessian, derived once per problem."""
    p = PROBLEMS[problem_id]
    return mc.hessian(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


def gradient_scale(p, values):
    return max(1.0, np.max(np.abs(p.grad(**values))), abs(p.f(**values)))


def hessian_scale(p, values):
    """Finite differences of the gradient lose about eps * |grad| / h."""
    return max(gradient_scale(p, values), np.max(np.abs(p.hess(**values))))


@pytest.mark.parametrize("problem", LOSS_PROBLEMS, ids=[p.id for p in LOSS_PROBLEMS])
def test_gradient_oracles(problem):
    """Engine-free: the closed-form gradient vs central differences of f."""
    for label, values in draws(problem):
        assert_close(problem.grad(**values), fd_gradient(problem, values),
                     rtol=FD_RTOL, atol=FD_ATOL * gradient_scale(problem, values),
                     what=f"{label}: closed-form gradient vs central differences of f")


@pytest.mark.parametrize("problem", params("gradient", LOSS_PROBLEMS))
def test_gradient(problem):
    g = engine_gradient(problem.id)
    for label, values in draws(problem):
        G = g.evaluate(values)
        assert np.shape(G) == np.shape(values[problem.wrt]), (
            f"{label}: gradient shape {np.shape(G)} != shape of {problem.wrt} "
            f"{np.shape(values[problem.wrt])}")
        scale = gradient_scale(problem, values)
        assert_close(G, fd_gradient(problem, values), rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs central differences")
        assert_close(G, problem.grad(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


@pytest.mark.parametrize("problem", HESSIAN_PROBLEMS, ids=[p.id for p in HESSIAN_PROBLEMS])
def test_hessian_oracles(problem):
    """Engine-free: the closed-form Hessian is symmetric and equals central
    differences of the (separately checked) NumPy gradient."""
    grad = lambda values: problem.grad(**values)
    for label, values in draws(problem):
        scale = hessian_scale(problem, values)
        closed = problem.hess(**values)
        assert_close(closed, closed.T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: closed-form Hessian symmetric")
        assert_close(closed, central_jacobian(grad, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: closed-form Hessian vs Jacobian of the NumPy gradient")


@pytest.mark.parametrize("problem", params("hessian", HESSIAN_PROBLEMS))
def test_hessian(problem):
    h = engine_hessian(problem.id)
    grad = lambda values: problem.grad(**values)
    for label, values in draws(problem):
        N = size(values[problem.wrt])
        H = np.asarray(h.evaluate(values), dtype=float)
        assert H.shape == (N, N), f"{label}: Hessian shape {H.shape} != ({N}, {N})"
        scale = hessian_scale(problem, values)
        assert_close(H, H.T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine Hessian symmetric")
        assert_close(H, central_jacobian(grad, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs Jacobian of the NumPy gradient")
        assert_close(H, problem.hess(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


# ---------------------------------------------------------------------------
# P23 with several variables at once: mc.gradient(text, wrt=["W", "b"])
# ---------------------------------------------------------------------------

P23_TEXT = "1/2 ||sigma(W x + b) - y||_2^2"
P23_PARTS = {name: PROBLEMS[f"P23-{name}"] for name in ("W", "b")}


@functools.cache
def engine_p23_gradients():
    return mc.gradient(P23_TEXT, wrt=["W", "b"])


def test_p23_several_variables():
    g = engine_p23_gradients()
    for label, values in draws(P23_PARTS["W"]):
        together = g.evaluate(values)
        assert isinstance(together, dict), f"{label}: evaluate returned {type(together)}"
        assert set(together) == {"W", "b"}, f"{label}: keys {sorted(together)}"
        for name, part in P23_PARTS.items():
            alone = g[name].evaluate(values)
            scale = gradient_scale(part, values)
            assert np.shape(alone) == np.shape(values[name]), (
                f"{label}: g[{name!r}] shape {np.shape(alone)}")
            assert np.shape(together[name]) == np.shape(values[name]), (
                f"{label}: evaluate()[{name!r}] shape {np.shape(together[name])}")
            assert_close(together[name], alone, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                         what=f"{label}: g.evaluate()[{name!r}] vs g[{name!r}].evaluate()")
            assert_close(alone, fd_gradient(part, values), rtol=FD_RTOL,
                         atol=FD_ATOL * scale,
                         what=f"{label}: g[{name!r}] vs central differences")
            assert_close(alone, part.grad(**values), rtol=EXACT_RTOL,
                         atol=EXACT_ATOL * scale, what=f"{label}: g[{name!r}] vs closed form")


# ---------------------------------------------------------------------------
# P16 at saturated logits: |Z theta| >= 40, where sigma(Z theta) rounds to 0 or 1
# ---------------------------------------------------------------------------

def stable_logistic_loss(Z, theta, y):
    """The same loss as sum(softplus(z) - y .* z), z = Z theta: finite for any z."""
    z = Z @ theta
    return np.sum(np.logaddexp(0.0, z) - y * z)


def saturated_draws():
    p = PROBLEMS["P16"]
    for label, values in draws(p):
        Z, theta = values["Z"], values["theta"]
        theta = theta * (40.0 / np.min(np.abs(Z @ theta)))
        yield f"{label} saturated", {**values, "theta": theta}


def test_p16_saturated_oracles():
    """Engine-free: the stable loss is the loss of P16 at ordinary points, and
    the closed form is its gradient at saturated ones."""
    p = PROBLEMS["P16"]
    for label, values in draws(p):
        assert_close(stable_logistic_loss(**values), logistic_loss(**values),
                     rtol=EXACT_RTOL, atol=EXACT_ATOL, what=f"{label}: stable vs plain loss")
    for label, values in saturated_draws():
        G = p.grad(**values)
        fd = central_gradient(lambda v: stable_logistic_loss(**v), values, "theta")
        scale = max(1.0, np.max(np.abs(G)), stable_logistic_loss(**values))
        assert_close(G, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: closed form vs central differences of the stable loss")


def test_p16_saturated():
    p = PROBLEMS["P16"]
    g = engine_gradient(p.id)
    for label, values in saturated_draws():
        with np.errstate(all="ignore"):
            G = g.evaluate(values)
        closed = p.grad(**values)
        scale = max(1.0, np.max(np.abs(closed)), stable_logistic_loss(**values))
        assert_close(G, closed, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


# ---------------------------------------------------------------------------
# Jacobians: softmax
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class JacobianProblem:
    id: str
    text: str
    wrt: str
    spec: dict
    F: Callable         # the vector function
    jac: Callable       # closed form, size(F) x size(x)
    shapes: dict | None = None
    assume: dict | None = None
    derived: Callable | None = None
    valid: Callable | None = None


JACOBIAN_PROBLEMS = [
    JacobianProblem("softmax", "softmax(z)", "z", {"z": "vector:n"},
                    F=lambda z: softmax(z),
                    jac=lambda z: softmax_jacobian(z)),
    JacobianProblem("softmax-affine", "softmax(A x + b)", "x",
                    {"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
                    F=lambda A, x, b: softmax(A @ x + b),
                    jac=lambda A, x, b: softmax_jacobian(A @ x + b) @ A),
]

JACOBIANS = {p.id: p for p in JACOBIAN_PROBLEMS}
assert len(JACOBIANS) == len(JACOBIAN_PROBLEMS), "duplicate Jacobian problem ids"


@functools.cache
def engine_jacobian(problem_id):
    p = JACOBIANS[problem_id]
    return mc.jacobian(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


def jacobian_scale(p, values):
    return max(1.0, np.max(np.abs(p.jac(**values))), np.max(np.abs(p.F(**values))))


@pytest.mark.parametrize("problem", JACOBIAN_PROBLEMS, ids=[p.id for p in JACOBIAN_PROBLEMS])
def test_jacobian_oracles(problem):
    """Engine-free: the closed-form Jacobian vs central differences of F."""
    F = lambda values: problem.F(**values)
    for label, values in draws(problem):
        assert_close(problem.jac(**values), central_jacobian(F, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * jacobian_scale(problem, values),
                     what=f"{label}: closed-form Jacobian vs central differences")


@pytest.mark.parametrize("problem", params("jacobian", JACOBIAN_PROBLEMS))
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

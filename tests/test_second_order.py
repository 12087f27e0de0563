"""Acceptance tests: second-order cases of the problem set and of the identities.

Hessians (vector and matrix variables), Jacobians, f' and f'' for a scalar
variable, and Hessian-vector products: the rows of
``matcalc.problems.PROBLEMS`` and ``IDENTITIES`` of those kinds, their NumPy
truth ``closed_forms.ORACLES``. As in test_problems.py, every engine result is
compared with two independent oracles, never with the engine itself:

- finite differences of NumPy code (``oracle.central_jacobian`` of the NumPy
  gradient for a Hessian, of F for a Jacobian; differences of f for f''), and
- the closed-form answer, written in NumPy.

The oracles are checked against each other without the engine too (the
``test_*_oracles`` tests): the NumPy gradient against central differences of
f, the closed-form Hessian or Jacobian against central differences.

Layout: ``vec`` stacks columns (Fortran order); a Hessian wrt X is
size(X) x size(X), a Jacobian of F wrt X is size(F) x size(X).
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.linalg import inv

from matcalc import problems
from closed_forms import ORACLES
from harness import (EXACT_ATOL, EXACT_RTOL, FD_ATOL, FD_RTOL, case, cases, draws,
                     engine, hessian_scale,
                     jacobian_scale, symmetric_variable)
from oracle import (assert_close, central_gradient, central_jacobian, commutation,
                    directional_difference, unvec, vec)

# Second derivative by the 3-point difference (f(t+h) - 2 f(t) + f(t-h)) / h^2.
SECOND_DIFFERENCE_H = 1e-4

TABLES = problems.PROBLEMS + problems.IDENTITIES
# A variable declared symmetric (P11-hess, X spd) is checked on symmetric directions only.
HESSIAN_PROBLEMS = [c for c in cases(TABLES, ("hessian",)) if not symmetric_variable(c)]
SPD_HESSIAN_PROBLEMS = [c for c in cases(TABLES, ("hessian",)) if symmetric_variable(c)]
JACOBIAN_PROBLEMS = cases(TABLES, ("jacobian",))


def size(value):
    return int(np.size(value))


def test_every_second_order_case_has_an_oracle():
    wanted = {p.id for p in problems.CASES if p.kind in ("hessian", "jacobian", "derivative")}
    assert wanted - set(ORACLES) == set(), "cases without a NumPy truth"


# ---------------------------------------------------------------------------
# Hessians
# ---------------------------------------------------------------------------

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
    h = engine("hessian", problem.id)
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

def symmetric_projector(n):
    return (np.eye(n * n) + commutation(n, n)) / 2


def logdet_hess(X):
    """-(X^-1 kron X^-T) K, the unconstrained Hessian of log det X."""
    return ORACLES["P11-hess-general"].hess(X=X)


@pytest.mark.parametrize("p", SPD_HESSIAN_PROBLEMS, ids=[c.id for c in SPD_HESSIAN_PROBLEMS])
def test_hessian_spd_variable_oracles(p):
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


@pytest.mark.parametrize("p", SPD_HESSIAN_PROBLEMS, ids=[c.id for c in SPD_HESSIAN_PROBLEMS])
def test_hessian_spd_variable(p):
    h = engine("hessian", p.id)
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
    j = engine("jacobian", problem.id)
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

P30 = case("P30")
DERIVATIVES = {1: case("P30"), 2: case("P30-2")}    # the closed forms: grad f', hess f''


def engine_derivative(order):
    return engine("derivative", DERIVATIVES[order].id)


def closed_derivative(order, values):
    return P30.grad(**values) if order == 1 else DERIVATIVES[2].hess(**values)


def finite_differences(order, values):
    """Independent of the closed forms for order 2: a 3-point second difference of f."""
    f = lambda v: P30.f(**v)
    if order == 1:
        return central_gradient(f, values, "t")
    h, t = SECOND_DIFFERENCE_H, values["t"]
    at = lambda s: f({**values, "t": s})
    return (at(t + h) - 2 * at(t) + at(t - h)) / h**2


def scalar_scale(values):
    return max(1.0, abs(P30.f(**values)), *(abs(closed_derivative(order, values))
                                            for order in DERIVATIVES))


@pytest.mark.parametrize("order", (1, 2))
def test_scalar_derivative_oracles(order):
    """Engine-free: closed forms vs differences of f (and f'' vs differences of f')."""
    for label, values in draws(P30):
        closed = closed_derivative(order, values)
        scale = scalar_scale(values)
        assert_close(closed, finite_differences(order, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: closed-form f^({order}) vs FD of f")
        if order == 2:
            d1 = lambda v: P30.grad(**v)
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
        assert_close(value, closed_derivative(order, values), rtol=EXACT_RTOL,
                     atol=EXACT_ATOL * scale, what=f"{label}: engine f^({order}) vs closed form")


# ---------------------------------------------------------------------------
# Hessian-vector products: mc.hvp(...).evaluate({**values, "v": V}) = H[V]
# ---------------------------------------------------------------------------

HVP_PROBLEMS = [case(i) for i in ("P5-hess", "P8-hess", "P24-hess", "P11-hess-general")]
for _p in HVP_PROBLEMS:
    assert "v" not in _p.spec, f"{_p.id}: 'v' is the direction's key"

# The explicit action H[V] where the problem set gives one (else vec(H) vec(V)).
HVP_ACTIONS = {
    "P11-hess-general": lambda X, v: -inv(X).T @ v.T @ inv(X).T,
}


def direction(problem):
    def draw(rng, values):
        return {"v": rng.standard_normal(np.shape(values[problem.wrt]))}
    return draw


def hvp_expected(problem, values):
    """The closed-form Hessian (vec layout) applied to vec(V), shaped like V."""
    point = {k: val for k, val in values.items() if k != "v"}
    V = values["v"]
    return unvec(problem.hess(**point) @ vec(V), np.shape(V))


def hvp_finite_difference(problem, values, h=1e-6):
    """(grad(X + h V) - grad(X - h V)) / 2h of the NumPy gradient."""
    point = {k: val for k, val in values.items() if k != "v"}
    return directional_difference(lambda v: problem.grad(**v), point, problem.wrt, values["v"],
                                  h)


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
    hv = engine("hvp", problem.id)
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

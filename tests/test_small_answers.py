"""Answers that stay small: det and log det of products of square matrices.

det(A B ...) = det(A) det(B) ... for square factors, so the gradient of
log det(A1 X A2 X ... Ak X) is k X^-T and its Hessian -k X^-T dX^T X^-T, whatever k;
each is checked against central finite differences of an independent NumPy f, also
where factors have negative determinants and only their product is positive (where
splitting the log into log det(A1) + log det(A2) + ... would be undefined).
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from oracle import assert_close, central_gradient, second_differences

N = 3
FACTORS = range(2, 7)
FD_RTOL, FD_ATOL = 1e-5, 1e-6
SECOND_RTOL, SECOND_ATOL = 1e-4, 1e-5      # second differences (h = 1e-4)


def product_text(k: int) -> str:
    return " ".join(f"A{i} X" for i in range(1, k + 1))


def square_shapes(k: int) -> dict:
    return {"X": ("n", "n"), **{f"A{i}": ("n", "n") for i in range(1, k + 1)}}


def product(values, k: int):
    """A1 X A2 X ... Ak X in NumPy."""
    P = np.eye(N)
    for i in range(1, k + 1):
        P = P @ values[f"A{i}"] @ values["X"]
    return P


def draws(k: int):
    """Near-identity factors (determinants > 0), then A1 and A2 with negative
    determinants whose product is positive: f is defined at both."""
    rng = np.random.default_rng(k)
    near_identity = lambda: np.eye(N) + 0.2 * rng.standard_normal((N, N))
    values = {"X": near_identity(), **{f"A{i}": near_identity() for i in range(1, k + 1)}}
    flip = np.diag([-1.0] + [1.0] * (N - 1))
    flipped = {**values, "A1": flip @ values["A1"], "A2": values["A2"] @ flip}
    assert np.linalg.det(flipped["A1"]) < 0 and np.linalg.det(flipped["A2"]) < 0
    return [("positive", values), ("two negative", flipped)]


def vec_hessian(f, values):
    """The Hessian of f in X, in vec (column-stacking) layout, by second differences."""
    g = lambda v: f({**v, "X": v["x"].reshape((N, N), order="F")})
    return second_differences(g, {**values, "x": values["X"].ravel(order="F")}, "x")


def test_det_of_a_product_of_square_factors_is_the_product_of_determinants():
    shapes = {"A": ("n", "n"), "B": ("n", "n"), "X": ("n", "n")}
    assert str(mc.simplify("det(A X B)", shapes=shapes)) == "det(A) det(B) det(X)"
    assert str(mc.simplify("det(A X^T A^-1)", shapes=shapes)) == "det(X)"
    assert str(mc.simplify("log det(X^T X)", shapes={"X": ("n", "n")})) == "log(det(X)^2)"


def test_det_of_a_product_with_a_factor_not_square_stays():
    assert str(mc.simplify("det(A X B)")) == "det(A X B)"
    assert str(mc.simplify("det(X^T X)")) == "det(X^T X)"


@pytest.mark.parametrize("k", FACTORS)
def test_log_det_of_a_product(k):
    text = f"log det({product_text(k)})"
    g = mc.gradient(text, wrt="X", shapes=square_shapes(k))
    h = mc.hessian(text, wrt="X", shapes=square_shapes(k))
    assert str(g) == f"{k} X^-T"
    assert str(h) == f"H[dX] = -{k} X^-T dX^T X^-T"
    f = lambda v: np.log(np.linalg.det(product(v, k)))
    for label, values in draws(k):
        assert np.linalg.det(product(values, k)) > 0
        assert_close(g.evaluate(values), central_gradient(f, values, "X"),
                     rtol=FD_RTOL, atol=FD_ATOL, what=f"k={k} {label}")
        assert_close(h.evaluate(values), vec_hessian(f, values),
                     rtol=SECOND_RTOL, atol=SECOND_ATOL, what=f"k={k} {label}")


@pytest.mark.parametrize("k", FACTORS)
def test_det_of_a_product(k):
    text = f"det({product_text(k)})"
    g = mc.gradient(text, wrt="X", shapes=square_shapes(k))
    h = mc.hessian(text, wrt="X", shapes=square_shapes(k))
    f = lambda v: np.linalg.det(product(v, k))
    for label, values in draws(k):
        scale = max(1.0, abs(f(values)))
        assert_close(g.evaluate(values), central_gradient(f, values, "X"),
                     rtol=FD_RTOL, atol=FD_ATOL * scale, what=f"k={k} {label}")
        assert_close(h.evaluate(values), vec_hessian(f, values),
                     rtol=SECOND_RTOL, atol=SECOND_ATOL * scale, what=f"k={k} {label}")


@pytest.mark.parametrize("k", FACTORS)
def test_the_printed_answers_grow_linearly_in_the_factors(k):
    """det(A1) ... det(Ak) det(X)^k and its derivatives: one det per factor."""
    for text in (f"det({product_text(k)})", f"log det({product_text(k)})"):
        g = mc.gradient(text, wrt="X", shapes=square_shapes(k))
        h = mc.hessian(text, wrt="X", shapes=square_shapes(k))
        assert len(str(g)) <= 20 + 10 * k and len(str(h)) <= 80 + 20 * k, (g, h)


def test_log_det_of_a_product_past_the_floating_point_range():
    """det(A X B X) of 300 x 300 matrices is past 1e308; its logarithm is not: evaluate and
    the generated code take it by slogdet, as a sum of the factors' log |det|."""
    shapes = {"A": ("n", "n"), "B": ("n", "n"), "X": ("n", "n")}
    rng = np.random.default_rng(3)
    while True:
        A, B, X = (3 * rng.normal(size=(300, 300)) for _ in range(3))
        if np.linalg.slogdet(A)[0] * np.linalg.slogdet(B)[0] > 0:
            break
    true = sum(k * np.linalg.slogdet(M)[1] for M, k in ((A, 1), (B, 1), (X, 2)))
    values = {"A": A, "B": B, "X": X}
    assert np.isfinite(true) and true > 1000
    for text in ("log det(A X B X)", "log(det(A) det(B) det(X)^2)"):
        assert np.isclose(mc.parse(text, shapes=shapes).evaluate(values), true, rtol=1e-9)
        value, gradient = mc.compile(text, "X", order=1, shapes=shapes)(A, B, X)
        assert np.isclose(value, true, rtol=1e-9)
        assert np.allclose(gradient, 2 * np.linalg.inv(X).T)
    assert np.isnan(mc.parse("log(det(A) det(X))").evaluate({"A": -np.eye(3), "X": np.eye(2)}))

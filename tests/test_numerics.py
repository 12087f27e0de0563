"""Evaluation and verification where the printed form breaks down.

- Singular and rank-deficient matrices: det is differentiable everywhere (its
  gradient is the cofactor matrix), so its derivatives have values at singular
  matrices although their printed forms hold inverses; where f is not
  differentiable, NotDifferentiableError names the condition.
- verify() and check() compare relative to the size of the derivative, and
  verify() says when finite differences cannot decide.
- Only MatcalcError reaches a user, whatever the values.

Every derivative is compared with central differences of an independent NumPy
function, and with a closed form (the cofactor matrix) where there is one.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import matcalc as mc
from matcalc import cli
from matcalc.ir import expr as E
from matcalc.api.results import Gradient
from oracle import assert_close, central_gradient, central_jacobian
from strategies import SHAPES, cases
from test_properties import COUNTS, LONG, profile

RNG = np.random.default_rng(20261201)


def rank_deficient(n, rank, rng=RNG, m=None):
    """An n x m matrix (square by default) of the given rank, with singular values in [1, 2]."""
    m = n if m is None else m
    U = np.linalg.qr(rng.standard_normal((n, n)))[0][:, :rank]
    V = np.linalg.qr(rng.standard_normal((m, m)))[0][:, :rank]
    return U @ np.diag(rng.uniform(1.0, 2.0, rank)) @ V.T


def cofactor(X):
    """The cofactor matrix, entry by entry from minors: the gradient of det."""
    n = X.shape[0]
    C = np.zeros_like(X)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(X, i, axis=0), j, axis=1)
            C[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return C


def derivative_close(actual, expected, f_scale=1.0, what=""):
    """Agreement to 1e-6 of the derivative's size, or of f's where the derivative is 0."""
    scale = max(float(np.max(np.abs(expected), initial=0.0)), f_scale)
    assert_close(actual, expected, rtol=0.0, atol=1e-6 * scale, what=what)


# ---- singular and rank-deficient matrices ---------------------------------------------------

@pytest.mark.parametrize("n, rank", [(2, 1), (3, 2), (3, 1), (4, 2), (3, 0), (5, 4)])
def test_gradient_of_det_at_a_singular_matrix_is_the_cofactor_matrix(n, rank):
    X = rank_deficient(n, rank)
    g = mc.gradient("det(X)", wrt="X")
    G = g.evaluate({"X": X})
    derivative_close(G, cofactor(X), what=f"{g} at rank {rank}")
    derivative_close(G, central_gradient(lambda v: np.linalg.det(v["X"]), {"X": X}, "X"),
                     what=f"{g} against finite differences")
    derivative_close(mc.parse("det(X) X^-T").evaluate({"X": X}), cofactor(X),
                     what="the printed form det(X) X^-T")


@pytest.mark.parametrize("n, rank", [(3, 2), (3, 1), (4, 3), (2, 0)])
def test_hessian_of_det_at_a_singular_matrix(n, rank):
    """The Jacobian of the cofactor matrix: (det X) X^-1 dX X^-1 terms combine."""
    X = rank_deficient(n, rank)
    h = mc.hessian("det(X)", wrt="X")
    cofactor_vec = lambda v: cofactor(v["X"])
    derivative_close(h.evaluate({"X": X}), central_jacobian(cofactor_vec, {"X": X}, "X"),
                     what=f"Hessian of det at rank {rank}")


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_gradient_of_det_of_an_outer_product(n):
    """det(x x^T) is x^2 for n = 1 and identically 0 above: the gradient is 2x, then 0
    (it raised LinAlgError)."""
    x = RNG.standard_normal(n)
    g = mc.gradient("det(x x^T)", wrt="x")
    G = g.evaluate({"x": x})
    derivative_close(G, 2 * x if n == 1 else np.zeros(n), what=str(g))
    derivative_close(G, central_gradient(lambda v: np.linalg.det(np.outer(v["x"], v["x"])),
                                         {"x": x}, "x"), what=str(g))
    H = mc.hessian("det(x x^T)", wrt="x").evaluate({"x": x})
    derivative_close(H, 2 * np.eye(n) if n == 1 else np.zeros((n, n)), what="its Hessian")


@pytest.mark.parametrize("rows", [1, 2])
def test_derivatives_of_det_of_a_rank_deficient_gram_matrix_are_zero(rows):
    """C is rows x 3, so det(C^T C) is identically 0: the gradient and the Hessian are 0
    (the Hessian evaluated to entries near 27)."""
    C = RNG.standard_normal((rows, 3))
    g, h = mc.gradient("det(C^T C)", wrt="C"), mc.hessian("det(C^T C)", wrt="C")
    f = lambda v: np.linalg.det(v["C"].T @ v["C"])
    derivative_close(g.evaluate({"C": C}), np.zeros_like(C), what=str(g))
    derivative_close(g.evaluate({"C": C}), central_gradient(f, {"C": C}, "C"), what=str(g))
    derivative_close(h.evaluate({"C": C}), np.zeros((C.size, C.size)), what=str(h))
    derivative_close(h._evaluate_map({"C": C}), np.zeros((C.size, C.size)), what="H[dC]")


@pytest.mark.parametrize("text, f", [
    ("det(A X B)", lambda v: np.linalg.det(v["A"] @ v["X"] @ v["B"])),
    ("det(X^2)", lambda v: np.linalg.det(v["X"] @ v["X"])),
    ("det(X)^2", lambda v: np.linalg.det(v["X"]) ** 2),
    ("det(X) tr(X)", lambda v: np.linalg.det(v["X"]) * np.trace(v["X"])),
    ("det(X^T A X)", lambda v: np.linalg.det(v["X"].T @ v["A"] @ v["X"])),
    ("det(X + X^T)", lambda v: np.linalg.det(v["X"] + v["X"].T)),
])
def test_det_forms_at_singular_matrices_agree_with_finite_differences(text, f):
    for rank in (2, 1):
        values = {"X": rank_deficient(3, rank), "A": RNG.standard_normal((3, 3)),
                  "B": RNG.standard_normal((3, 3))}
        values = {k: v for k, v in values.items() if k in text}
        g = mc.gradient(text, wrt="X")
        derivative_close(g.evaluate(values), central_gradient(f, values, "X"),
                         f_scale=abs(f(values)) + 1, what=f"{g} at rank {rank}")


def test_gradient_of_log_det_where_det_is_not_positive():
    g = mc.gradient("log det X", wrt="X")
    with pytest.raises(mc.NotDifferentiableError, match=r"det\(X\) > 0"):
        g.evaluate({"X": -np.eye(3)})
    for X in (np.ones((3, 3)), rank_deficient(3, 2)):
        with pytest.raises(mc.NotDifferentiableError, match="X invertible"):
            g.evaluate({"X": X})
        with pytest.raises(mc.NotDifferentiableError, match="X invertible"):
            mc.hessian("log det X", wrt="X").evaluate({"X": X})


def test_conditions_say_what_each_result_needs():
    assert [str(c) for c in mc.gradient("log det X", wrt="X").conditions] == \
        ["log(det(X)): X invertible", "log(det(X)): det(X) > 0"]
    assert [str(c) for c in mc.gradient("tr(X^-1)", wrt="X").conditions] == \
        ["X^-1: X invertible"]
    assert mc.gradient("det(X)", wrt="X").conditions == []


@pytest.mark.parametrize("X", [np.ones((3, 3)), np.array([[0.0, 1.0], [0.0, 0.0]]),
                               np.zeros((2, 2))], ids=["rank 1", "nilpotent", "zero"])
def test_inverse_of_a_singular_matrix_has_no_value(X):
    """tr(X^-1) has no limit at a singular X (along M + t e1 e2^T it is 0 for the nilpotent
    X, along others it is unbounded): an error, never the numbers of a singular inverse."""
    with pytest.raises(mc.NotDefinedError, match="X is singular"):
        mc.parse("tr(X^-1)").evaluate({"X": X})
    with pytest.raises(mc.NotDifferentiableError, match="X invertible"):
        mc.gradient("tr(X^-1)", wrt="X").evaluate({"X": X})


def test_an_ill_conditioned_inverse_is_computed():
    """Invertible, if barely: tr(X^-1) is its (large) value, not an error."""
    X = np.diag([1.0, 1e-10])
    assert mc.parse("tr(X^-1)").evaluate({"X": X}) == pytest.approx(1 + 1e10)
    derivative_close(mc.parse("det(X) X^-1").evaluate({"X": X}), cofactor(X).T)


def test_verify_at_a_singular_matrix_reports_the_condition():
    report = mc.gradient("tr(X^-1)", wrt="X").verify(at={"X": np.ones((3, 3))})
    assert not report.ok and not report.undecided
    assert report.notes == ("X^-1: X invertible",)
    assert mc.gradient("det(X)", wrt="X").verify(at={"X": rank_deficient(3, 2)})


def test_conditions_are_sized_by_f():
    """I^-1 is sized by x: its condition holds (verify() reported "I invertible" failing)."""
    g = mc.gradient("exp(-30) (b^T (I^-T) x)", wrt="x")
    assert g.verify()
    values = {"b": RNG.standard_normal(3), "x": RNG.standard_normal(3)}
    f = lambda v: np.exp(-30) * v["b"] @ v["x"]
    derivative_close(g.evaluate(values), np.exp(-30) * values["b"], f_scale=0.0)
    derivative_close(g.evaluate(values), central_gradient(f, values, "x"), f_scale=0.0)


def test_verify_draws_invertible_arguments():
    """X Y must be square and invertible: X n x m, Y m x n with m >= n (it raised
    LinAlgError)."""
    g = mc.gradient("tr((X Y)^-1)", wrt="Y")
    assert g.verify(draws=5)
    X, Y = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    f = lambda v: np.trace(np.linalg.inv(v["X"] @ v["Y"]))
    M = np.linalg.inv(X @ Y)
    closed = -X.T @ (M @ M).T
    derivative_close(g.evaluate({"X": X, "Y": Y}), closed, what=str(g))
    derivative_close(g.evaluate({"X": X, "Y": Y}), central_gradient(f, {"X": X, "Y": Y}, "Y"))


# ---- tolerances relative to the size of the derivative --------------------------------------

def test_check_of_a_small_gradient_is_relative():
    """The gradient 2 exp(-30) x is not 0 (it said right)."""
    assert not mc.check("exp(-30) x^T x", wrt="x", answer="0")
    assert mc.check("exp(-30) x^T x", wrt="x", answer="2 exp(-30) x")
    wrong = mc.check("exp(-30) x^T x", wrt="x", answer="3 exp(-30) x")
    assert not wrong and "factor 1.5" in str(wrong)
    assert mc.check("exp(30) x^T A x", wrt="x", answer="exp(30) (A^T x + A x)")


def test_check_of_an_answer_with_no_value_is_wrong():
    """X - X^T is singular for a 3 x 3 X: the answer has no value, so it is not the gradient."""
    result = mc.check("tr(X)", wrt="X", answer="(X - X^T)^-1 + I", shapes={"X": (3, 3)})
    assert not result and str(result) == "wrong: the gradient is I"


def test_verify_says_undecided_when_finite_differences_cannot_tell():
    """f ~ e^30: the finite differences of the x part drown in rounding (it said FAILED)."""
    report = mc.gradient("exp(10 tr(M)) + ||x||_2^2", wrt="x").verify()
    assert not report.ok and report.undecided and str(report).startswith("undecided")
    assert report.noise > report.tolerance


def test_verify_is_relative_to_the_size_of_the_derivative():
    f = mc.parse("exp(-30) x^T x")
    x = E.Symbol("x", ("n", 1))
    wrong = Gradient(f, x, mc.parse("3 exp(-30) x"))
    report = wrong.verify()
    assert not report.ok and not report.undecided and str(report).startswith("FAILED")
    assert mc.gradient("exp(-30) x^T x", wrt="x").verify()
    assert mc.gradient("exp(30) x^T A x", wrt="x").verify()


# ---- only MatcalcError reaches a user ---------------------------------------------------------

def test_complex_values_are_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(mc.MatcalcError, match="complex"):
            mc.parse("x^T x").evaluate({"x": np.array([1 + 1j, 2])})
        with pytest.raises(mc.MatcalcError, match="complex"):
            mc.gradient("x^T x", wrt="x").verify(at={"x": np.array([1j, 2])})


def test_draws_beyond_the_memory_budget_are_refused(capsys):
    g = mc.gradient("x^T A x", wrt="x", shapes={"A": (100000, 100000)})
    with pytest.raises(mc.TooLargeError, match="smaller sizes"):
        g.verify()
    code = cli.main(["grad", "x^T A x", "--wrt", "x", "--shape", "A 100000 100000", "--verify"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_INPUT and "smaller sizes" in err and "internal" not in err


def test_evaluation_beyond_memory_is_a_matcalc_error():
    big = np.ones((1000, 1000))
    with pytest.raises(mc.TooLargeError):
        mc.parse("A kron B").evaluate({"A": big, "B": big})


# ---- properties ------------------------------------------------------------------------------

SINGULAR_EXAMPLES = 400 if LONG else 40


def singular_values(case, rank, seed):
    rng = np.random.default_rng(seed)
    values = case.values()
    values["X"] = rank_deficient(len(values["b"]), rank, rng)
    return values


def forward_gradient(f, values, var, h=1e-7):
    x = np.asarray(values[var], dtype=float)
    f0, G = f(values), np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        G[i] = (f({**values, var: x + step}) - f0) / h
    return G


def smooth_gradient(f, values, var):
    """Central differences at two steps; None where they disagree with each other or with
    forward differences (f not smooth there: a kink looks smooth to central differences), or
    where f is not a modest finite number."""
    with np.errstate(all="ignore"):
        try:
            f0 = f(values)
            fine, coarse = (central_gradient(f, values, var, h=h) for h in (1e-6, 1e-5))
            forward = forward_gradient(f, values, var)
        except np.linalg.LinAlgError:
            return None
    if not (np.isfinite(f0) and abs(f0) < 1e6 and np.all(np.isfinite(fine))):
        return None
    scale = max(1.0, abs(f0), float(np.max(np.abs(fine))))
    smooth = np.max(np.abs(fine - coarse)) < 1e-6 * scale and \
        np.max(np.abs(fine - forward)) < 1e-4 * scale
    return fine if smooth else None


@profile(SINGULAR_EXAMPLES)
@given(case=cases(var="X"), rank=st.sampled_from([0, 1, 2]), seed=st.integers(0, 2 ** 16))
def test_derivatives_at_singular_matrices_match_finite_differences(case, rank, seed):
    """At a rank-deficient X: the gradient agrees with central differences of the NumPy
    oracle wherever they are reliable, or NotDifferentiableError naming a condition of
    differentiability that fails there; nothing else. The conditions are sufficient, not
    necessary: ||X X b|| at X = 0 has the gradient 0, but X X b != 0 fails, so it is refused
    (such refusals where the differences are smooth are counted apart)."""
    values = singular_values(case, rank, seed)
    g = mc.gradient(case.text, wrt="X", shapes=SHAPES)
    fd = smooth_gradient(case.f, values, "X")
    try:
        G = g.evaluate(values)
    except mc.NotDifferentiableError as err:
        failing = [str(c) for c in g.conditions if not c.holds(values, g.context)]
        assert any(c in str(err) for c in failing), f"{case}: {err}"
        if fd is not None:
            COUNTS["singular X: refused by a sufficient condition, differences smooth"] += 1
        return
    except mc.MatcalcError as err:
        assume("not fixed by the values" not in str(err))
        assert fd is None, f"{case}: {err}"
        return
    if fd is not None:
        scale = max(1.0, abs(case.f(values)))
        assert_close(G, fd, rtol=1e-5, atol=1e-6 * scale, what=f"{case}: {g}")


VALUE_KINDS = ["zero", "huge", "tiny", "singular", "negative", "nan", "inf", "ones"]


def extreme_values(case, kind, seed):
    values = case.values()
    rng = np.random.default_rng(seed)
    change = {
        "zero": lambda v: np.zeros_like(v),
        "huge": lambda v: 1e200 * v,
        "tiny": lambda v: 1e-300 * v,
        "singular": lambda v: rank_deficient(v.shape[0], v.shape[0] - 1, rng) if v.ndim == 2
        else 0 * v,
        "negative": lambda v: -np.abs(v),
        "nan": lambda v: np.full_like(v, np.nan),
        "inf": lambda v: np.full_like(v, np.inf),
        "ones": lambda v: np.ones_like(v),
    }[kind]
    names = [n for n in values if rng.random() < 0.5] or [case.var]
    return {n: (change(np.asarray(v, dtype=float)) if np.ndim(v) else float(change(np.asarray(v))))
            if n in names else v for n, v in values.items()}


@profile(400 if LONG else 60)
@given(case=cases(), kind=st.sampled_from(VALUE_KINDS), seed=st.integers(0, 2 ** 16))
def test_evaluation_at_any_values_raises_only_matcalc_errors(case, kind, seed):
    values = extreme_values(case, kind, seed)
    makers = [mc.parse, lambda text, shapes: mc.gradient(text, wrt=case.var, shapes=shapes)]
    if case.var == "x":
        makers.append(lambda text, shapes: mc.hessian(text, wrt="x", shapes=shapes))
    for make in makers:
        try:
            make(case.text, shapes=SHAPES).evaluate(values)
        except mc.MatcalcError as err:
            assert str(err).strip()


MATRICES = {    # text, NumPy function of the values
    "X": lambda v: v["X"], "A X": lambda v: v["A"] @ v["X"], "X B": lambda v: v["X"] @ v["B"],
    "X^T A X": lambda v: v["X"].T @ v["A"] @ v["X"], "X X^T": lambda v: v["X"] @ v["X"].T,
    "X^2": lambda v: v["X"] @ v["X"], "A X B": lambda v: v["A"] @ v["X"] @ v["B"],
    "X + X^T": lambda v: v["X"] + v["X"].T, "X^T": lambda v: v["X"].T,
}
DET_FORMS = {   # text with {} for det(M), NumPy function of d = det(M) and the values
    "{}": lambda d, v: d, "{}^2": lambda d, v: d ** 2, "3 {} - 1": lambda d, v: 3 * d - 1,
    "sin({})": lambda d, v: np.sin(d), "exp({})": lambda d, v: np.exp(d),
    "{} tr(X)": lambda d, v: d * np.trace(v["X"]),
    "{} b^T X c": lambda d, v: d * v["b"] @ v["X"] @ v["c"],
    "log(1 + {}^2)": lambda d, v: np.log(1 + d ** 2),
    "({})^3 + tr(A X)": lambda d, v: d ** 3 + np.trace(v["A"] @ v["X"]),
}


@st.composite
def det_cases(draw):
    """A function of det(M) for M built from X: its text and NumPy function."""
    m = draw(st.sampled_from(sorted(MATRICES)))
    form = draw(st.sampled_from(sorted(DET_FORMS)))
    M, F = MATRICES[m], DET_FORMS[form]
    return form.format(f"det({m})"), lambda v: F(np.linalg.det(M(v)), v)


@profile(SINGULAR_EXAMPLES)
@given(case=det_cases(), rank=st.sampled_from([0, 1, 2]), seed=st.integers(0, 2 ** 16))
def test_derivatives_of_det_forms_at_singular_matrices(case, rank, seed):
    """Gradient and Hessian at a rank-deficient X against central differences of NumPy (the
    gradient of the NumPy function by differences, the Hessian by differences of those)."""
    text, f = case
    rng = np.random.default_rng(seed)
    values = {"X": rank_deficient(3, rank, rng), "A": rng.standard_normal((3, 3)),
              "B": rng.standard_normal((3, 3)), "b": rng.standard_normal(3),
              "c": rng.standard_normal(3)}
    scale = 1.0 + abs(f(values))
    g = mc.gradient(text, wrt="X")
    derivative_close(g.evaluate(values), central_gradient(f, values, "X"), f_scale=scale,
                     what=f"{text} at rank {rank}: {g}")
    h = mc.hessian(text, wrt="X")
    fd = central_jacobian(lambda v: central_gradient(f, v, "X", h=1e-4), values, "X", h=1e-4)
    assert_close(h.evaluate(values), fd, rtol=1e-5, atol=1e-5 * scale,
                 what=f"Hessian of {text} at rank {rank}")


@profile(200 if LONG else 25)
@given(case=cases(depth=2), k=st.sampled_from([-30, 30]))
def test_tolerances_are_relative_to_the_size_of_the_derivative(case, k):
    """Scaled by e^-30 or e^30, a right gradient still verifies (or, where rounding hides it,
    is undecided), and twice it is still wrong, for verify() and check() alike."""
    text = f"exp({k}) ({case.text})"
    g = mc.gradient(text, wrt=case.var, shapes=SHAPES)
    values = case.values()
    try:
        G = g.evaluate(values)
        g.base.evaluate(values)     # an unsized I (tr(I)) is no matter of this test
    except mc.MatcalcError:
        assume(False)
    assume(np.all(np.isfinite(G)) and np.max(np.abs(G)) > 0)
    report = g.verify(at=values)
    assert report.ok or report.undecided, f"{text}: {g}: {report}"
    twice = Gradient(g.base, g.wrt, E.mul(E.Number(2), g.expr), g.assume)
    assert not twice.verify(at=values), f"{text}: 2 ({g}) verified"
    assert not mc.check(text, wrt=case.var, answer=str(twice), shapes=SHAPES)   # where lines too


def test_verify_draws_the_symbols_that_carry_a_dimension_of_the_result():
    """The Hessian of tr(A^-1 A) x^T x is 2 n I, n carried by A alone: verify() draws A too
    (it raised "the dimension n is not fixed by the values given")."""
    h = mc.hessian("tr(A^-1 A) x^T x", wrt="x")
    assert h.verify()
    rng = np.random.default_rng(3)
    A, x = np.eye(4) + 0.1 * rng.standard_normal((4, 4)), rng.standard_normal(4)
    f = lambda v: np.trace(np.linalg.inv(v["A"]) @ v["A"]) * v["x"] @ v["x"]
    g = mc.gradient("tr(A^-1 A) x^T x", wrt="x")
    assert_close(h.evaluate({"A": A, "x": x}), central_jacobian(g.evaluate, {"A": A, "x": x}, "x"),
                 rtol=1e-6, atol=1e-6)
    assert_close(h.evaluate({"A": A, "x": x}), 8 * np.eye(4))
    assert_close(g.evaluate({"A": A, "x": x}), central_gradient(f, {"A": A, "x": x}, "x"),
                 rtol=1e-6, atol=1e-6)

"""Printed results are re-parseable text: parsing the printed form gives the same values."""
import numpy as np
import pytest

import matcalc as mc
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols
from matcalc.api.verification import valid_draw
from matcalc.backends.numeric import evaluate
from oracle import assert_close, central_gradient, central_jacobian

CASES = [
    ("tr(A X^-1 B)", "X", {}), ("log det X", "X", {}), ("ln <x, Ax>", "x", {}),
    ("1/2 x^T A x + b^T x + c", "x", {}), ("1/2 ||A x - b||_2^2", "x", {}),
    ("||x||_2", "x", {}), ("-1/(1 + x^T x)", "x", {}), ("det X", "X", {}),
    ("<S, X> - log det X", "X", {}), ("1/3 ||x||_2^3", "x", {}), ("<x, x>^<x, x>", "x", {}),
    ("<A x, x> / ||x||_2^2", "x", {"assume": {"A": "symmetric"}}),
    ("1/2 ||A - x x^T||_F^2", "x", {"assume": {"A": "symmetric"}}),
    ("tr(A X^2 B X^-T)", "X", {}), ("-exp(-x^T x)", "x", {}), ("tr(X^-1)", "X", {}),
    ("||A X - B||_F", "X", {}), ("log(sum(exp(A x + b)))", "x", {}),
    ("log(1 + exp(<a, x>))", "x", {}), ("1/2 ||sigma(W x + b) - y||_2^2", "W", {}),
    ("1/m 1^T log(1 + exp(A x)) + mu/2 ||x||_2^2", "x", {"shapes": {"m": "scalar"}}),
    ("a^T log(sin(X)) b", "X", {}), ("1^T (x ./ (1 + x.^2))", "x", {}),
]


def shapes_of(e, extra):
    out = {s.name: s.shape for s in free_symbols(e) if isinstance(s, E.Symbol)}
    return {**out, **(extra or {})}


@pytest.mark.parametrize("f, wrt, kw", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("kind", ["gradient", "hessian"])
def test_round_trip(f, wrt, kw, kind):
    if kind == "hessian" and wrt != "x":
        pytest.skip("the Hessian of a matrix variable prints as a map H[dX]")
    result = getattr(mc, kind)(f, wrt=wrt, **kw)
    shapes = shapes_of(result.expr, {**shapes_of(mc.parse(f, kw.get("shapes")), None)})
    again = mc.parse(str(result), shapes=shapes)
    rng = np.random.default_rng(1)
    for _ in range(3):
        values = valid_draw(result, free_symbols(result.expr) | result.symbols(), rng)
        np.testing.assert_allclose(again.evaluate(values), result.evaluate(values),
                                   rtol=1e-9, atol=1e-12)


def test_same_text_twice():
    first = [str(mc.gradient(f, wrt=w, **kw)) for f, w, kw in CASES]
    assert first == [str(mc.gradient(f, wrt=w, **kw)) for f, w, kw in CASES]


def test_readable_forms():
    assert str(mc.gradient("x^T A x", wrt="x")) == "(A + A^T) x"
    assert str(mc.gradient("x^T A x", wrt="x", assume={"A": "symmetric"})) == "2 A x"
    assert str(mc.gradient("tr(X^-1)", wrt="X")) == "-(X^-2)^T"
    assert str(mc.gradient("a^T X^-1 b", wrt="X")) == "-X^-T a b^T X^-T"
    assert str(mc.parse("(X^-1)^T")) == "X^-T"
    assert str(mc.simplify(mc.parse("(X^-1)^T"))) == "X^-T"


def test_free_dimensions_are_not_named_like_the_expected_shape():
    """parse(text, shape=...) keeps the names of shape for shape: A x of length n leaves
    the length of x free (A is n x m), not n."""
    e = mc.parse("A x", shape=("n", 1))
    (A,) = [s for s in mc.ir.traverse.free_symbols(e) if s.name == "A"]
    assert A.shape[0] == "n" and A.shape[1] != "n"


# ---- printed results keep their shape: ones before rows, dimensions, constants ------------

RNG = np.random.default_rng(7)
X3, W3 = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
A3 = np.eye(3) + 0.2 * RNG.standard_normal((3, 3))
x3, y3, b3, w4 = (RNG.standard_normal(k) for k in (3, 3, 3, 4))


def read_back(result, shapes, values):
    """str(result) and its LaTeX, parsed with shapes: same shape, same value as result."""
    expected = result.evaluate(values)
    for printed in (str(result), result.latex):
        again = mc.parse(printed, shapes=shapes)
        if again.shape != result.expr.shape:     # a lone constant: sized by the shape
            again = mc.parse(printed, shapes=shapes, shape=result.expr.shape)
        assert again.shape == result.expr.shape, printed
        assert_close(evaluate(again, values, (result.base, result.wrt)), expected, rtol=1e-10,
                     atol=1e-12)
    return expected


def test_ones_before_a_row_is_an_outer_product():
    """1 w^T, the gradient of 1^T X w, read back as the row w^T (the 1 as the number 1)."""
    g = mc.gradient("1^T X w", wrt="X")
    assert str(g) == "1 w^T"
    values = {"X": X3, "w": w4}
    G = read_back(g, {"X": ("n", "m"), "w": "m"}, values)
    f = lambda v: np.ones(3) @ v["X"] @ v["w"]
    assert_close(G, central_gradient(f, values, "X"), rtol=1e-6, atol=1e-8)
    assert_close(G, np.outer(np.ones(3), w4))


def test_a_bias_broadcasts_as_ones_times_a_row():
    """X W + 1 b^T adds b^T to every row (it was a shape error); W X + b 1^T to every column."""
    assert_close(mc.parse("X W + 1 b^T").evaluate({"X": X3, "W": W3, "b": b3[:2]}),
                 X3 @ W3 + b3[:2])
    assert_close(mc.parse("W X + b 1^T").evaluate({"W": A3, "X": X3, "b": b3}),
                 A3 @ X3 + b3[:, None])
    e = mc.parse("2 t 1 w^T", shapes={"t": "scalar", "w": "n"}, shape=(3, "n"))
    assert_close(e.evaluate({"t": 0.5, "w": w4}), np.outer(np.ones(3), w4))


def test_a_trace_of_the_identity_prints_as_the_dimension():
    """The gradient of tr(A^-1 A) <x, y> printed tr(I) y, which lost the size of I: it is
    n y, and the name of a dimension of the shapes given reads as that size."""
    g = mc.gradient("tr(A^-1 A) <x, y>", wrt="x", shapes={"A": ("n", "n"), "x": "m"})
    assert str(g) == "n y"
    values = {"A": A3, "x": w4, "y": RNG.standard_normal(4)}
    G = read_back(g, {"A": ("n", "n"), "y": "m"}, values)
    f = lambda v: np.trace(np.linalg.solve(v["A"], v["A"])) * (v["x"] @ v["y"])
    assert_close(G, central_gradient(f, values, "x"), rtol=1e-6, atol=1e-8)
    assert_close(G, 3 * values["y"])
    mean = mc.parse("1/n 1^T x", shapes={"x": "n"})
    assert mean.evaluate({"x": x3}) == pytest.approx(np.mean(x3))


def test_a_dimension_without_a_symbol_that_carries_it_prints_as_a_trace():
    """tr(I) stays tr(I) where no symbol of the text has its size (n would read as a
    vector); a symbol named like a dimension keeps its name, the dimension takes another."""
    assert str(mc.parse("tr(I) y")) == "tr(I) y"
    g = mc.gradient("tr(A^-1 A) <x, n>", wrt="x")
    assert str(g) == "m n"
    assert {s.name: s.shape for s in free_symbols(g.base)} == {
        "A": ("m", "m"), "x": ("k", 1), "n": ("k", 1)}
    values = {"A": A3, "x": w4, "n": RNG.standard_normal(4)}
    G = read_back(g, {"A": ("m", "m"), "x": "k", "n": "k"}, values)
    f = lambda v: np.trace(np.linalg.solve(v["A"], v["A"])) * (v["x"] @ v["n"])
    assert_close(G, central_gradient(f, values, "x"), rtol=1e-6, atol=1e-8)
    assert_close(G, 3 * values["n"])


def test_constants_keep_their_shape():
    """(1 + (b - b).^2).^t printed (0^2 1 + 1).^t, which reads as a scalar: constants are
    folded by simplify and print as c 1, c 1^T, c 1 1^T or c I."""
    shapes = {"t": "scalar", "b": "n", "A": ("n", "n")}
    values = {"t": 0.7, "b": b3, "A": A3}
    cases = [("(1 + (b - b).^2).^t", "1", np.ones(3)),
             ("exp(b - b) t", "t 1", 0.7 * np.ones(3)),
             ("(b - b + t 1).^2", "t^2 1", 0.49 * np.ones(3)),
             ("(b - b + 1)^T", "1^T", np.ones((1, 3))),
             ("(b - b + 2) (b - b + 1)^T", "2 1 1^T", 2 * np.ones((3, 3))),
             ("diag(sigma(b - b))", "sigma(0) I", np.eye(3) / 2),
             ("A - A + t 1 1^T", "t 1 1^T", 0.7 * np.ones((3, 3)))]
    for text, printed, value in cases:
        e = mc.simplify(text, shapes=shapes)
        assert str(e) == printed, text
        for form in (str(e), e.latex):
            again = mc.parse(form, shapes=shapes, shape=e.shape)
            assert again.shape == e.shape
            assert_close(evaluate(again, values, (mc.parse(text, shapes),)), value)


def test_sizes_in_closed_form():
    """1^T 1 = n, ||c 1||_2 = sqrt(c^2 n), ||c 1||_1 = |c| n, softmax(c 1) = 1/n 1,
    logsumexp(c 1) = c + log n, det(t A) = t^n det A; n printed where x carries it."""
    shapes = {"t": "scalar", "x": "n", "A": ("n", "n")}
    values = {"t": 0.7, "x": x3, "A": A3}
    cases = [("(1^T (x - x + 1)) x", "n x", 3 * x3),
             ("||x - x + t 1||_2 x", "sqrt(n) abs(t) x", np.sqrt(0.49 * 3) * x3),
             ("||x - x - 2||_1 x", "2 n x", 6 * x3),
             ("softmax(x - x) + x", "1 / n + x", 1 / 3 + x3),
             ("logsumexp(x - x + t 1) x", "(t + log(n)) x", (0.7 + np.log(3)) * x3),
             ("det(t A) x", "det(A) t^n x", np.linalg.det(A3) * 0.7 ** 3 * x3)]
    for text, printed, value in cases:
        e = mc.simplify(text, shapes=shapes)
        assert_close(e.evaluate(values), value)
        assert str(e) == printed, text
        for form in (str(e), e.latex):
            assert_close(mc.parse(form, shapes=shapes, shape=e.shape).evaluate(values), value)


def test_scalar_times_identity_hessian():
    """A Hessian c I printed as diag(c 1), which reads back as the diagonal of a scalar."""
    rows = [("x^T diag(exp(b - b)) x", "2 I", 2.0, lambda v: v["x"] @ v["x"]),
            ("x^T diag((1 + (b - b).^2).^t) x + t x^T x", "(2 + 2 t) I", 3.4,
             lambda v: (1 + v["t"]) * v["x"] @ v["x"]),
            ("tr(A^-1 A) x^T x", "2 n I", 6.0,
             lambda v: np.trace(np.linalg.solve(v["A"], v["A"])) * v["x"] @ v["x"])]
    for text, printed, c, f in rows:
        H = mc.hessian(text, wrt="x", shapes={"t": "scalar", "x": "n", "b": "n",
                                               "A": ("n", "n")})
        assert str(H) == printed
        values = {"x": x3, "b": b3, "t": 0.7, "A": A3}
        value = read_back(H, {"t": "scalar", "x": "n", "b": "n", "A": ("n", "n")}, values)
        gradient = lambda v: central_gradient(f, v, "x", h=1e-4)
        assert_close(value, central_jacobian(gradient, values, "x", h=1e-4), rtol=1e-5,
                     atol=1e-6)
        assert_close(value, c * np.eye(3))

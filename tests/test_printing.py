"""Printed results are re-parseable text: parsing the printed form gives the same values."""
import numpy as np
import pytest

import matcalc as mc
from matcalc import expr as E
from matcalc.numeric import draw

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
    out = {s.name: s.shape for s in E.free_symbols(e) if isinstance(s, E.Symbol)}
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
        values = result._valid_draw(E.free_symbols(result.expr) | result._symbols(), rng)
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
    (A,) = [s for s in mc.expr.free_symbols(e) if s.name == "A"]
    assert A.shape[0] == "n" and A.shape[1] != "n"

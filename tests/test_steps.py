"""Derivations read like the seminar's solutions."""
import matcalc as mc
from matcalc.backends.printing import text


def test_s4_follows_the_seminar():
    g = mc.gradient("ln <x, Ax>", wrt="x", assume={"A": "spd"})
    rules = [s.rules for s in g.steps]
    assert rules[0] == ()                                         # df = d(ln <x, A x>)
    assert rules[1] == ("d log(u) = du / u",)                     # d ln
    assert rules[2] == ("d<X, Y> = <dX, Y> + <X, dY>",)           # product rule for <x, Ax>
    assert rules[3] == ("d(XY) = dX Y + X dY",)                   # d(A x) = A dx
    assert rules[4] == ("canonical form <G, dx>",)                # move to <., dx>
    assert [text(s.expr) for s in g.steps[1:4]] == [
        "d(<x, A x>) / <x, A x>",
        "(<dx, A x> + <x, d(A x)>) / <x, A x>",
        "(<dx, A x> + <x, A dx>) / <x, A x>"]
    assert str(g) == "2 A x / <x, A x>"                           # read off the gradient


def test_explain_is_plain_text_ending_in_the_gradient():
    out = mc.gradient("tr(A X^-1 B)", wrt="X").explain()
    lines = out.splitlines()
    assert lines[0] == "f = tr(A X^-1 B)"
    assert lines[1] == "df = d(tr(A X^-1 B))"
    assert "[d(X^-1) = -X^-1 dX X^-1]" in out
    assert lines[-1] == "gradient: -X^-T A^T B^T X^-T"


def test_latex_derivation_ends_in_the_boxed_gradient():
    shown = mc.gradient("log det X", wrt="X")._repr_latex_()
    assert shown.startswith("$") and r"\begin{aligned}" in shown
    assert shown.rstrip("$").endswith(r"\boxed{\nabla_{X} f = X^{-\top}} \end{gathered}")


def test_symmetric_variable_adds_a_step():
    g = mc.gradient("log det X", wrt="X", assume={"X": "spd"})
    assert "symmetric" in g.steps[-1].rules[0]
    assert str(g) == "X^-1"


def test_a_squared_norm_is_differentiated_directly_and_holds_at_zero():
    import numpy as np
    g = mc.gradient("1/2 ||A x - b||_2^2", wrt="x")
    assert ("d(||X||^2) = 2 <X, dX>",) in [s.rules for s in g.steps]
    assert "||A x - b||_2 <" not in g.explain()                  # no ||u|| <u, du> / ||u||
    assert mc.gradient("||x||_2^2", wrt="x").conditions == []
    A, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0])
    at = {"A": A, "b": b, "x": np.linalg.solve(A, b)}          # A x - b = 0
    report = g.verify(at=at)       # the gradient is 0 there: finite differences are undecided
    assert np.allclose(g.evaluate(at), 0) and report.notes == () and (report.ok or report.undecided)
    assert [str(c) for c in mc.gradient("||x||_2^2 + ||x||_2", wrt="x").conditions] == \
        ["||x||_2: x != 0"]                                      # the unsquared one still needs it


def test_no_line_repeats_the_one_before():
    for r in (mc.gradient("||x||_2^2", wrt="x"), mc.hessian("1/2 ||A x - b||_2^2", wrt="x"),
              mc.hessian("log det X", wrt="X")):
        body = [line.split("=", 1)[1].split("[")[0].strip()
                for line in r.explain().splitlines()[1:-1] if "=" in line]
        assert all(a != b for a, b in zip(body, body[1:])), r.explain()


def test_a_constant_factor_is_labelled_as_one():
    g = mc.gradient("1/2 ||A x - b||_2^2", wrt="x")
    assert g.steps[1].rules == ("d(c X) = c dX",)


def test_every_box_says_what_it_holds():
    assert mc.hessian("1/2 ||A x - b||_2^2", wrt="x").boxed == r"\nabla^2_{x} f = A^{\top} A"
    assert mc.hessian("log det X", wrt="X").boxed.startswith("H[dX] = ")
    assert mc.jacobian("A x", wrt="x").boxed == r"\frac{\partial F}{\partial x} = A"
    assert mc.hvp("log det X", wrt="X").boxed.startswith(r"\nabla^2_{X} f\,[V] = ")

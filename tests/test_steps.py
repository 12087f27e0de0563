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

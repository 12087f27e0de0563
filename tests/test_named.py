"""Named intermediates (backends/naming.py): results print as a paper does, the main
expression and one ``where`` line per name, and read back.

- the networks of losses.md (L6, L20, an L-layer one) print with the paper's names, and the
  named form, read back, equals central differences of a NumPy loss and the closed form
  written by hand (closed_forms.network2, network3);
- every named result of the case table reads back (text and LaTeX) to the value of the
  expanded expression on random inputs, and check() accepts it;
- names never clash with the expression's symbols or dimensions;
- the printed size of the all-weights gradient of the L-layer network grows at most as L^1.3;
- short answers of the problem set print without names;
- an Expr's repr is short, and it shows as math.
"""
from __future__ import annotations

import functools
import json
import os
import re
import subprocess

import numpy as np
import pytest

import matcalc as mc
from matcalc import problems
from matcalc.api.verification import valid_draw
from matcalc.backends.numeric import evaluate
from matcalc.errors import MatcalcError, ParseError
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols
from closed_forms import network2, network3
from harness import EXACT_ATOL, EXACT_RTOL, FD_ATOL, FD_RTOL, case, draws, engine
from oracle import assert_close, central_gradient
from test_katex import RENDER, katex


def known_shapes(result):
    """The shapes of f's symbols, as check() passes them to parse."""
    return {s.name: s.shape for s in free_symbols(result.function) | {result.wrt}
            if isinstance(s, E.Symbol)}


def read_back(printed, result):
    return mc.parse(printed, shapes=known_shapes(result))


# ---- the paper's networks -----------------------------------------------------------------

L6 = "1/2 ||W_2 tanh(W_1 x + b_1) + b_2 - y||_2^2"
L20 = "1/2 ||W_3 tanh(W_2 tanh(W_1 x)) - y||_2^2"


def test_two_layer_network_prints_as_the_paper():
    """L6 of losses.md: delta x^T, delta, r h^T, r with h, r and delta."""
    g = mc.gradient(L6, wrt=["W_1", "b_1", "W_2", "b_2"])
    assert str(g) == "\n".join([
        "grad_W_1 f = delta x^T", "grad_b_1 f = delta", "grad_W_2 f = r h^T", "grad_b_2 f = r",
        "where h = tanh(W_1 x + b_1)", "where r = W_2 h + b_2 - y",
        "where delta = W_2^T r .* (1 - h.^2)"])


def test_three_layer_network_prints_as_the_paper():
    """L20 of losses.md: the weights' gradients share h_1, h_2, r and delta_2 (delta_1 is
    used once, in the gradient wrt W_1)."""
    g = mc.gradient(L20, wrt=["W_1", "W_2", "W_3"])
    assert str(g) == "\n".join([
        "grad_W_1 f = (W_2^T delta_2 .* (1 - h_1.^2)) x^T", "grad_W_2 f = delta_2 h_1^T",
        "grad_W_3 f = r h_2^T", "where h_1 = tanh(W_1 x)", "where h_2 = tanh(W_2 h_1)",
        "where r = W_3 h_2 - y", "where delta_2 = W_3^T r .* (1 - h_2.^2)"])
    assert str(g["W_2"]).splitlines()[1:] == ["where h_1 = tanh(W_1 x)",
                                              "where h_2 = tanh(W_2 h_1)"]


@pytest.mark.parametrize("id, closed", [
    ("L6-W_1", lambda v: np.outer(network2(**v)[2], v["x"])),
    ("L6-b_1", lambda v: network2(**v)[2]),
    ("L20-W_1", lambda v: np.outer(network3(**v)[4], v["x"])),
    ("L20-W_2", lambda v: np.outer(network3(**v)[3], network3(**v)[0])),
])
def test_named_form_read_back_is_the_gradient(id, closed):
    """The printed named form, parsed, against central differences of the NumPy loss and the
    hand-written backpropagation (h, r, delta computed in NumPy)."""
    c, g = case(id), engine("gradient", id)
    assert "\nwhere " in str(g)
    for printed in (str(g), g.latex):
        again = read_back(printed, g)
        for label, values in draws(c):
            G = evaluate(again, values, (g.function, g.wrt))
            scale = max(1.0, np.max(np.abs(closed(values))))
            assert_close(G, central_gradient(lambda v: c.f(**v), values, c.wrt), rtol=FD_RTOL,
                         atol=FD_ATOL * scale, what=f"{label}: read back vs central differences")
            assert_close(G, closed(values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                         what=f"{label}: read back vs closed form")


def test_powers_of_one_scalar_share_a_name():
    """P25 as problems.md writes it, with s = x^T x: ||x||_2^2 and ||x||_2^4 print s and s^2;
    the read-back form against central differences of f and the closed form."""
    c, g = case("P25"), engine("gradient", "P25")
    assert str(g) == "2 A x / s - 2 <x, A x> x / s^2\nwhere s = ||x||_2^2"
    again = read_back(str(g), g)
    for label, values in draws(c):
        G = evaluate(again, values, g.context)
        scale = max(1.0, np.max(np.abs(c.grad(**values))))
        assert_close(G, central_gradient(lambda v: c.f(**v), values, "x"), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: read back vs central differences")
        assert_close(G, c.grad(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: read back vs closed form")


# ---- every named result of the table reads back -------------------------------------------

@functools.cache
def named_cases():
    out = []
    for p in problems.CASES:
        try:
            r = problems.solve(p)
        except MatcalcError:
            continue
        if r.named.definitions and r.shown is r.expr:
            out.append((p, r))
    return out


def test_the_table_has_named_results():
    assert {p.id for p, _ in named_cases()} >= {"P12-hess", "L1H", "L6-W_1", "L20-W_1"}


def test_named_results_read_back_to_the_expanded_value():
    """Text and LaTeX with where lines parse to the value of result.expr, at random inputs
    that respect the assumptions; check() grades the printed form right."""
    rng = np.random.default_rng(0)
    for p, r in named_cases():
        for printed in (str(r), r.latex):
            again = read_back(printed, r)
            assert again.shape == r.expr.shape, printed
            for _ in range(3):
                values = valid_draw(r, free_symbols(r.function) | {r.wrt}, rng)
                assert_close(evaluate(again, values, r.context), r.evaluate(values),
                             rtol=1e-10, atol=1e-12, what=f"{p.id}: {printed}")
        if p.kind in ("gradient", "hessian"):
            verdict = mc.check(p.text, wrt=p.wrt, answer=str(r), kind=p.kind, shapes=p.shapes,
                               assume=p.assume)
            assert verdict.correct, (p.id, verdict.message)


def test_short_answers_print_without_names():
    """The problem set's answers stay as they were, but where the problem set names too (P12
    p = softmax(A x + b), P23 s = sigma(W x + b), P24 u = x^T x, P25 s = x^T x)."""
    named = {p.id for p in problems.PROBLEMS
             if "\nwhere " in problems.display(p, problems.solve(p))}
    assert named == {"P12-hess", "P23-W", "P23-b", "P24-hess", "P25", "P25-hess"}
    assert str(mc.derivative("det(A - t I)", wrt="t", order=2, shapes={"t": "scalar"})) == \
        "det(A - t I) (tr((A - t I)^-1)^2 - tr((A - t I)^-2))"


# ---- names never clash -----------------------------------------------------------------------

def test_names_avoid_the_symbols_in_use():
    """h, h_1, r and delta are symbols of f: the names skip them, and the form reads back."""
    f = "1/2 ||W_2 tanh(W_1 h_1 + r) + h - delta||_2^2"
    g = mc.gradient(f, wrt=["W_1", "r", "W_2"], shapes={"delta": "vector"})
    names = [line.split()[1] for line in str(g).splitlines() if line.startswith("where ")]
    assert names and not set(names) & {"h", "h_1", "r", "delta", "W_1", "W_2"}, str(g)
    assert len(set(names)) == len(names)
    rng = np.random.default_rng(3)
    n = 3
    values = {"W_1": rng.standard_normal((n, n)), "W_2": rng.standard_normal((n, n)),
              "h_1": rng.standard_normal(n), "r": rng.standard_normal(n),
              "h": rng.standard_normal(n), "delta": rng.standard_normal(n)}
    loss = lambda v: 0.5 * np.sum((v["W_2"] @ np.tanh(v["W_1"] @ v["h_1"] + v["r"]) + v["h"]
                                   - v["delta"]) ** 2)
    for name in ("W_1", "r", "W_2"):
        r = g[name]
        again = read_back(str(r), r)
        assert_close(evaluate(again, values, r.context), central_gradient(loss, values, name),
                     rtol=FD_RTOL, atol=FD_ATOL, what=f"{name}: {r}")


def test_names_avoid_dimension_names():
    """A dimension named p (as the shapes give it) is no name for a softmax."""
    h = mc.hessian("log(sum(exp(A x + b)))", wrt="x", shapes={"b": "p", "x": "q"})
    assert "where p =" not in str(h) and "\nwhere " in str(h), str(h)
    assert read_back(str(h), h).shape == h.expr.shape


def test_where_lines_that_do_not_define_before_use_are_refused():
    with pytest.raises(ParseError, match="before its definition"):
        mc.parse("h where h = tanh(g) where g = W x")
    with pytest.raises(ParseError, match="given a shape"):
        mc.parse("h + x where h = tanh(x)", shapes={"h": "vector"})
    assert mc.parse("2 A x / s where s = x^T x") == mc.parse("2 A x / (x^T x)")


# ---- printed size grows with the DAG -----------------------------------------------------------

def network(L: int) -> str:
    text = "x"
    for i in range(1, L):
        text = f"tanh(W_{i} {text})"
    return f"1/2 ||W_{L} {text} - y||_2^2"


def test_printed_size_of_all_weights_gradient_grows_at_most_as_L_to_1_3():
    layers = (4, 8, 16)
    sizes = [len(str(mc.gradient(network(L), wrt=[f"W_{i}" for i in range(1, L + 1)])))
             for L in layers]
    exponent = np.polyfit(np.log(layers), np.log(sizes), 1)[0]
    assert exponent <= 1.3, (sizes, exponent)


# ---- Jupyter -------------------------------------------------------------------------------

def test_expr_repr_is_short_and_shows_as_math():
    e = mc.parse("tr(A X)")
    assert repr(e) == "Expr('tr(A X)')"
    assert repr([e, mc.parse("x")]) == "[Expr('tr(A X)'), Expr('x')]"
    assert e._repr_latex_() == r"$\displaystyle \operatorname{tr}\left(A X\right)$"
    long = mc.parse(" + ".join(f"x_{i}" for i in range(40)))
    assert len(repr(long)) < 110 and repr(long).endswith("...')")


def test_results_show_as_math_with_their_names():
    g = mc.gradient(L20, wrt=["W_1", "W_2", "W_3"])
    latex = g._repr_latex_()
    assert latex.count(r"\text{where }") == 4 and r"\nabla_{W_{3}} f &= r h_{2}^{\top}" in latex
    r = g["W_1"]
    assert r"\nabla_{W_{1}} f = " in r._repr_latex_().split(r"\boxed{", 1)[1]   # in the box
    assert r._repr_latex_().count(r"\text{where }") == 2
    assert r.explain().splitlines()[-3:] == [str(r).splitlines()[0].join(["gradient: ", ""]),
                                             "where h_1 = tanh(W_1 x)", "where h_2 = tanh(W_2 h_1)"]


def test_named_latex_renders_in_katex_strict_mode():
    path = katex()
    g = mc.gradient(L20, wrt=["W_1", "W_2", "W_3"])
    shown = [g._repr_latex_(), g["W_1"]._repr_latex_(), g["W_1"].latex,
             g["W_1"].differential.latex, mc.hessian(L6, wrt="x").latex]
    shown = [re.sub(r"^\$|\$$", "", s.strip()) for s in shown]
    done = subprocess.run(["node", str(RENDER)], input=json.dumps(shown), capture_output=True,
                          text=True, env={**os.environ, "MATCALC_KATEX": path},
                          timeout=120, check=True)
    assert json.loads(done.stdout) == []

"""The simplifier's rules, family by family: small inputs, their simplified text, and the
simplified value checked against the value of the input at random points."""
from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from matcalc.backends.numeric import draw, evaluate
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols
from matcalc.rules.simplify import expand, simplify
from matcalc.rules.simplify.core import RULES, WITHOUT_RULES, exhaust, rule

SHAPES = {"x": "n", "y": "n", "b": "n", "s": "n", "alpha": "scalar", "beta": "scalar",
          "A": ("n", "n"), "B": ("n", "n"), "C": ("n", "n"), "X": ("n", "n"),
          "S": ("n", "n"), "Q": ("n", "n")}
ASSUME = {"S": "symmetric", "Q": "orthogonal"}

# (input, simplified), per family of rules; "x - x + 1" writes the ones vector 1.
STRUCTURE = [
    ("(A B)^T", "B^T A^T"),
    ("(A^T)^T", "A"),
    ("(A + B)^T", "A^T + B^T"),
    ("(2 x)^T", "2 x^T"),
    ("(x^T x)^T", "x^T x"),
    ("(x .* y)^T", "(x .* y)^T"),
    ("x^T .* y^T", "(x .* y)^T"),
    ("exp(X)^T", "exp(X)^T"),
    ("tanh(x^T A^T)", "tanh(A x)^T"),
    ("(x - y)^T A", "(x - y)^T A"),
    ("x^T - y^T", "(x - y)^T"),
    ("diag(x)^T", "diag(x)"),
    ("S^T", "S"),
    ("(S A S^-1)^T", "S^-1 A^T S"),
    ("(X^-1)^T", "X^-T"),
    ("(S^-1)^T", "S^-1"),
    ("(X^T)^-1", "X^-T"),
    ("(X^-1)^-1", "X"),
    ("(X^2)^-1", "X^-2"),
    ("Q^-1", "Q^T"),
    ("(Q^T)^-1", "Q"),
    ("X^0", "I"),
    ("X^1", "X"),
    ("I^3 x", "x"),
    ("diag(x - x + 3)", "3 I"),
    ("eig(0 X)", "0"),
    ("A kron (0 B)", "0"),
    ("lambda_max(X + 0 X)", "lambda_max(X)"),
    ("x^T .^ 2", "(x.^2)^T"),
    ("diag(A diag(x))", "diag(A) .* x"),
    ("diag(diag(x) A^T)", "x .* diag(A)"),
    ("diag(2 A diag(x))", "2 (diag(A) .* x)"),
    ("diag(x y^T)", "x .* y"),
    ("diag(diag(x))", "x"),
    ("diag(A^T)", "diag(A)"),
    ("diag(I) .* x", "x"),
]

PRODUCTS = [
    ("2 (3 A)", "6 A"),
    ("0 A", "0"),
    ("A I B", "A B"),
    ("X X", "X^2"),
    ("X X^-1", "I"),
    ("A X X^-1", "A"),
    ("X^2 X^-1", "X"),
    ("X^-1 X^-1", "X^-2"),
    ("(X^-1)^-1 X^-1", "I"),
    ("Q Q^T A", "A"),
    ("Q^T (Q A)", "A"),
    ("diag(x) diag(y)", "diag(x .* y)"),
    ("det(X) / det(X) X", "X"),
    ("x^T x / (x^T x)", "1"),
    ("x^T b", "b^T x"),
    ("x^T A^T y", "y^T A x"),
    ("(x^T b) y", "(b^T x) y"),
    ("(alpha x)^T (beta y)", "alpha beta (x^T y)"),
    ("(1^T (x - x + 1)) x", "n x"),
    ("(x - x + 1) (x - x + 1)^T x", "1 1^T x"),
    ("exp(x) / (1^T exp(x))", "softmax(x)"),
    ("1/2 (2 A + 4 B)", "A + 2 B"),
    ("-A (x - y)", "A (y - x)"),
    ("-2 (x - y)", "2 (y - x)"),
    ("-2 (x + y)", "-2 (x + y)"),
    ("(1^T softmax(x)) y", "y"),
    ("1^T (x .* y)", "x^T y"),
    ("(x .^ 2)^T (x - x + 1)", "x^T x"),
    ("x^T sin(A x)", "x^T sin(A x)"),
    ("det(X) sign(det(X)) / abs(det(X))", "1"),
    ("abs(alpha) / alpha", "sign(alpha)"),
]

SUMS = [
    ("x + x", "2 x"),
    ("2 x + 3 x", "5 x"),
    ("x - x", "0"),
    ("3 x - 3 x + y", "y"),
    ("alpha + alpha", "2 alpha"),
    ("(alpha + beta)^2 - alpha^2", "beta (2 alpha + beta)"),
    ("2 (x + y) - 2 y", "2 x"),
    ("A x + A y", "A (x + y)"),
    ("A x + A^T x", "(A + A^T) x"),
    ("A^T A x - A^T b", "A^T (A x - b)"),
    ("A B + A C", "A (B + C)"),
    ("B A + C A", "(B + C) A"),
    ("2 alpha I - 4 alpha x x^T", "2 alpha (I - 2 x x^T)"),
    ("alpha (x - x + 1) + beta (x - x + 1)", "(alpha + beta) 1"),
    ("(y - x) (x - y)^T + (x - y) (y - x)^T", "-2 (x - y) (x - y)^T"),
    ("A^T diag(x) + diag(x) A - A^T diag(y) A", "A^T diag(x) + diag(x) A - A^T diag(y) A"),
    ("A^T diag(x) A - A^T y y^T A", "A^T (diag(x) - y y^T) A"),
    ("1/2 S - 1/2 S x x^T S", "1/2 (S - S x x^T S)"),
    ("((y - y + 1)^T y) s x^T - y x^T", "(s 1^T - I) y x^T"),
]

ELEMENTWISE = [
    ("(x - x) .* y", "0"),
    ("x .* (2 y)", "2 (x .* y)"),
    ("alpha (x - x + 1) .* y", "alpha y"),
    ("(A - A + 1) .* X", "X"),
    ("exp(x - x) .* y", "y"),
    ("(1 - y) ./ (1 - s) .* (1 - s) .* s", "(1 - y) .* s"),
    ("(b - b) .^ 2", "0"),
    ("x .^ 1", "x"),
    ("alpha^2 alpha", "alpha^3"),
    ("(2 alpha)^2", "4 alpha^2"),
    ("sqrt(alpha^2)", "abs(alpha)"),
    ("exp(log(alpha))", "alpha"),
    ("log(1 + exp(x))", "softplus(x)"),
    ("log(1^T exp(x))", "logsumexp(x)"),
    ("exp(0 A)", "1 1^T"),
    ("exp(2 I) x", "(1 1^T + (-1 + exp(2)) I) x"),
    ("softmax(x - x) + x", "1 / n + x"),
    ("logsumexp(alpha (x - x + 1)) x", "(alpha + log(n)) x"),
    ("I .* A", "diag(diag(A))"),
    ("y ./ s .* s", "y"),
    ("1 ./ sqrt(exp(x)) .* y", "y ./ sqrt(exp(x))"),
]

REDUCTIONS = [
    ("tr(alpha)", "alpha"),
    ("tr(A^T)", "tr(A)"),
    ("tr(2 A)", "2 tr(A)"),
    ("tr(x y^T)", "x^T y"),
    ("tr(A^-1 A) x", "n x"),
    ("tr(alpha (x - x + 1) (x - x + 1)^T) x", "alpha n x"),
    ("det(X^T)", "det(X)"),
    ("det(X^-1)", "1 / det(X)"),
    ("det(X^-1) det(X)", "1"),
    ("det(alpha X)", "det(X) alpha^n"),
    ("det(A^-1 A) + alpha", "1 + alpha"),
    ("<alpha, beta>", "alpha beta"),
    ("<I, A>", "tr(A)"),
    ("<A, I>", "tr(A)"),
    ("<x x^T, I>", "x^T x"),
    ("<1, A>", "1^T A 1"),
    ("<x - x + 2, y>", "2 (1^T y)"),
    ("<B, A>", "<A, B>"),
    ("<y, x>", "<x, y>"),
    ("<2 A, B>", "2 <A, B>"),
    ("<alpha x, beta y>", "<x, y> alpha beta"),
    ("<s, y ./ s>", "1^T y"),
    ("||x||", "||x||_2"),
    ("||x x^T||_2", "x^T x"),
    ("||x y^T||_F", "||x||_2 ||y||_2"),
    ("||x y^T||_*", "||x||_2 ||y||_2"),
    ("||x - x + 2||_1 x", "2 n x"),
    ("||alpha (x - x + 1)||_2 x", "sqrt(n) abs(alpha) x"),
]

FAMILIES = {"structure": STRUCTURE, "products": PRODUCTS, "sums": SUMS,
            "elementwise": ELEMENTWISE, "reductions": REDUCTIONS}


def assert_same_value(before: E.Expr, after: E.Expr, assume=ASSUME):
    """after has the value of before at random points that respect the assumptions."""
    for seed in range(3):
        values = draw(free_symbols(before), assume, np.random.default_rng(seed), {})
        np.testing.assert_allclose(evaluate(after, values, (before,)),
                                   evaluate(before, values), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{before} -> {after}")


@pytest.mark.parametrize("text, simplified", [case for cases in FAMILIES.values()
                                              for case in cases],
                         ids=[f"{family}: {text}" for family, cases in FAMILIES.items()
                              for text, _ in cases])
def test_rule(text, simplified):
    e = mc.parse(text, SHAPES)
    out = simplify(e, ASSUME)
    assert str(out) == simplified
    assert_same_value(e, out)


@pytest.mark.parametrize("text, expanded", [
    ("x^T (A + B) x", "x^T A x + x^T B x"),
    ("x^T (A + x x^T) x", "x^T A x + x^T x x^T x"),
    ("(X + I) (X - I)", "X^2 - I"),
])
def test_expand_multiplies_out_products_of_sums(text, expanded):
    e = mc.parse(text, SHAPES)
    out = expand(e, ASSUME)
    assert str(out) == expanded
    assert_same_value(e, out)


@pytest.mark.parametrize("text", ["(0 X)^-1", "polar(0 X)", "eigtop(0 X)"])
def test_what_the_zero_matrix_does_not_have_is_refused(text):
    with pytest.raises(mc.NotDifferentiableError):
        simplify(mc.parse(text, SHAPES))


def test_every_node_type_has_a_rule_or_is_declared_to_need_none():
    nodes = {c for c in vars(E).values()
             if isinstance(c, type) and issubclass(c, E.Expr) and c is not E.Expr}
    assert nodes - set(RULES) - WITHOUT_RULES == set()
    assert set(RULES) & WITHOUT_RULES == set()
    assert set(RULES) | WITHOUT_RULES <= nodes


def test_a_node_type_has_one_rule():
    before = dict(RULES)
    with pytest.raises(ValueError, match="Mul has a rule already"):
        rule(E.Mul)(lambda e, simp: e)
    assert RULES == before


def test_exhaust_stops_at_a_fixed_point_or_at_its_limit():
    assert exhaust(lambda k: max(k - 1, 0), 100)(5) == 0
    assert exhaust(lambda k: k + 1, 3)(0) == 3

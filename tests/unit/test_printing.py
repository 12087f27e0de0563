"""matcalc.backends.printing: text and LaTeX of trees built by hand.

Each row is a tree, the text and LaTeX it must print as (written by hand:
parentheses exactly where precedence needs them, signs folded into
subtraction, fractions for division), and its value in NumPy. Both printed
forms, parsed back, evaluate to that NumPy value.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy
from numpy.linalg import inv, norm

import matcalc as mc
from matcalc.backends.numeric import evaluate
from matcalc.backends.printing import latex, text
from matcalc.ir import expr as E
from oracle import assert_close

A, B, C = (E.Symbol(name, ("n", "n")) for name in "ABC")
x, b = E.Symbol("x", ("n", 1)), E.Symbol("b", ("n", 1))
s, t = E.Symbol("s"), E.Symbol("t")
ONE, MINUS = E.Number(1), E.Number(-1)
HALF = E.Number(sympy.Rational(1, 2))


def minus(e):
    return E.Mul((MINUS, e))


def over(e, d):
    return E.Mul((e, E.Power(d, MINUS)))


# (id, tree, text, LaTeX, NumPy value of the values v)
ROWS = [
    # precedence
    ("sum-times", E.Mul((E.Add((A, B)), C)), "(A + B) C", r"\left(A + B\right) C",
     lambda v: (v["A"] + v["B"]) @ v["C"]),
    ("times-sum", E.Mul((A, E.Add((B, C)))), "A (B + C)", r"A \left(B + C\right)",
     lambda v: v["A"] @ (v["B"] + v["C"])),
    ("product-of-sums", E.Add((E.Mul((A, B)), C)), "A B + C", "A B + C",
     lambda v: v["A"] @ v["B"] + v["C"]),
    ("transpose-of-product", E.Transpose(E.Mul((A, B))), "(A B)^T",
     r"\left(A B\right)^{\top}", lambda v: (v["A"] @ v["B"]).T),
    ("transpose-of-symbol", E.Mul((E.Transpose(x), A, x)), "x^T A x", r"x^{\top} A x",
     lambda v: v["x"] @ v["A"] @ v["x"]),
    ("inverse-of-sum", E.Inverse(E.Add((A, B))), "(A + B)^-1", r"\left(A + B\right)^{-1}",
     lambda v: inv(v["A"] + v["B"])),
    ("inverse-of-transpose", E.Inverse(E.Transpose(A)), "(A^T)^-1",
     r"\left(A^{\top}\right)^{-1}", lambda v: inv(v["A"].T)),
    ("power-of-sum", E.Power(E.Add((s, t)), E.Number(2)), "(s + t)^2",
     r"\left(s + t\right)^{2}", lambda v: (v["s"] + v["t"]) ** 2),
    ("matrix-power-of-sum", E.MatPower(E.Add((A, B)), 2), "(A + B)^2",
     r"\left(A + B\right)^{2}", lambda v: (v["A"] + v["B"]) @ (v["A"] + v["B"])),
    ("hadamard-in-product", E.Mul((A, E.Hadamard(x, b))), "A (x .* b)",
     r"A \left(x \odot b\right)", lambda v: v["A"] @ (v["x"] * v["b"])),
    ("product-in-hadamard", E.Hadamard(E.Mul((A, x)), b), "A x .* b", r"A x \odot b",
     lambda v: (v["A"] @ v["x"]) * v["b"]),
    ("kron-of-sum", E.Kron(A, E.Add((B, C))), "A kron (B + C)",
     r"A \otimes \left(B + C\right)", lambda v: np.kron(v["A"], v["B"] + v["C"])),
    ("function-of-product", E.Trace(E.Mul((A, B))), "tr(A B)",
     r"\operatorname{tr}\left(A B\right)", lambda v: np.trace(v["A"] @ v["B"])),
    ("norm-of-difference", E.Norm(E.Add((x, minus(b))), "2"), "||x - b||_2",
     r"\left\| x - b \right\|_{2}", lambda v: norm(v["x"] - v["b"])),
    # signs
    ("negation", minus(x), "-x", "-x", lambda v: -v["x"]),
    ("subtraction", E.Add((x, minus(b))), "x - b", "x - b", lambda v: v["x"] - v["b"]),
    ("subtract-a-product", E.Add((x, E.Mul((MINUS, s, b)))), "x - s b", "x - s b",
     lambda v: v["x"] - v["s"] * v["b"]),
    ("subtract-a-difference", E.Add((x, minus(E.Add((b, minus(x)))))), "x - (b - x)",
     r"x - \left(b - x\right)", lambda v: v["x"] - (v["b"] - v["x"])),
    ("negative-base", E.Power(minus(s), E.Number(2)), "(-s)^2", r"\left(-s\right)^{2}",
     lambda v: (-v["s"]) ** 2),
    ("negative-multiple-of-sum", E.Mul((E.Number(-2), E.Add((A, B)))), "-2 (A + B)",
     r"-2 \left(A + B\right)", lambda v: -2 * (v["A"] + v["B"])),
    ("negative-argument", E.Func("exp", minus(E.Mul((E.Transpose(x), x)))), "exp(-x^T x)",
     r"\exp\left(-x^{\top} x\right)", lambda v: np.exp(-v["x"] @ v["x"])),
    # fractions
    ("quotient", over(s, t), "s / t", r"\frac{s}{t}", lambda v: v["s"] / v["t"]),
    ("quotient-by-sum", over(x, E.Add((s, t))), "x / (s + t)", None,
     lambda v: v["x"] / (v["s"] + v["t"])),
    ("rational-coefficient", E.Mul((HALF, E.Mul((E.Transpose(x), x)))), "1/2 (x^T x)",
     r"\frac{1}{2} \left(x^{\top} x\right)", lambda v: 0.5 * v["x"] @ v["x"]),
    ("one-over", over(ONE, E.Add((ONE, E.Mul((E.Transpose(x), x))))), "1 / (1 + x^T x)", None,
     lambda v: 1 / (1 + v["x"] @ v["x"])),
    # elementwise and structural
    ("elementwise-power", E.Power(x, E.Number(2)), "x.^2", r"x^{\circ 2}",
     lambda v: v["x"] ** 2),
    ("inner", E.Inner(x, b), "<x, b>", r"\left\langle x, b \right\rangle",
     lambda v: v["x"] @ v["b"]),
    ("determinant", E.Det(A), "det(A)", r"\det\left(A\right)", lambda v: np.linalg.det(v["A"])),
]

SHAPES = {"A": ("n", "n"), "B": ("n", "n"), "C": ("n", "n"), "x": "n", "b": "n",
          "s": "scalar", "t": "scalar"}


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_text(row):
    _, tree, printed, _, _ = row
    assert text(tree) == printed


@pytest.mark.parametrize("row", [r for r in ROWS if r[3] is not None],
                         ids=[r[0] for r in ROWS if r[3] is not None])
def test_latex(row):
    _, tree, _, printed, _ = row
    assert latex(tree) == printed


@pytest.mark.parametrize("printer", [text, latex])
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_printed_form_parses_back_to_the_same_value(row, printer, values_for):
    row_id, tree, _, _, value = row
    values = values_for(tree)
    printed = printer(tree)
    again = mc.parse(printed, {k: v for k, v in SHAPES.items() if k in values})
    assert_close(evaluate(again, values, (tree,)), value(values), rtol=1e-12, atol=1e-12,
                 what=f"{row_id}: {printed!r} parsed back")

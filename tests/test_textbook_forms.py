"""Results in the forms textbooks print: symmetric Hessians as symmetric sums, constants
as constants, |u| and sign(u) cancelled, roots as roots, decimals as written, transposes
outside elementwise functions, Minka's identities of diag.

Each case: the printed text, which reads back (matcalc.check) as the derivative, and
the value against central differences of NumPy code and a closed form written by hand
in NumPy, at random points."""
from __future__ import annotations

import re

import numpy as np
import pytest

import matcalc as mc
from matcalc.api.steps import LINE_WIDTH, broken, visible
from matcalc.ir.traverse import free_symbols
from oracle import assert_close, central_gradient, central_jacobian

RNG_SEEDS = (0, 1, 2)
N = 4


def points(seed):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal(N), "a": rng.standard_normal(N),
            "A": rng.standard_normal((N, N)), "X": rng.standard_normal((N, N)) + 3 * np.eye(N),
            "W": rng.standard_normal((N, N)), "y": rng.standard_normal(N)}


def gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


# (kind, f, wrt, printed, f in NumPy, closed form in NumPy)
CASES = [
    ("hessian", "x^T sin(A x)", "x",
     "A^T diag(cos(A x)) + diag(cos(A x)) A - A^T diag(x .* sin(A x)) A",
     lambda x, A, **_: x @ np.sin(A @ x),
     lambda x, A, **_: (A.T @ np.diag(np.cos(A @ x)) + np.diag(np.cos(A @ x)) @ A
                        - A.T @ np.diag(x * np.sin(A @ x)) @ A)),
    ("hessian", "||x - a||_2", "x",
     "I / ||x - a||_2 - (x - a) (x - a)^T / ||x - a||_2^3",
     lambda x, a, **_: np.linalg.norm(x - a),
     lambda x, a, **_: (np.eye(N) / np.linalg.norm(x - a)
                        - np.outer(x - a, x - a) / np.linalg.norm(x - a) ** 3)),
    ("gradient", "sum(softmax(x))", "x", "0",
     lambda x, **_: np.sum(np.exp(x) / np.sum(np.exp(x))), lambda x, **_: np.zeros(N)),
    ("gradient", "log(abs(det(X)))", "X", "X^-T",
     lambda X, **_: np.log(abs(np.linalg.det(X))), lambda X, **_: np.linalg.inv(X).T),
    ("gradient", "sum(abs(W))", "W", "sign(W)",
     lambda W, **_: np.sum(np.abs(W)), lambda W, **_: np.sign(W)),
    ("gradient", "sum(sqrt(x.^2 + 1))", "x", "x ./ sqrt(1 + x.^2)",
     lambda x, **_: np.sum(np.sqrt(x ** 2 + 1)), lambda x, **_: x / np.sqrt(x ** 2 + 1)),
    ("gradient", "sum(1.7 x)", "x", "1.7 1",
     lambda x, **_: np.sum(1.7 * x), lambda x, **_: np.full(N, 1.7)),
    ("gradient", "sum(x .* sigma(1.702 x))", "x",
     "h + 1.702 (x .* h .* (1 - h))\nwhere h = sigma(1.702 x)",      # the activation named
     lambda x, **_: np.sum(x / (1 + np.exp(-1.702 * x))),
     lambda x, **_: (lambda s: s + 1.702 * x * s * (1 - s))(1 / (1 + np.exp(-1.702 * x)))),
    ("gradient", "sum(0.5 x .* (1 + tanh(0.7978845608 (x + 0.044715 x.^3))))", "x", None,
     lambda x, **_: np.sum(gelu(x)),
     lambda x, **_: (lambda t: 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * 0.7978845608
                     * (1 + 3 * 0.044715 * x ** 2))(
                         np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))),
    ("gradient", "sum(x.^2)^2", "x", "4 (x^T x) x",
     lambda x, **_: np.sum(x ** 2) ** 2, lambda x, **_: 4 * (x @ x) * x),
    ("gradient", "tr(diag(x)^T A diag(x))", "x", "2 (diag(A) .* x)",
     lambda x, A, **_: np.trace(np.diag(x) @ A @ np.diag(x)), lambda x, A, **_: 2 * np.diag(A) * x),
    ("gradient", "tr(I .* X)", "X", "I",
     lambda X, **_: np.trace(np.eye(N) * X), lambda X, **_: np.eye(N)),
    ("gradient", "y^T tanh(W x)", "W", "(y .* (1 - tanh(W x).^2)) x^T",
     lambda W, x, y, **_: y @ np.tanh(W @ x),
     lambda W, x, y, **_: np.outer(y * (1 - np.tanh(W @ x) ** 2), x)),
    ("gradient", "1/2 ||tanh(W x) - y||_2^2", "y", "y - tanh(W x)",
     lambda W, x, y, **_: 0.5 * np.sum((np.tanh(W @ x) - y) ** 2),
     lambda W, x, y, **_: y - np.tanh(W @ x)),
]


@pytest.mark.parametrize("kind, f, wrt, printed, f_np, closed", CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_textbook_form(kind, f, wrt, printed, f_np, closed):
    result = (mc.gradient if kind == "gradient" else mc.hessian)(f, wrt=wrt)
    shown = str(result)
    if printed is not None:
        assert shown == printed
    assert not re.search(r"\d+/\d{4,}", shown), shown      # 1.7, not 17/10 or 169550469/...
    verdict = mc.check(f, wrt=wrt, answer=shown, kind=kind)
    assert verdict.correct, verdict.message          # the printed form reads back
    names = {s.name for s in free_symbols(result.function)}
    for seed in RNG_SEEDS:
        values = {k: v for k, v in points(seed).items() if k in names}
        engine = np.asarray(result.evaluate(values), dtype=float)
        if kind == "gradient":
            fd = central_gradient(lambda v: f_np(**v), values, wrt)
        else:
            fd = central_jacobian(lambda v: central_gradient(lambda u: f_np(**u), v, wrt),
                                  values, wrt, h=1e-4)
        assert_close(engine, fd, rtol=1e-4, atol=1e-5, what=f"{f}: engine vs differences")
        assert_close(engine, closed(**values), rtol=1e-9, atol=1e-9,
                     what=f"{f}: engine vs closed form")
        assert_close(np.asarray(result.to_numpy()(**values), dtype=float), engine, rtol=1e-12,
                     atol=1e-12, what=f"{f}: generated code vs evaluate()")


def test_decimals_print_as_written_and_read_back():
    for written, shown in (("1.7 x", "1.7 x"), ("0.044715 x", "0.044715 x"),
                           ("0.5 x", "1/2 x"), ("0.75 x", "3/4 x"), ("3.4 x / (x^T x)",
                                                                     "3.4 x / (x^T x)")):
        e = mc.parse(written, {"x": "n"})
        assert str(e) == shown
        assert mc.parse(str(e), {"x": "n"}) == e


def test_a_long_latex_line_breaks_before_its_outer_signs():
    formula = r"a + \left(b - c\right) - d_{x - y}"
    assert broken(formula, width=3) == ["a", r"+ \left(b - c\right)", "- d_{x - y}"]
    assert broken(formula) == [formula]
    inside = r"A^{\top} \left(s \odot dx - \left(s^{\top} dx\right) s\right)"
    assert broken(inside, width=20) == [r"A^{\top} \left(s \odot dx \right.",
                                        r"\left. - \left(s^{\top} dx\right) s\right)"]
    h = mc.hessian("x^T sin(A x)", wrt="x")
    rows = broken(h.latex)
    assert len(rows) > 1 and " ".join(rows) == h.latex
    assert all(visible(row) <= LINE_WIDTH for row in rows)
    assert r"\boxed{\begin{aligned} &\nabla^2_{x} f = " in h._repr_latex_()

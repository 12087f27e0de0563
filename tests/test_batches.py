"""Batches, norms and order statistics: softmax and logsumexp of each column of a matrix,
mean, a bias broadcast by ones, one attention head; ||x||_inf, ||x||_p, lambda_min, max,
min and vec(X).

Every gradient is evaluated on several draws and sizes and compared with central
differences of an independent NumPy f and with its closed form written in NumPy; its text
and LaTeX read back to the same value, and the generated NumPy (and JAX) code equals
evaluate().
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess

import numpy as np
import pytest

import matcalc as mc
from matcalc.backends.numeric import evaluate
from harness import EXACT_ATOL, EXACT_RTOL, FD_ATOL, FD_RTOL, SEEDS, SIZES
from test_katex import RENDER, italic_words, katex, math
from oracle import (assert_close, central_gradient, central_jacobian, logsumexp, rng_values,
                    softmax, softmax_jacobian, vec)


def column_softmax(Z):
    return np.apply_along_axis(softmax, 0, Z)


def column_logsumexp(Z):
    return np.apply_along_axis(logsumexp, 0, Z)


def p_norm(x, p):
    return np.sum(np.abs(x) ** p) ** (1 / p)


def bottom_eigenvector(X):
    v = np.linalg.eigh(X)[1][:, 0]
    return np.outer(v, v)


def indicator(i, n):
    e = np.zeros(n)
    e[i] = 1.0
    return e


def attention(K, q, v, d):
    """p = softmax(K^T q / sqrt(d)) and v^T p."""
    p = softmax(K.T @ q / np.sqrt(d))
    return p, v @ p


# (id, text, variable, shapes, assumptions, draws (kinds of rng_values), NumPy f, closed form)
CASES = [
    ("softmax-columns", "<A, softmax(Z)>", "Z", {"A": ("n", "m"), "Z": ("n", "m")}, None,
     {"A": "matrix:n,m", "Z": "matrix:n,m"},
     lambda A, Z: np.sum(A * column_softmax(Z)),
     lambda A, Z: column_softmax(Z) * (A - np.sum(A * column_softmax(Z), axis=0))),
    ("logsumexp-columns", "logsumexp(Z) a", "Z", {"Z": ("n", "m"), "a": "m"}, None,
     {"Z": "matrix:n,m", "a": "vector:m"},
     lambda Z, a: column_logsumexp(Z) @ a,
     lambda Z, a: column_softmax(Z) * a[None, :]),
    ("logsumexp-rows", "sum(logsumexp(Z^T))", "Z", {"Z": ("n", "m")}, None,
     {"Z": "matrix:n,m"},
     lambda Z: np.sum(column_logsumexp(Z.T)),
     lambda Z: column_softmax(Z.T).T),
    ("cross-entropy-batch", "-sum(Y .* log(softmax(W X)))", "W",
     {"W": ("k", "n"), "X": ("n", "m"), "Y": ("k", "m")}, None,
     {"W": "matrix:k,n", "X": "matrix:n,m", "Y": "positive_matrix:k,m"},
     lambda W, X, Y: -np.sum(Y * np.log(column_softmax(W @ X))),
     lambda W, X, Y: (column_softmax(W @ X) * Y.sum(axis=0) - Y) @ X.T),
    ("mean-vector", "mean(x)^2", "x", {"x": "n"}, None, {"x": "vector:n"},
     lambda x: np.mean(x) ** 2, lambda x: 2 * np.mean(x) * np.ones(x.size) / x.size),
    ("mean-matrix", "mean(X .* X)", "X", {"X": ("n", "m")}, None, {"X": "matrix:n,m"},
     lambda X: np.mean(X * X), lambda X: 2 * X / X.size),
    ("bias-rows-W", "||X W + 1 b^T - Y||_F^2", "W",
     {"X": ("n", "m"), "W": ("m", "k"), "b": "k", "Y": ("n", "k")}, None,
     {"X": "matrix:n,m", "W": "matrix:m,k", "b": "vector:k", "Y": "matrix:n,k"},
     lambda X, W, b, Y: np.sum((X @ W + b - Y) ** 2),
     lambda X, W, b, Y: 2 * X.T @ (X @ W + b - Y)),
    ("bias-rows-b", "||X W + 1 b^T - Y||_F^2", "b",
     {"X": ("n", "m"), "W": ("m", "k"), "b": "k", "Y": ("n", "k")}, None,
     {"X": "matrix:n,m", "W": "matrix:m,k", "b": "vector:k", "Y": "matrix:n,k"},
     lambda X, W, b, Y: np.sum((X @ W + b - Y) ** 2),
     lambda X, W, b, Y: 2 * (X @ W + b - Y).sum(axis=0)),
    ("bias-columns-b", "sum(tanh(W X + b 1^T))", "b",
     {"W": ("k", "n"), "X": ("n", "m"), "b": "k"}, None,
     {"W": "matrix:k,n", "X": "matrix:n,m", "b": "vector:k"},
     lambda W, X, b: np.sum(np.tanh(W @ X + b[:, None])),
     lambda W, X, b: (1 - np.tanh(W @ X + b[:, None]) ** 2).sum(axis=1)),
    ("attention-q", "v^T softmax(K^T q / sqrt(d))", "q",
     {"K": ("n", "m"), "q": "n", "v": "m", "d": "scalar"}, None,
     {"K": "matrix:n,m", "q": "vector:n", "v": "vector:m", "d": "positive_scalar"},
     lambda K, q, v, d: attention(K, q, v, d)[1],
     lambda K, q, v, d: K @ softmax_jacobian(K.T @ q / np.sqrt(d)) @ v / np.sqrt(d)),
    ("attention-K", "v^T softmax(K^T q / sqrt(d))", "K",
     {"K": ("n", "m"), "q": "n", "v": "m", "d": "scalar"}, None,
     {"K": "matrix:n,m", "q": "vector:n", "v": "vector:m", "d": "positive_scalar"},
     lambda K, q, v, d: attention(K, q, v, d)[1],
     lambda K, q, v, d: np.outer(q, softmax_jacobian(K.T @ q / np.sqrt(d)) @ v) / np.sqrt(d)),
    ("norm-inf", "||A x||_inf", "x", {"A": ("m", "n"), "x": "n"}, None,
     {"A": "matrix:m,n", "x": "vector:n"},
     lambda A, x: np.max(np.abs(A @ x)),
     lambda A, x: A.T @ (np.sign(A @ x) * indicator(np.argmax(np.abs(A @ x)), A.shape[0]))),
    ("norm-3", "||x||_3", "x", {"x": "n"}, None, {"x": "vector:n"},
     lambda x: p_norm(x, 3), lambda x: np.sign(x) * np.abs(x) ** 2 / p_norm(x, 3) ** 2),
    ("norm-3/2", "||x - b||_{3/2}", "x", {"x": "n"}, None, {"x": "vector:n", "b": "vector:n"},
     lambda x, b: p_norm(x - b, 1.5),
     lambda x, b: np.sign(x - b) * np.abs(x - b) ** 0.5 / p_norm(x - b, 1.5) ** 0.5),
    ("norm-p-x", "||x||_p", "x", {"x": "n", "p": "scalar"}, None,
     {"x": "nonzero_vector:n", "p": "positive_scalar"},
     lambda x, p: p_norm(x, p),
     lambda x, p: np.sign(x) * np.abs(x) ** (p - 1) / p_norm(x, p) ** (p - 1)),
    ("norm-p-p", "||x||_p", "p", {"x": "n", "p": "scalar"}, None,
     {"x": "nonzero_vector:n", "p": "positive_scalar"},
     lambda x, p: p_norm(x, p),
     lambda x, p: p_norm(x, p) * (np.sum(np.abs(x) ** p * np.log(np.abs(x)))
                                  / (p * np.sum(np.abs(x) ** p)) - np.log(np.sum(np.abs(x) ** p))
                                  / p ** 2)),
    ("lambda_min", "lambda_min(X)", "X", {"X": ("n", "n")}, {"X": "symmetric"},
     {"X": "symmetric:n"},
     lambda X: np.linalg.eigvalsh((X + X.T) / 2)[0], lambda X: bottom_eigenvector(X)),
    ("max", "max(A x)", "x", {"A": ("m", "n"), "x": "n"}, None,
     {"A": "matrix:m,n", "x": "vector:n"},
     lambda A, x: np.max(A @ x), lambda A, x: A[np.argmax(A @ x)]),
    ("min", "min(x .* x - x)", "x", {"x": "n"}, None, {"x": "vector:n"},
     lambda x: np.min(x * x - x),
     lambda x: (2 * x - 1) * indicator(np.argmin(x * x - x), x.size)),
    ("max-matrix", "max(X)", "X", {"X": ("n", "m")}, None, {"X": "matrix:n,m"},
     lambda X: np.max(X), lambda X: (X == X.max()).astype(float)),
    ("vec-inf", "||vec(A X)||_inf", "X", {"A": ("n", "n"), "X": ("n", "m")}, None,
     {"A": "matrix:n,n", "X": "matrix:n,m"},
     lambda A, X: np.max(np.abs(A @ X)),
     lambda A, X: A.T @ (np.sign(A @ X) * (np.abs(A @ X) == np.max(np.abs(A @ X))))),
    ("vec-inner", "vec(X)^T vec(B .* X)", "X", {"X": ("n", "m"), "B": ("n", "m")}, None,
     {"X": "matrix:n,m", "B": "matrix:n,m"},
     lambda X, B: vec(X) @ vec(B * X), lambda X, B: 2 * B * X),
    ("norm2-spelling", "norm2(x)^2 + norm1(x)", "x", {"x": "n"}, None,
     {"x": "nonzero_vector:n"},
     lambda x: np.sum(x ** 2) + np.sum(np.abs(x)), lambda x: 2 * x + np.sign(x)),
    ("quadratic-spelling", "x'*inv(A)*x", "x", {"x": "n", "A": ("n", "n")}, None,
     {"x": "vector:n", "A": "square:n"},
     lambda x, A: x @ np.linalg.solve(A, x),
     lambda x, A: np.linalg.solve(A, x) + np.linalg.solve(A.T, x)),
]
IDS = [c[0] for c in CASES]


def draws(case):
    """(label, values) over the seeds and sizes; the p of a norm in [1.5, 3]."""
    cid, _, _, _, _, kinds, _, _ = case
    for seed in SEEDS:
        for dims in SIZES:
            values = rng_values(np.random.default_rng(seed), kinds, dims)
            if cid.startswith("norm-p"):
                values["p"] += 1.0
            yield f"seed {seed}, {dims}", values


def result(case):
    _, text, wrt, shapes, assume, _, _, _ = case
    return mc.gradient(text, wrt=wrt, shapes=shapes, assume=assume)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_against_differences_and_closed_form(case):
    cid, _, wrt, _, _, _, f, closed = case
    g = result(case)
    for label, values in draws(case):
        G = g.evaluate(values)
        fd = central_gradient(lambda v: f(**v), values, wrt)
        scale = max(1.0, float(np.max(np.abs(fd))))
        assert_close(G, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{cid} {label}: {g} vs central differences")
        assert_close(G, closed(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{cid} {label}: {g} vs the closed form")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_printed_gradient_reads_back(case):
    cid, _, wrt, shapes, _, _, _, _ = case
    g = result(case)
    label, values = next(draws(case))
    expected = g.evaluate(values)
    for printed in (str(g), g.latex):
        again = mc.parse(printed, shapes=shapes)
        if again.shape != g.expr.shape:
            again = mc.parse(printed, shapes=shapes, shape=g.expr.shape)
        assert again.shape == g.expr.shape, printed
        assert_close(np.reshape(evaluate(again, values, (g.base, g.wrt)), np.shape(expected)),
                     expected, rtol=1e-10, atol=1e-12, what=f"{cid}: {printed}")


def backends():
    out = [mc.to_numpy]
    if importlib.util.find_spec("jax") is not None:
        import jax
        jax.config.update("jax_enable_x64", True)
        out.append(mc.to_jax)
    return out


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_generated_code_equals_evaluate(case):
    cid, text, _, shapes, _, _, _, _ = case
    g = result(case)
    f = mc.parse(text, shapes=shapes)
    for label, values in list(draws(case))[:2]:
        for backend in backends():
            for r in (f, g):
                fn = backend(r)
                assert_close(np.asarray(fn(**{n: values[n] for n in fn.args})),
                             np.asarray(r.evaluate(values)), rtol=1e-10, atol=1e-12,
                             what=f"{cid} {label}: {backend.__name__} of {r}")


def p_norm_hessian(x, p):
    """(p - 1) (||x||_p^(1-p) diag(|x|^(p-2)) - g g^T / ||x||_p), g the gradient."""
    N = p_norm(x, p)
    g = np.sign(x) * np.abs(x) ** (p - 1) / N ** (p - 1)
    return (p - 1) * (np.diag(np.abs(x) ** (p - 2)) / N ** (p - 1) - np.outer(g, g) / N)


def attention_gradient(K, q, v, d):
    return K @ softmax_jacobian(K.T @ q / np.sqrt(d)) @ v / np.sqrt(d)


@pytest.mark.parametrize("text, shapes, closed", [
    ("||x||_3", {}, lambda x, p: p_norm_hessian(x, 3.0)),
    ("||x||_p", {"p": "scalar"}, p_norm_hessian),
    ("v^T softmax(K^T q / sqrt(d))", {"d": "scalar"}, None),
])
def test_hessians(text, shapes, closed):
    """Against central differences of the closed-form gradient, and the closed form."""
    wrt = "q" if "q" in text else "x"
    H = mc.hessian(text, wrt=wrt, shapes=shapes)
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        if wrt == "x":
            values = {"x": rng_values(rng, {"x": "nonzero_vector:4"})["x"],
                      "p": 3.0 if "3" in text else 2.5}
            grad = lambda v: np.sign(v["x"]) * np.abs(v["x"]) ** (v["p"] - 1) / \
                p_norm(v["x"], v["p"]) ** (v["p"] - 1)
        else:
            values = {"K": rng.standard_normal((3, 5)), "q": rng.standard_normal(3),
                      "v": rng.standard_normal(5), "d": 2.0}
            grad = lambda v: attention_gradient(**v)
        got = H.evaluate({k: values[k] for k in values if k != "p" or "p" in shapes})
        assert_close(got, central_jacobian(grad, values, wrt), rtol=1e-5, atol=1e-6,
                     what=f"Hessian of {text}: {H}")
        if closed is not None:
            assert_close(got, closed(values["x"], values["p"]), rtol=1e-8, atol=1e-10)


# ---- values and Jacobians of the batch functions -------------------------------------

def test_softmax_and_logsumexp_of_a_matrix_act_on_each_column():
    rng = np.random.default_rng(3)
    Z = rng.standard_normal((4, 3))
    assert mc.parse("softmax(Z)").shape[1] != 1 and mc.parse("logsumexp(Z)").shape[0] == 1
    assert_close(mc.parse("softmax(Z)").evaluate({"Z": Z}), column_softmax(Z))
    assert_close(mc.parse("logsumexp(Z)").evaluate({"Z": Z}), column_logsumexp(Z)[None, :])
    assert_close(mc.parse("softmax(Z^T)^T").evaluate({"Z": Z}), column_softmax(Z.T).T)
    z = Z[:, 0]     # a vector is one column: the vector functions are unchanged
    assert_close(mc.parse("softmax(z)").evaluate({"z": z}), softmax(z))
    assert mc.parse("logsumexp(z)").is_scalar


@pytest.mark.parametrize("text, F", [
    ("softmax(Z)", column_softmax),
    ("logsumexp(Z)", column_logsumexp),
    ("vec(Z)", vec),
])
def test_jacobians_of_the_matrix_functions(text, F):
    """In vec layout: J vec(dZ) = vec(dF)."""
    J = mc.jacobian(text, wrt="Z")
    for seed in SEEDS:
        Z = np.random.default_rng(seed).standard_normal((3, 4))
        expected = central_jacobian(lambda v: F(v["Z"]), {"Z": Z}, "Z")
        assert_close(J.evaluate({"Z": Z}), expected, rtol=1e-6, atol=1e-8,
                     what=f"J of {text}: {J}")


def test_the_attention_head_jacobian_is_the_softmax_jacobian_times_K_t():
    J = mc.jacobian("softmax(K^T q / sqrt(d))", wrt="q", shapes={"d": "scalar"})
    rng = np.random.default_rng(5)
    values = {"K": rng.standard_normal((3, 5)), "q": rng.standard_normal(3), "d": 3.0}
    K, q = values["K"], values["q"]
    closed = softmax_jacobian(K.T @ q / np.sqrt(3.0)) @ K.T / np.sqrt(3.0)
    assert_close(J.evaluate(values), closed, rtol=1e-10, atol=1e-12)
    assert_close(J.evaluate(values), central_jacobian(
        lambda v: softmax(v["K"].T @ v["q"] / np.sqrt(v["d"])), values, "q"), rtol=1e-6, atol=1e-8)


# ---- printing and reading --------------------------------------------------------------

@pytest.mark.parametrize("text, printed, latex", [
    ("||x||_inf", "||x||_inf", r"\left\| x \right\|_{\infty}"),
    (r"\|x\|_\infty", "||x||_inf", r"\left\| x \right\|_{\infty}"),
    ("||x||_3", "||x||_3", r"\left\| x \right\|_{3}"),
    ("||x||_1.5", "||x||_{3/2}", r"\left\| x \right\|_{3/2}"),
    ("||x||_p", "||x||_p", r"\left\| x \right\|_{p}"),
    ("||x||_{2}", "||x||_2", r"\left\| x \right\|_{2}"),
    ("lambda_min(X)", "lambda_min(X)", r"\lambda_{\min}\left(X\right)"),
    (r"\lambda_{\min}(X)", "lambda_min(X)", r"\lambda_{\min}\left(X\right)"),
    ("max(x)", "max(x)", r"\max\left(x\right)"),
    ("min(x)", "min(x)", r"\min\left(x\right)"),
    ("vec(X)", "vec(X)", r"\operatorname{vec}\left(X\right)"),
    ("norm2(x)", "||x||_2", r"\left\| x \right\|_{2}"),
    ("norm1(x)", "||x||_1", r"\left\| x \right\|_{1}"),
    ("x'*inv(A)*x", "x^T A^-1 x", r"x^{\top} A^{-1} x"),
])
def test_new_constructs_print_and_read_back(text, printed, latex):
    e = mc.parse(text)
    assert (str(e), e.latex) == (printed, latex)
    assert mc.parse(printed) == e and mc.parse(latex) == e


def test_mean_is_the_sum_over_the_count():
    """mean(x) = 1^T x / n; of a matrix, of all its entries, as NumPy's mean."""
    x, X = np.arange(1.0, 4.0), np.arange(6.0).reshape(2, 3)
    for text, shapes, value in [("mean(x)", {"x": "n"}, 2.0), ("mean(X)", {"X": ("m", "n")}, 2.5)]:
        e = mc.parse(text, shapes=shapes)
        assert_close(e.evaluate({"x": x, "X": X}), value)
        for printed in (str(e), e.latex):
            assert mc.parse(printed, shapes=shapes) == e, printed
    assert str(mc.parse("mean(x)", shapes={"x": "n"})) == "1^T x / n"


@pytest.mark.parametrize("text, words", [
    ("||X||_inf", "||vec(X)||_p"),
    ("||X||_3", "||vec(X)||_p"),
    ("||x||_0.5", "at least 1"),
    ("||x||_A", "scalar"),
])
def test_what_is_refused_says_why(text, words):
    with pytest.raises(mc.MatcalcError, match=words.replace("|", r"\|").replace("(", r"\(")
                       .replace(")", r"\)")):
        mc.parse(text)


def test_a_gradient_through_vec_with_a_weight_that_is_no_vec_is_refused_with_a_hint():
    with pytest.raises(mc.UnsupportedError, match="unvec"):
        mc.gradient("b^T vec(X)", wrt="X")


# ---- conditions: where max, min and the norms are differentiable --------------------------

def test_max_and_the_max_norm_are_not_differentiable_at_a_tie():
    for text in ("max(x)", "||x||_inf", "min(x)"):
        g = mc.gradient(text, wrt="x")
        with pytest.raises(mc.NotDifferentiableError, match="unique"):
            g.evaluate({"x": np.array([1.0, -3.0, 3.0]) if "inf" in text else
                        np.array([3.0, 3.0, 3.0])})
    g = mc.gradient("max(x)", wrt="x")
    assert_close(g.evaluate({"x": np.array([1.0, 3.0, 2.0])}), np.array([0.0, 1.0, 0.0]))
    assert [str(c) for c in mc.conditions("max(x) + ||x||_3 + ||x||_p")] == [
        "max(x): the largest entry of x is unique", "||x||_3: x != 0",
        "||x||_p: no entry of x is 0 (a kink: the derivative there is a subgradient)"]
    assert str(mc.conditions("lambda_min(X)")[0]) == \
        "lambda_min(X): X symmetric with a simple smallest eigenvalue"


# ---- LaTeX: renders in KaTeX strict mode, no words in italics ------------------------------

def latex_outputs():
    for case in CASES:
        cid, text, _, shapes, _, _, _, _ = case
        g = result(case)
        yield from ((f"{cid} {what}", tex) for what, tex in [
            ("f", mc.parse(text, shapes=shapes).latex), ("gradient", g.latex),
            ("derivation", math(g._repr_latex_()))])


def test_latex_renders_in_katex_and_reads_like_a_textbook():
    cases = list(latex_outputs())
    assert [f"{where}: {w}" for where, tex in cases for w in italic_words(tex)] == []
    done = subprocess.run(["node", str(RENDER)], input=json.dumps([t for _, t in cases]),
                          capture_output=True, text=True, timeout=300, check=True,
                          env={**os.environ, "MATCALC_KATEX": katex()})
    assert [cases[i][0] + ": " + message for i, message in json.loads(done.stdout)] == []

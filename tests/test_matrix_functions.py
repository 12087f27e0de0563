"""expm, logm, sqrtm and their Frechet derivatives, and matrix powers X^k with a scalar symbol k.

Every gradient is checked against central differences of SciPy's matrix functions (an
implementation independent of matcalc's) and against a closed form in NumPy/SciPy: f'(X)^T
for tr f(X); for <A, f(X)> the adjoint Df(X^T)[A], with Df(X)[E] the upper right block of
f([[X, E], [0, X]]) (Higham, Functions of Matrices, thm. 3.6), symmetrized for a symmetric X.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

import matcalc as mc
from oracle import assert_close, central_gradient, rng_values, sym
from test_katex import RENDER, katex

sl = pytest.importorskip("scipy.linalg")

F = {
    "expm": sl.expm,
    "logm": lambda X: np.real(sl.logm(X)),
    "sqrtm": lambda X: np.real(sl.sqrtm(X)),
}


def frechet(name, X, E):
    """Df(X)[E] by the block formula, with SciPy."""
    n = len(X)
    return F[name](np.block([[X, E], [np.zeros_like(X), X]]))[:n, n:]


DERIVATIVE = {
    "expm": sl.expm,
    "logm": np.linalg.inv,
    "sqrtm": lambda X: np.linalg.inv(sl.sqrtm(X)) / 2,
}

# (f, assume, the kinds of the inputs, the oracle f in NumPy, the closed-form gradient)
CASES = (
    [
        (
            "tr(expm(X))",
            {},
            {"X": "matrix:n,n"},
            lambda v: np.trace(F["expm"](v["X"])),
            lambda v: sl.expm(v["X"]).T,
        ),
        (
            "tr(logm(X))",
            {},
            {"X": "square:n"},
            lambda v: np.trace(F["logm"](v["X"])),
            lambda v: np.linalg.inv(v["X"]).T,
        ),
        (
            "tr(sqrtm(X))",
            {},
            {"X": "square:n"},
            lambda v: np.trace(F["sqrtm"](v["X"])),
            lambda v: DERIVATIVE["sqrtm"](v["X"]).T,
        ),
        (
            "<A, expm(X)>",
            {},
            {"X": "matrix:n,n", "A": "matrix:n,n"},
            lambda v: np.sum(v["A"] * sl.expm(v["X"])),
            lambda v: frechet("expm", v["X"].T, v["A"]),
        ),
        (
            "a^T expm(X) b",
            {},
            {"X": "square:n", "a": "vector:n", "b": "vector:n"},
            lambda v: v["a"] @ sl.expm(v["X"]) @ v["b"],
            lambda v: frechet("expm", v["X"].T, np.outer(v["a"], v["b"])),
        ),
        (
            "<A, logm(X)>",
            {},
            {"X": "square:n", "A": "matrix:n,n"},
            lambda v: np.sum(v["A"] * F["logm"](v["X"])),
            lambda v: frechet("logm", v["X"].T, v["A"]),
        ),
    ]
    + [
        (
            f"<A, {f}(X)>",
            {"X": kind},
            {"X": f"{kind}:n", "A": "matrix:n,n"},
            lambda v, f=f: np.sum(v["A"] * F[f](v["X"])),
            lambda v, f=f: sym(frechet(f, v["X"], v["A"])),
        )
        for f in ("expm", "logm", "sqrtm")
        for kind in ("spd", "symmetric")
        if f == "expm" or kind == "spd"
    ]
    + [
        (
            f"a^T {f}(X) b",
            {"X": "spd"},
            {"X": "spd:n", "a": "vector:n", "b": "vector:n"},
            lambda v, f=f: v["a"] @ F[f](v["X"]) @ v["b"],
            lambda v, f=f: sym(frechet(f, v["X"], np.outer(v["a"], v["b"]))),
        )
        for f in ("expm", "logm", "sqrtm")
    ]
)


def symmetric_fd(f, values, assume):
    """The finite-difference gradient, on symmetric matrices when X is assumed symmetric."""
    G = central_gradient(f, values, "X", h=1e-6)
    return sym(G) if assume else G


@pytest.mark.parametrize("n", [1, 2, 4])
@pytest.mark.parametrize(
    "text, assume, spec, oracle, closed", CASES, ids=[c[0] + str(c[1]) for c in CASES]
)
def test_gradient_matches_differences_and_closed_form(text, assume, spec, oracle, closed, n):
    g = mc.gradient(text, wrt="X", assume=assume)
    rng = np.random.default_rng(n)
    for _ in range(3):
        values = rng_values(rng, spec, {"n": n})
        got = np.atleast_2d(g.evaluate(values))
        assert_close(got, symmetric_fd(oracle, values, assume), rtol=1e-5, atol=1e-6, what=text)
        assert_close(got, np.atleast_2d(closed(values)), rtol=1e-8, atol=1e-9, what=text)
        assert_close(np.atleast_2d(mc.to_numpy(g)(**values)), got, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["expm", "logm", "sqrtm"])
@pytest.mark.parametrize("gap", [0.0, 1e-13, 1e-9, 1e-5])
def test_daleckii_krein_at_repeated_and_close_eigenvalues(name, gap):
    """The divided differences hold where eigenvalues coincide or nearly do."""
    rng = np.random.default_rng(7)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    X = Q @ np.diag([1.5, 1.5 + gap, 1.5 + 2 * gap, 3.0]) @ Q.T
    X = (X + X.T) / 2
    A = rng.standard_normal((4, 4))
    g = mc.gradient(f"<A, {name}(X)>", wrt="X", assume={"X": "spd"})
    values = {"X": X, "A": A}
    got = g.evaluate(values)
    assert_close(got, sym(frechet(name, X, A)), rtol=1e-7, atol=1e-8)
    assert_close(
        got,
        sym(central_gradient(lambda v: np.sum(v["A"] * F[name](v["X"])), values, "X")),
        rtol=1e-5,
        atol=1e-6,
    )


def test_printed_forms_read_back():
    cases = [
        ("tr(expm(X))", {}, "expm(X)^T"),
        ("tr(sqrtm(X))", {}, "1/2 sqrtm(X)^-T"),
        ("tr(logm(X))", {}, "X^-T"),
        ("<A, expm(X)>", {}, "dexpm(X^T)[A]"),
        ("<A, sqrtm(X)>", {"X": "spd"}, "1/2 dsqrtm(X)[A + A^T]"),
        ("a^T logm(X) b", {"X": "spd"}, "1/2 dlogm(X)[a b^T + b a^T]"),
    ]
    rng = np.random.default_rng(3)
    values = {
        "X": rng_values(rng, {"X": "spd:3"})["X"],
        "A": rng.standard_normal((3, 3)),
        "a": rng.standard_normal(3),
        "b": rng.standard_normal(3),
    }
    for text, assume, printed in cases:
        g = mc.gradient(text, wrt="X", assume=assume)
        assert str(g) == printed
        for form in (str(g), g.latex):
            back = mc.parse(form, shapes={"a": 3, "b": 3, "A": (3, 3), "X": (3, 3)})
            assert_close(
                np.atleast_2d(back.evaluate(values)),
                np.atleast_2d(g.evaluate(values)),
                rtol=1e-12,
                atol=1e-12,
            )
    assert (
        mc.gradient("<A, expm(X)>", wrt="X").latex
        == r"\operatorname{dexpm}\left(X^{\top}\right)\left[A\right]"
    )


def test_jax_code_equals_evaluation():
    pytest.importorskip("jax")
    rng = np.random.default_rng(5)
    values = {"X": rng_values(rng, {"X": "spd:3"})["X"], "A": rng.standard_normal((3, 3))}
    for text, assume in [
        ("<A, expm(X)> + tr(logm(X))", {}),
        ("<A, sqrtm(X) + logm(X)>", {"X": "spd"}),
    ]:
        g = mc.gradient(text, wrt="X", assume=assume)
        assert_close(np.asarray(mc.to_jax(g)(**values)), g.evaluate(values), rtol=1e-4, atol=1e-5)


def test_hessian_vector_product_of_tr_expm():
    """H[V] = d(expm(X)^T)[V], against differences of the gradient expm(X)^T."""
    rng = np.random.default_rng(2)
    X, V = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    hv = mc.hvp("tr(expm(X))", wrt="X")
    h = 1e-6
    expected = (sl.expm(X + h * V).T - sl.expm(X - h * V).T) / (2 * h)
    assert_close(hv.evaluate({"X": X, "V": V}), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("k", [2, 3, -2, 0])
@pytest.mark.parametrize(
    "text, oracle, closed",
    [
        (
            "tr(X^k)",
            lambda X, k: np.trace(np.linalg.matrix_power(X, k)),
            lambda X, k: k * np.linalg.matrix_power(X, k - 1).T,
        ),
        (
            "det(X^k)",
            lambda X, k: np.linalg.det(np.linalg.matrix_power(X, k)),
            lambda X, k: k * np.linalg.det(X) ** k * np.linalg.inv(X).T,
        ),
        (
            "log det(X^k)",
            lambda X, k: np.log(np.linalg.det(np.linalg.matrix_power(X, k))),
            lambda X, k: k * np.linalg.inv(X).T,
        ),
    ],
)
def test_symbolic_integer_powers(text, oracle, closed, k):
    g = mc.gradient(text, wrt="X", shapes={"k": "scalar"})
    assert mc.gradient(text.replace("k", "kappa"), wrt="X") is not None  # Greek: a scalar
    rng = np.random.default_rng(abs(k) + 10)
    for n in (2, 3, 5):
        X = rng_values(rng, {"X": "square:n"}, {"n": n})["X"]
        values = {"X": X, "k": float(k)}
        got = g.evaluate(values)
        fd = central_gradient(lambda v: oracle(v["X"], k), values, "X")
        assert_close(got, fd, rtol=1e-5, atol=1e-6, what=text)
        assert_close(got, closed(X, k), rtol=1e-9, atol=1e-10, what=text)
        assert_close(mc.to_numpy(g)(**values), got, rtol=1e-12, atol=1e-12)
        back = mc.parse(str(g), shapes={"k": "scalar", "X": (n, n)})
        assert_close(back.evaluate(values), got, rtol=1e-12, atol=1e-12)
    assert str(mc.gradient("log det(X^k)", wrt="X", shapes={"k": "scalar"})) == "k X^-T"
    assert str(mc.gradient("tr(X^k)", wrt="X", shapes={"k": "scalar"})) == "k (X^(-1 + k))^T"


def test_what_is_refused_says_so():
    with pytest.raises(mc.UnsupportedError, match=r"needs its direction E in brackets"):
        mc.parse("dexpm(X)")
    with pytest.raises(mc.UnsupportedError, match="no closed form for a symbolic k"):
        mc.gradient("tr(A X^k B)", wrt="X", shapes={"k": "scalar"})
    with pytest.raises(mc.UnsupportedError, match="exponent depends on the variable"):
        mc.derivative("tr(A^k)", wrt="k", shapes={"k": "scalar"})
    with pytest.raises(mc.UnsupportedError, match="second derivative of expm is not supported"):
        mc.hessian("<A, expm(X)>", wrt="X")
    with pytest.raises(mc.NotDefinedError, match="integer exponent"):
        mc.parse("tr(X^k)", shapes={"k": "scalar"}).evaluate({"X": np.eye(2), "k": 0.5})
    conditions = [str(c) for c in mc.conditions("tr(logm(X))")]
    assert conditions == ["logm(X): X without eigenvalues on the closed negative real axis"]


def test_latex_renders_in_katex_strict_mode():
    path = katex()
    shapes = {"k": "scalar"}
    outputs = [
        mc.gradient(t, wrt="X", assume=a, shapes=shapes).latex
        for t, a in [
            ("tr(expm(X))", {}),
            ("tr(sqrtm(X))", {}),
            ("<A, expm(X)>", {}),
            ("a^T logm(X) b", {"X": "spd"}),
            ("tr(X^k)", {}),
            ("log det(X^k)", {}),
        ]
    ]
    outputs += [
        mc.gradient(t, wrt="X", assume=a, shapes=shapes)
        ._repr_latex_()
        .strip("$")
        .removeprefix(r"\displaystyle")
        .strip()
        for t, a in [("<A, sqrtm(X)>", {"X": "spd"}), ("tr(X^k)", {}), ("det(X^k)", {})]
    ]
    outputs += [mc.parse("dlogm(X^T)[A B] + det(X^(k - 1)) I", shapes).latex]
    done = subprocess.run(
        ["node", str(RENDER)],
        input=json.dumps(outputs),
        capture_output=True,
        text=True,
        env={**os.environ, "MATCALC_KATEX": path},
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout) == []

"""Mixed second derivatives and Jacobians with respect to several variables.

``hessian(f, wrt=[x, y])`` gives the blocks H[x, y], the Jacobian of grad_x f with
respect to y (size(x) x size(y), vec layout); ``jacobian(F, wrt=[x, y])`` one Jacobian
per variable. Every block is compared with two oracles that do not use the engine:
central differences (of a NumPy gradient, and second differences of f itself for the
whole stacked Hessian) and the closed form written in NumPy.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess

import numpy as np
import pytest

import matcalc as mc
from matcalc.backends.numeric import evaluate
from matcalc.backends.printing import text
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols, walk
from oracle import (assert_close, central_jacobian, commutation, rng_values,
                    second_differences, sigma, vec)

SIZES = [{"n": 3, "m": 2}, {"n": 2, "m": 4}]


def kron_I(M, k):
    """M kron I_k."""
    return np.kron(M, np.eye(k))


# Each case: f, the variables, their kinds, (name -> NumPy gradient), ((x, y) -> NumPy
# closed form of H[x, y] in vec layout), shapes.
CASES = {
    "x^T A y": dict(
        f="x^T A y", wrt=["x", "y"], spec={"A": "matrix:n,m", "x": "vector:n", "y": "vector:m"},
        value=lambda A, x, y: x @ A @ y,
        grad={"x": lambda A, x, y: A @ y, "y": lambda A, x, y: A.T @ x},
        blocks={("x", "x"): lambda A, x, y: np.zeros((x.size, x.size)),
                ("x", "y"): lambda A, x, y: A, ("y", "x"): lambda A, x, y: A.T,
                ("y", "y"): lambda A, x, y: np.zeros((y.size, y.size))}),
    "least squares": dict(
        f="1/2 ||A x + B y - c||_2^2", wrt=["x", "y"],
        spec={"A": "matrix:n,m", "B": "matrix:n,n", "c": "vector:n", "x": "vector:m",
              "y": "vector:n"},
        value=lambda A, B, c, x, y: 0.5 * np.sum((A @ x + B @ y - c) ** 2),
        grad={"x": lambda A, B, c, x, y: A.T @ (A @ x + B @ y - c),
              "y": lambda A, B, c, x, y: B.T @ (A @ x + B @ y - c)},
        blocks={("x", "x"): lambda A, B, c, x, y: A.T @ A,
                ("x", "y"): lambda A, B, c, x, y: A.T @ B,
                ("y", "x"): lambda A, B, c, x, y: B.T @ A,
                ("y", "y"): lambda A, B, c, x, y: B.T @ B}),
    "tr(X^T A Y)": dict(
        f="tr(X^T A Y)", wrt=["X", "Y"],
        spec={"A": "matrix:n,n", "X": "matrix:n,m", "Y": "matrix:n,m"},
        value=lambda A, X, Y: np.trace(X.T @ A @ Y),
        grad={"X": lambda A, X, Y: A @ Y, "Y": lambda A, X, Y: A.T @ X},
        blocks={("X", "X"): lambda A, X, Y: np.zeros((X.size, X.size)),
                ("X", "Y"): lambda A, X, Y: np.kron(np.eye(X.shape[1]), A),
                ("Y", "X"): lambda A, X, Y: np.kron(np.eye(X.shape[1]), A.T),
                ("Y", "Y"): lambda A, X, Y: np.zeros((Y.size, Y.size))}),
    "x^T X y": dict(
        f="x^T X y", wrt=["x", "X"], spec={"X": "matrix:n,m", "x": "vector:n", "y": "vector:m"},
        value=lambda X, x, y: x @ X @ y,
        grad={"x": lambda X, x, y: X @ y, "X": lambda X, x, y: np.outer(x, y)},
        blocks={("x", "x"): lambda X, x, y: np.zeros((x.size, x.size)),
                ("x", "X"): lambda X, x, y: kron_I(y[None, :], x.size),
                ("X", "x"): lambda X, x, y: kron_I(y[:, None], x.size),
                ("X", "X"): lambda X, x, y: np.zeros((X.size, X.size))}),
    "exp(x^T y)": dict(
        f="exp(x^T y)", wrt=["x", "y"], spec={"x": "vector:n", "y": "vector:n"},
        value=lambda x, y: np.exp(x @ y),
        grad={"x": lambda x, y: np.exp(x @ y) * y, "y": lambda x, y: np.exp(x @ y) * x},
        blocks={("x", "x"): lambda x, y: np.exp(x @ y) * np.outer(y, y),
                ("x", "y"): lambda x, y: np.exp(x @ y) * (np.eye(x.size) + np.outer(y, x)),
                ("y", "x"): lambda x, y: np.exp(x @ y) * (np.eye(x.size) + np.outer(x, y)),
                ("y", "y"): lambda x, y: np.exp(x @ y) * np.outer(x, x)}),
    "tr(X^T Y X)": dict(
        f="tr(X^T Y X)", wrt=["X", "Y"], spec={"X": "matrix:n,m", "Y": "matrix:n,n"},
        value=lambda X, Y: np.trace(X.T @ Y @ X),
        grad={"X": lambda X, Y: (Y + Y.T) @ X, "Y": lambda X, Y: X @ X.T},
        blocks={("X", "X"): lambda X, Y: np.kron(np.eye(X.shape[1]), Y + Y.T),
                # d((Y + Y^T) X) along dY: vec(dY X + dY^T X) = (X^T kron I)(I + K) vec dY
                ("X", "Y"): lambda X, Y: kron_I(X.T, X.shape[0]) @ (
                    np.eye(Y.size) + commutation(*Y.shape)),
                # d(X X^T) along dX: vec(dX X^T + X dX^T) = (X kron I + (I kron X) K) vec dX
                ("Y", "X"): lambda X, Y: kron_I(X, X.shape[0]) + np.kron(
                    np.eye(X.shape[0]), X) @ commutation(*X.shape),
                ("Y", "Y"): lambda X, Y: np.zeros((Y.size, Y.size))}),
    "t x^T A x + t^3": dict(
        f="t x^T A x + t^3", wrt=["t", "x"], shapes={"t": "scalar"},
        spec={"A": "matrix:n,n", "t": "scalar", "x": "vector:n"},
        value=lambda A, t, x: t * x @ A @ x + t ** 3,
        grad={"t": lambda A, t, x: x @ A @ x + 3 * t ** 2, "x": lambda A, t, x: t * (A + A.T) @ x},
        blocks={("t", "t"): lambda A, t, x: np.array([[6 * t]]),
                ("t", "x"): lambda A, t, x: ((A + A.T) @ x)[None, :],
                ("x", "t"): lambda A, t, x: ((A + A.T) @ x)[:, None],
                ("x", "x"): lambda A, t, x: t * (A + A.T)}),
}


def draw(case, dims, rng):
    return rng_values(rng, case["spec"], dims)


def numpy_of(fn, values):
    return fn(**{k: values[k] for k in fn.__code__.co_varnames[:fn.__code__.co_argcount]})


@pytest.fixture(scope="module")
def results():
    return {name: mc.hessian(c["f"], wrt=c["wrt"], shapes=c.get("shapes"))
            for name, c in CASES.items()}


def test_the_numpy_oracles_agree_with_finite_differences():
    """Engine-free: each NumPy gradient is the central difference of f, each closed-form
    block the central difference of the NumPy gradient."""
    rng = np.random.default_rng(0)
    for c in CASES.values():
        for dims in SIZES:
            v = draw(c, dims, rng)
            for x in c["wrt"]:
                fd = central_jacobian(lambda w: numpy_of(c["value"], w), v, x)
                assert_close(fd.ravel(), vec(numpy_of(c["grad"][x], v)), rtol=1e-5, atol=1e-6)
                for y in c["wrt"]:
                    fd = central_jacobian(lambda w: numpy_of(c["grad"][x], w), v, y)
                    assert_close(fd, numpy_of(c["blocks"][x, y], v), rtol=1e-5, atol=1e-6,
                                 what=f"{c['f']} block {x}, {y}")


@pytest.mark.parametrize("name", CASES)
def test_every_block_against_closed_form_and_finite_differences(name, results, rng):
    c, H = CASES[name], results[name]
    assert list(H) == [(x, y) for x in c["wrt"] for y in c["wrt"]]
    for dims in SIZES:
        v = draw(c, dims, rng)
        blocks = H.evaluate(v)
        for (x, y), block in blocks.items():
            size = lambda s: np.size(v[s])
            assert block.shape == (size(x), size(y))
            assert_close(block, numpy_of(c["blocks"][x, y], v), what=f"{name} H[{x}, {y}]")
            fd = central_jacobian(lambda w: numpy_of(c["grad"][x], w), v, y)
            assert_close(block, fd, rtol=1e-5, atol=1e-6, what=f"{name} H[{x}, {y}] (fd)")
            assert_close(block, blocks[y, x].T, what=f"{name} H[{x}, {y}] = H[{y}, {x}]^T")
        assert H.verify()


@pytest.mark.parametrize("name", CASES)
def test_the_whole_hessian_is_the_second_differences_of_f(name, results, rng):
    """full() against second differences of f with respect to z = (vec x; vec y)."""
    c, H = CASES[name], results[name]
    v = draw(c, SIZES[0], rng)
    shapes = [np.shape(v[x]) for x in c["wrt"]]
    sizes = [int(np.prod(s)) for s in shapes]

    def f_of_z(w):
        parts = np.split(w["z"], np.cumsum(sizes)[:-1])
        unstacked = {x: (float(p[0]) if s == () else p.reshape(s, order="F"))
                     for x, p, s in zip(c["wrt"], parts, shapes)}
        return numpy_of(c["value"], {**w, **unstacked})
    z = np.concatenate([vec(v[x]) for x in c["wrt"]])
    expected = second_differences(f_of_z, {**v, "z": z}, "z")
    assert_close(H.full(v), expected, rtol=1e-4, atol=1e-5)


def test_the_diagonal_blocks_are_the_hessians(results):
    for name, c in CASES.items():
        for x in c["wrt"]:
            single = mc.hessian(c["f"], wrt=x, shapes=c.get("shapes"))
            block = results[name][x, x]
            assert str(block) == str(single)
            assert block.expr == single.expr and block.map == single.map


def test_printed_blocks(results):
    assert str(results["x^T A y"]) == "H[x, x] = 0\nH[x, y] = A\nH[y, x] = A^T\nH[y, y] = 0"
    assert str(results["least squares"]) == (
        "H[x, x] = A^T A\nH[x, y] = A^T B\nH[y, x] = B^T A\nH[y, y] = B^T B")
    assert str(results["tr(X^T A Y)"]) == (
        "H[X, X][dX] = 0\nH[X, Y][dY] = A dY\nH[Y, X][dX] = A^T dX\nH[Y, Y][dY] = 0")
    H = results["x^T X y"]
    assert str(H) == "H[x, x] = 0\nH[x, X][dX] = dX y\nH[X, x][dx] = dx y^T\nH[X, X][dX] = 0"
    assert (str(H["x", "X"].kron), str(H["X", "x"].kron)) == ("y^T kron I", "y kron I")
    assert str(results["tr(X^T A Y)"]["X", "Y"].kron) == "I kron A"
    assert str(results["t x^T A x + t^3"]["x", "t"]) == "(A + A^T) x"
    assert str(results["exp(x^T y)"]["x", "y"]) == "exp(x^T y) (I + y x^T)"
    assert repr(results["x^T A y"]["x", "y"]) == "<Hessian block H[x, y] of x^T A y: A>"
    assert results["x^T A y"].latex == (
        r"\begin{aligned} \nabla^2_{x x} f &= 0 \\ \nabla^2_{x y} f &= A \\ "
        r"\nabla^2_{y x} f &= A^{\top} \\ \nabla^2_{y y} f &= 0 \end{aligned}")
    assert r"\nabla^2_{x X} f\,[dX] &= dX\, y" in H.latex


@pytest.mark.parametrize("name", CASES)
def test_printed_blocks_read_back(name, results, rng):
    """A matrix block, its Kronecker form and its map (dY written as a symbol D of dY's
    shape) parse back, with the shapes of the symbols, to the same value."""
    c, H = CASES[name], results[name]
    v = draw(c, SIZES[0], rng)
    for (x, y), block in H.items():
        shapes = {s.name: tuple(s.dims) for s in free_symbols(block.function)
                  if isinstance(s, E.Symbol)}
        for e in (block.expr, block.map):
            printed = text(e, block.context)
            if isinstance(e, E.Zero):
                assert printed == "0"
                continue
            if any(isinstance(node, E.Commutation) for node in walk(e)):
                continue        # K, the commutation matrix, is not in the input language
            dY = text(E.Differential(block.wrt))
            D = rng.standard_normal(np.shape(v[y])) if np.ndim(v[y]) else 0.7
            name_of_D = "D" if np.ndim(v[y]) == 2 else "d" if np.ndim(v[y]) else "delta"
            again = mc.parse(printed.replace(dY, name_of_D),
                             shapes={**shapes, name_of_D: shapes[y]}, shape=e.shape)
            at = {**v, dY: D, name_of_D: D}
            assert_close(evaluate(again, at, block.context), evaluate(e, at, block.context),
                         what=f"{name} H[{x}, {y}]: {printed}")


def test_a_wrong_block_fails_verification(results):
    block = results["least squares"]["x", "y"]
    wrong = dataclasses.replace(block, expr=E.mul(E.Number(2), block.expr))
    assert not wrong.verify()
    H = results["least squares"]
    broken = dataclasses.replace(H, blocks={**H.blocks, ("x", "y"): wrong})
    assert not broken.verify()


def test_a_block_explains_its_derivation(results):
    text_ = results["t x^T A x + t^3"]["x", "t"].explain()
    assert "grad_x f = t (A + A^T) x" in text_
    assert "d(grad_x f) = d(t (A + A^T) x)" in text_
    assert text_.endswith("Hessian block H[x, t]: (A + A^T) x")


def test_a_block_generates_code_equal_to_evaluate(results, rng):
    for name in ("least squares", "x^T X y", "tr(X^T Y X)", "exp(x^T y)"):
        c, H = CASES[name], results[name]
        v = draw(c, SIZES[1], rng)
        for pair, block in H.items():
            fn = block.to_numpy()
            arguments = fn.__code__.co_varnames[:fn.__code__.co_argcount]
            got = np.asarray(fn(**{a: v[a] for a in arguments}))
            assert_close(got.reshape(block.evaluate(v).shape), block.evaluate(v),
                         what=f"{name} H{pair}")


def test_symmetric_and_matrix_variables_verify():
    H = mc.hessian("log det X + tr(X Y)", wrt=["X", "Y"])
    assert str(H) == ("H[X, X][dX] = -X^-T dX^T X^-T\nH[X, Y][dY] = dY^T\n"
                      "H[Y, X][dX] = dX^T\nH[Y, Y][dY] = 0")
    assert H.verify()
    H = mc.hessian("1/2 x^T S x + x^T B y", wrt=["x", "y"], assume={"S": "symmetric"})
    assert str(H["x", "x"]) == "S" and str(H["y", "x"]) == "B^T" and H.verify()


def test_block_hessian_errors():
    with pytest.raises(mc.MatcalcError, match="not a scalar"):
        mc.hessian("A x + y", wrt=["x", "y"])
    with pytest.raises(mc.MatcalcError, match="distinct"):
        mc.hessian("x^T y", wrt=["x", "x"])
    H = mc.hessian("x^T A y", wrt=["x", "y"])
    with pytest.raises(KeyError, match=r"two variables of \['x', 'y'\], as H\['x', 'x'\]"):
        H["x"]


# ---- Jacobians with respect to several variables ------------------------------------------

def test_jacobians_with_respect_to_several_variables(rng):
    J = mc.jacobian("A x + X y", wrt=["x", "X", "y"])
    assert str(J) == "J[x] = A\nJ[X]: dX -> dX y\nJ[y] = X"
    assert str(J["X"].kron) == "y^T kron I"
    spec = {"A": "matrix:n,m", "x": "vector:m", "X": "matrix:n,k", "y": "vector:k"}
    F = lambda w: w["A"] @ w["x"] + w["X"] @ w["y"]
    for dims in ({"n": 3, "m": 2, "k": 4}, {"n": 2, "m": 3, "k": 2}):
        v = rng_values(rng, spec, dims)
        blocks = J.evaluate(v)
        closed = {"x": v["A"], "X": kron_I(v["y"][None, :], dims["n"]), "y": v["X"]}
        for name in ("x", "X", "y"):
            assert_close(blocks[name], closed[name], what=name)
            assert_close(blocks[name], central_jacobian(F, v, name), rtol=1e-5, atol=1e-6)
        assert_close(J.full(v), np.hstack([closed[n] for n in ("x", "X", "y")]))
    assert J.verify()
    assert r"d_{X} F &= dX\, y" in J._repr_latex_()


def test_jacobians_of_a_layer(rng):
    J = mc.jacobian("sigma(W x + b)", wrt=["W", "b"])
    spec = {"W": "matrix:n,m", "x": "vector:m", "b": "vector:n"}
    v = rng_values(rng, spec, {"n": 3, "m": 2})
    s = sigma(v["W"] @ v["x"] + v["b"])
    D = np.diag(s * (1 - s))
    F = lambda w: sigma(w["W"] @ w["x"] + w["b"])
    assert_close(J["b"].evaluate(v), D)
    assert_close(J["W"].evaluate(v), D @ kron_I(v["x"][None, :], 3))
    for name in ("W", "b"):
        assert_close(J[name].evaluate(v), central_jacobian(F, v, name), rtol=1e-5, atol=1e-6)
    assert J.verify()


# ---- LaTeX renders --------------------------------------------------------------------------

def test_block_latex_renders_in_katex(results):
    from test_katex import RENDER, katex, math
    path = katex()
    outputs = [math(H._repr_latex_()) for H in results.values()]
    outputs += [b.latex for H in results.values() for b in H.values()]
    outputs += [math(mc.jacobian("A x + X y", wrt=["x", "X", "y"])._repr_latex_())]
    done = subprocess.run(["node", str(RENDER)], input=json.dumps(outputs), capture_output=True,
                          text=True, env={**os.environ, "MATCALC_KATEX": path}, timeout=120,
                          check=True)
    assert json.loads(done.stdout) == []

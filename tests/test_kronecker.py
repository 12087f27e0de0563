"""Kronecker products containing the variable, Jacobians through diag compositions, exponents
that depend on the variable, and Kronecker/vec forms reduced to matrix forms.

Every derivative is compared with central differences of an independent NumPy function and
with a closed form written by hand, on several draws and sizes; its printed form is the one
expected, reads back (text and LaTeX) to the same value, and the generated code equals
evaluate().
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from matcalc.backends.numeric import evaluate
from oracle import assert_close, central_gradient, central_jacobian, vec

SEEDS = (0, 1, 2)
SIZES = ({"m": 2, "n": 3, "p": 2, "q": 4}, {"m": 3, "n": 2, "p": 4, "q": 1},
         {"m": 1, "n": 2, "p": 3, "q": 3})
KRON_SHAPES = {"X": ("m", "n"), "B": ("p", "q"), "A": ("m*p", "n*q")}
SQUARE_SHAPES = {"X": ("n", "n"), "A": ("m", "m")}


def blocks(M, rows, cols):
    """M as a rows x cols grid of equal blocks: blocks(M)[i][j]."""
    r, c = M.shape[0] // rows, M.shape[1] // cols
    return [[M[i * r:(i + 1) * r, j * c:(j + 1) * c] for j in range(cols)] for i in range(rows)]


def inner_with_blocks(A, B, m, n):
    """G_ij = <A_ij, B>: the block-sum form of the gradient of <A, X kron B> in X."""
    return np.array([[np.sum(Aij * B) for Aij in row] for row in blocks(A, m, n)])


def blocks_weighted(A, X):
    """sum_ij X_ij A_ij: the gradient of <A, X kron B> in B."""
    m, n = X.shape
    return sum(X[i, j] * blocks(A, m, n)[i][j] for i in range(m) for j in range(n))


def draw(shapes, dims, rng, positive=()):
    values = {}
    for name, (r, c) in shapes.items():
        size = lambda d: int(np.prod([dims[f] for f in d.split("*")]))
        shape = (size(r),) if c == 1 else (size(r), size(c))
        values[name] = rng.uniform(0.5, 2.0, shape) if name in positive else \
            rng.standard_normal(shape)
    return values


def settings():
    for dims in SIZES:
        for seed in SEEDS:
            yield dims, np.random.default_rng(seed)


def reads_back(result, shapes, values):
    """The text and the LaTeX of the result parse to expressions of the same value, and the
    generated NumPy code computes it."""
    expected = result.evaluate(values)
    shape = result.expr.shape
    for written in (str(result), result.latex):
        read = mc.parse(written, shapes=shapes, shape=shape)
        assert_close(evaluate(read, values, context=result.context), expected,
                     what=f"read back {written}")
    assert_close(result.to_numpy()(**values), expected, what="generated code")


# (text, variable, shapes, f as NumPy, closed-form gradient, printed gradient)
GRADIENTS = [
    ("tr(A kron X)", "X", SQUARE_SHAPES, lambda A, X: np.trace(np.kron(A, X)),
     lambda A, X: np.trace(A) * np.eye(len(X)), "tr(A) I"),
    ("<A, X kron B>", "X", KRON_SHAPES, lambda A, X, B: np.sum(A * np.kron(X, B)),
     lambda A, X, B: inner_with_blocks(A, B, *X.shape), "tr_2(A (I kron B^T))"),
    ("<A, X kron B>", "B", KRON_SHAPES, lambda A, X, B: np.sum(A * np.kron(X, B)),
     lambda A, X, B: blocks_weighted(A, X), "tr_1((X^T kron I) A)"),
    ("tr(X kron X)", "X", {"X": ("n", "n")}, lambda X: np.trace(np.kron(X, X)),
     lambda X: 2 * np.trace(X) * np.eye(len(X)), "2 tr(X) I"),
    ("||X kron B||_F^2", "X", {"X": ("m", "n"), "B": ("p", "q")},
     lambda X, B: np.sum(np.kron(X, B) ** 2), lambda X, B: 2 * np.sum(B ** 2) * X,
     "2 ||B||_F^2 X"),
    ("||X kron X||_F^2", "X", {"X": ("m", "n")}, lambda X: np.sum(np.kron(X, X) ** 2),
     lambda X: 4 * np.sum(X ** 2) * X, "4 ||X||_F^2 X"),
    ("||X kron B - A||_F^2", "X", KRON_SHAPES,
     lambda A, X, B: np.sum((np.kron(X, B) - A) ** 2),
     lambda A, X, B: 2 * np.sum(B ** 2) * X - 2 * inner_with_blocks(A, B, *X.shape),
     "2 (||B||_F^2 X - tr_2(A (I kron B^T)))"),
    ("a^T (x kron b)", "x", {"a": ("n*p", 1), "x": ("n", 1), "b": ("p", 1)},
     lambda a, x, b: a @ np.kron(x, b), lambda a, x, b: np.kron(np.eye(len(x)), b[None, :]) @ a,
     "(I kron b^T) a"),
    ("||x kron b||_2^2", "x", {"x": ("n", 1), "b": ("p", 1)},
     lambda x, b: np.sum(np.kron(x, b) ** 2), lambda x, b: 2 * (b @ b) * x, "2 (b^T b) x"),
]


@pytest.mark.parametrize("row", GRADIENTS, ids=[f"{r[0]} wrt {r[1]}" for r in GRADIENTS])
def test_gradients_of_kronecker_products(row):
    text, wrt, shapes, f, closed, printed = row
    g = mc.gradient(text, wrt=wrt, shapes=shapes)
    assert str(g) == printed
    for dims, rng in settings():
        values = draw(shapes, dims, rng)
        G = g.evaluate(values)
        assert_close(G, closed(**values), what=f"{text} closed form {dims}")
        assert_close(G, central_gradient(lambda v: f(**v), values, wrt), rtol=1e-5, atol=1e-6,
                     what=f"{text} finite differences {dims}")
        reads_back(g, shapes, values)
    assert g.verify().ok


def test_the_hessian_of_a_kronecker_norm_is_a_multiple_of_the_identity():
    shapes = {"X": ("m", "n"), "B": ("p", "q")}
    h = mc.hessian("||X kron B||_F^2", wrt="X", shapes=shapes)
    assert str(h) == "H[dX] = 2 ||B||_F^2 dX" and str(h.kron) == "2 ||B||_F^2 I"
    for dims, rng in settings():
        values = draw(shapes, dims, rng)
        gradient = lambda v: 2 * np.sum(v["B"] ** 2) * v["X"]
        assert_close(h.evaluate(values), 2 * np.sum(values["B"] ** 2) * np.eye(values["X"].size))
        assert_close(h.evaluate(values), central_jacobian(gradient, values, "X"), rtol=1e-5,
                     atol=1e-6)


# (text, variable, shapes, F as NumPy, its Jacobian in vec layout by hand, printed .kron)
JACOBIANS = [
    ("X kron B", "X", {"X": ("m", "n"), "B": ("p", "q")}, lambda X, B: np.kron(X, B),
     lambda X, B: np.stack([vec(np.kron(np.reshape(e, X.shape, order="F"), B))
                            for e in np.eye(X.size)], axis=1),
     "(I kron K kron I) (I kron vec(B))"),
    ("B kron X", "X", {"X": ("m", "n"), "B": ("p", "q")}, lambda X, B: np.kron(B, X),
     lambda X, B: np.stack([vec(np.kron(B, np.reshape(e, X.shape, order="F")))
                            for e in np.eye(X.size)], axis=1),
     "(I kron K kron I) (vec(B) kron I)"),
    ("X kron X", "X", {"X": ("m", "n")}, lambda X: np.kron(X, X),
     lambda X: np.stack([vec(np.kron(E, X) + np.kron(X, E)) for E in
                         (np.reshape(e, X.shape, order="F") for e in np.eye(X.size))], axis=1),
     "(I kron K kron I) (I kron vec(X) + vec(X) kron I)"),
]


@pytest.mark.parametrize("row", JACOBIANS, ids=[r[0] for r in JACOBIANS])
def test_jacobians_of_kronecker_products_in_vec_layout(row):
    text, wrt, shapes, F, closed, printed = row
    J = mc.jacobian(text, wrt=wrt, shapes=shapes)
    assert str(J.kron) == printed
    for dims, rng in settings():
        values = draw(shapes, dims, rng)
        got = J.evaluate(values)
        assert_close(got, closed(**values), what=f"{text} closed form {dims}")
        assert_close(got, central_jacobian(lambda v: F(**v), values, wrt), rtol=1e-5,
                     atol=1e-6, what=f"{text} finite differences {dims}")
        assert_close(np.asarray(J.to_numpy()(**values)).reshape(got.shape), got,
                     what="generated code")


# (text, variable, F as NumPy, closed-form Jacobian, printed Jacobian)
VECTOR_JACOBIANS = [
    ("diag(A x) x", "x", lambda A, x: (A @ x) * x,
     lambda A, x: np.diag(A @ x) + np.diag(x) @ A, "diag(A x) + diag(x) A"),
    ("diag(diag(A x))", "x", lambda A, x: A @ x, lambda A, x: A, "A"),
    ("diag(A diag(x))", "x", lambda A, x: np.diag(A) * x, lambda A, x: np.diag(np.diag(A)),
     "diag(diag(A))"),
    ("diag(A diag(x) C)", "x", lambda A, x, C: np.diag(A @ np.diag(x) @ C),
     lambda A, x, C: A * C.T, "A .* C^T"),
    ("diag(A x b^T)", "x", lambda A, x, b: (A @ x) * b, lambda A, x, b: np.diag(b) @ A,
     "diag(b) A"),
    ("x kron a", "x", lambda x, a: np.kron(x, a),
     lambda x, a: np.kron(np.eye(len(x)), a[:, None]), "I kron a"),
    ("x^T .* x^T", "x", lambda x: x * x, lambda x: 2 * np.diag(x), "2 diag(x)"),
    ("x^T A", "x", lambda x, A: x @ A, lambda x, A: A.T, "A^T"),
    ("x^T", "x", lambda x: x, lambda x: np.eye(len(x)), "I"),
]
VECTOR_SHAPES = {"A": ("n", "n"), "C": ("n", "n"), "x": ("n", 1), "a": ("m", 1), "b": ("n", 1)}


@pytest.mark.parametrize("row", VECTOR_JACOBIANS, ids=[r[0] for r in VECTOR_JACOBIANS])
def test_jacobians_in_matrix_form(row):
    """Vector and row-vector functions of a vector: a plain matrix, no vec, kron or K."""
    text, wrt, F, closed, printed = row
    names = F.__code__.co_varnames[:F.__code__.co_argcount]
    shapes = {name: VECTOR_SHAPES[name] for name in names}
    J = mc.jacobian(text, wrt=wrt, shapes=shapes)
    assert str(J.kron) == printed
    for dims, rng in settings():
        values = draw(shapes, dims, rng)
        got = J.evaluate(values)
        assert_close(got, np.atleast_2d(closed(**values)), what=f"{text} closed form {dims}")
        assert_close(got, central_jacobian(lambda v: F(**v), values, wrt), rtol=1e-5,
                     atol=1e-6, what=f"{text} finite differences {dims}")
        expr = mc.parse(str(J.kron), shapes=shapes, shape=J.kron.shape)
        assert_close(np.atleast_2d(evaluate(expr, values, context=J.context)).reshape(got.shape),
                     got, what=f"read back {J.kron}")


def test_the_hessian_of_a_squared_norm_through_diag():
    """||diag(x) x||_2^2 = sum(x.^4): gradient 4 x.^3, Hessian 12 diag(x.^2)."""
    g = mc.gradient("||diag(x) x||_2^2", wrt="x")
    h = mc.hessian("||diag(x) x||_2^2", wrt="x")
    assert (str(g), str(h)) == ("4 x.^3", "12 diag(x.^2)")
    for dims, rng in settings():
        values = draw({"x": ("n", 1)}, dims, rng)
        x = values["x"]
        assert_close(h.evaluate(values), 12 * np.diag(x ** 2))
        assert_close(h.evaluate(values), central_jacobian(lambda v: 4 * v["x"] ** 3, values, "x"),
                     rtol=1e-5, atol=1e-6)
        assert_close(g.evaluate(values), central_gradient(lambda v: np.sum(v["x"] ** 4),
                                                          values, "x"), rtol=1e-5, atol=1e-6)
        reads_back(h, {"x": "n"}, values)


def test_a_power_whose_exponent_is_the_scalar_variable():
    """d/dt sum(x.^t) = (x.^t .* log(x))^T 1, for x > 0."""
    d = mc.derivative("sum(x.^t)", wrt="t", shapes={"t": "scalar"})
    assert str(d) == "(x.^t)^T log(x)"
    assert [str(c) for c in d.conditions] == ["x.^t: x > 0"]
    for dims, rng in settings():
        values = {**draw({"x": ("n", 1)}, dims, rng, positive="x"), "t": rng.uniform(-2, 2)}
        x, t = values["x"], values["t"]
        assert_close(d.evaluate(values), np.sum(x ** t * np.log(x)))
        assert_close(d.evaluate(values),
                     central_gradient(lambda v: np.sum(v["x"] ** v["t"]), values, "t"),
                     rtol=1e-5, atol=1e-6)
        reads_back(d, {"x": "n", "t": "scalar"}, values)


def test_a_power_whose_base_and_exponent_are_the_variable():
    """1^T x.^x: gradient x.^x .* (log(x) + 1), Hessian diag(x.^x .* ((log x + 1).^2 + 1 ./ x))."""
    g = mc.gradient("1^T x.^x", wrt="x")
    h = mc.hessian("1^T x.^x", wrt="x")
    assert str(g) == "x.^x .* (1 + log(x))"
    assert [str(c) for c in g.conditions] == ["x.^x: x > 0"]
    for dims, rng in settings():
        values = draw({"x": ("n", 1)}, dims, rng, positive="x")
        x = values["x"]
        assert_close(g.evaluate(values), x ** x * (np.log(x) + 1))
        assert_close(g.evaluate(values), central_gradient(lambda v: np.sum(v["x"] ** v["x"]),
                                                          values, "x"), rtol=1e-5, atol=1e-6)
        assert_close(h.evaluate(values), np.diag(x ** x * ((np.log(x) + 1) ** 2 + 1 / x)))
        reads_back(g, {"x": "n"}, values)
        reads_back(h, {"x": "n"}, values)


def test_an_exponent_that_is_not_the_base():
    """sum(X.^Y) in X and in Y: Y .* X.^(Y - 1) and X.^Y .* log(X)."""
    shapes = {"X": ("m", "n"), "Y": ("m", "n")}
    closed_forms = (("X", lambda X, Y: Y * X ** (Y - 1)), ("Y", lambda X, Y: X ** Y * np.log(X)))
    for wrt, closed in closed_forms:
        g = mc.gradient("sum(X.^Y)", wrt=wrt, shapes=shapes)
        for dims, rng in settings():
            values = draw(shapes, dims, rng, positive="XY")
            assert_close(g.evaluate(values), closed(**values))
            assert_close(g.evaluate(values), central_gradient(
                lambda v: np.sum(v["X"] ** v["Y"]), values, wrt), rtol=1e-5, atol=1e-6)
            reads_back(g, shapes, values)


def test_a_transposed_base_and_exponent():
    """sum((X^T).^(Y^T)) = sum(X.^Y): the transpose of a power with a matrix exponent takes
    both transposes (it built X^T .^ Y and a shape error)."""
    shapes = {"X": ("m", "n"), "Y": ("m", "n")}
    for wrt, closed in (("X", lambda X, Y: Y * X ** (Y - 1)),
                        ("Y", lambda X, Y: X ** Y * np.log(X))):
        g = mc.gradient("sum((X^T).^(Y^T))", wrt=wrt, shapes=shapes)
        for dims, rng in settings():
            values = draw(shapes, dims, rng, positive="XY")
            assert_close(g.evaluate(values), closed(**values))
            assert_close(g.evaluate(values), central_gradient(
                lambda v: np.sum(v["X"].T ** v["Y"].T), values, wrt), rtol=1e-5, atol=1e-6)
            reads_back(g, shapes, values)


# (text, variable, printed vec form): the Kronecker form reduced to a matrix form
REDUCED = [
    ("||X||_F^2", "X", "2 I"),
    ("tr(X^T X)", "X", "2 I"),
    ("tr(X X)", "X", "2 K"),
    ("tr(A X B X^T)", "X", "B kron A^T + B^T kron A"),
]


@pytest.mark.parametrize("row", REDUCED, ids=[r[0] for r in REDUCED])
def test_hessians_in_vec_layout_are_reduced(row):
    text, wrt, printed = row
    h = mc.hessian(text, wrt=wrt)
    assert str(h.kron) == printed
    assert h.verify().ok


def test_a_partial_trace_needs_its_kronecker_factor():
    with pytest.raises(mc.UnsupportedError, match=r"tr_2\(W \(I kron C\)\)"):
        mc.parse("tr_2(A)")
    e = mc.parse("tr_1((C kron I) W)", shapes={"C": ("n", "m"), "W": ("m*p", "n*q")})
    assert e.shape == ("p", "q")

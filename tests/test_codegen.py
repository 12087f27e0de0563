"""Generated code (matcalc/backends/code): every problem, run as generated NumPy and JAX code.

For each problem of the set that the engine derives (the tables of
test_problems.py and test_second_order.py, read from matcalc.problems), the
generated function must agree with

- ``numeric.evaluate`` of the same expression (the evaluator the generated code
  mirrors), to rounding, and
- an engine-free oracle: central finite differences (oracle.py) of NumPy code
  for f (gradients) or for the gradient (Hessians, Hessian-vector products).

Then what the code must look like (solve, broadcasting for diag, common
subexpressions once) and why no name can smuggle code into it.
"""
from __future__ import annotations

import functools
import keyword

import numpy as np
import pytest
from numpy.linalg import inv

import matcalc as mc
import matcalc.ir.expr as E
from matcalc.backends import code
from matcalc.backends import numeric
from harness import case
from oracle import (assert_close, central_gradient, central_jacobian,
                    directional_difference, rng_values)
import test_problems as first
import test_second_order as second

SEEDS = (0, 1)
SIZES = ({"n": 3, "m": 4, "k": 2}, {"n": 5, "m": 2, "k": 3})
SAME_RTOL, SAME_ATOL = 1e-9, 1e-11        # generated code vs numeric.evaluate
FD_RTOL, FD_ATOL = 1e-5, 1e-6              # vs central differences (h = 1e-6)


def draws(spec, extra=None):
    for dims in SIZES:
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            values = rng_values(rng, spec, dims)
            if extra is not None:
                values = {**values, **extra(rng, values)}
            yield f"seed={seed} dims={dims}", values


def call(fn, values):
    """Call a generated function by keyword, with exactly its arguments."""
    return fn(**{name: values[name] for name in fn.args})


def scale_of(*arrays):
    return max([1.0] + [float(np.max(np.abs(a))) for a in arrays])


# Every first-order problem (test_problems.py) and every Hessian (test_second_order.py).
GRADIENTS = [(p.id, p.text, p.wrt, p.spec, p.f, p.shapes, p.assume) for p in first.PROBLEMS]
HESSIANS = [(p.id, p.text, p.wrt, p.spec, p.f, p.grad, p.shapes, p.assume)
            for p in second.HESSIAN_PROBLEMS]


@functools.cache
def gradient_of(text, wrt, shapes, assume):
    return mc.gradient(text, wrt=wrt, shapes=dict(shapes or {}), assume=dict(assume or {}))


@functools.cache
def hessian_of(text, wrt, shapes, assume):
    return mc.hessian(text, wrt=wrt, shapes=dict(shapes or {}), assume=dict(assume or {}))


def frozen(d):
    return tuple(sorted((d or {}).items()))


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("row", GRADIENTS, ids=[r[0] for r in GRADIENTS])
def test_gradient_code(row):
    pid, text, wrt, spec, f, shapes, assume = row
    g = gradient_of(text, wrt, frozen(shapes), frozen(assume))
    fn = code.to_numpy(g)
    for label, values in draws(spec):
        got = call(fn, values)
        assert np.shape(got) == np.shape(values[wrt]), f"{pid} {label}: shape {np.shape(got)}"
        expected = g.evaluate(values)
        scale = scale_of(expected, f(**values))
        assert_close(got, expected, rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{pid} {label}: generated vs numeric.evaluate\n{fn.source}")
        fd = central_gradient(lambda v: f(**v), values, wrt)
        assert_close(got, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{pid} {label}: generated vs central differences\n{fn.source}")


@pytest.mark.parametrize("row", GRADIENTS, ids=[r[0] for r in GRADIENTS])
def test_compile_first_order(row):
    """compile(f, wrt, order=1): f itself and the gradient, from one call."""
    pid, text, wrt, spec, f, shapes, assume = row
    fg = mc_compile(text, wrt, 1, shapes, assume)
    g = gradient_of(text, wrt, frozen(shapes), frozen(assume))
    for label, values in draws(spec):
        value, grad = call(fg, values)
        scale = scale_of(grad, f(**values))
        assert np.ndim(value) == 0
        assert_close(value, f(**values), rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{pid} {label}: value vs NumPy f\n{fg.source}")
        assert_close(grad, g.evaluate(values), rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{pid} {label}: gradient vs numeric.evaluate\n{fg.source}")


@functools.cache
def _compiled(text, wrt, order, shapes, assume):
    return mc.compile(text, wrt, order=order, shapes=dict(shapes), assume=dict(assume))


def mc_compile(text, wrt, order, shapes, assume):
    return _compiled(text, wrt, order, frozen(shapes), frozen(assume))


# ---------------------------------------------------------------------------
# Hessians
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("row", HESSIANS, ids=[r[0] for r in HESSIANS])
def test_hessian_code(row):
    pid, text, wrt, spec, f, grad, shapes, assume = row
    h = hessian_of(text, wrt, frozen(shapes), frozen(assume))
    fn = code.to_numpy(h)
    for label, values in draws(spec):
        got = np.asarray(call(fn, values), dtype=float)
        N = np.size(values[wrt])
        assert got.shape == (N, N), f"{pid} {label}: Hessian shape {got.shape}"
        expected = np.asarray(h.evaluate(values), dtype=float)
        scale = scale_of(expected, grad(**values), f(**values))
        assert_close(got, expected, rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{pid} {label}: generated vs numeric.evaluate\n{fn.source}")
        fd = central_jacobian(lambda v: grad(**v), values, wrt)
        assert_close(got, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{pid} {label}: generated vs differences of the gradient\n{fn.source}")


@pytest.mark.parametrize("row", HESSIANS, ids=[r[0] for r in HESSIANS])
def test_compile_second_order(row):
    """compile(f, wrt): value, gradient and Hessian (or, for a matrix, H[V]) from one call."""
    pid, text, wrt, spec, f, grad, shapes, assume = row
    fgh = mc_compile(text, wrt, 2, shapes, assume)
    matrix = pid.startswith(("P11", "CB-trXTAX"))
    extra = (lambda rng, values: {"V": rng.standard_normal(np.shape(values[wrt]))}) \
        if matrix else None
    for label, values in draws(spec, extra):
        point = {k: v for k, v in values.items() if k != "V"}
        value, gradient, third = call(fgh, point)
        scale = scale_of(grad(**point), f(**point))
        assert_close(value, f(**point), rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{pid} {label}: value\n{fgh.source}")
        assert_close(gradient, grad(**point), rtol=1e-7, atol=1e-9 * scale,
                     what=f"{pid} {label}: gradient vs closed form\n{fgh.source}")
        g = lambda v: grad(**v)
        if matrix:
            X, V = point[wrt], values["V"]
            hv = third(V)
            assert np.shape(hv) == np.shape(X)
            h = 1e-6
            fd = (g({**point, wrt: X + h * V}) - g({**point, wrt: X - h * V})) / (2 * h)
            assert_close(hv, fd, rtol=FD_RTOL, atol=FD_ATOL * scale * scale_of(V),
                         what=f"{pid} {label}: hvp(V) vs differences of the gradient")
            assert_close(third(2 * V), 2 * hv, rtol=1e-12, atol=1e-12 * scale_of(hv),
                         what=f"{pid} {label}: hvp is linear and reusable")
        else:
            fd = central_jacobian(g, point, wrt)
            assert_close(third, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                         what=f"{pid} {label}: Hessian vs differences of the gradient\n"
                              f"{fgh.source}")


def test_p11_spd_hessian_vector_product():
    """P11 as stated (X spd): gradient X^-1, H[V] = -X^-1 V X^-1, log det by Cholesky."""
    fgh = mc.compile("log(det(X))", "X", assume={"X": "spd"})
    assert "cholesky" in fgh.source
    hvp = mc.hvp("log(det(X))", wrt="X", assume={"X": "spd"})
    hv_code = code.to_numpy(hvp)
    for label, values in draws({"X": "spd:n", "V": "symmetric:n"}):
        X, V = values["X"], values["V"]
        value, gradient, hv = fgh(X)
        assert_close(value, np.log(np.linalg.det(X)), what=label)
        assert_close(gradient, inv(X), what=label)
        assert_close(hv(V), -inv(X) @ V @ inv(X), what=label)
        direction = hvp.direction.name
        assert_close(call(hv_code, {"X": X, direction: V}),
                     hvp.evaluate({"X": X, direction: V}), rtol=SAME_RTOL, what=label)
        G = lambda Y: inv(Y)                    # the gradient on S^n, smooth near X
        h = 1e-6
        assert_close(hv(V), (G(X + h * V) - G(X - h * V)) / (2 * h), rtol=FD_RTOL,
                     atol=FD_ATOL * scale_of(inv(X)) * scale_of(V), what=label)


# ---------------------------------------------------------------------------
# Hessian-vector products, Jacobians, derivatives of a scalar variable
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("problem", second.HVP_PROBLEMS, ids=[p.id for p in second.HVP_PROBLEMS])
def test_hvp_code(problem):
    hv = second.engine("hvp", problem.id)
    fn = code.to_numpy(hv)
    direction = hv.direction.name
    for label, values in second.draws(problem, second.direction(problem)):
        values = {**{k: v for k, v in values.items() if k != "v"}, direction: values["v"]}
        got = np.asarray(call(fn, values), dtype=float)
        expected = np.asarray(hv.evaluate(values), dtype=float)
        check = {**{k: v for k, v in values.items() if k != direction}, "v": values[direction]}
        scale = second.hvp_scale(problem, check)
        assert_close(got, expected, rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{problem.id} {label}: generated vs numeric.evaluate")
        assert_close(got, second.hvp_finite_difference(problem, check), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{problem.id} {label}: vs FD of the gradient")


@pytest.mark.parametrize("problem", second.JACOBIAN_PROBLEMS,
                         ids=[p.id for p in second.JACOBIAN_PROBLEMS])
def test_jacobian_code(problem):
    j = second.engine("jacobian", problem.id)
    fn = code.to_numpy(j)
    for label, values in second.draws(problem):
        got = np.asarray(call(fn, values))
        assert got.ndim == 2
        expected = j.evaluate(values)
        scale = second.jacobian_scale(problem, values)
        assert_close(got, expected, rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"{problem.id} {label}: generated vs numeric.evaluate")
        fd = central_jacobian(lambda v: problem.F(**v), values, problem.wrt)
        assert_close(got, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{problem.id} {label}: generated vs central differences")


@pytest.mark.parametrize("order", (1, 2))
def test_scalar_derivative_code(order):
    d = second.engine_derivative(order)
    fn = code.to_numpy(d)
    for label, values in second.draws(second.P30):
        got = call(fn, values)
        assert np.ndim(got) == 0
        scale = second.scalar_scale(values)
        assert_close(got, d.evaluate(values), rtol=SAME_RTOL, atol=SAME_ATOL * scale,
                     what=f"P30 f^({order}) {label}")
        assert_close(got, second.finite_differences(order, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"P30 f^({order}) {label} vs FD")


# ---------------------------------------------------------------------------
# Regressions: a factor dropped, a signature short of its variable
# ---------------------------------------------------------------------------

def root_gradient(x, y):
    return x * y / np.sqrt(1 + y @ (x * x))


SCALED_ONES_POWERS = [
    # (f, closed-form gradient, NumPy f): each gradient holds (c 1).^p with p not an integer
    ("sqrt(1 + <y, x .* x>)", root_gradient, lambda x, y: np.sqrt(1 + y @ (x * x))),
    ("(1 + <y, x .* x>)^(1/3)",
     lambda x, y: 2 / 3 * x * y * (1 + y @ (x * x)) ** (-2 / 3),
     lambda x, y: (1 + y @ (x * x)) ** (1 / 3)),
    ("sqrt(1 + <x, exp(x)>)",
     lambda x, y: np.exp(x) * (1 + x) / (2 * np.sqrt(1 + x @ np.exp(x))),
     lambda x, y: np.sqrt(1 + x @ np.exp(x))),
]


@pytest.mark.parametrize("text, closed_form, f", SCALED_ONES_POWERS,
                         ids=[r[0] for r in SCALED_ONES_POWERS])
def test_power_of_a_scalar_times_ones_keeps_the_scalar(text, closed_form, f):
    """The 1 / sqrt(...) of (c 1).^(-1/2) was dropped: x .* y came out."""
    g = mc.gradient(text, wrt="x")
    fns = [code.to_numpy(g), mc.compile(text, "x", order=1)]
    for label, values in draws({"x": "vector:n", "y": "positive_vector:n"}):
        x, y = values["x"], values["y"]
        expected = closed_form(x, y)
        assert_close(g.evaluate(values), expected, what=f"{text} {label}: evaluate")
        assert_close(call(fns[0], values), expected, what=f"{text} {label}\n{fns[0].source}")
        assert_close(call(fns[1], values)[1], expected, what=f"{text} {label}: compile")
        fd = central_gradient(lambda v: f(v["x"], v["y"]), values, "x")
        assert_close(call(fns[0], values), fd, rtol=FD_RTOL, atol=FD_ATOL,
                     what=f"{text} {label}: vs central differences")


def test_jax_power_of_a_scalar_times_ones_keeps_the_scalar(jax):
    fn = code.to_jax(mc.gradient("sqrt(1 + <y, x .* x>)", wrt="x"))
    f = lambda v: np.sqrt(1 + v["y"] @ (v["x"] * v["x"]))
    for label, values in draws({"x": "vector:n", "y": "positive_vector:n"}):
        G = np.asarray(call(fn, values))
        assert_close(G, root_gradient(values["x"], values["y"]), what=label)
        assert_close(G, central_gradient(f, values, "x"), rtol=FD_RTOL, atol=FD_ATOL, what=label)


def test_compile_takes_the_variable_of_a_constant_result():
    """tr(X^-1 X) = n: f(X) returns n, a zero gradient and a zero H[V]."""
    fgh = mc.compile("tr(X^-1 X)", "X")
    assert fgh.args == ("X",) and "def f(X):" in fgh.source
    X, V = np.eye(4) + 0.1 * np.arange(16.0).reshape(4, 4) / 16, np.ones((4, 4))
    value, gradient, hvp = fgh(X)
    assert value == 4.0 and np.shape(gradient) == (4, 4) and not gradient.any()
    assert np.shape(hvp(V)) == (4, 4) and not hvp(V).any()
    f = lambda v: np.trace(np.linalg.solve(v["X"], v["X"]))
    assert_close(gradient, central_gradient(f, {"X": X}, "X"), rtol=FD_RTOL, atol=FD_ATOL)


@pytest.mark.parametrize("order", (1, 2))
def test_compile_of_a_zero_function_takes_its_variable(order):
    """sum(W - W): the zeros were sized by the hvp's direction, undefined outside it."""
    fn = mc.compile("sum(W - W)", "W", order=order)
    assert fn.args == ("W",)
    W = np.arange(12.0).reshape(3, 4)
    out = fn(W)
    assert out[0] == 0.0 and np.shape(out[1]) == (3, 4) and not out[1].any()
    if order == 2:
        assert np.shape(out[2](W)) == (3, 4) and not out[2](W).any()


@pytest.mark.parametrize("result, args", [
    (lambda: mc.gradient("b^T x", wrt="x"), ("b", "x")),
    (lambda: mc.hessian("b^T x", wrt="x"), ("x",)),
    (lambda: mc.hvp("b^T x", wrt="x"), ("v", "x")),
    (lambda: mc.gradient("<A, X>", wrt="X"), ("A", "X")),
    (lambda: mc.derivative("t^2 + s", wrt="t", order=2, shapes={"t": "scalar", "s": "scalar"}),
     ("t",)),
])
def test_a_derivative_always_takes_its_variable(result, args):
    r = result()
    assert code.to_numpy(r).args == args
    assert code.numpy_source(r).count(f"def f({', '.join(args)}):") == 1


@pytest.mark.parametrize("text", ["t^(1/3)", "t^(3/2)", "t^s", "(t x).^(1/3)"])
def test_fractional_power_of_a_negative_value_is_nan_as_evaluate_gives(text):
    """A Python float to a fractional power is complex; evaluate (NumPy) gives nan."""
    e = mc.parse(text, shapes={"t": "scalar", "s": "scalar"})
    fn = code.to_numpy(e)
    values = {"t": -0.7, "s": 0.5, "x": np.array([1.0, 2.0])}
    with np.errstate(invalid="ignore"):
        got, expected = call(fn, values), numeric.evaluate(e, values)
    assert np.shape(got) == np.shape(expected) and np.all(np.isnan(got)) \
        and np.all(np.isnan(expected)), fn.source


def test_the_diagonal_of_ones_is_ones():
    """diag(1 1^T) is the ones vector; (1 1^T 1 1^T).^(1/2) is sqrt(n) times ones."""
    x = E.Symbol("x", ("n", 1))
    ones = E.Mul((E.Ones(("n", 1)), E.Ones((1, "n"))))
    half = mc.parse("1/2").value
    for e, expected in ((E.Hadamard(E.Diag(ones), x), lambda v: v),
                        (E.Mul((E.Power(E.Mul((ones, ones)), E.Number(half)), x)),
                         lambda v: np.sqrt(v.size) * v.sum() * np.ones(v.size))):
        fn = code.to_numpy(e)
        v = np.arange(1.0, 4.0)
        assert_close(fn(v), expected(v), what=fn.source)
        assert_close(fn(v), numeric.evaluate(e, {"x": v}), what=fn.source)


@pytest.mark.parametrize("args", [["x", "x"], ["A", "x", "A"]])
def test_repeated_arguments_are_a_clear_error(args):
    e = mc.parse("x^T A x")
    with pytest.raises(mc.MatcalcError, match="more than once"):
        code.to_numpy(e, args=args)
    with pytest.raises(mc.MatcalcError, match="more than once"):
        code.numpy_source(e, args=args)


@pytest.mark.parametrize("args", [[1], "x", ["x", "y"], [], ("x", None), ["lambda x"]])
def test_invalid_arguments_are_a_clear_error(args):
    with pytest.raises(mc.MatcalcError):
        code.to_numpy(mc.parse("x^T x"), args=args)


# ---------------------------------------------------------------------------
# What the generated code looks like
# ---------------------------------------------------------------------------

def test_diag_as_broadcasting_never_np_diag():
    """A^T diag(w) A is (A.T * w) @ A; the scalar 1/m goes to w, not the n x n result."""
    src = code.numpy_source(hessian_of(*_loss_key("P28")))
    assert "(A.T * " in src and "np.diag(" not in src, src
    src = code.numpy_source(hessian_of(*_loss_key("P12")))
    assert "(A.T * " in src and "np.outer(" in src and "np.diag(" not in src, src


def _loss_key(pid):
    p = case(pid)
    return p.text, p.wrt, frozen(p.shapes), frozen(p.assume)


def test_diag_on_the_left_and_right():
    u = E.Symbol("u", ("n", 1))
    A = E.Symbol("A", ("n", "n"))
    assert "u[:, None] * A" in code.numpy_source(E.Mul((E.Diag(u), A)))
    assert "A * u" in code.numpy_source(E.Mul((A, E.Diag(u))))
    f = code.to_numpy(E.Mul((E.Diag(u), A, E.Diag(u))))
    uv, Av = np.arange(1.0, 4.0), np.arange(9.0).reshape(3, 3)
    assert_close(f(Av, uv), np.diag(uv) @ Av @ np.diag(uv))


def test_solve_instead_of_inverse():
    """An inverse that multiplies something once is a solve (X.T for X^-T)."""
    src = code.numpy_source(mc.gradient("<g, A^-1 b>", wrt="b"))
    assert "np.linalg.solve(A.T, g)" in src and "inv(" not in src, src
    src = code.numpy_source(mc.parse("a^T X^-1 b"))
    assert "np.linalg.solve" in src and "inv(" not in src, src
    f = code.to_numpy(mc.parse("a^T X^-1 b"))
    rng = np.random.default_rng(0)
    X, a, b = np.eye(3) + 0.1 * rng.standard_normal((3, 3)), rng.standard_normal(3), \
        rng.standard_normal(3)
    assert_close(f(X, a, b), a @ inv(X) @ b)


def test_inverse_used_twice_is_computed_once():
    src = code.numpy_source(mc.hvp("log(det(X))", wrt="X", assume={"X": "spd"}))
    assert src.count("np.linalg.inv(X)") == 1 and "solve" not in src, src


def test_common_subexpressions_once():
    """sigma(A x) is shared by the value, the gradient and the Hessian of P28."""
    p = case("P28")
    src = mc.compile(p.text, p.wrt, shapes=p.shapes, source=True)
    body = src.split("def f(")[1]
    assert body.count("_sigmoid(") == 1 and body.count("A @ x") == 1, src
    src = code.numpy_source(mc.gradient("1/2 ||A x - b||_2^2", wrt="x"))
    assert "A.T @ (A @ x - b)" in src, src           # never (A.T @ A) @ x


def cyclic_trace(k: int):
    """tr(A1 X A2 X ... Ak X) for square matrices, with values and a NumPy f."""
    text = "tr(" + " ".join(f"A{i} X" for i in range(1, k + 1)) + ")"
    shapes = {"X": ("n", "n"), **{f"A{i}": ("n", "n") for i in range(1, k + 1)}}
    rng = np.random.default_rng(k)
    values = {name: rng.standard_normal((3, 3)) / 2 for name in shapes}

    def f(v):
        P = np.eye(3)
        for i in range(1, k + 1):
            P = P @ v[f"A{i}"] @ v["X"]
        return np.trace(P)
    return text, shapes, values, f


@pytest.mark.parametrize("k", range(2, 13))
def test_cyclic_shifts_share_prefixes_and_suffixes(k):
    """The gradient of tr(A1 X ... Ak X) is the sum of the k cyclic shifts of one chain,
    (A_(i+1) X ... Ak X A1 X ... A_i)^T: 5k - 6 matrix products, not 2k(k - 1)."""
    text, shapes, values, f = cyclic_trace(k)
    g = mc.gradient(text, wrt="X", shapes=shapes)
    fn = code.to_numpy(g)
    assert fn.source.count(" @ ") <= 5 * k, fn.source
    got = call(fn, values)
    assert_close(got, g.evaluate(values), rtol=SAME_RTOL, atol=SAME_ATOL, what=fn.source)
    assert_close(got, central_gradient(f, values, "X"), rtol=FD_RTOL, atol=FD_ATOL,
                 what=fn.source)


@pytest.mark.parametrize("k", range(2, 9))
def test_cyclic_shifts_hessian_vector_product(k):
    """Its Hessian-vector product: prefixes, suffixes and their derivatives along V,
    at most 12 k matrix products (248 at k = 8 written out)."""
    text, shapes, values, f = cyclic_trace(k)
    h = mc.hvp(text, wrt="X", shapes=shapes)
    fn = code.to_numpy(h)
    assert fn.source.count(" @ ") <= 12 * k, fn.source
    V = np.random.default_rng(0).standard_normal((3, 3))
    values = {**values, h.direction.name: V}
    got = call(fn, values)
    assert_close(got, h.evaluate(values), rtol=SAME_RTOL, atol=SAME_ATOL, what=fn.source)
    G = lambda v: central_gradient(f, v, "X", h=1e-5)
    assert_close(got, directional_difference(G, values, "X", V, h=1e-4), rtol=1e-5,
                 atol=1e-5, what=fn.source)


def test_vector_conventions():
    src = code.numpy_source(hessian_of("1/2 ||A - x x^T||_F^2", "x", (),
                                          (("A", "symmetric"),)))
    assert "np.outer(" in src and "np.eye(" in src and ".shape[0])" in src, src
    src = code.numpy_source(mc.parse("x^T A x"))
    assert "@ x" in src and "reshape" not in src and "[:, None]" not in src, src


def test_constant_hessian_is_a_function_of_the_constants_and_the_variable():
    """A derivative takes its variable, whether or not the result still contains it."""
    h = code.to_numpy(mc.hessian("1/2 ||A x - b||_2^2", wrt="x"))
    assert h.args == ("A", "x")
    A = np.arange(6.0).reshape(3, 2)
    assert_close(h(A, np.zeros(2)), A.T @ A)
    values = {"A": A, "b": np.ones(3), "x": np.zeros(2)}
    f = lambda v: 0.5 * np.sum((v["A"] @ v["x"] - v["b"]) ** 2)
    second_differences = central_jacobian(lambda v: central_gradient(f, v, "x", h=1e-4),
                                          values, "x", h=1e-4)
    assert_close(h(A, np.zeros(2)), second_differences, rtol=1e-5, atol=1e-5)
    h = code.to_numpy(mc.hessian("||x||_2^2", wrt="x"))     # 2 I: n comes from x
    assert h.args == ("x",)
    assert_close(h(np.zeros(4)), 2 * np.eye(4))
    same = code.to_numpy(mc.hessian("1/2 ||A x - b||_2^2", wrt="x"), args=["A", "b", "x"])
    assert same.args == ("A", "b", "x")
    assert_close(same(A, np.zeros(3), np.zeros(2)), A.T @ A)


def test_positional_and_keyword_arguments():
    g = mc.gradient("1/2 x^T A x + b^T x + c", wrt="x")
    f = code.to_numpy(g)
    assert f.args == ("A", "b", "x")          # the symbols of the gradient (c is gone)
    A, b, x = np.arange(4.0).reshape(2, 2), np.ones(2), np.array([1.0, -2.0])
    assert_close(f(A, b, x), f(x=x, b=b, A=A))
    assert_close(f(A, b, x), 0.5 * (A + A.T) @ x + b)
    fgh = mc.compile("1/2 x^T A x + b^T x + c", "x")   # f's symbols
    assert fgh.args == ("A", "b", "c", "x")
    assert_close(fgh(A, b, 0.5, x)[0], 0.5 * x @ A @ x + b @ x + 0.5)


def test_greek_keyword_names():
    """lambda is a name in the language; in Python it is a keyword, so the argument is lambda_."""
    f = code.to_numpy(mc.gradient("lambda ||x||_2^2", wrt="x"))
    assert f.args == ("lambda", "x") and f.python_args == ("lambda_", "x")
    assert_close(f(2.0, np.ones(3)), 4 * np.ones(3))
    assert_close(f(lambda_=2.0, x=np.ones(3)), 4 * np.ones(3))


# ---------------------------------------------------------------------------
# No code through names
# ---------------------------------------------------------------------------

HOSTILE = ["__import__", "os.system('rm -rf /')", "x; import os", "x)\nimport os\n(",
           "__builtins__", "np", "print", "eval", "exec", "_t0", "", "1x", "x-y", "x y",
           "x\n", "ｘ"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_symbol_names_are_rejected(name):
    x = E.Symbol(name, ("n", 1))
    for obj in (E.Inner(x, x), E.Mul((E.Number(2), x))):
        with pytest.raises(mc.MatcalcError):
            code.numpy_source(obj)
        with pytest.raises(mc.MatcalcError):
            code.to_numpy(obj)


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "os.system(1)",
                                  "exec(x)", "x; y"])
def test_hostile_text_does_not_parse(text):
    with pytest.raises(mc.MatcalcError):
        mc.compile(text, "x")


@pytest.mark.parametrize("name", ["f(): pass\nimport os\ndef g", "lambda", "np", "2f", "_"])
def test_hostile_function_names_are_rejected(name):
    with pytest.raises(mc.MatcalcError):
        code.numpy_source(mc.parse("x^T x"), name=name)


def test_every_identifier_in_the_source_is_known():
    """The source is made of argument names, locals, helpers and NumPy: nothing else."""
    import ast
    p = case("P28")
    src = mc.compile(p.text, p.wrt, shapes=p.shapes, source=True)
    names = {node.id for node in ast.walk(ast.parse(src)) if isinstance(node, ast.Name)}
    allowed = {"np", "A", "m", "mu", "x", "z", "_sigmoid", "float"}
    assert all(n in allowed or n.startswith("_t") for n in names), names
    assert all(not keyword.iskeyword(n) for n in names)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_errors_are_matcalc_errors():
    with pytest.raises(mc.MatcalcError):
        mc.compile("x^T x", "x", order=3)
    with pytest.raises(mc.MatcalcError):
        code.to_numpy(mc.gradient("x^T y", wrt=["x", "y"]))
    with pytest.raises(mc.MatcalcError):
        code.to_numpy(mc.gradient("x^T y", wrt="x"), args=["x"])     # y is needed
    with pytest.raises(mc.MatcalcError):
        code.to_numpy(object())


def test_missing_jax_is_a_clear_error(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jax" else real(name, *a))
    with pytest.raises(mc.MatcalcError, match="JAX"):
        code.to_jax(mc.parse("x^T x"))


# ---------------------------------------------------------------------------
# JAX (skipped without it)
# ---------------------------------------------------------------------------

JAX_CASES = [r for r in GRADIENTS if r[0] in ("P3", "P5", "P9", "P18", "P22", "P31", "S2",
                                              "P12", "P16", "P28")]


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("row", JAX_CASES, ids=[r[0] for r in JAX_CASES])
def test_jax_gradient(jax, row):
    pid, text, wrt, spec, f, shapes, assume = row
    g = gradient_of(text, wrt, frozen(shapes), frozen(assume))
    numpy_fn, jax_fn = code.to_numpy(g), code.to_jax(g)
    jitted = jax.jit(jax_fn)
    for label, values in draws(spec):
        expected = call(numpy_fn, values)
        assert_close(np.asarray(call(jax_fn, values)), expected, rtol=1e-9,
                     what=f"{pid} {label}: JAX vs NumPy code")
        assert_close(np.asarray(jitted(**{n: values[n] for n in jax_fn.args})), expected,
                     rtol=1e-9, what=f"{pid} {label}: jitted JAX vs NumPy code")


@pytest.mark.parametrize("pid", ["P12", "P28", "P4"])
def test_jax_hessian_matches_jax_autodiff(jax, pid):
    p = case(pid)
    h = hessian_of(*_loss_key(pid))
    fn = jax.jit(code.to_jax(h))
    f_jax = code.to_jax(mc.parse(p.text, p.shapes))
    for label, values in draws(p.spec):
        got = np.asarray(fn(**{n: values[n] for n in code.to_jax(h).args}))
        auto = jax.hessian(lambda v: f_jax(**{**{k: values[k] for k in f_jax.args}, p.wrt: v}))(
            values[p.wrt])
        assert_close(got, np.asarray(auto), rtol=1e-8, atol=1e-10,
                     what=f"{pid} {label}: generated JAX Hessian vs jax.hessian")

"""Property tests of generated code (matcalc/backends/code) on random expressions.

Random scalar functions of a vector x or a square matrix X, with an
independent NumPy oracle, come from ``strategies.cases`` and from the
strategies below, aimed at the lowering rules of the code generator: elementwise
powers (integer, negative, fractional) of vectors, of matrices and of scalars
times ones, sums by ones vectors, broadcast scalars and diagonals, solves and
inverses, parts used several times; and log det X + f with X assumed spd (log
det by Cholesky). For each, every generated function must equal
``evaluate()`` of what it was generated from:

- ``to_numpy`` and ``to_jax`` of f, of its gradient and of its Hessian (the
  Kronecker form wrt X, where there is one) or Hessian-vector product;
- ``compile(f, wrt, order=1)`` and ``compile(f, wrt, order=2)``: the value,
  the gradient and the Hessian (or ``hvp(V)`` for X);

and f's code equals the oracle, its gradient's code central differences of
the oracle. Every function takes the variable, whatever the result depends on.

The runs are deterministic (``derandomize=True``): a few hundred cases in all
by default, thousands with ``MATCALC_LONG=1``. Counts are printed at the end
of the module (``pytest -s``).
"""
from __future__ import annotations

import collections
import os
import re
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matcalc as mc
from matcalc.backends import code
from harness import profile
from oracle import central_gradient
from strategies import (N, SHAPES, Case, Node, _sigmoid as sigmoid, cases, matrix,
                        near_identity, paren, scalar, term, vector_leaves)
from test_properties import assume, close, evaluate, oracle_value

LONG = os.environ.get("MATCALC_LONG") == "1"
EXAMPLES = 3_000 if LONG else 150

COUNTS = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\ngenerated-code checks:\n" +
          "\n".join(f"{n:>8}  {k}" for k, n in sorted(COUNTS.items())))


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def run(fn, values):
    """Call a generated function positionally, in the order of its ``args``."""
    with np.errstate(all="ignore"):
        return fn(*[values[name] for name in fn.args])


def same(actual, expected, what):
    """Generated code against evaluate(): equal to rounding."""
    close(np.asarray(actual), expected, rtol=1e-8, atol=1e-10, what=what)


def direction(case: Case) -> str:
    """The name of the direction of a Hessian-vector product: v for x, V for X."""
    return "v" if case.var == "x" else "V"


def point(case: Case, assume_spd: bool) -> dict:
    """The values of the case and a direction; X and V symmetric where X is assumed spd
    (X is near I, so (X + X^T) / 2 is positive definite)."""
    values = case.values()
    rng = np.random.default_rng(case.seed + 1)
    values[direction(case)] = rng.standard_normal(np.shape(values[case.var]))
    if assume_spd:
        for name in ("X", "V"):
            values[name] = (values[name] + values[name].T) / 2
    return values


def finite(*arrays):
    return all(np.all(np.isfinite(a)) and np.max(np.abs(a)) < 1e6 for a in arrays)


@dataclass
class Derived:
    """f, its gradient and its second-order result (the Hessian; for X its Kronecker form
    where there is one, else the Hessian-vector product along V), with their values."""
    case: Case
    assumptions: dict | None
    values: dict
    results: tuple
    expected: tuple


def derive(case: Case, assumptions=None) -> Derived:
    values = point(case, bool(assumptions))
    f0 = oracle_value(case, values)
    options = {"shapes": SHAPES, "assume": assumptions}
    f = mc.parse(case.text, shapes=SHAPES)
    g = mc.gradient(case.text, wrt=case.var, **options)
    try:
        h = mc.hessian(case.text, wrt=case.var, **options)
    except mc.UnsupportedError:
        h = None
    if h is None or h.expr is None:
        try:
            h = mc.hvp(case.text, wrt=case.var, direction=direction(case), **options)
        except mc.UnsupportedError:         # a clear error, not a wrong answer
            COUNTS["second order: UnsupportedError"] += 1
            assume(False)
    expected = (evaluate(f, values), evaluate(g, values), evaluate(h, values))
    assume(finite(*expected))
    close(expected[0], f0, what=f"evaluate({case.text})")
    return Derived(case, assumptions, values, (f, g, h), expected)


def check_functions(d: Derived, make, label: str):
    """make(f | result) -> the generated function; each equals evaluate(). Without
    assumptions, the gradient's code also equals central differences of the oracle."""
    case, values = d.case, d.values
    what = ("f", "gradient", type(d.results[2]).__name__)
    fns = [make(obj, assume=d.assumptions) for obj in d.results]
    for fn, value, name in zip(fns, d.expected, what):
        assert case.var in fn.args, f"{label} of the {name} of {case.text}: args {fn.args}"
        same(run(fn, values), value, f"{label} of the {name} of {case.text}:\n{fn.source}")
        COUNTS[f"{label}{' (spd)' if d.assumptions else ''}: {name}"] += 1
    if not d.assumptions:
        fd = central_gradient(case.f, values, case.var)
        scale = max(1.0, abs(float(d.expected[0])), float(np.max(np.abs(fd))))
        close(run(fns[1], values), fd, rtol=0.0, atol=2e-6 * scale,
              what=f"{label} of the gradient of {case.text} vs central differences")


def check_compile(d: Derived, order: int):
    """compile(f, wrt, order): value, gradient (and Hessian or hvp) equal evaluate()."""
    case, values, h = d.case, d.values, d.results[2]
    try:
        fn = mc.compile(case.text, case.var, order=order, shapes=SHAPES,
                             assume=d.assumptions, direction=direction(case))
    except mc.UnsupportedError:     # no Hessian matrix: the clear error hessian() gives
        COUNTS[f"compile(order={order}): UnsupportedError"] += 1
        return
    assert case.var in fn.args, f"compile({case.text}): args {fn.args}"
    got, expected = list(run(fn, values)), list(d.expected[:order + 1])
    if order == 2 and callable(got[2]):
        got[2] = got[2](values[direction(case)])
        if type(h).__name__ != "HVP":           # the Kronecker form, applied to vec V
            expected[2] = np.reshape(expected[2] @ np.ravel(values[direction(case)], order="F"),
                                     np.shape(values[case.var]), order="F")
    for actual, value, what in zip(got, expected, ("value", "gradient", "second order")):
        same(actual, value, f"compile(order={order}) {what} of {case.text}:\n{fn.source}")
    COUNTS[f"compile(order={order}){' (spd)' if d.assumptions else ''}"] += 1


def with_logdet(case: Case) -> Case:
    """log det X + f, for X assumed symmetric positive definite (log det by Cholesky)."""
    return Case(f"log det X + {term(case)}", "X",
                lambda v: np.log(np.linalg.det(v["X"])) + case.f(v), case.seed)


# ---- expressions aimed at the lowering rules ---------------------------------------------
# Elementwise powers (integer, negative, fractional) of vectors and of scalars times the
# ones vector, broadcasting of scalars and diagonals, sums by ones, solves, shared parts.

POWERS = [(2.0, "2"), (3.0, "3"), (-1.0, "-1"), (-2.0, "-2"), (0.5, "(1/2)"), (1 / 3, "(1/3)"),
          (-0.5, "(-1/2)"), (1.5, "(3/2)"), (0.25, "0.25")]


@st.composite
def positive_vector(draw, var, depth):
    """A vector with entries >= about 1/3 everywhere."""
    u = lambda: draw(lowered_vector(var, depth - 1))
    kind = draw(st.sampled_from(["ones_plus_sq", "exp", "sigma", "power",
                                 "product", "softplus"]))
    if kind == "ones_plus_sq":
        a = u()
        return Node(f"1 + {paren(a)} .* {paren(a)}", lambda v: 1 + a.fn(v) ** 2)
    if kind == "exp":
        a = u()
        return Node(f"exp(tanh({a.text}))", lambda v: np.exp(np.tanh(a.fn(v))), atom=True)
    if kind == "sigma":
        a = u()
        return Node(f"1/2 + sigma({a.text})", lambda v: 0.5 + sigmoid(a.fn(v)))
    if kind == "softplus":
        a = u()
        return Node(f"1 + softplus({a.text})", lambda v: 1 + np.logaddexp(0.0, a.fn(v)))
    if kind == "power":
        p = draw(positive_vector(var, depth - 1)) if depth > 1 else \
            Node("1 + x .* x" if var == "x" else "1 + (X b) .* (X b)",
                 lambda v: 1 + (v["x"] if var == "x" else v["X"] @ v["b"]) ** 2)
        k, text = draw(st.sampled_from([(0.5, "(1/2)"), (1 / 3, "(1/3)"), (2.0, "2")]))
        return Node(f"{paren(p)}.^{text}", lambda v: p.fn(v) ** k)
    if depth <= 1:
        return Node("exp(tanh(b))", lambda v: np.exp(np.tanh(v["b"])), atom=True)
    p, q = draw(positive_vector(var, depth - 1)), draw(positive_vector(var, depth - 1))
    return Node(f"{paren(p)} .* {paren(q)}", lambda v: p.fn(v) * q.fn(v))


@st.composite
def lowered_vector(draw, var, depth):
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(vector_leaves(var)))
    kind = draw(st.sampled_from([
        "scale", "plus_ones", "power", "int_power", "ediv", "hadamard", "function", "log",
        "diag_left", "diag_matrix", "matrix_diag", "diag_of", "diag_inverse", "solve",
        "solve_t", "solve_twice", "matvec", "sum_times", "softmax", "shared"]))
    u = lambda: draw(lowered_vector(var, depth - 1))
    pos = lambda: draw(positive_vector(var, depth - 1))
    s = lambda: draw(scalar(var, depth - 1))
    M = lambda: draw(matrix(var, depth - 1))
    near = lambda: draw(near_identity(var, depth - 1))
    if kind == "scale":
        c, a = s(), u()
        return Node(f"{paren(c)} {paren(a)}", lambda v: c.fn(v) * a.fn(v))
    if kind == "plus_ones":
        a, c = u(), s()
        return Node(f"{a.text} + {paren(c)} 1", lambda v: a.fn(v) + c.fn(v))
    if kind == "power":
        p = pos()
        k, text = draw(st.sampled_from(POWERS))
        return Node(f"{paren(p)}.^{text}", lambda v: p.fn(v) ** k)
    if kind == "int_power":
        a = u()
        k = draw(st.sampled_from([2, 3]))
        return Node(f"{paren(a)}.^{k}", lambda v: a.fn(v) ** k)
    if kind == "ediv":
        a, p = u(), pos()
        return Node(f"{paren(a)} ./ {paren(p)}", lambda v: a.fn(v) / p.fn(v))
    if kind == "hadamard":
        a, b = u(), u()
        return Node(f"{paren(a)} .* {paren(b)}", lambda v: a.fn(v) * b.fn(v))
    if kind == "function":
        a = u()
        name = draw(st.sampled_from(["sin", "cos", "tanh", "sigma", "softplus"]))
        fns = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigma": sigmoid,
               "softplus": lambda z: np.logaddexp(0.0, z)}
        return Node(f"{name}({a.text})", lambda v: fns[name](a.fn(v)), atom=True)
    if kind == "log":
        p = pos()
        name = draw(st.sampled_from(["log", "sqrt"]))
        return Node(f"{name}({p.text})", lambda v: getattr(np, name)(p.fn(v)), atom=True)
    if kind == "diag_left":
        a, b = u(), u()
        return Node(f"diag({a.text}) {paren(b)}", lambda v: a.fn(v) * b.fn(v))
    if kind == "diag_matrix":
        a, m, b = u(), M(), u()
        return Node(f"diag({a.text}) {paren(m)} {paren(b)}",
                    lambda v: a.fn(v) * (m.fn(v) @ b.fn(v)))
    if kind == "matrix_diag":
        m, a, b = M(), u(), u()
        return Node(f"{paren(m)} diag({a.text}) {paren(b)}",
                    lambda v: m.fn(v) @ (a.fn(v) * b.fn(v)))
    if kind == "diag_of":
        m = M()
        return Node(f"diag({m.text})", lambda v: np.diag(m.fn(v)).copy(), atom=True)
    if kind == "diag_inverse":
        p, a = pos(), u()
        return Node(f"diag({p.text})^-1 {paren(a)}", lambda v: a.fn(v) / p.fn(v))
    if kind == "solve":
        m, a = near(), u()
        return Node(f"{paren(m)}^-1 {paren(a)}", lambda v: np.linalg.solve(m.fn(v), a.fn(v)))
    if kind == "solve_t":
        m, a = near(), u()
        return Node(f"{paren(m)}^-T {paren(a)}",
                    lambda v: np.linalg.solve(m.fn(v).T, a.fn(v)))
    if kind == "solve_twice":
        m, a, b = near(), u(), u()
        return Node(f"{paren(m)}^-1 {paren(a)} + ({paren(b)}^T {paren(m)}^-1)^T",
                    lambda v: np.linalg.solve(m.fn(v), a.fn(v))
                    + np.linalg.solve(m.fn(v).T, b.fn(v)))
    if kind == "matvec":
        m, a = M(), u()
        return Node(f"{paren(m)} {paren(a)}", lambda v: m.fn(v) @ a.fn(v))
    if kind == "sum_times":
        a, b = u(), u()
        return Node(f"(1^T {paren(a)}) {paren(b)}", lambda v: np.sum(a.fn(v)) * b.fn(v))
    if kind == "softmax":
        a = u()
        return Node(f"softmax({a.text})",
                    lambda v: np.exp(a.fn(v)) / np.sum(np.exp(a.fn(v))), atom=True)
    a = u()                                         # one part, used three times
    return Node(f"{paren(a)} .* {paren(a)} + 2 {paren(a)}", lambda v: a.fn(v) ** 2 + 2 * a.fn(v))


@st.composite
def positive_matrix(draw, var, depth):
    """A square matrix with entries >= about 1/3 everywhere."""
    m = draw(lowered_matrix(var, depth - 1))
    kind = draw(st.sampled_from(["ones_plus_sq", "exp", "sigma"]))
    if kind == "ones_plus_sq":
        return Node(f"1 + {paren(m)} .* {paren(m)}", lambda v: 1 + m.fn(v) ** 2)
    if kind == "exp":
        return Node(f"exp(tanh({m.text}))", lambda v: np.exp(np.tanh(m.fn(v))), atom=True)
    return Node(f"1/2 + sigma({m.text})", lambda v: 0.5 + sigmoid(m.fn(v)))


@st.composite
def lowered_matrix(draw, var, depth):
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(matrix(var, 0))
    kind = draw(st.sampled_from([
        "power", "int_power", "ediv", "diag", "diag_left", "diag_right", "outer", "scale",
        "plus_identity", "inverse", "inverse_t", "inverse_power", "ones", "hadamard",
        "shared", "matrix"]))
    m = lambda: draw(lowered_matrix(var, depth - 1))
    u = lambda: draw(lowered_vector(var, depth - 1))
    s = lambda: draw(scalar(var, depth - 1))
    near = lambda: draw(near_identity(var, depth - 1))
    if kind == "power":
        p = draw(positive_matrix(var, depth - 1))
        k, text = draw(st.sampled_from(POWERS))
        return Node(f"{paren(p)}.^{text}", lambda v: p.fn(v) ** k)
    if kind == "int_power":
        a = m()
        return Node(f"{paren(a)}.^3", lambda v: a.fn(v) ** 3)
    if kind == "ediv":
        a, p = m(), draw(positive_matrix(var, depth - 1))
        return Node(f"{paren(a)} ./ {paren(p)}", lambda v: a.fn(v) / p.fn(v))
    if kind == "diag":
        a = u()
        return Node(f"diag({a.text})", lambda v: np.diag(a.fn(v)), atom=True)
    if kind == "diag_left":
        a, b = u(), m()
        return Node(f"diag({a.text}) {paren(b)}", lambda v: a.fn(v)[:, None] * b.fn(v))
    if kind == "diag_right":
        a, b = m(), u()
        return Node(f"{paren(a)} diag({b.text})", lambda v: a.fn(v) * b.fn(v))
    if kind == "outer":
        a, b = u(), u()
        return Node(f"{paren(a)} {paren(b)}^T", lambda v: np.outer(a.fn(v), b.fn(v)))
    if kind == "scale":
        c, a = s(), m()
        return Node(f"{paren(c)} {paren(a)}", lambda v: c.fn(v) * a.fn(v))
    if kind == "plus_identity":
        a, c = m(), s()
        return Node(f"{a.text} + {paren(c)} I", lambda v: a.fn(v) + c.fn(v) * np.eye(N))
    if kind == "inverse":
        a = near()
        return Node(f"{paren(a)}^-1", lambda v: np.linalg.inv(a.fn(v)))
    if kind == "inverse_t":
        a = near()
        return Node(f"({paren(a)}^-1)^T", lambda v: np.linalg.inv(a.fn(v)).T)
    if kind == "inverse_power":
        a = near()
        return Node(f"{paren(a)}^-2", lambda v: np.linalg.matrix_power(np.linalg.inv(a.fn(v)), 2))
    if kind == "ones":
        a = m()
        return Node(f"1 1^T {paren(a)}", lambda v: np.ones((N, N)) @ a.fn(v))
    if kind == "hadamard":
        a, b = m(), m()
        return Node(f"{paren(a)} .* {paren(b)}", lambda v: a.fn(v) * b.fn(v))
    if kind == "shared":
        a = m()
        return Node(f"{paren(a)} {paren(a)}^T + {paren(a)}",
                    lambda v: a.fn(v) @ a.fn(v).T + a.fn(v))
    a, b = m(), m()
    return Node(f"{paren(a)} {paren(b)}", lambda v: a.fn(v) @ b.fn(v))


@st.composite
def lowered_scalar(draw, var, depth):
    kind = draw(st.sampled_from(["inner", "sum", "root", "cube_root", "log", "reciprocal",
                                 "norm", "quad", "trace_diag", "power_sum", "product",
                                 "add", "trace", "frobenius", "matrix_sum", "quad_lowered"]))
    if kind == "trace":
        a = draw(lowered_matrix(var, depth))
        return Node(f"tr({a.text})", lambda v: np.trace(a.fn(v)), atom=True)
    if kind == "frobenius":
        a, b = draw(lowered_matrix(var, depth)), draw(lowered_matrix(var, depth - 1))
        return Node(f"<{a.text}, {b.text}>", lambda v: np.sum(a.fn(v) * b.fn(v)), atom=True)
    if kind == "matrix_sum":
        a = draw(lowered_matrix(var, depth))
        return Node(f"1^T {paren(a)} 1", lambda v: np.sum(a.fn(v)))
    if kind == "quad_lowered":
        a, m = draw(lowered_vector(var, depth - 1)), draw(lowered_matrix(var, depth))
        return Node(f"{paren(a)}^T {paren(m)} c", lambda v: a.fn(v) @ m.fn(v) @ v["c"])
    u = lambda: draw(lowered_vector(var, depth))
    pos = lambda: draw(positive_vector(var, depth))
    if kind == "inner":
        a, b = u(), u()
        return Node(f"<{a.text}, {b.text}>", lambda v: a.fn(v) @ b.fn(v), atom=True)
    if kind == "sum":
        a = u()
        return Node(f"sum({a.text})", lambda v: np.sum(a.fn(v)), atom=True)
    if kind in ("root", "cube_root", "log", "reciprocal"):
        a, p = u(), pos()
        inside = f"1 + <{a.text}, {a.text}>" if draw(st.booleans()) else f"sum({p.text})"
        value = (lambda v: 1 + a.fn(v) @ a.fn(v)) if inside.startswith("1 +") else \
            (lambda v: np.sum(p.fn(v)))
        text, fn = {"root": (f"sqrt({inside})", lambda v: np.sqrt(value(v))),
                    "cube_root": (f"({inside})^(1/3)", lambda v: value(v) ** (1 / 3)),
                    "log": (f"log({inside})", lambda v: np.log(value(v))),
                    "reciprocal": (f"1 / ({inside})", lambda v: 1 / value(v))}[kind]
        return Node(text, fn)
    if kind == "norm":
        a = u()
        return Node(f"||{a.text}||", lambda v: np.linalg.norm(a.fn(v)), atom=True)
    if kind == "quad":
        a, m, b = u(), draw(matrix(var, depth - 1)), u()
        return Node(f"{paren(a)}^T {paren(m)} {paren(b)}",
                    lambda v: a.fn(v) @ m.fn(v) @ b.fn(v))
    if kind == "trace_diag":
        a, m = u(), draw(matrix(var, depth - 1))
        return Node(f"tr(diag({a.text}) {paren(m)})",
                    lambda v: np.sum(a.fn(v) * np.diag(m.fn(v))), atom=True)
    if kind == "power_sum":
        p = pos()
        k, text = draw(st.sampled_from(POWERS))
        return Node(f"1^T {paren(p)}.^{text}", lambda v: np.sum(p.fn(v) ** k))
    a, b = draw(lowered_scalar(var, depth - 1)), draw(lowered_scalar(var, depth - 1))
    if kind == "product":
        return Node(f"{paren(a)} {paren(b)}", lambda v: a.fn(v) * b.fn(v))
    return Node(f"{a.text} + {term(b)}", lambda v: a.fn(v) + b.fn(v))


@st.composite
def lowered_cases(draw, depth=3, var=None):
    """A scalar function of x or X built from lowered_scalar, and a seed."""
    var = var or draw(st.sampled_from(["x", "X"]))
    node = draw(lowered_scalar(var, depth).filter(
        lambda n: re.search(rf"(?<![A-Za-z]){var}(?![A-Za-z])", n.text)))
    return Case(node.text, var, node.fn, draw(st.integers(0, 2 ** 16)))


def either(depth=3):
    """The expressions of strategies.cases and those aimed at the lowering rules."""
    return st.one_of(cases(depth=depth), lowered_cases(depth))


# ---- the properties ---------------------------------------------------------------------

@profile(EXAMPLES)
@given(case=either())
def test_numpy_code_and_compile_equal_evaluate(case):
    d = derive(case)
    check_functions(d, code.to_numpy, "to_numpy")
    check_compile(d, 1)
    check_compile(d, 2)


@profile(EXAMPLES // 3)
@given(case=either())
def test_jax_code_equals_evaluate(jax, case):
    check_functions(derive(case), code.to_jax, "to_jax")


SPD = {"X": "spd"}


@profile(EXAMPLES // 3)
@given(case=st.one_of(cases(var="X"), lowered_cases(var="X")))
def test_spd_code_equals_evaluate(case):
    d = derive(with_logdet(case), SPD)
    check_functions(d, code.to_numpy, "to_numpy")
    check_compile(d, 2)

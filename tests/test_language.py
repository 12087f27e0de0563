"""The lexer and parser read what is written.

- a '.' before *, / or ^ is the elementwise operator, whatever stands before it;
- digits are 0-9; 1e-3, 1.5e3 and 2E5 are numbers, and a number is a finite float;
- a transposed symbol is a vector, never a scalar in disguise;
- a norm's subscript ends where it ends (``\\frac{\\|x\\|_2}{2}``);
- spaces never change the meaning.

Values are checked against NumPy written here, derivatives against central
differences and closed forms (oracle.py).
"""
from __future__ import annotations

import os
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import matcalc as mc
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols, walk
from matcalc.backends import numeric
from matcalc.language.lexer import lark_parser as _lark
from harness import profile
from oracle import assert_close, central_gradient

LONG = os.environ.get("MATCALC_LONG") == "1"
SCALE = 20 if LONG else 1     # examples of each property test, as many times as by default
N = 3


def value(text, values, shapes=None):
    return numeric.evaluate(mc.parse(text, shapes=shapes), values)


def matrices(seed=0):
    """Positive entries (elementwise quotients and powers are defined), invertible."""
    rng = np.random.default_rng(seed)
    return {"X": np.eye(N) + rng.uniform(0.5, 1.5, (N, N)),
            "Y": rng.uniform(0.5, 1.5, (N, N)), "A": rng.standard_normal((N, N)),
            "x": rng.uniform(0.5, 1.5, N), "y": rng.uniform(0.5, 1.5, N)}


# ---- 1. a '.' before *, / or ^ is the operator -----------------------------------------------

DOTS = [
    ("X.^2.^2", "(X.^2).^2"), ("X.^2.*Y", "(X.^2) .* Y"), ("x.^2.*y", "(x.^2) .* y"),
    ("X^-1.*Y", "(X^-1) .* Y"), ("X^-1./Y", "(X^-1) ./ Y"), ("X^2.*Y", "(X^2) .* Y"),
    ("X^T.*Y", "(X^T) .* Y"), ("X'.*Y", "(X^T) .* Y"), ("2.*x", "2 .* x"), ("x./2", "x ./ 2"),
    ("x.^2./y", "(x.^2) ./ y"), ("1.5.*x", "1.5 .* x"), ("x.^3.^2.*y", "((x.^3).^2) .* y"),
    ("X⁻¹.*Y", "(X^-1) .* Y"), ("x.*2.5", "x .* 2.5"), ("2.^2.*x", "(2.^2) .* x"),
]


@pytest.mark.parametrize("text, plain", DOTS, ids=[d[0] for d in DOTS])
def test_dot_before_an_operator_is_the_operator(text, plain):
    values = matrices()
    assert mc.parse(text) == mc.parse(plain)
    X, Y, x, y = values["X"], values["Y"], values["x"], values["y"]
    expected = {"X.^2.^2": X ** 4, "X.^2.*Y": X ** 2 * Y, "x.^2.*y": x ** 2 * y,
                "X^-1.*Y": np.linalg.inv(X) * Y, "X^-1./Y": np.linalg.inv(X) / Y,
                "X^2.*Y": X @ X * Y, "X^T.*Y": X.T * Y, "X'.*Y": X.T * Y, "2.*x": 2 * x,
                "x./2": x / 2, "x.^2./y": x ** 2 / y, "1.5.*x": 1.5 * x,
                "x.^3.^2.*y": x ** 6 * y, "X⁻¹.*Y": np.linalg.inv(X) * Y, "x.*2.5": 2.5 * x,
                "2.^2.*x": 4 * x}[text]
    assert_close(value(text, values), expected, what=text)


def test_elementwise_product_after_a_power_keeps_its_shape():
    e = mc.parse("x.^2.*y")
    shapes = {s.name: s.shape for s in free_symbols(e)}
    assert e.shape == ("n", 1) and shapes == {"x": ("n", 1), "y": ("n", 1)}


def test_gradient_of_an_elementwise_power_of_a_power():
    """sum(X.^2.^2) is sum(X.^4): the gradient is 4 X.^3 (it was that of sum((X.^2)^2))."""
    g = mc.gradient("sum(X.^2.^2)", wrt="X")
    values = {"X": np.random.default_rng(1).standard_normal((N, 4))}
    f = lambda v: np.sum(v["X"] ** 4)
    assert_close(g.evaluate(values), 4 * values["X"] ** 3)
    assert_close(g.evaluate(values), central_gradient(f, values, "X"), rtol=1e-5, atol=1e-6)
    assert str(g) == "4 X.^3"      # a matrix of ones times X.^3 entrywise is X.^3


@pytest.mark.parametrize("text, f_np, closed", [
    ("t^3", lambda t: t ** 3, lambda t: 3 * t ** 2),
    ("t^-2 + t^2", lambda t: t ** -2 + t ** 2, lambda t: -2 / t ** 3 + 2 * t)])
def test_a_power_of_a_letter_found_scalar_is_a_scalar_power(text, f_np, closed):
    """t is a vector letter; t^k makes it a 1 x 1 matrix, so its power is the scalar power: the
    derivative of t^3 is 3 t^2 (it printed t^2 + 2 t^2, a matrix power not collected)."""
    e = mc.parse(text)
    assert e.is_scalar and not any(isinstance(n, mc.ir.expr.MatPower) for n in walk(e))
    g = mc.gradient(text, wrt="t")
    values = {"t": 1.3}
    f = lambda v: f_np(v["t"])
    assert_close(g.evaluate(values), closed(1.3))
    assert_close(g.evaluate(values), central_gradient(f, values, "t"), rtol=1e-5, atol=1e-6)
    assert str(mc.gradient("t^3", wrt="t")) == "3 t^2"


def test_gradient_of_an_inverse_times_elementwise():
    """<A, X^-1 .* Y> has the gradient -X^-T (A .* Y) X^-T (it was off by a factor 2)."""
    g = mc.gradient("<A, X^-1.*Y>", wrt="X")
    values = matrices(2)
    f = lambda v: np.sum(v["A"] * np.linalg.inv(v["X"]) * v["Y"])
    inv_t = np.linalg.inv(values["X"]).T
    assert_close(g.evaluate(values), -inv_t @ (values["A"] * values["Y"]) @ inv_t)
    assert_close(g.evaluate(values), central_gradient(f, values, "X"), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("text", ["2. x", "x ./ 2.", "X^-1. *Y", "x.^2. *y", "1.e3"])
def test_a_number_does_not_end_with_a_dot(text):
    with pytest.raises(mc.ParseError, match="cannot end with '.'"):
        mc.parse(text)


HADAMARD = [".*", "⊙", "∘", r"\odot", r"\circ"]
DIVIDE = ["./", r"\oslash"]
SPACES = ["", " ", "  ", "\t"]


def _operand_pool(kind):
    """(text, NumPy function, positive entries) of operands of an elementwise chain."""
    numbers = [("2", lambda v: 2.0), ("3", lambda v: 3.0), ("0.5", lambda v: 0.5),
               ("1.5", lambda v: 1.5), ("10", lambda v: 10.0), ("2.5e-1", lambda v: 0.25),
               ("1e1", lambda v: 10.0)]
    pool = [(t, f, True) for t, f in numbers]
    if kind == "vector":
        return pool + [("x", lambda v: v["x"], True), ("y", lambda v: v["y"], True),
                       ("(x + y)", lambda v: v["x"] + v["y"], True)]
    inv = lambda v: np.linalg.inv(v["X"])
    return pool + [
        ("X", lambda v: v["X"], True), ("Y", lambda v: v["Y"], True),
        ("X^T", lambda v: v["X"].T, True), ("X'", lambda v: v["X"].T, True),
        ("Xᵀ", lambda v: v["X"].T, True), ("X^2", lambda v: v["X"] @ v["X"], True),
        ("Y^3", lambda v: v["Y"] @ v["Y"] @ v["Y"], True), ("X^-1", inv, False),
        ("X^{-1}", inv, False), ("X⁻¹", inv, False), ("X^-T", lambda v: inv(v).T, False),
        ("(X + Y)", lambda v: v["X"] + v["Y"], True)]


def _glue(op, right):
    """A LaTeX command needs a space before a letter (\\odot X, not \\odotX)."""
    return " " if op.startswith("\\") and right[:1].isalpha() else ""


@st.composite
def elementwise_chains(draw, kind):
    """An elementwise chain in random spellings and spacing, the same chain written with
    parentheses and spaces everywhere, and its NumPy value."""
    pool = _operand_pool(kind)

    def operand():
        text, fn, positive = draw(st.sampled_from(pool))
        canonical = f"({text})"
        for _ in range(draw(st.integers(0, 2))):
            k = draw(st.sampled_from(["2", "3"] + (["-1", "0.5"] if positive else [])))
            text = f"{text}{draw(st.sampled_from(SPACES))}.^{draw(st.sampled_from(SPACES))}{k}"
            canonical = f"({canonical} .^ {k})"
            fn = (lambda f, k: lambda v: f(v) ** float(k))(fn, k)
        return text, canonical, fn, positive

    text, canonical, fn, _ = operand()
    for _ in range(draw(st.integers(1, 3))):
        divide = draw(st.booleans())
        right, right_canonical, right_fn, positive = operand()
        if divide and not positive:
            divide = False
        op = draw(st.sampled_from(DIVIDE if divide else HADAMARD))
        before, after = draw(st.sampled_from(SPACES)), draw(st.sampled_from(SPACES))
        text = f"{text}{before}{op}{after or _glue(op, right)}{right}"
        canonical = f"({canonical} {'./' if divide else '.*'} {right_canonical})"
        fn = (lambda f, g, d: (lambda v: f(v) / g(v)) if d else (lambda v: f(v) * g(v)))(
            fn, right_fn, divide)
    return text, canonical, fn


@pytest.mark.parametrize("kind", ["matrix", "vector"])
@profile(150 * SCALE)
@given(data=st.data())
def test_every_spelling_of_the_elementwise_operators_is_the_same(kind, data):
    """.*, ⊙, ∘, \\odot, \\circ, ./, \\oslash and .^, with and without spaces, after numbers,
    after ^-1, ^T, ^k and .^k, before numbers: the expression of the parenthesized spaced
    spelling, and the value NumPy computes."""
    text, canonical, fn = data.draw(elementwise_chains(kind))
    e = mc.parse(text)
    assert e == mc.parse(canonical), (text, canonical)
    values = matrices(len(text))
    with np.errstate(all="ignore"):
        expected = fn(values)
    if np.all(np.isfinite(expected)) and np.max(np.abs(expected)) < 1e8:
        assert_close(numeric.evaluate(e, values), expected, rtol=1e-8, what=text)


# ---- 2. digits and numbers -------------------------------------------------------------------

@pytest.mark.parametrize("text, where", [
    ("٣ x", 0), ("x + ３", 4), ("x_٣", 2), ("X^٢", 2), ("१ + x", 0), ("x²", 1), ("x₁", 1),
    ("2 x + ۵", 6), ("x^T A x / ٢", 10),
])
def test_digits_other_than_0_to_9_are_refused_with_a_caret(text, where):
    with pytest.raises(mc.ParseError, match="0-9") as info:
        mc.parse(text)
    assert info.value.column == where + 1
    assert str(info.value).splitlines()[-1].index("^") == where + 2


def test_the_inverse_sign_is_no_digit():
    values = matrices()
    assert mc.parse("X⁻¹ y") == mc.parse("X^-1 y")
    assert_close(value("X⁻¹ y", values), np.linalg.solve(values["X"], values["y"]))


@pytest.mark.parametrize("text, plain, scale", [
    ("1e-3 x", "1/1000 x", 1e-3), ("1.5e3 x", "1500 x", 1500.0), ("2E5 x", "200000 x", 2e5),
    ("2.5e-1 x", "1/4 x", 0.25), ("1E+2 x", "100 x", 100.0), (".5e1 x", "5 x", 5.0),
    ("3e0 x", "3 x", 3.0), ("1e3x", "1000 x", 1000.0), ("x ./ 2e1", "x / 20", 0.05),
])
def test_scientific_notation_is_a_number(text, plain, scale):
    x = np.array([0.5, -1.0, 2.0])
    assert mc.parse(text) == mc.parse(plain)
    assert_close(value(text, {"x": x}), scale * x)


def test_e_is_still_a_symbol():
    assert mc.parse("2e") == mc.parse("2 e")
    assert {s.name for s in free_symbols(mc.parse("2 e5"))} == {"e5"}
    assert mc.parse("3e-x") == mc.parse("3 e - x")


def test_the_largest_numbers_read_back():
    e = mc.parse("1e308")
    assert e == E.Number(sympy.Integer(10) ** 308)
    assert numeric.evaluate(e, {}) == 1e308
    assert mc.parse(str(e)) == e
    tiny = mc.parse("1e-300")
    assert mc.parse(str(tiny)) == tiny and numeric.evaluate(tiny, {}) == 1e-300


@pytest.mark.parametrize("text, what", [
    ("1e309", "too large"), ("-2e308 x", "too large"), ("1" * 310, "too large"),
    ("1e99999999999", "too large"), ("1e-400", "too small"), ("x + 2.5E-999", "too small"),
])
def test_numbers_beyond_floating_point_are_refused(text, what):
    with pytest.raises(mc.ParseError, match=what):
        mc.parse(text)


@pytest.mark.parametrize("shape", [("²*n", 1), ("٣*n", 1), ("٣", 1), "٣", ("0*n", 1)])
def test_a_dimension_of_shapes_is_written_with_0_to_9(shape):
    with pytest.raises(mc.MatcalcError, match="shape of 'x'"):
        mc.parse("x", shapes={"x": shape})


def test_zero_with_a_huge_exponent_is_zero():
    assert mc.parse("0e99999999999 + 1") == E.Number(1)


@st.composite
def numerals(draw):
    whole = draw(st.integers(0, 10 ** 6))
    text = str(whole) if draw(st.booleans()) else ""
    if not text or draw(st.booleans()):
        text += "." + str(draw(st.integers(0, 10 ** 4))).zfill(draw(st.integers(1, 5)))
    if draw(st.booleans()):
        text += draw(st.sampled_from("eE")) + draw(st.sampled_from(["", "+", "-"])) + \
            str(draw(st.integers(0, 40)))
    return text


@profile(300 * SCALE)
@given(numerals(), st.sampled_from(SPACES), st.sampled_from(SPACES))
def test_a_numeral_is_the_number_it_writes(text, before, after):
    """12, 1.5, .5, 1e-3, 2.5E+4: exactly Python's Fraction of the text; before x and before
    an elementwise operator alike."""
    exact = Fraction(text)
    number = E.Number(sympy.Rational(exact.numerator, exact.denominator))
    assert mc.parse(text) == number
    x = np.array([0.5, -1.0, 2.0])
    assert_close(value(f"{text}{before}x", {"x": x}), float(exact) * x)
    assert_close(value(f"{text}{before}.*{after}x", {"x": x}), float(exact) * x)
    assert_close(value(f"x{before}./{after}({text} + 1)", {"x": x}), x / (float(exact) + 1))


# ---- division: one rule, whatever the spacing ------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("x/2/3", lambda x: x / 6), ("x / 2/3", lambda x: x / 6), ("1 /2/3 x", lambda x: x / 6),
    ("3/2^2 x", lambda x: 0.75 * x), ("3 / 2^2 x", lambda x: 0.75 * x),
    ("x.^1/2", lambda x: x / 2), ("x.^ 1/2", lambda x: x / 2), ("x.^  1/2", lambda x: x / 2),
    ("1/2 x", lambda x: x / 2), ("1 / 2 x", lambda x: x / 2), ("x / 2 y", None),
])
def test_division_reads_left_to_right_after_powers(text, expected):
    values = {"x": np.array([0.5, 1.0, 2.0]), "y": 3.0}
    got = value(text, values, shapes={"y": "scalar"})
    assert_close(got, expected(values["x"]) if expected else values["x"] * 3.0 / 2, what=text)


@pytest.mark.parametrize("text, expected", [
    ("t^1/2", lambda t: t / 2), ("t^ 1/2", lambda t: t / 2), ("t^  1/2", lambda t: t / 2),
    ("t^-3/2", lambda t: t ** -3 / 2), ("t^-3 / 2", lambda t: t ** -3 / 2),
    ("t^(1/2)", np.sqrt), ("t^{1/2}", np.sqrt), ("t^-1/2", lambda t: 1 / t / 2),
])
def test_an_exponent_is_an_atom_whatever_the_spacing(text, expected):
    assert_close(value(text, {"t": 0.7}, shapes={"t": "scalar"}), expected(0.7), what=text)


def test_a_one_after_a_matrix_is_the_ones_vector_with_or_without_spaces():
    X = matrices()["X"]
    for text in ("X 1/2", "X 1 / 2", "(X 1)/2"):
        assert_close(value(text, {"X": X}), X @ np.ones(N) / 2, what=text)


# ---- 3. a transposed symbol is a vector ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "x^T x^T", "x^T y^T", "(x^T) x^T", "x' x'", "xᵀ xᵀ", r"x^\top x^{T}", "(x^T)(y^T)",
    "x x^T x^T", "(x + y)^T x^T", "(2 x)' y'",
])
def test_a_product_of_transposed_vectors_is_a_shape_error(text):
    with pytest.raises(mc.ShapeError, match="row vector of length . by a row vector") as info:
        mc.parse(text)
    assert info.value.column is not None


@pytest.mark.parametrize("text", ["x^T + y", "<x^T, y>", "x^T .* y", "c^T x + c", "x' - 1 y"])
def test_a_transposed_symbol_is_not_made_scalar_elsewhere(text):
    with pytest.raises(mc.ShapeError):
        mc.parse(text)


@pytest.mark.parametrize("text, shapes", [
    ("b^T x + c", {"c": "vector"}), ("x y", {"y": "vector"}), ("x theta", {"theta": "vector"}),
])
def test_a_declared_vector_is_never_made_scalar(text, shapes):
    """shapes={'c': 'vector'} made c a scalar in b^T x + c (a vector's length could be 1)."""
    with pytest.raises(mc.ShapeError, match="vector of length"):
        mc.parse(text, shapes=shapes)


def test_a_declared_scalar_may_be_transposed():
    e = mc.parse("x^T x^T", shapes={"x": "scalar"})
    assert e.shape == (1, 1)
    assert_close(numeric.evaluate(e, {"x": 0.7}), 0.49)


@pytest.mark.parametrize("text, expected", [
    ("x^T x", lambda v: v["x"] @ v["x"]), ("x x^T", lambda v: np.outer(v["x"], v["x"])),
    ("x^T A x", lambda v: v["x"] @ v["A"] @ v["x"]), ("x^T y", lambda v: v["x"] @ v["y"]),
    ("x^T x x^T", lambda v: ((v["x"] @ v["x"]) * v["x"])[None, :]),
    ("(x^T A)^T", lambda v: v["A"].T @ v["x"]),
])
def test_transposed_vectors_still_multiply(text, expected):
    values = matrices(3)
    assert_close(value(text, values), expected(values), what=text)


def test_b_transpose_x_plus_c_still_makes_c_scalar():
    e = mc.parse("b^T x + c")
    assert {s.name: s.shape for s in free_symbols(e)}["c"] == (1, 1)


FACTORS = ["x", "y", "x^T", "y^T", "x'", "yᵀ", "A", "A^T", "2", "(x + y)^T", "(x^T A)", "t"]


def _numpy_factor(f, arrays):
    """A factor of FACTORS in NumPy, every value 2-D (a vector a column)."""
    if f == "2":
        return np.full((1, 1), 2.0)
    if f == "(x + y)^T":
        return (arrays["x"] + arrays["y"]).T
    if f == "(x^T A)":
        return arrays["x"].T @ arrays["A"]
    return arrays[f[0]].T if len(f) > 1 else arrays[f]


def _product(factors):
    """A juxtaposition as matcalc defines it, left to right: a 1 x 1 value scales, other
    values multiply as matrices."""
    out = factors[0]
    for f in factors[1:]:
        out = out * f if 1 in (out.size, f.size) else out @ f
    return out


@profile(300 * SCALE)
@given(st.lists(st.sampled_from(FACTORS), min_size=2, max_size=4),
       st.sets(st.sampled_from("xyt")))
def test_a_transposed_symbol_is_never_scalar(factors, declared):
    """Any juxtaposition: either a shape error, or every symbol written transposed, or
    declared a vector in shapes=, is a vector, and the value is the product, in NumPy,
    of values of the shapes inferred."""
    text = " ".join(factors)
    try:
        e = mc.parse(text, shapes={name: "vector" for name in declared})
    except mc.ShapeError:
        return
    shapes = {s.name: s.shape for s in free_symbols(e)}
    for f in factors:
        if f[0] in "xy" and f != "(x^T A)" and len(f) > 1 or f.startswith("(x + y)"):
            assert all(shapes[name] != (1, 1) for name in set(f) & set("xy")), (text, shapes)
    assert all(shapes[name] != (1, 1) for name in declared & set(shapes)), (text, shapes)
    names = sorted({d for shape in shapes.values() for d in shape if d != 1})
    size = {d: N + i for i, d in enumerate(names)} | {1: 1}
    rng = np.random.default_rng(len(text))
    arrays = {n: rng.standard_normal((size[r], size[c])) for n, (r, c) in shapes.items()}
    values = {n: a[0, 0] if a.shape == (1, 1) else a[:, 0] if shapes[n][1] == 1 else a
              for n, a in arrays.items()}
    expected = _product([_numpy_factor(f, arrays) for f in factors])
    got = np.asarray(numeric.evaluate(e, values), dtype=float).reshape(expected.shape)
    assert_close(got, expected, what=text)


# ---- 4. norm subscripts and braces -----------------------------------------------------------

_2 = lambda v: np.linalg.norm(v["x"])
_F = lambda v: np.linalg.norm(v["X"], "fro")
NORMS = [  # LaTeX, plain text, NumPy
    (r"\frac{\|x\|_2}{2}", "||x||_2 / 2", lambda v: _2(v) / 2),
    (r"\sqrt{\|x\|_2}", "sqrt(||x||_2)", lambda v: np.sqrt(_2(v))),
    ("{||X||_F}", "||X||_F", _F), (r"\|x\|_{2}", "||x||_2", _2), (r"\|x\|_{ 2 }", "||x||_2", _2),
    (r"\frac{\left\|x\right\|_2^2}{2}", "||x||_2^2 / 2", lambda v: _2(v) ** 2 / 2),
    (r"{\|X\|_F}^2", "||X||_F^2", lambda v: _F(v) ** 2),
    (r"\frac{1}{\|x\|_1}", "1 / ||x||_1", lambda v: 1 / np.sum(np.abs(v["x"]))),
    (r"\sqrt{\|X\|_*}", "sqrt(||X||_*)", lambda v: np.sqrt(np.linalg.norm(v["X"], "nuc"))),
    (r"\frac{\|x\|_2}{\|y\|_2}", "||x||_2 / ||y||_2", lambda v: _2(v) / np.linalg.norm(v["y"])),
    (r"\left\|\frac{x}{2}\right\|_2", "||x / 2||_2", lambda v: _2(v) / 2),
    (r"\frac{\|X\|_{F}^{2}}{2}", "||X||_F^2 / 2", lambda v: _F(v) ** 2 / 2),
    (r"{{\|x\|_2}}", "||x||_2", _2),
    (r"\sqrt{\frac{\|x\|_2}{2}}", "sqrt(||x||_2 / 2)", lambda v: np.sqrt(_2(v) / 2)),
    (r"\frac{\|X\|_{*}}{2}", "||X||_* / 2", lambda v: np.linalg.norm(v["X"], "nuc") / 2),
    (r"\|x\|^2_2", "||x||_2^2", lambda v: _2(v) ** 2),
    (r"\frac{1}{2}\|Ax - b\|^{2}_{2}", "1/2 ||A x - b||_2^2",
     lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2) / 2),
    (r"{\left\|X\right\|^2_F}", "||X||_F^2", lambda v: _F(v) ** 2),
    (r"\|x\|^2_2^3", "(||x||_2^2)^3", lambda v: _2(v) ** 6),
]


@pytest.mark.parametrize("latex, plain, fn", NORMS, ids=[n[1] for n in NORMS])
def test_a_norm_subscript_leaves_the_braces_alone(latex, plain, fn):
    e = mc.parse(latex)
    assert e == mc.parse(plain)
    values = {**matrices(4), "b": np.array([0.3, -0.1, 0.4])}
    assert_close(numeric.evaluate(e, values), fn(values), what=latex)


@pytest.mark.parametrize("text", ["||x||_pq", "||x||_{2.}", "||x||_infty", r"\|x\|_2}", "||x||_{2",
                                  r"\|x\|^(2)_2"])
def test_what_is_no_norm_subscript_is_refused(text):
    with pytest.raises(mc.ParseError):
        mc.parse(text)


def test_gradient_of_a_norm_inside_a_fraction():
    g = mc.gradient(r"\frac{\|x\|_2^2}{2}", wrt="x")
    values = {"x": np.array([0.3, -1.2, 0.8])}
    assert_close(g.evaluate(values), values["x"])
    assert_close(g.evaluate(values), central_gradient(lambda v: v["x"] @ v["x"] / 2, values, "x"),
                 rtol=1e-5, atol=1e-6)


SUBSCRIPTS = {"2": ["_2", "_{2}", "_{ 2 }"], "F": ["_F", "_{F}"], "1": ["_1", "_{1}"],
              "*": ["_*", "_{*}"]}
NORM_VALUES = {"2": ("x", lambda v: np.linalg.norm(v["x"])),
               "1": ("x", lambda v: np.sum(np.abs(v["x"]))),
               "F": ("X", lambda v: np.linalg.norm(v["X"], "fro")),
               "*": ("X", lambda v: np.linalg.norm(v["X"], "nuc"))}
WRAPPERS = [  # LaTeX, plain text, NumPy
    (r"\frac{%s}{2}", "(%s) / 2", lambda a: a / 2), (r"\sqrt{%s}", "sqrt(%s)", np.sqrt),
    ("{%s}", "(%s)", lambda a: a), (r"\left(%s\right)", "(%s)", lambda a: a),
    (r"\frac{1}{%s}", "1 / (%s)", lambda a: 1 / a), ("{%s}^2", "(%s)^2", lambda a: a ** 2),
    (r"\frac{%s}{%s}", "(%s) / (%s)", lambda a: 1.0),
]


@profile(200 * SCALE)
@given(st.sampled_from(sorted(SUBSCRIPTS)), st.data())
def test_norms_in_braces_read_as_written(kind, data):
    r"""A norm with any spelling of its subscript (and ^2 or not, before or after it),
    inside any nesting of \frac, \sqrt, {...} and \left(...\right): the plain-text
    expression, the NumPy value."""
    arg, fn = NORM_VALUES[kind]
    sub = data.draw(st.sampled_from(SUBSCRIPTS[kind]))
    square = data.draw(st.sampled_from(["", "^2", "^{2}"]))
    scripts = f"{sub}{square}" if data.draw(st.booleans()) else f"{square}{sub}"
    latex = rf"\left\|{arg}\right\|{scripts}" if data.draw(st.booleans()) \
        else rf"\|{arg}\|{scripts}"
    plain = f"||{arg}||_{kind}{'^2' if square else ''}"
    f = (lambda g: lambda v: g(v) ** 2)(fn) if square else fn
    for _ in range(data.draw(st.integers(1, 3))):
        wrap_latex, wrap_plain, wrap_fn = data.draw(st.sampled_from(WRAPPERS))
        count = wrap_latex.count("%s")
        latex, plain = wrap_latex % ((latex,) * count), wrap_plain % ((plain,) * count)
        f = (lambda g, w: lambda v: w(g(v)))(f, wrap_fn)
    e = mc.parse(latex)
    assert e == mc.parse(plain), (latex, plain)
    values = matrices(len(latex))
    assert_close(numeric.evaluate(e, values), f(values), what=latex)


# ---- spaces never change the meaning ---------------------------------------------------------

EXTRA_SEEDS = [
    "X.^2.^2", "X.^2.*Y", "x.^2.*y", "X^-1.*Y", "2.*x + x./2", "x/2/3", "3/2^2 x", "t^-3/2",
    "1/2 x^T A x", "X 1/2", "1e-3 x + 2.5E2 y", r"\frac{\|x\|_2}{2}", r"{\|X\|_F}^2",
    "||x||_2^2 + |t| x^T x", "x^T A x ./ 2", "sum(X.^2 ./ (1 + Y.^2))", "X^T.*Y", "X'.*Y",
    "tr(A X^-1 B) + log det(X)", "A kron B", "x ⊙ y ∘ z", r"x \odot y \circ z", "<x, y>^2",
]


@pytest.mark.parametrize("text", [r"\frac{lgo(x)}{2}", "{xabs(x)}", r"\sqrt{tarce X}",
                                  r"\sqrt{xabs(x)^T x}", r"\left(lgo(x)\right)"])
def test_a_word_in_braces_is_checked_as_anywhere(text):
    """{lgo(x)} read l g o x (a word after a brace was never checked), lgo(x) and
    { lgo(x)} an unknown function."""
    with pytest.raises(mc.UnknownFunctionError, match="did you mean"):
        mc.parse(text)
    with pytest.raises(mc.UnknownFunctionError):
        mc.parse(text.replace("{", "{ "))


def test_a_subscript_in_braces_is_no_word():
    assert {s.name for s in free_symbols(mc.parse("x_{abc} + y_{tr}"))} == {"x_abc", "y_tr"}


def _tokens(text):
    """The tokens of text as the parser sees them: (start, end) in text, or None if it does
    not parse."""
    try:
        tokens = sorted({(t.start_pos, t.end_pos)
                         for t in _lark().parse_interactive(text).iter_parse()})
    except Exception:           # noqa: BLE001 - only texts that parse are respaced
        return None
    return [span for i, span in enumerate(tokens) if not i or span[0] >= tokens[i - 1][1]]


def _glued(left, right):
    """Writing the two side by side would read as other tokens (x 1 as x1, | | as ||, 2 .5
    as 2.5, \\odot x as \\odotx)."""
    a, b, decimal = left[-1], right[0], right[:1] == "." and right[1:2].isdigit()
    return (a.isalnum() or a == "_") and (b.isalnum() or b == "_" or decimal) or a == b == "|"


def respellings(text, rng, count):
    """Spellings of text with the space between tokens removed (where that keeps the
    tokens) or made random whitespace, and space put between tokens written together
    (where that keeps the words: not in 2x or lgo); other text between tokens (\\left,
    \\,) is kept."""
    spans = _tokens(text)
    if not spans:
        return []
    out = []
    for _ in range(count):
        pieces, end = [], 0
        for i, (start, stop) in enumerate(spans):
            gap = text[end:start]
            if i and not gap.strip() and not (
                    not gap and _glued(text[spans[i - 1][0]:spans[i - 1][1]], text[start:stop])):
                glued = _glued(text[spans[i - 1][0]:spans[i - 1][1]], text[start:stop])
                gap = rng.choice([" ", "  ", "\t", "\n", " \t "] + ([] if glued else [""]))
            pieces += [gap, text[start:stop]]
            end = stop
        out.append("".join(pieces) + text[end:])
    return out


def _outcome(text):
    try:
        return mc.parse(text)
    except mc.MatcalcError as err:
        return type(err)


def test_spaces_never_change_the_meaning():
    """A few thousand respellings of the whole language (fuzz seeds, problem sets, README)
    parse to the same expression as the original, or to the same kind of error."""
    import test_fuzz
    rng = random.Random(7)
    texts = test_fuzz.seeds() + EXTRA_SEEDS
    texts += [t for t in test_fuzz.inputs(1000 if not LONG else 20_000, seed=3)
              if _tokens(t)]
    checked = 0
    for text in dict.fromkeys(texts):
        original = _outcome(text)
        for spelling in respellings(text, rng, 5 if not LONG else 10):
            assert _outcome(spelling) == original, (text, spelling)
            checked += 1
    assert checked > 2000


@pytest.mark.parametrize("text", ["2 (x^T x) I + 4 x 1e308 x^T - 2 A",
                                  "2 <x, x> 1e308 (1 + ln(<x, x>)) 1", "2 1e308 x"])
def test_a_product_of_numbers_past_the_range_prints_and_reads_back(text):
    """Numbers whose product would leave the floating-point range stay apart, in the parser
    and when printed (2 <x, x> 1e308 printed the 309 digits of 2e308, which did not read
    back); a Number node is always within the range."""
    e = mc.parse(text)
    again = mc.parse(str(e), shapes={s.name: tuple(s.dims) for s in mc.ir.traverse.free_symbols(e)
                                     if isinstance(s, mc.ir.expr.Symbol)})
    assert again.shape == e.shape
    x, A = np.array([0.3, -0.2, 0.4]), np.eye(3)
    values = {"x": x, "A": A}
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(again.evaluate(values) / 1e308, e.evaluate(values) / 1e308)


# ---- LaTeX as the lecture notes write it, and matrixcalculus.org's spellings ----------------

def test_lecture_note_spellings_read_as_their_values():
    rng = np.random.default_rng(5)
    x, b, A = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(4, 4))
    values = {"x": x, "b": b, "A": A}
    cases = {
        r"\Vert x\Vert": np.linalg.norm(x),
        r"\lVert A x - b \rVert_2^2": np.linalg.norm(A @ x - b) ** 2,
        r"\frac{1}{2}\Vert x\Vert^2": 0.5 * x @ x,
        r"e^{-x^T x}": np.exp(-x @ x),
        r"x^T I_n x": x @ x,
        r"\mathrm{tr}(I_4 + A)": np.trace(np.eye(4) + A),
        r"\operatorname{tr}(\operatorname{diag}(x))": x.sum(),
        "norm2(A x - b)": np.linalg.norm(A @ x - b),
        "norm1(x)": np.abs(x).sum(),
        "x'*inv(A)*x": x @ np.linalg.solve(A, x),
    }
    for text, expected in cases.items():
        e = mc.parse(text)
        assert np.isclose(float(e.evaluate(values)), expected), text
        again = mc.parse(str(e), shapes={s.name: tuple(s.dims)
                                         for s in mc.ir.traverse.free_symbols(e)
                                         if isinstance(s, mc.ir.expr.Symbol)})
        assert np.isclose(float(again.evaluate(values)), expected), (text, str(e))   # reads back


def test_e_is_eulers_number_unless_declared():
    assert str(mc.parse(r"e^{-x^T x}")) == "exp(-x^T x)"
    assert str(mc.parse("e^2", shapes={"e": "scalar"})) == "e^2"       # a declared e is a symbol
    assert str(mc.parse("e^T x")) == "e^T x"                          # a transposed vector e
    g = mc.gradient(r"-e^{-x^T x}", wrt="x")
    x, h = np.array([0.3, -0.2, 0.5]), 1e-6
    f = lambda v: -np.exp(-v @ v)
    central = np.array([(f(x + h * u) - f(x - h * u)) / (2 * h) for u in np.eye(3)])
    assert np.allclose(g.evaluate({"x": x}), central, atol=1e-8)
    assert np.allclose(g.evaluate({"x": x}), 2 * x * np.exp(-x @ x))


def test_identity_of_a_named_size():
    e = mc.parse("I_3 + A")
    assert e.shape == (3, 3)
    assert mc.parse(r"x^T I_n x").shape == (1, 1)


def test_norm2_of_a_matrix_says_which_norm_to_write():
    with pytest.raises(mc.MatcalcError, match="Frobenius"):
        mc.parse("norm2(X)")

"""Every failure a user can cause is a MatcalcError with a message a student understands.

- syntax errors: ParseError with ``line``, ``column`` and a caret under that column;
- shape errors: ShapeError naming both shapes;
- unknown functions: UnknownFunctionError with the closest known name;
- misuse of the public functions (wrt, assume, shapes, order, values): MatcalcError;
- limits: long or deeply nested input gives a result or a MatcalcError, quickly;
- safety: no eval/exec of user text; injection through names is refused.

Bugs found here that live outside the parser are marked ``xfail(strict=True)``
with the reason; fixing them flips the test.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.language import builder
from harness import alarm

PACKAGE = Path(mc.__file__).parent


def error_of(fn, *args, **kwargs) -> mc.MatcalcError:
    """The MatcalcError fn raises; any other outcome fails the test."""
    try:
        result = fn(*args, **kwargs)
    except mc.MatcalcError as err:
        assert str(err).strip(), "an error without a message"
        return err
    except Exception as err:    # noqa: BLE001 - the point of the test
        pytest.fail(f"{type(err).__name__} escaped instead of a MatcalcError: {err}")
    pytest.fail(f"no error; got {result!r}")


def caret(err) -> tuple[str, int]:
    """(source line shown, index of the caret in it) from an error message."""
    *_, source, mark = str(err).split("\n")
    assert source.startswith("  ") and mark.startswith("  ") and mark.endswith("^"), str(err)
    return source[2:], len(mark) - 3


# ---- syntax errors ---------------------------------------------------------------------

SYNTAX = [
    # text, line, column, words the message must contain
    ("tr(A X", 1, 7, "ends too early"),
    ("x +", 1, 4, "ends too early"),
    ("x)", 1, 2, "unexpected ')'"),
    ("x $ y", 1, 3, "unexpected character '$'"),
    ("x @ y", 1, 3, "unexpected character '@'"),
    ("<x, y", 1, 6, "ends too early"),
    ("x^", 1, 3, "ends too early"),
    ("||x", 1, 4, "ends too early"),
    ("2 ** x", 1, 4, "unexpected"),
    ("x ⊙⊙ y", 1, 4, "unexpected"),
    ("<x, y>>", 1, 7, "unexpected"),
    (r"\frac{1}{2", 1, 11, "ends too early"),
    (r"\foo x", 1, 1, r"unknown LaTeX command '\foo'"),
    (r"x + \qquad y", 1, 5, r"unknown LaTeX command '\qquad'"),
    ("x +\n  y)", 2, 4, "unexpected ')'"),
    ("x\n+ y\n@", 3, 1, "unexpected character '@'"),
    ("x +\n", 2, 1, "ends too early"),
    ("\t x + )", 1, 7, "unexpected ')'"),
    ("", 1, 1, "ends too early"),
    ("x_", 1, 2, "unexpected"),
]


@pytest.mark.parametrize("text, line, column, words", SYNTAX, ids=[repr(s[0]) for s in SYNTAX])
def test_syntax_error_points_at_the_column(text, line, column, words):
    err = error_of(mc.parse, text)
    assert isinstance(err, mc.ParseError)
    assert (err.line, err.column) == (line, column)
    assert words in str(err)
    shown, at = caret(err)
    assert shown == text.split("\n")[line - 1]
    assert at == column - 1


def test_caret_on_a_long_line_shows_a_window_around_the_column():
    text = " + ".join(["x"] * 1500) + " $ " + " + ".join(["y"] * 1500)
    err = error_of(mc.parse, text)
    assert isinstance(err, mc.ParseError) and err.column == text.index("$") + 1
    shown, at = caret(err)
    assert len(shown) < 100 and shown[at] == "$"


def test_caret_is_under_the_column_with_tabs_and_unicode():
    text = "\t⟨x, y⟩ +\t‖x‖ ⊙ @"
    err = error_of(mc.parse, text)
    shown, at = caret(err)
    assert shown[at] == "@" and err.column == text.index("@") + 1
    assert str(err).split("\n")[-1][2:2 + at].count("\t") == 2     # tabs kept: aligned


# ---- shape errors ------------------------------------------------------------------------

SHAPES = [
    ("x + A", ("vector of length", "matrix")),
    ("A x + b^T", ("vector of length", "row vector of length")),
    ("<x, A>", ("vector of length", "matrix")),
    ("x .* A", ("vector of length", "matrix")),
    ("x^T A + A", ("row vector of length", "matrix")),
    ("tr(A x)", ("vector of length",)),
    ("x / y", ("vector of length",)),
    ("|x|", ("vector of length",)),
    ("X^1.5", ("matrix",)),
]


@pytest.mark.parametrize("text, shapes", SHAPES, ids=[s[0] for s in SHAPES])
def test_shape_error_names_the_shapes(text, shapes):
    err = error_of(mc.parse, text)
    assert isinstance(err, mc.ShapeError)
    for shape in shapes:
        assert shape in str(err)
    assert err.line == 1 and err.column is not None
    shown, at = caret(err)
    assert shown == text and at == err.column - 1


def test_shape_error_with_declared_shapes_names_both():
    err = error_of(mc.parse, "A x", shapes={"A": ("m", "n"), "x": "k"})
    assert isinstance(err, mc.ShapeError)
    assert "matrix m x n" in str(err) and "vector of length k" in str(err)


def test_shape_error_on_a_later_line_points_there():
    err = error_of(mc.parse, "x^T x\n+ tr(\n  A x)")
    assert isinstance(err, mc.ShapeError) and (err.line, err.column) == (2, 3)
    assert caret(err) == ("+ tr(", 2)


# ---- unknown functions ------------------------------------------------------------------

UNKNOWN = [("lgo(x)", "log"), ("sinh(x)", "sin"), ("sqr(t)", "sqrt"), ("expp(x)", "exp"),
           ("log2(t)", "log"), ("Tr(X)", "tr"), ("Det(X)", "det"), ("LOG(t)", "log"),
           (r"\operatorname{lgo}(x)", "log"), ("tarce(X)", "trace"), ("x + tarce X", "trace"),
           ("softmaxx(x)", "softmax"), ("sigmod(x)", "sigmoid")]


@pytest.mark.parametrize("text, known", UNKNOWN, ids=[u[0] for u in UNKNOWN])
def test_unknown_function_suggests_the_closest_known(text, known):
    err = error_of(mc.parse, text)
    assert isinstance(err, mc.UnknownFunctionError) and isinstance(err, mc.ParseError)
    assert f"did you mean '{known}'?" in str(err)
    word = re.search(r"unknown function '([^']+)'", str(err))[1]
    shown, at = caret(err)
    assert shown[at:].startswith(word)


def test_unknown_function_on_a_later_line():
    err = error_of(mc.parse, "x^T x +\n  lgo(t)")
    assert (err.line, err.column) == (2, 3)
    assert "did you mean 'log'?" in str(err)


@pytest.mark.parametrize("text", ["trX", "logx", "tr AX", "log det X", "trace(X)", "alpha x",
                                  "thetax", "sigma(x)", "lambda_max(X)", r"\sin t", "sum(x)"])
def test_known_names_and_their_juxtapositions_still_parse(text):
    assert isinstance(mc.parse(text), mc.Expr)


# ---- the public functions: wrt, assumptions, shapes ------------------------------------

def test_non_string_input():
    for bad in (None, 3, 2.5, b"x", ["x"], {"x": 1}, mc):
        err = error_of(mc.parse, bad)
        assert "string" in str(err)
        error_of(mc.gradient, bad, wrt="x")
        error_of(mc.hessian, bad, wrt="x")
        error_of(mc.jacobian, bad, wrt="x")
        error_of(mc.derivative, bad, wrt="t")
        error_of(mc.hvp, bad, wrt="x")
        error_of(mc.differential, bad, wrt="x")


@pytest.mark.parametrize("wrt", [1, None, 2.0, "", "x + y", "2", "x^T", "Ax", "xx", "tr",
                                 "__import__('os')", "os.system", "x; import os", "I"])
@pytest.mark.parametrize("function", ["gradient", "hessian", "jacobian", "hvp", "differential"])
def test_wrt_must_name_a_variable(function, wrt):
    err = error_of(getattr(mc, function), "x^T A x", wrt=wrt)
    assert "wrt" in str(err) or "variable" in str(err) or "differentiate" in str(err) or \
        isinstance(err, mc.ParseError)


def test_wrt_that_is_close_to_a_symbol_gets_a_hint():
    assert "did you mean 'x'?" in str(error_of(mc.gradient, "x^T A x", wrt="Ax"))


@pytest.mark.parametrize("function", ["gradient", "hessian", "hvp", "differential"])
def test_non_scalar_function_suggests_jacobian(function):
    for f in ("A x", "X^-1", "x x^T"):
        err = error_of(getattr(mc, function), f, wrt="x" if "x" in f else "X")
        assert "jacobian" in str(err) and "scalar" in str(err)


def test_unknown_assumption_lists_the_known_ones():
    err = error_of(mc.gradient, "x^T A x", wrt="x", assume={"A": "positive"})
    assert "'positive'" in str(err) and "spd" in str(err) and "symmetric" in str(err)


@pytest.mark.parametrize("function", ["gradient", "hessian", "jacobian", "hvp"])
def test_assumption_on_a_symbol_not_in_the_expression(function):
    err = error_of(getattr(mc, function), "x^T A x", wrt="x", assume={"B": "spd"})
    assert "'B'" in str(err)


@pytest.mark.parametrize("assume", [
    ["A"],
    "A",
    {"A": ["spd"]},
    {"A": None},
    {"A": 3},
    {"A": "SPD"},
])
def test_malformed_assumptions(assume):
    error_of(mc.gradient, "x^T A x", wrt="x", assume=assume)


BAD_SHAPES = [{"A": (1, 2, 3)}, {"A": 3.5}, {"A": ("n",)}, {"A": (0, 0)}, {"A": (-1, 2)},
              {"A": (True, True)}, {"A": None}, {"A": ""}, {"x": "os.system"},
              {"x": "n); import os; ("}, {"A": ("m", "n n")}, {1: "scalar"},
              {"A": {"rows": 2}}]


@pytest.mark.parametrize("shapes", BAD_SHAPES, ids=[repr(s) for s in BAD_SHAPES])
def test_bad_shapes_spec(shapes):
    err = error_of(mc.parse, "x^T A x", shapes=shapes)
    assert "shape" in str(err)
    error_of(mc.gradient, "x^T A x", wrt="x", shapes=shapes)


@pytest.mark.parametrize("shapes", [
    ["A"], "A", 3,
])
def test_shapes_must_be_a_dict(shapes):
    assert "dict" in str(error_of(mc.parse, "x^T A x", shapes=shapes))


def test_gradient_with_shapes_not_a_dict():
    error_of(mc.gradient, "x^T A x", wrt="x", assume={"A": "spd"}, shapes=["A"])


def test_good_shapes_specs_still_work():
    for shapes in ({"A": ("n", "n"), "x": "n"}, {"A": [3, 3], "x": 3}, {"t": "scalar"},
                   {"x": "vector"}, {"A": "matrix"}, {"A": "square"}, {"x": "n_1"}):
        assert isinstance(mc.parse("x^T A x + t", shapes={"t": "scalar", **shapes}), mc.Expr)


# ---- derivative(), hvp() and the results ----------------------------------------------

def test_derivative_needs_a_scalar_variable():
    err = error_of(mc.derivative, "x^T x", wrt="x")
    assert "scalar variable" in str(err) and "gradient" in str(err)


@pytest.mark.parametrize("order", [0, -1, 1.5, 2.0, "2", None, [2]])
def test_derivative_order_must_be_a_positive_integer(order):
    err = error_of(mc.derivative, "t^3", wrt="t", order=order, shapes={"t": "scalar"})
    assert "order" in str(err)


def test_derivative_of_huge_order_is_refused_quickly():
    code = ("import matcalc as mc\n"
            "try:\n    mc.derivative('exp(t^2)', wrt='t', order=10**7, shapes={'t': 'scalar'})\n"
            "except mc.MatcalcError:\n    print('refused')\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=8, cwd=PACKAGE.parent).stdout
    except subprocess.TimeoutExpired:
        out = "timeout"
    assert out.strip() in ("refused",)


@pytest.mark.parametrize("direction", ["x", "A"])
def test_hvp_direction_must_be_new(direction):
    assert "direction" in str(error_of(mc.hvp, "x^T A x", wrt="x", direction=direction))


@pytest.mark.parametrize("direction", ["__import__('os')", "1x", "v w", 3, "I", "exp", "sigma",
                                       "V"])
def test_hvp_direction_must_name_a_vector_symbol(direction):
    assert "direction" in str(error_of(mc.hvp, "x^T A x", wrt="x", direction=direction))


def test_hvp_direction_of_a_matrix_variable_is_a_matrix():
    assert "'V'" in str(error_of(mc.hvp, "log det X", wrt="X", direction="v"))
    hv = mc.hvp("log det X", wrt="X", direction="W")
    assert str(hv) == "-X^-T W^T X^-T" and hv.verify()


def test_derivative_that_grows_too_large_is_refused():
    with alarm(20):
        err = error_of(mc.derivative, "det(A - t I)", wrt="t", order=20, shapes={"t": "scalar"})
    assert "order 20" in str(err) and "operations" in str(err)


GRADIENT = "x^T A x"
VALUES = {"x": np.ones(3), "A": np.eye(3)}


@pytest.mark.parametrize("values", [
    {"x": np.ones(3)},
    {"x": np.ones(3), "A": np.ones((2, 2))},
    {"x": np.ones(3), "A": np.ones((3, 3, 3))},
    {"x": np.ones((3, 2)), "A": np.eye(3)},
    {"x": np.ones(3), "A": np.ones((3, 2))},
    {"x": 1.0, "A": np.eye(3)},
    {},
    {"x": "abc", "A": np.eye(3)},
    {"x": [[1, 2], [3]], "A": np.eye(3)},
    {"x": object(), "A": np.eye(3)},
    None,
], ids=["missing", "wrong size", "3-D", "matrix for vector", "non-square", "scalar for vector",
        "empty", "string", "ragged", "object", "None"])
def test_evaluate_with_bad_values(values):
    g = mc.gradient(GRADIENT, wrt="x")
    error_of(g.evaluate, values)
    error_of(mc.parse(GRADIENT).evaluate, values)
    error_of(mc.hessian(GRADIENT, wrt="x").evaluate, values)
    error_of(mc.jacobian("A x", wrt="x").evaluate, values)


def test_evaluate_message_names_the_missing_symbol_and_the_sizes():
    g = mc.gradient(GRADIENT, wrt="x")
    assert "A" in str(error_of(g.evaluate, {"x": np.ones(3)}))
    msg = str(error_of(g.evaluate, {"x": np.ones(3), "A": np.ones((2, 2))}))
    assert "3" in msg and "2" in msg


@pytest.mark.parametrize("options", [
    {"draws": "a"},
    {"tolerance": "a"},
    {"seed": "a"},
    {"at": {"x": "abc"}},
    {"at": {"x": np.ones((2, 2, 2))}},
    {"at": ["x"]},
    {"draws": 0}, {"draws": 2.5}, {"draws": True}, {"draws": 10**9},
    {"tolerance": 0}, {"tolerance": -1e-3}, {"tolerance": float("nan")},
    {"seed": -1}, {"seed": 1.5},
])
def test_verify_with_bad_options(options):
    error_of(mc.gradient(GRADIENT, wrt="x").verify, **options)


def test_verify_draws_product_dimensions_as_products():
    """A is (k*p) x (m*n) in tr((X kron B) A): its draw is sized by X's and B's (it was drawn
    on its own, and evaluation raised a raw matmul error)."""
    g = mc.gradient("tr((X kron B) A)", wrt="A")
    assert g.verify()
    X, B = np.arange(6.0).reshape(2, 3), np.arange(8.0).reshape(4, 2) - 3
    A = np.ones((6, 8))
    np.testing.assert_allclose(g.evaluate({"X": X, "B": B, "A": A}), np.kron(X, B).T)


def test_verify_reports_inputs_where_nothing_is_defined():
    err = error_of(mc.gradient("log(-x^T x)", wrt="x").verify)
    assert "assum" in str(err)


@pytest.mark.parametrize("bad", [None, 3, ["x"]])
def test_simplify_of_a_non_expression(bad):
    error_of(mc.simplify, bad)


def test_simplify_takes_text_and_assumptions():
    assert str(mc.simplify("x + x")) == "2 x"
    assert str(mc.simplify("A^T B", {"A": "symmetric"})) == "A B"
    error_of(mc.simplify, "x + A")


def test_simplify_with_an_unknown_assumption():
    error_of(mc.simplify, mc.parse("A^T"), {"A": "positive"})


def test_gradient_wrt_a_list_of_non_names():
    error_of(mc.gradient, "x^T A x", wrt=[["x"]])


def test_gradient_wrt_a_bad_list():
    error_of(mc.gradient, "x^T A x", wrt=[])
    error_of(mc.gradient, "x^T A x", wrt=["x", "x"])
    error_of(mc.gradient, "x^T A x", wrt=["x", 1])


def test_symmetric_option_must_be_known():
    err = error_of(mc.gradient, "tr(A X)", wrt="X", assume={"X": "symmetric"}, symmetric="foo")
    assert "'sym'" in str(err)


# ---- every argument of every public function, misused ---------------------------------------

MISUSES = [None, 3, 2.5, True, -1, 0, 10**6, float("nan"), "", "x x", "1x",
           "__import__('os')", "I", "exp", ["x"], [["x"]], {"x": 1}, ("x",), object(),
           np.ones(2)]
GOOD_CALLS = {   # a call that works, by function; each argument is misused in turn
    mc.gradient: dict(f="x^T A x", wrt="x"),
    mc.differential: dict(f="x^T A x", wrt="x"),
    mc.hessian: dict(f="x^T A x", wrt="x"),
    mc.jacobian: dict(F="A x", wrt="x"),
    mc.hvp: dict(f="x^T A x", wrt="x"),
    mc.derivative: dict(F="t^3", wrt="t", shapes={"t": "scalar"}),
    mc.check: dict(f="x^T A x", wrt="x", answer="(A + A^T) x"),
    mc.compile: dict(f="x^T A x", wrt="x"),
    mc.parse: dict(text="x^T A x"),
    mc.simplify: dict(f="x^T A x"),
    mc.conditions: dict(f="||x||"),
    mc.numpy_source: dict(result_or_expr="x^T A x"),
    mc.to_numpy: dict(result_or_expr="x^T A x"),
}


def misuses():
    for fn, good in GOOD_CALLS.items():
        for name in inspect.signature(fn).parameters:
            for bad in MISUSES:
                yield pytest.param(fn, {**good, name: bad}, id=f"{fn.__name__}-{name}")


@pytest.mark.parametrize("fn, kwargs", misuses())
def test_misused_arguments_give_a_result_or_a_matcalc_error(fn, kwargs):
    with alarm(20):
        try:
            str(fn(**kwargs))
        except mc.MatcalcError as err:
            assert str(err).strip()


@pytest.mark.parametrize("method", ["evaluate", "verify", "numpy_source", "to_numpy"])
def test_misused_arguments_of_results(method):
    results = [mc.gradient("x^T A x", wrt="x"), mc.hessian("log det X", wrt="X"),
               mc.hvp("log det X", wrt="X"), mc.jacobian("A x", wrt="x")]
    for result in results:
        fn = getattr(result, method)
        for name, parameter in inspect.signature(fn).parameters.items():
            if parameter.kind is parameter.VAR_KEYWORD:
                continue
            for bad in MISUSES:
                with alarm(20):
                    try:
                        fn(**{name: bad})
                    except mc.MatcalcError:
                        pass


# ---- what stays unsupported says what is missing and what to write instead ----------------

UNSUPPORTED = [
    # call, words saying what is missing, words of the alternative
    (lambda: mc.gradient("x^T eig(X)", wrt="X"), "eigenvectors of X as functions of X",
     "sum(eig(X)) = tr(X), prod(eig(X)) = det(X) or lambda_max(X)"),
    (lambda: mc.gradient("tr(eigtop(X) A)", wrt="X"), "eigenvectors of X",
     "gradient of lambda_max(X), which has no Hessian"),
    (lambda: mc.hessian("lambda_max(X)", wrt="X", assume={"X": "symmetric"}),
     "eigenvectors of X", "gradient of lambda_max(X)"),
    (lambda: mc.hessian("||X||_*", wrt="X"), "singular vectors of X",
     "polar(X) is the gradient of ||X||_*, which has no Hessian"),
    (lambda: mc.gradient("a^T svtop(X) b", wrt="X"), "singular vectors of X",
     "svtop(X) is the gradient of ||X||_2"),
    (lambda: mc.gradient("||X||_1", wrt="X"), "the 1-norm of a matrix", "sum(abs(X))"),
    (lambda: mc.gradient("norm1(X)", wrt="X"), "for vectors", "sum(abs(X))"),
    (lambda: mc.hessian("A x", wrt="x"), "tensor of order 3", "<c, A x>"),
    (lambda: mc.hvp("X^T X", wrt="X"), "tensor of order 3", "<C, X^T X>"),
    (lambda: mc.hessian("A x + y", wrt=["x", "y"]), "tensor of order 3", "<c, A x + y>"),
    (lambda: mc.parse("a^T eigvec(X) b"), "eigenvectors of a matrix as a function",
     "eigtop(X) = v1 v1^T"),
    (lambda: mc.parse("eigvecs(X)"), "eigenvectors", "lambda_max(X)"),
    (lambda: mc.parse("svd(X)"), "singular value decomposition", "polar(X) = U V^T"),
    (lambda: mc.parse("pinv(A) b"), "pseudo-inverse", "(A^T A)^-1 A^T"),
    (lambda: mc.parse("prod(x)"), "prod(eig(X)) = det(X) only", "exp(sum(log(x)))"),
    (lambda: mc.gradient("u^3 + 0^u", wrt="u"), "no finite value", "0^u is 0 for u > 0"),
    (lambda: mc.compile("x^T y", wrt=["x", "y"], order=2), "does not compile the Hessian blocks",
     "H['x', 'y'].to_numpy()"),
]


@pytest.mark.parametrize("call, missing, instead", UNSUPPORTED,
                         ids=[u[1][:30] + ": " + u[2][:20] for u in UNSUPPORTED])
def test_unsupported_says_what_is_missing_and_what_to_write(call, missing, instead):
    err = error_of(call)
    assert isinstance(err, mc.UnsupportedError), type(err)
    assert missing in str(err) and instead in str(err), str(err)


def test_a_refused_name_is_located():
    err = error_of(mc.parse, "x^T pinv(A) b")
    assert caret(err) == ("x^T pinv(A) b", 4)


def test_the_alternatives_the_messages_name_work():
    """What the messages offer instead: sum(abs(X)), exp(sum(log(x))), (A^T A)^-1 A^T,
    <c, F>, the Hessian blocks' code."""
    rng = np.random.default_rng(3)
    X, x, c = rng.standard_normal((3, 2)), rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    A, y = rng.standard_normal((3, 3)), rng.standard_normal(3)
    np.testing.assert_allclose(mc.gradient("sum(abs(X))", wrt="X").evaluate({"X": X}),
                               np.sign(X))
    np.testing.assert_allclose(mc.gradient("exp(sum(log(x)))", wrt="x").evaluate({"x": x}),
                               np.prod(x) / x)
    pseudo = mc.parse("(A^T A)^-1 A^T", shapes={"A": (3, 2)}).evaluate({"A": X})
    np.testing.assert_allclose(pseudo, np.linalg.pinv(X))
    H = mc.hessian("<c, exp(A x)>", wrt="x")     # sum_i c_i H(exp(a_i^T x))
    np.testing.assert_allclose(H.evaluate({"c": c, "A": A, "x": y}),
                               A.T @ np.diag(c * np.exp(A @ y)) @ A, rtol=1e-10)
    block = mc.hessian("x^T A y", wrt=["x", "y"])["y", "x"].to_numpy()
    np.testing.assert_allclose(block(A=A, x=y), A.T)


def test_eig_polar_svtop_and_eigtop_of_a_scalar_or_vector():
    """Of a 1 x 1 matrix s: eig(s) = s, polar(s) = svtop(s) = sign(s), eigtop(s) = 1; of a
    vector x, polar(x) = svtop(x) = x / ||x||_2."""
    for text, value in [("eig(t)", lambda t: t), ("polar(t)", np.sign), ("svtop(t)", np.sign),
                        ("eigtop(t)", lambda t: 1.0)]:
        g = mc.gradient(f"t^2 {text}", wrt="t", shapes={"t": "scalar"})
        assert g.verify()
        t, h = -0.7, 1e-6
        f = lambda u: u ** 2 * value(u)
        np.testing.assert_allclose(g.evaluate({"t": t}), (f(t + h) - f(t - h)) / (2 * h),
                                   rtol=1e-6)
    assert str(mc.gradient("mu eig(32 ||x||_2) / 2", wrt="x")) == "16 mu x / ||x||_2"
    # of a vector x = (x / ||x||) ||x|| 1: polar(x) = svtop(x) = x / ||x||
    rng = np.random.default_rng(5)
    x, a = rng.standard_normal(4), rng.standard_normal(4)
    u = x / np.linalg.norm(x)
    for text in ("a^T polar(x)", "svtop(x^T) a"):
        g = mc.gradient(text, wrt="x")
        np.testing.assert_allclose(g.evaluate({"x": x, "a": a}),
                                   (a - u * (u @ a)) / np.linalg.norm(x), rtol=1e-10)
        assert g.verify()


def test_eulers_number_from_sympy_reads_back_as_exp_1():
    g = mc.gradient("log(det(exp(1) T))", wrt="T")
    assert str(g) == "T^-T" and g.verify()
    g = mc.gradient("exp(1) x^T x", wrt="x")
    assert str(g) == "2 exp(1) x"
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(g.evaluate({"x": x}), 2 * np.e * x)


# ---- numbers and literals ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["1/0", "0/0", "x / 0", "x ./ 0", r"\frac{x}{0}", "3/00"])
def test_division_by_a_literal_zero(text):
    err = error_of(mc.parse, text)
    assert "division by zero" in str(err)


def test_huge_numbers_and_powers():
    assert "digits" in str(error_of(mc.parse, "1" * 5000 + " x"))
    assert "digits" in str(error_of(mc.parse, "0." + "0" * 500 + "1"))
    assert "too large" in str(error_of(mc.parse, "X^100000"))
    assert "too large" in str(error_of(mc.parse, "tr(X^-1000)"))
    assert isinstance(mc.parse("t^100000", shapes={"t": "scalar"}), mc.Expr)


# ---- limits: long and deeply nested input ------------------------------------------------

LONG = {
    "1000 parentheses": "(" * 1000 + "x^T x" + ")" * 1000,
    "1000 braces": "{" * 1000 + "x^T x" + "}" * 1000,
    "1000 \\left(": r"\left(" * 1000 + "x^T x" + r"\right)" * 1000,
    "1000 tr": "tr(" * 1000 + "X" + ")" * 1000,
    "1000 exp": "exp(" * 1000 + "x^T x" + ")" * 1000,
    "1000 sqrt without parentheses": "sqrt " * 1000 + "x^T x",
    "1000 inner products": "<" * 1000 + "x" + ", x>" * 1000,
    "1000 norms": "||" * 1000 + "x" + "||" * 1000,
    "1000 absolute values": "|" * 1000 + "t" + "|" * 1000,
    "1000 transposes": "x" + "^T" * 1000,
    "1000 primes": "x" + "'" * 1000,
    "1000 inverses": "X" + "^-1" * 1000,
    "1000 powers": "(x^T x)" + "^2" * 1000,
    "1000 negations": "-(" * 1000 + "x^T x" + ")" * 1000,
    "1000 minus signs": "x^T x" + " - (-1)" * 1000,
    "1000 unclosed": "(" * 1000 + "x",
    "1000 unopened": "x" + ")" * 1000,
    "sum of 2000 terms": " + ".join(["x^T x"] * 2000),
    "sum of 900 distinct terms": " + ".join(f"a_{i}^T x" for i in range(900)),
    "product of 5000 factors": "x^T " + "A " * 5000 + "x",
    "hadamard of 2000 factors": "1^T (" + " .* ".join(["x"] * 2000) + ")",
    "10000 spaces": " " * 10000 + "x^T x",
    "10000 letters": "x" * 10000,
    "10000 digits": "1" * 10000,
    "10000 newlines": "x^T x" + "\n" * 10000 + "+ 1",
    "100000 characters": "x + " * 25000 + "x",
}


@pytest.mark.parametrize("text", LONG.values(), ids=LONG.keys())
def test_long_and_deep_input_gives_a_result_or_a_clear_error(text):
    with alarm(10):
        try:
            e = mc.parse(text)
        except mc.MatcalcError as err:
            assert len(str(err)) < 500
            return
        assert isinstance(e, mc.Expr)
        str(e)
        e.latex


@pytest.mark.parametrize("text", [
    "(" * 1000 + "x^T x" + ")" * 1000,
    r"\left(" * 1000 + "x^T x" + r"\right)" * 1000,
    "x^T x" + " - (-1)" * 400,
    " + ".join(["x^T x"] * 300),
    "x^T x" + "\n" * 10000 + "+ 1",
], ids=["parentheses", "left right", "minus signs", "sum", "newlines"])
def test_long_input_that_parses_can_be_differentiated(text):
    with alarm(20):
        g = mc.gradient(text, wrt="x")
        assert str(g).endswith("x")


@pytest.mark.parametrize("text, wrt", [
    ("exp(" * 90 + "x^T x" + ")" * 90, "x"),
    ("sigma(" * 90 + "x^T x" + ")" * 90, "x"),
    ("x^T " + " ".join(f"(A_{i} + x x^T)" for i in range(12)) + " x", "x"),
    ("tr(" + " ".join(f"X^-1 A_{i}" for i in range(30)) + ")", "X"),
], ids=["90 exp", "90 sigma", "product of 12 sums", "30 inverses"])
def test_derivations_that_grow_too_large_are_refused(text, wrt):
    """By their size limit, or by the time limit when the machine is slow to get there."""
    with alarm(30):
        error = error_of(mc.hessian, text, wrt=wrt)
        assert "too large" in str(error) or isinstance(error, mc.TimeLimitError), error


def test_a_product_of_sums_too_long_to_multiply_out_stays_factored(monkeypatch):
    monkeypatch.setattr(importlib.import_module("matcalc.rules.simplify.core"), "MAX_EXPANSION", 4)
    h = mc.hessian("x^T (A + x x^T) (B + x x^T) (C + x x^T) x", wrt="x")    # 2^3 > 4 terms
    assert h.verify(draws=2)


def test_nesting_at_the_limit_works_end_to_end():
    """Just below MAX_DEPTH, every stage runs without running out of stack."""
    depth = builder.MAX_DEPTH
    cases = [("tr(X" + "^T" * (depth - 2) + ")", "X"),
             ("tr(" * (depth - 1) + "X" + ")" * (depth - 1), "X"),
             ("tr(X" + "^-1" * (depth - 2) + ")", "X"),
             ("(x^T x)" + "^2" * (depth - 3), "x"),
             ("1^T (" + " .* ".join(["x"] * (depth - 1)) + ")", "x")]
    with alarm(60):
        for text, wrt in cases:
            g = mc.gradient(text, wrt=wrt)
            str(g), g.latex, g.differential, str(mc.parse(text)), mc.parse(text).latex
            assert g.verify(draws=1)
            if wrt == "x":
                str(mc.hessian(text, wrt=wrt))
    deeper = "tr(" * depth + "X" + ")" * depth
    assert "nested too deeply" in str(error_of(mc.parse, deeper))


# ---- safety ---------------------------------------------------------------------------------

INJECTIONS = [
    "__import__('os').system('echo pwned')",
    "os.system('echo pwned')",
    "eval('1')", "exec('1')", "compile('1', '', 'eval')", "globals()", "getattr(x, 'T')",
    "open('/etc/passwd')", "x.__class__", "x; import os", "lambda: 0", "(lambda x: x)(1)",
    "np.linalg.inv(X)", "[x for x in y]", "{'a': 1}", "x\\\nimport os",
    r"\operatorname{__import__}(x)", r"\operatorname{system}(x)", r"\text{eval}(x)",
    "\\input{/etc/passwd}", "x_{__class__}", "`ls`", "$(ls)", "x # comment",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_through_the_text_is_refused(text):
    error_of(mc.parse, text)
    error_of(mc.gradient, text, wrt="x")


NAMES = ["__import__('os')", "os.system", "x.T", "x\nimport os", "__class__", "x; y", "1x",
         "x = 1", "x)", "exec"]


@pytest.mark.parametrize("name", NAMES)
def test_injection_through_names_is_refused(name):
    error_of(mc.gradient, "x^T x", wrt=name)
    error_of(mc.gradient, "x^T x", wrt="x", assume={name: "spd"})
    if name != "exec":      # a plain identifier: a fine dimension name
        error_of(mc.parse, "x^T x", shapes={"x": name})
        error_of(mc.parse, "x^T A x", shapes={"A": (name, "n")})


def test_generated_code_refuses_names_that_are_no_identifiers():
    codegen = importlib.import_module("matcalc.backends.code")
    for name in NAMES:
        bad = mc.ir.expr.Symbol(name, (1, 1))
        with pytest.raises(mc.MatcalcError):
            codegen.numpy_source(bad)
    with pytest.raises(mc.MatcalcError):
        codegen.to_numpy(mc.gradient("x^T x", wrt="x"), name="f(x):\n    import os\ndef g")


RUNS_CODE = {"eval", "exec", "compile", "__import__", "execfile"}


def _runs_code(node: ast.Call, own: set) -> bool:
    """A call of eval, exec, compile (not a function of the module's own of that name),
    builtins.<one of them>, or import_module of something that is not a literal."""
    f = node.func
    if isinstance(f, ast.Name):
        return (f.id in RUNS_CODE and f.id not in own) or \
            (f.id == "import_module" and not isinstance(node.args[0], ast.Constant))
    if isinstance(f, ast.Attribute):
        if isinstance(f.value, ast.Name) and f.value.id == "builtins":
            return f.attr in RUNS_CODE
        return f.attr == "import_module" and not isinstance(node.args[0], ast.Constant)
    return False


RUNS_GENERATED_CODE = PACKAGE / "backends" / "code" / "program.py"


def test_no_eval_or_exec_of_user_text():
    """Only backends/code/program.py compiles source (its own, built from validated
    identifiers)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == RUNS_GENERATED_CODE:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        own = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        offenders += [f"{path.relative_to(PACKAGE.parent)}:{n.lineno}" for n in ast.walk(tree)
                      if isinstance(n, ast.Call) and _runs_code(n, own)]
    assert not offenders, "eval/exec/compile outside program.py:\n" + "\n".join(offenders)


def test_codegen_compiles_only_its_own_source():
    source = RUNS_GENERATED_CODE.read_text("utf-8")
    runs = [line.strip() for line in source.splitlines()
            if re.search(r"(?<![\w.])(exec|eval)\s*\(", line.split("#", 1)[0])]
    assert runs and all(r.startswith("exec(builtins.compile(source,") for r in runs), runs
    assert "IDENTIFIER" in source and "iskeyword" in source


def test_the_parser_passes_no_user_text_to_sympify():
    """sympy.sympify evaluates strings; the parser turns a NUMBER token into a Rational (which
    reads digits only) and a name into a Symbol: no text of the user reaches sympify."""
    for path in (PACKAGE / "language").rglob("*.py"):
        source = path.read_text("utf-8")
        assert "sympify(" not in source and "parse_expr(" not in source, path
    for text in ("1e5", "1_000", "0x10", "1j", "__import__('os')"):
        try:
            e = mc.parse(text)
        except mc.MatcalcError:
            continue
        assert all(isinstance(n.value, sympy.Rational) for n in mc.ir.traverse.walk(e)
                   if isinstance(n, mc.ir.expr.Number))


# ---- parser regressions found by the fuzzer and the property tests -----------------------

def value(text, values, shapes=None):
    return mc.parse(text, shapes=shapes).evaluate(values)


def test_kronecker_shapes_are_products_of_the_factors():
    """A kron B is (mp) x (nq); (A kron B) x ties the length of x to n q (was '?5*?7')."""
    e = mc.parse("x^T (A kron B) x")
    dims = {s.name: s.dims for s in mc.ir.traverse.free_symbols(e)}
    assert dims["x"][0] == "*".join(sorted((dims["A"][0], dims["B"][0])))
    A, B, x = np.eye(2) + 0.1, np.eye(3) - 0.2, np.arange(6.0)
    assert np.isclose(e.evaluate({"A": A, "B": B, "x": x}), x @ np.kron(A, B) @ x)
    assert "?" not in str(mc.parse("exp(-x^T kron x) (I - 2 x x^T)").shape)
    assert isinstance(mc.parse("(A kron B)(C kron D)"), mc.Expr)
    g = mc.gradient("x^T (A kron B) x", wrt="x")
    G = g.evaluate({"A": A, "B": B, "x": x})
    assert np.allclose(G, (np.kron(A, B) + np.kron(A, B).T) @ x)


def test_kron_before_a_parenthesis_is_the_operator():
    assert isinstance(mc.parse("A kron (B + C)"), mc.Expr)


def test_ones_and_identity_sized_by_context():
    x, X = np.array([1.0, 2.0, 3.0]), np.arange(9.0).reshape(3, 3)
    assert np.allclose(value("X 1", {"X": X}), X @ np.ones(3))
    assert np.allclose(value("1^T X 1", {"X": X}), X.sum())
    outer = mc.parse("2 1 x^T", shapes={"x": "n"}, shape=(3, "n"))
    assert np.allclose(outer.evaluate({"x": x}), 2 * np.outer(np.ones(3), x))
    assert np.allclose(value("<1, x>", {"x": x}), x.sum())
    assert np.allclose(value("2 exp(t) 1 - x", {"x": x, "t": 0.5}, {"t": "scalar"}),
                       2 * np.exp(0.5) - x)
    assert str(mc.parse("1 / (I x^T x)")) == "1 / (x^T x)"        # I of size 1 is 1
    assert str(mc.parse("2 3 x")) == "6 x" and str(mc.parse("2 + 1 + x")) == "3 + x"
    assert str(mc.parse("sum(x^T x)")) == "x^T x"                 # 1^T of a scalar
    zero = mc.parse("0", shape=("n", 1))
    assert isinstance(zero, mc.ir.expr.Zero) and zero.shape == ("n", 1)


def test_digit_subscripts_are_one_symbol():
    assert str(mc.parse("x_12 + y_{12}")) in ("x_12 + y_12", "y_12 + x_12")
    assert {s.name for s in mc.ir.traverse.free_symbols(mc.parse("x_12 x"))} == {"x_12", "x"}


@pytest.mark.parametrize("text", ["|1/2 + |1/2 + t||", "|1/2 + sigma(-2 |2 + cos(t)|)|",
                                  "||x|| + |t|", "|t| |t|", "|| |t| x||", "<x, |t| x>"])
def test_nested_bars(text):
    assert isinstance(mc.parse(text, shapes={"t": "scalar"}), mc.Expr)
    assert np.isclose(value("|1/2 + |1/2 - t||", {"t": 3.0}, {"t": "scalar"}), 3.0)


@pytest.mark.parametrize("latex, plain", [
    (r"\sqrt{t}^{2}", "sqrt(t)^2"), (r"\sqrt{1 + t} \operatorname{tr}(A)", "sqrt(1 + t) tr(A)"),
    (r"x^{\circ 2}", "x.^2"), (r"x \oslash y", "x ./ y"), (r"\mathbf{1}^{\top} x", "1^T x"),
])
def test_what_the_latex_printer_writes_parses(latex, plain):
    shapes = {"t": "scalar"}
    assert mc.parse(latex, shapes=shapes) == mc.parse(plain, shapes=shapes)


def test_elementwise_operations_with_a_scalar():
    x = np.array([1.0, 2.0])
    shapes = {"t": "scalar"}
    assert np.allclose(value("t .* x", {"t": 3.0, "x": x}, shapes), 3 * x)
    assert np.allclose(value("x ./ t", {"t": 2.0, "x": x}, shapes), x / 2)
    assert np.allclose(value("t ./ x", {"t": 2.0, "x": x}, shapes), 2 / x)


def test_zero_to_a_negative_power():
    for text in ("0^-1", "0^{-1}", "(0)^-2", r"X 1/0^{-\top}", "0^-T"):
        assert "division by zero" in str(error_of(mc.parse, text))


def test_shape_argument_is_checked():
    for bad in ((1, 2, 3), "ab", ("n", 0), ("n", None)):
        assert "shape" in str(error_of(mc.parse, "x", shape=bad))

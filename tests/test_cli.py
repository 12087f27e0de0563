"""The command line (matcalc.cli): every command and option, stdin, exit codes.

Most tests call ``main(argv)`` in-process and read stdout/stderr with capsys; a
few run ``python -m matcalc`` (and the installed ``matcalc`` script, when there
is one) as a subprocess.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import matcalc as mc
from matcalc import cli
from matcalc.api.results import Result, VerifyReport
from closed_forms import layer_delta, layer_loss
from harness import EXACT_ATOL, EXACT_RTOL, FD_ATOL, FD_RTOL, SIZES
from oracle import central_gradient, central_jacobian, directional_difference, rng_values

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv, stdin=None):
    """(exit code, stdout, stderr) of main(argv)."""
    try:
        code = cli.main(list(argv), stdin=io.StringIO(stdin) if stdin is not None else None)
    except SystemExit as e:             # argparse errors and --help
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def lines(text):
    return text.rstrip("\n").split("\n")


def no_traceback(err):
    assert "Traceback" not in err, err


# ---- grad ------------------------------------------------------------------------------

def test_grad(capsys):
    code, out, err = run(capsys, "grad", "log det X", "--wrt", "X")
    assert (code, out, err) == (0, "X^-T\n", "")


def test_grad_alias_gradient(capsys):
    assert run(capsys, "gradient", "tr(A X^-1 B)", "--wrt", "X")[:2] == (
        0, "-X^-T A^T B^T X^-T\n")


def test_grad_steps(capsys):
    code, out, _ = run(capsys, "grad", "tr(A X^-1 B)", "--wrt", "X", "--steps")
    assert code == 0
    out = lines(out)
    assert out[0] == "f = tr(A X^-1 B)"
    assert out[1] == "df = d(tr(A X^-1 B))"
    assert any("[d(X^-1) = -X^-1 dX X^-1]" in line for line in out)
    assert any("-<X^-T A^T B^T X^-T, dX>" in line for line in out)
    assert out[-1] == "gradient: -X^-T A^T B^T X^-T"


def test_grad_latex(capsys):
    code, out, _ = run(capsys, "grad", "tr(A X^-1 B)", "--wrt", "X", "--latex")
    assert code == 0
    assert lines(out) == ["-X^-T A^T B^T X^-T", r"-X^{-\top} A^{\top} B^{\top} X^{-\top}"]


def test_grad_latex_steps_is_the_latex_derivation(capsys):
    """The derivation as Jupyter shows it (tests/test_katex.py renders that in KaTeX)."""
    code, out, _ = run(capsys, "grad", "tr(A X^-1 B)", "--wrt", "X", "--latex", "--steps")
    g = mc.gradient("tr(A X^-1 B)", wrt="X")
    assert code == 0 and lines(out)[:-1] == g.explain().split("\n")
    assert lines(out)[-1].startswith(r"\begin{gathered} \begin{aligned} df &= ")
    assert f"${lines(out)[-1]}$" == g._repr_latex_().replace(r"\displaystyle ", "")
    code, out, _ = run(capsys, "grad", "x^T W b", "--wrt", "W,b", "--latex", "--steps")
    assert code == 0 and [line[:17] for line in lines(out) if line.startswith("\\")] == \
        [r"\begin{gathered} "] * 2


def test_grad_verify(capsys):
    code, out, _ = run(capsys, "grad", "log det X", "--wrt", "X", "--verify")
    assert code == 0
    assert lines(out)[0] == "X^-T"
    assert lines(out)[1].startswith("verified: max relative error")


def test_failed_verification_exits_1(capsys, monkeypatch):
    failed = VerifyReport(False, 0.5, 3, 9, 1e-5)
    monkeypatch.setattr(Result, "verify", lambda self, **kw: failed)
    code, out, _ = run(capsys, "grad", "log det X", "--wrt", "X", "--verify")
    assert code == 1
    assert "FAILED: max relative error 5.0e-01" in out


def test_assume(capsys):
    assert run(capsys, "grad", "ln <x, Ax>", "--wrt", "x")[1] == "(A + A^T) x / <x, A x>\n"
    for spec in ("A spd", "A: spd", "A=spd"):
        assert run(capsys, "grad", "ln <x, Ax>", "--wrt", "x", "--assume", spec)[1] == \
            "2 A x / <x, A x>\n"
    assert run(capsys, "grad", "1/2 x^T A x + b^T x + c", "--wrt", "x",
               "--assume", "A symmetric")[1] == "A x + b\n"


# The shapes are given: the parser does not yet infer that a symmetric A is square
# (mc.gradient("tr(A X)", wrt="X", assume={"A": "symmetric"}) raises a ShapeError).
SQUARE = ["--shape", "A n n", "--shape", "B n n"]


def test_assume_repeatable(capsys):
    code, out, _ = run(capsys, "grad", "tr(A X B)", "--wrt", "X", "--assume", "A symmetric",
                       "--assume", "B symmetric", *SQUARE)
    assert (code, out) == (0, "A B\n")
    code, out, _ = run(capsys, "grad", "tr(A X B)", "--wrt", "X", "--assume", "A,B symmetric",
                       *SQUARE)
    assert (code, out) == (0, "A B\n")
    code, out, _ = run(capsys, "grad", "tr(A X B)", "--wrt", "X", *SQUARE)
    assert (code, out) == (0, "A^T B^T\n")


def test_shape(capsys):
    code, out, _ = run(capsys, "grad", "||A X - B||_F", "--wrt", "X", "--shape", "X k n",
                       "--shape", "A m k", "--shape", "B m n", "--verify")
    assert code == 0
    assert lines(out)[0] == "A^T (A X - B) / ||A X - B||_F"
    code, out, _ = run(capsys, "grad", "-sum(y .* log(sigma(Z theta)) + (1 - y) .* "
                       "log(1 - sigma(Z theta)))", "--wrt", "theta", "--shape", "theta vector")
    assert (code, out) == (0, "Z^T (sigma(Z theta) - y)\n")


def test_several_variables(capsys):
    code, out, _ = run(capsys, "grad", "1/2 ||sigma(W x + b) - y||_2^2", "--wrt", "W,b",
                       "--verify")
    assert code == 0
    out = lines(out)
    assert out[0].startswith("grad_W f = ") and out[1].startswith("grad_b f = ")
    assert out[2:4] == ["where h = sigma(W x + b)",      # the names the gradients share
                        "where delta = (h - y) .* h .* (1 - h)"]
    assert out[4].startswith("verified")
    code, out, _ = run(capsys, "grad", "x^T W b", "--wrt", "W,b", "--latex")
    assert lines(out) == ["grad_W f = x b^T", "grad_b f = W^T x",
                          r"\nabla_{W} f = x b^{\top}", r"\nabla_{b} f = W^{\top} x"]


def test_hessian_and_jacobian_blocks_of_several_variables(capsys):
    code, out, _ = run(capsys, "hess", "x^T X y", "--wrt", "x,X", "--verify")
    assert code == 0
    assert lines(out)[:6] == ["H[x, x] = 0", "H[x, X][dX] = dX y", "H[X, x][dx] = dx y^T",
                              "H[X, X][dX] = 0", "vec form: H[x, X] = y^T kron I",
                              "vec form: H[X, x] = y kron I"]
    assert lines(out)[-1].startswith("verified")
    code, out, _ = run(capsys, "hess", "x^T A y", "--wrt", "x,y", "--latex")
    assert lines(out) == ["H[x, x] = 0", "H[x, y] = A", "H[y, x] = A^T", "H[y, y] = 0",
                          r"\nabla^2_{x x} f = 0", r"\nabla^2_{x y} f = A",
                          r"\nabla^2_{y x} f = A^{\top}", r"\nabla^2_{y y} f = 0"]
    code, out, _ = run(capsys, "jac", "A x + X y", "--wrt", "x,X")
    assert (code, lines(out)) == (0, ["J[x] = A", "J[X]: dX -> dX y",
                                      "vec form: J[X] = y^T kron I"])


def test_leading_minus_is_an_expression(capsys):
    assert run(capsys, "grad", "-exp(-x^T x)", "--wrt", "x")[:2] == (0, "2 exp(-x^T x) x\n")
    assert run(capsys, "grad", "-x^Tx", "--wrt", "x")[:2] == (0, "-2 x\n")
    assert run(capsys, "grad", "--wrt", "x", "-1/(1 + x^T x)")[:2] == (
        0, "2 x / (1 + x^T x)^2\n")


# ---- generated modules: --numpy, --jax, --compile ----------------------------------------

def written_module(capsys, tmp_path, *argv, name="g"):
    """The module the command prints, saved as a file that python runs silently, imported."""
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, ""), err
    path = tmp_path / f"{name}.py"
    path.write_text(out)
    ran = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=300)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", ""), ran.stderr
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numpy_writes_a_runnable_module_with_the_result_as_its_docstring(capsys, tmp_path, rng):
    g = written_module(capsys, tmp_path, "grad", "tr(A X^-1 B)", "--wrt", "X", "--numpy")
    assert g.__doc__ == "-X^-T A^T B^T X^-T"
    assert [n for n in vars(g) if not n.startswith("_") and callable(vars(g)[n])] == ["grad_X"]
    v = rng_values(rng, {"A": "matrix:m,n", "B": "matrix:n,m", "X": "square:n"}, SIZES[0])
    A, B, X = v["A"], v["B"], v["X"]
    Xi = np.linalg.inv(X)
    G = g.grad_X(A, B, X)
    np.testing.assert_allclose(G, mc.gradient("tr(A X^-1 B)", wrt="X").evaluate(v),
                               rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(G, -Xi.T @ A.T @ B.T @ Xi.T, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    fd = central_gradient(lambda w: np.trace(w["A"] @ np.linalg.inv(w["X"]) @ w["B"]), v, "X")
    np.testing.assert_allclose(G, fd, rtol=FD_RTOL, atol=FD_ATOL)


def test_several_variables_get_one_function_each(capsys, tmp_path, rng):
    f = "1/2 ||sigma(W x + b) - y||_2^2"
    g = written_module(capsys, tmp_path, "grad", f, "--wrt", "W,b", "--numpy", "--latex")
    printed = str(mc.gradient(f, wrt=["W", "b"])).split("\n")     # with its where lines
    assert printed[0].startswith("grad_W f = ") and printed[1].startswith("grad_b f = ")
    assert g.__doc__.split("\n")[:len(printed)] == printed
    assert g.__doc__.split("\n")[len(printed)].startswith(r"\nabla_{W} f = ")
    v = rng_values(rng, {"W": "matrix:m,n", "x": "vector:n", "b": "vector:m",
                         "y": "vector:m"}, SIZES[0])
    assert inspect.getsource(g).count("def _sigmoid(") == 1       # the helper, once
    GW, Gb = g.grad_W(**v), g.grad_b(**v)
    expected = mc.gradient(f, wrt=["W", "b"]).evaluate(v)
    np.testing.assert_allclose(GW, expected["W"], rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(Gb, expected["b"], rtol=EXACT_RTOL, atol=EXACT_ATOL)
    delta = layer_delta(v["W"], v["x"], v["b"], v["y"])
    np.testing.assert_allclose(GW, np.outer(delta, v["x"]), rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(Gb, delta, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    loss = lambda w: layer_loss(w["W"], w["x"], w["b"], w["y"])
    np.testing.assert_allclose(GW, central_gradient(loss, v, "W"), rtol=FD_RTOL, atol=FD_ATOL)
    np.testing.assert_allclose(Gb, central_gradient(loss, v, "b"), rtol=FD_RTOL, atol=FD_ATOL)


def test_compile_writes_one_function_of_the_value_and_every_gradient(capsys, tmp_path, rng):
    f = "1/2 ||W_2 tanh(W_1 X) - Y||_F^2"
    g = written_module(capsys, tmp_path, "grad", f, "--wrt", "W_1,W_2", "--compile",
                       "--shape", "X d b", "--shape", "Y k b", "--shape", "W_1 h d",
                       "--shape", "W_2 k h")
    assert inspect.getdoc(g) == str(mc.gradient(f, wrt=["W_1", "W_2"]))
    v = rng_values(rng, {"W_1": "matrix:h,d", "W_2": "matrix:k,h", "X": "matrix:d,b",
                         "Y": "matrix:k,b"}, {"d": 3, "h": 4, "k": 2, "b": 5})
    value, (G1, G2) = g.value_and_grad(**v)
    loss = lambda w: 0.5 * np.linalg.norm(w["W_2"] @ np.tanh(w["W_1"] @ w["X"]) - w["Y"]) ** 2
    assert value == pytest.approx(loss(v), rel=EXACT_RTOL)
    expected = mc.gradient(f, wrt=["W_1", "W_2"]).evaluate(v)
    for G, name in ((G1, "W_1"), (G2, "W_2")):
        np.testing.assert_allclose(G, expected[name], rtol=EXACT_RTOL, atol=EXACT_ATOL)
        np.testing.assert_allclose(G, central_gradient(loss, v, name), rtol=FD_RTOL,
                                   atol=FD_ATOL)


def test_compile_of_a_hessian(capsys, tmp_path, rng):
    g = written_module(capsys, tmp_path, "hess", "1/2 ||A x - b||_2^2", "--wrt", "x",
                       "--compile")
    assert g.__doc__ == "A^T A"
    v = rng_values(rng, {"A": "matrix:m,n", "b": "vector:m", "x": "vector:n"}, SIZES[0])
    A, b, x = v["A"], v["b"], v["x"]
    value, G, H = g.value_grad_hess(A, b, x)
    assert value == pytest.approx(0.5 * np.sum((A @ x - b) ** 2), rel=EXACT_RTOL)
    np.testing.assert_allclose(G, A.T @ (A @ x - b), rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(H, A.T @ A, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(H, mc.hessian("1/2 ||A x - b||_2^2", wrt="x").evaluate(v),
                               rtol=EXACT_RTOL, atol=EXACT_ATOL)
    gradient = lambda w: w["A"].T @ (w["A"] @ w["x"] - w["b"])
    np.testing.assert_allclose(H, central_jacobian(gradient, v, "x"), rtol=FD_RTOL,
                               atol=FD_ATOL)
    g = written_module(capsys, tmp_path, "hess", "log det X", "--wrt", "X", "--compile",
                       name="h")
    X = rng_values(rng, {"X": "square:n"}, SIZES[0])["X"]
    V = rng.standard_normal(X.shape)
    value, G, hvp = g.value_grad_hvp(X)
    Xi = np.linalg.inv(X)
    assert value == pytest.approx(np.linalg.slogdet(X)[1], rel=EXACT_RTOL)
    np.testing.assert_allclose(G, Xi.T, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(hvp(V), -Xi.T @ V.T @ Xi.T, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    fd = directional_difference(lambda w: np.linalg.inv(w["X"]).T, {"X": X}, "X", V)
    np.testing.assert_allclose(hvp(V), fd, rtol=FD_RTOL, atol=FD_ATOL)


def test_jax_module(capsys, tmp_path, rng):
    pytest.importorskip("jax")
    g = written_module(capsys, tmp_path, "deriv", "det(A - t I)", "--wrt", "t", "--order", "2",
                       "--shape", "t scalar", "--jax")
    assert "import jax.numpy as jnp" in inspect.getsource(g)
    A = rng_values(rng, {"A": "square:n"}, SIZES[0])["A"]
    t = 0.3
    expected = mc.derivative("det(A - t I)", wrt="t", order=2,
                             shapes={"t": "scalar"}).evaluate({"A": A, "t": t})
    det = lambda s: np.linalg.det(A - s * np.eye(len(A)))
    h = 1e-3
    assert float(g.deriv2_t(A, t)) == pytest.approx(expected, rel=1e-4)    # float32
    assert expected == pytest.approx((det(t + h) - 2 * det(t) + det(t - h)) / h ** 2, rel=1e-4)


def test_a_module_is_only_the_module(capsys):
    """With --verify, --steps or --latex, what they print goes into the docstring."""
    code, out, err = run(capsys, "grad", "log det X", "--wrt", "X", "--numpy", "--verify",
                         "--steps")
    assert code == 0 and err == ""
    module = ast.parse(out)
    doc = ast.get_docstring(module)
    assert doc.split("\n")[0] == "f = log(det(X))" and "verified: max relative error" in doc
    assert [type(n).__name__ for n in module.body] == ["Expr", "Import", "FunctionDef"]


@pytest.mark.parametrize("argv, message", [
    (["jac", "A x", "--wrt", "x", "--compile"], "--compile writes the value and gradients"),
    (["grad", "x^T x", "--wrt", "x", "--torch", "--jax"], "not allowed with argument"),
])
def test_compile_where_it_does_not_apply(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err


def test_torch_modules(capsys, tmp_path, rng):
    """--torch writes the result's function against PyTorch, and with --compile the value and
    gradient; both equal evaluate() and the closed form (A + A^T) x."""
    torch = pytest.importorskip("torch")
    v = rng_values(rng, {"A": "matrix:n,n", "x": "vector:n"}, SIZES[0])
    t = {k: torch.tensor(a) for k, a in v.items()}
    closed = (v["A"] + v["A"].T) @ v["x"]
    g = written_module(capsys, tmp_path, "grad", "x^T A x", "--wrt", "x", "--torch")
    np.testing.assert_allclose(g.grad_x(**t).numpy(), closed, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(g.grad_x(**t).numpy(), mc.gradient("x^T A x", wrt="x").evaluate(v),
                               rtol=EXACT_RTOL, atol=EXACT_ATOL)
    c = written_module(capsys, tmp_path, "grad", "x^T A x", "--wrt", "x", "--torch", "--compile",
                       name="c")
    value, G = c.value_and_grad(**t)
    assert float(value) == pytest.approx(v["x"] @ v["A"] @ v["x"], rel=EXACT_RTOL)
    np.testing.assert_allclose(G.numpy(), closed, rtol=EXACT_RTOL, atol=EXACT_ATOL)


def test_a_module_is_for_one_expression(capsys):
    code, out, err = run(capsys, "grad", "--wrt", "x", "--numpy", stdin="x^T x\nb^T x\n")
    assert code == 2 and out == "" and "--numpy writes one module, for one expression" in err
    code, _, err = run(capsys, "grad", "x^T x", "--wrt", "x", "--numpy", "--jax")
    assert code == 2 and "not allowed with argument" in err


# ---- hess, jac, deriv, diff -------------------------------------------------------------

def test_hess_vector(capsys):
    assert run(capsys, "hess", "1/2 ||A x - b||_2^2", "--wrt", "x")[:2] == (0, "A^T A\n")
    code, out, _ = run(capsys, "hessian", "1/3 ||x||_2^3", "--wrt", "x", "--steps", "--verify")
    assert code == 0
    out = lines(out)
    assert out[0] == "f = 1/3 ||x||_2^3"
    assert "Hessian: ||x||_2 I + x x^T / ||x||_2" in out
    assert out[-1].startswith("verified")


def test_hess_matrix(capsys):
    code, out, _ = run(capsys, "hess", "log det X", "--wrt", "X", "--latex")
    assert code == 0
    assert lines(out) == ["H[dX] = -X^-T dX^T X^-T", "vec form: H = -(X^-1 kron X^-T) K",
                          r"-\left(X^{-1} \otimes X^{-\top}\right) K"]
    code, out, _ = run(capsys, "hess", "log det X", "--wrt", "X", "--assume", "X spd")
    assert lines(out) == ["H[dX] = -X^-1 dX X^-1", "vec form: H = -X^-1 kron X^-1"]


def test_jac(capsys):
    assert run(capsys, "jac", "A x", "--wrt", "x")[:2] == (0, "A\n")
    code, out, _ = run(capsys, "jacobian", "A X B", "--wrt", "X", "--verify")
    assert code == 0
    out = lines(out)
    assert out[:2] == ["dX -> A dX B", "vec form: J = B^T kron A"]
    assert out[2].startswith("verified")
    code, out, _ = run(capsys, "jac", "A X B", "--wrt", "X", "--steps")
    assert lines(out)[0] == "f = A X B" and lines(out)[-1] == "Jacobian: dX -> A dX B"


def test_jac_latex_of_a_map_without_a_matrix_form(capsys):
    code, out, err = run(capsys, "jac", "diag(diag(X))", "--wrt", "X", "--latex")
    assert (code, err) == (0, "")
    diag = r"\operatorname{diag}"
    assert lines(out) == ["dX -> diag(diag(dX))",
                          rf"dF = {diag}\left({diag}\left(dX\right)\right)"]


def test_deriv(capsys):
    code, out, _ = run(capsys, "deriv", "det(A - t I)", "--wrt", "t", "--order", "2",
                       "--shape", "t scalar", "--verify")
    assert code == 0
    assert lines(out)[0] == "det(A - t I) (tr((A - t I)^-1)^2 - tr((A - t I)^-2))"
    assert lines(out)[1].startswith("verified")
    assert run(capsys, "deriv", "t^3", "--wrt", "t", "--shape", "t scalar")[1] == "3 t^2\n"
    assert run(capsys, "derivative", "t^3", "--wrt", "t", "--order", "3",
               "--shape", "t scalar", "--latex")[1] == "6\n6\n"


def test_deriv_of_a_vector_variable_is_an_error(capsys):
    code, out, err = run(capsys, "deriv", "x^T x", "--wrt", "x")
    assert code == 2 and out == "" and err.startswith("error: derivative() is for a scalar")


def test_deriv_bad_order(capsys):
    code, _, err = run(capsys, "deriv", "t^3", "--wrt", "t", "--order", "0",
                       "--shape", "t scalar")
    assert code == 2 and "order must be a whole number from 1 to 30" in err


def test_diff(capsys):
    assert run(capsys, "diff", "ln <x, Ax>", "--wrt", "x")[:2] == (
        0, "df = <(A + A^T) x, dx> / <x, A x>\n")
    code, out, _ = run(capsys, "differential", "tr(A X^-1 B)", "--wrt", "X", "--latex",
                       "--verify")
    assert code == 0
    out = lines(out)
    assert out[0] == "df = -<X^-T A^T B^T X^-T, dX>"
    assert out[1].startswith("df = ") and r"\langle" in out[1]
    assert out[2].startswith("verified")
    code, out, _ = run(capsys, "diff", "tr(A X^-1 B)", "--wrt", "X", "--steps")
    assert "[canonical form <G, dX>]" in out


# ---- check -------------------------------------------------------------------------------

def test_check_right(capsys):
    code, out, _ = run(capsys, "check", "log det X", "--wrt", "X", "--answer", "X^-T")
    assert (code, out) == (0, "right: the gradient is X^-T\n")


def test_check_wrong(capsys):
    code, out, _ = run(capsys, "check", "log det X", "--wrt", "X", "--answer", "X^-1")
    assert (code, out) == (1, "right only for symmetric X: the gradient is X^-T\n")
    code, out, _ = run(capsys, "check", "log det X", "--wrt", "X", "--answer", "-X^-T")
    assert code == 1 and out.startswith("off by a factor -1")


def test_check_with_assumption_and_kind(capsys):
    assert run(capsys, "check", "log det X", "--wrt", "X", "--answer", "X^-1",
               "--assume", "X spd")[0] == 0
    code, out, _ = run(capsys, "check", "1/2 ||A x - b||_2^2", "--wrt", "x",
                       "--answer", "A^T A", "--kind", "hessian")
    assert code == 0 and out.startswith("right")
    assert run(capsys, "check", "1/2 ||A x - b||_2^2", "--wrt", "x",
               "--answer", "A A^T", "--kind", "hessian")[0] == 1


def test_an_ill_shaped_answer_is_a_wrong_answer(capsys):
    code, out, err = run(capsys, "check", "log det X", "--wrt", "X", "--answer", "X^-T + x")
    assert (code, err) == (1, "")
    assert lines(out) == ["wrong: the answer has no shape (cannot add a matrix n x n and a "
                          "vector of length n); the gradient is X^-T", "  X^-T + x", "  ^"]
    code, out, _ = run(capsys, "check", "log det X", "--wrt", "X", "--answer", "x")
    assert code == 1 and out.startswith("wrong shape: the answer x is a vector")
    code, out, _ = run(capsys, "check", "x^T A x", "--wrt", "x", "--answer", "A + A^T x",
                       "--kind", "hessian")
    assert code == 1 and out.startswith("wrong: the answer has no shape (") \
        and "the hessian is A + A^T" in out


def test_an_ill_shaped_function_is_bad_input(capsys):
    code, out, err = run(capsys, "check", "x + A", "--wrt", "x", "--answer", "x + A")
    assert code == 2 and out == "" and err.startswith("error: cannot add a vector")


def test_check_bad_answer_is_bad_input(capsys):
    code, out, err = run(capsys, "check", "log det X", "--wrt", "X", "--answer", "X^-")
    assert code == 2 and out == "" and err.startswith("error:") and "^" in err
    no_traceback(err)


def test_check_needs_an_answer(capsys):
    code, _, err = run(capsys, "check", "log det X", "--wrt", "X")
    assert code == 2 and "--answer" in err


# ---- stdin -------------------------------------------------------------------------------

def test_stdin(capsys):
    assert run(capsys, "grad", "--wrt", "X", stdin="tr(A X)\n")[:2] == (0, "A^T\n")
    assert run(capsys, "grad", "-", "--wrt", "X", stdin="  log det X  ")[:2] == (0, "X^-T\n")
    assert run(capsys, "check", "--wrt", "X", "--answer", "A^T", stdin="tr(A X)")[0] == 0


def test_empty_stdin(capsys):
    code, out, err = run(capsys, "grad", "--wrt", "X", stdin="   \n")
    assert code == 2 and out == "" and err == "error: the expression is empty\n"


def test_each_line_of_stdin_is_its_own_expression(capsys):
    """Not log det(X tr(X)): two expressions, two gradients (X^-T and I)."""
    assert run(capsys, "grad", "--wrt", "X", stdin="log det X\ntr(X)\n") == (0, "X^-T\nI\n", "")
    assert run(capsys, "grad", "-", "--wrt", "X", stdin="\n tr(A X) \n\n\nlog det X")[:2] == (
        0, "A^T\nX^-T\n")
    code, out, _ = run(capsys, "check", "--wrt", "X", "--answer", "A^T",
                       stdin="tr(A X)\ntr(X^T A^T)\ntr(A^T X)\n")
    assert code == 1 and lines(out)[:2] == ["right: the gradient is A^T"] * 2
    assert lines(out)[2].startswith("transposed: ")


def test_blocks_of_several_lines_are_separated_by_a_blank_line(capsys):
    code, out, _ = run(capsys, "hess", "--wrt", "X", stdin="log det X\ntr(X^2)\n")
    assert code == 0
    first, second = out.split("\n\n")
    assert first == "H[dX] = -X^-T dX^T X^-T\nvec form: H = -(X^-1 kron X^-T) K"
    assert lines(second)[0] == "H[dX] = 2 dX^T" and lines(second)[1].startswith("vec form: H =")
    code, out, _ = run(capsys, "grad", "--wrt", "x", "--verify", stdin="x^T x\nb^T x\n")
    assert code == 0 and out.count("\n\n") == 1 and out.count("verified") == 2


def test_a_bad_line_of_stdin_is_reported_with_its_number_and_the_rest_go_on(capsys):
    code, out, err = run(capsys, "grad", "--wrt", "X", stdin="log det X\ntr(A X\ntr(X)\n")
    assert code == 2 and out == "X^-T\nI\n"
    assert lines(err) == ["error: line 2: the expression ends too early", "  tr(A X", "        ^"]


def test_a_function_without_the_variable_gets_a_note(capsys):
    code, out, err = run(capsys, "grad", "x^T A x", "--wrt", "X")
    assert (code, out) == (0, "0\n")
    assert err == "note: x^T A x does not depend on X, so its gradient is 0; did you mean x?\n"
    code, out, err = run(capsys, "grad", "x^T A x", "--wrt", "A,b")
    assert code == 0 and lines(out)[1] == "grad_b f = 0"
    assert err == "note: x^T A x does not depend on b, so its gradient is 0\n"
    code, out, err = run(capsys, "hess", "tr(A)", "--wrt", "X")
    assert (code, out) == (0, "H[dX] = 0\nvec form: H = 0\n")
    assert "does not depend on X, so its Hessian is 0" in err
    code, out, err = run(capsys, "check", "b^T x", "--wrt", "y", "--answer", "0")
    assert code == 0 and "does not depend on y" in err


def test_a_derivative_that_is_zero_gets_no_note(capsys):
    assert run(capsys, "hess", "tr(X)", "--wrt", "X") == (0, "H[dX] = 0\nvec form: H = 0\n", "")


# ---- time limit --------------------------------------------------------------------------

@pytest.fixture
def clock_stops_after(monkeypatch):
    """A fake clock for matcalc.deadline: still for n readings, then a day later."""
    from matcalc import deadline

    def stop(n):
        readings = iter([0.0] * n)
        monkeypatch.setattr(deadline, "time", types.SimpleNamespace(
            monotonic=lambda: next(readings, 86_400.0)))
    return stop


def test_timeout_stops_a_computation_and_exits_2(capsys, clock_stops_after):
    clock_stops_after(3)
    code, out, err = run(capsys, "hess", "log det X", "--wrt", "X", "--timeout", "2.5")
    assert code == 2 and out == ""
    assert err.startswith("error: hessian() ran past its time limit of 2.5 s while ")
    assert "--timeout" in err


def test_timeout_holds_for_the_command_only(capsys):
    before = mc.time_limit()
    assert run(capsys, "grad", "log det X", "--wrt", "X", "--timeout", "none")[:2] == (0, "X^-T\n")
    assert run(capsys, "problems", "--only", "S5", "--timeout", "30")[0] == 0
    assert mc.time_limit() == before


@pytest.mark.parametrize("spec", ["0", "-1", "abc", "inf", "nan", ""])
def test_bad_timeout_exits_2(capsys, spec):
    code, out, err = run(capsys, "grad", "log det X", "--wrt", "X", "--timeout", spec)
    assert code == 2 and out == "" and err.startswith(f"error: --timeout {spec!r}: give a positive")


def test_bad_matcalc_timeout_exits_2(capsys, monkeypatch):
    from matcalc import deadline
    monkeypatch.setattr(deadline, "_limit", deadline._UNSET)
    monkeypatch.setenv("MATCALC_TIMEOUT", "soon")
    code, out, err = run(capsys, "grad", "log det X", "--wrt", "X")
    assert code == 2 and out == "" and "MATCALC_TIMEOUT='soon'" in err


# ---- errors ------------------------------------------------------------------------------

def test_parse_error_has_a_caret(capsys):
    code, out, err = run(capsys, "grad", "tr(A X", "--wrt", "X")
    assert code == 2 and out == ""
    assert lines(err) == ["error: the expression ends too early", "  tr(A X", "        ^"]


def test_unknown_function(capsys):
    code, _, err = run(capsys, "grad", "foo(x) + x^T x", "--wrt", "x")
    assert code == 2
    assert lines(err) == ["error: unknown function 'foo'", "  foo(x) + x^T x", "  ^"]


@pytest.mark.parametrize("argv, message", [
    (["grad", "x", "--wrt", "x"], "not a scalar"),                       # shape of f
    (["grad", "x^T y", "--wrt", "z z"], "wrt must name a variable"),
    (["grad", "tr(A X)", "--wrt", "X", "--shape", "A"], "--shape 'A'"),
    (["grad", "tr(A X)", "--wrt", "X", "--shape", "A scalar m"], "not both"),
    (["grad", "tr(A X)", "--wrt", "X", "--assume", "A"], "--assume 'A'"),
    (["grad", "tr(A X)", "--wrt", "X", "--assume", "A weird"], "unknown assumption 'weird'"),
    (["grad", "tr(A X)", "--wrt", "X", "--assume", "Q symmetric"], "does not occur"),
    (["deriv", "t^2 s", "--wrt", "t,s"], "work with grad, hess and jac only"),
    (["grad", "tr(A X)", "--wrt", ","], "--wrt needs a variable"),
    (["problems", "--only", "P99"], "no problem 'P99'"),
])
def test_bad_input_exits_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2, (code, out, err)
    assert out == "" and err.startswith("error: ") and message in err, err
    no_traceback(err)


@pytest.mark.parametrize("argv", [
    [],                                         # no command
    ["grad", "tr(A X)"],                        # no --wrt
    ["frobnicate", "x"],                        # no such command
    ["deriv", "t^2", "--wrt", "t", "--order", "two"],
    ["check", "tr X", "--wrt", "X", "--answer", "I", "--kind", "jacobian"],
])
def test_usage_errors_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "usage: matcalc" in err
    no_traceback(err)


@pytest.mark.parametrize("argv", [
    ["grad", "sin(t)", "--wrt", "t"],                       # not a scalar function
    ["deriv", "sin(t)", "--wrt", "t"],                      # not a scalar variable
    ["deriv", "det(A - t I)", "--wrt", "t"],                # no shape at all
    ["hess", "exp(t) b^T x", "--wrt", "x"],                 # another letter than the variable
])
def test_a_letter_read_as_a_vector_gets_a_shape_hint(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.startswith("error: ")
    assert lines(err)[-1] == ('hint: t is a vector here (a lowercase letter); if it is a '
                              'scalar, say so: --shape "t scalar"')
    assert run(capsys, *argv, "--shape", "t scalar")[0] == 0


@pytest.mark.parametrize("argv", [["grad", "a b", "--wrt", "a"], ["grad", "x + A", "--wrt", "x"],
                                  ["grad", "sin(t)", "--wrt", "t", "--shape", "t n"]])
def test_no_shape_hint_where_a_scalar_would_not_help(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "hint" not in err


def test_help(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "grad" in out and "problems" in out
    code, out, _ = run(capsys, "grad", "--help")
    assert code == 0
    for option in ("--wrt", "--assume", "--shape", "--steps", "--latex", "--numpy",
                   "--verify"):
        assert option in out


def test_version(capsys):
    for flag in ("-V", "--version"):
        assert run(capsys, flag) == (0, f"matcalc {mc.__version__}\n", "")
    code, _, err = run(capsys, "grad", "-V", "--wrt", "V")     # after the command: -1 times V
    assert code == 2 and "-V is a matrix" in err


def test_internal_error_has_no_traceback(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mc, "gradient", broken)
    monkeypatch.delenv("MATCALC_DEBUG", raising=False)
    code, out, err = run(capsys, "grad", "tr X", "--wrt", "X")
    assert code == 3 and out == ""
    assert err.startswith("internal error: RuntimeError: boom")
    no_traceback(err)


# ---- problems ----------------------------------------------------------------------------

def test_problems_only(capsys):
    code, out, _ = run(capsys, "problems", "--only", "P3,S2")
    assert code == 0
    out = lines(out)
    assert out[0].split() == ["id", "f", "result", "verified", "matches", "ms"]
    ids = [row.split()[0] for row in table_rows(out)]
    assert ids == ["P3", "P3-hess", "P3-sym", "P3-sym-hess", "S2"]
    s2 = table_rows(out)[ids.index("S2")]
    assert "tr(A X^-1 B)" in s2 and "-X^-T A^T B^T X^-T" in s2
    assert s2.split()[-3:-1] == ["yes", "yes"] and s2.split()[-1].isdigit()
    assert out[-1].startswith("5 problems: 5 verified, 5 match the expected answer, 0 failing")


def test_problems_failing_exits_1(capsys, monkeypatch):
    from matcalc import problems as P
    import dataclasses
    wrong = dataclasses.replace(P.by_id("S2"), answer="-X^-1 A^T B^T X^-1")
    monkeypatch.setattr(P, "PROBLEMS", (P.by_id("S5"), wrong))
    code, out, _ = run(capsys, "problems")
    assert code == 1
    assert "FAILED S2: " in out and "expected: -X^-1 A^T B^T X^-1" in out
    assert lines(out)[-1].startswith("2 problems: 2 verified, 1 match the expected answer, "
                                     "1 failing")


def test_problems_all_pass(capsys):
    from matcalc.problems import PROBLEMS
    code, out, _ = run(capsys, "problems")
    assert code == 0, out
    rows = table_rows(lines(out))
    assert [r.split()[0] for r in rows] == [p.id for p in PROBLEMS]
    assert all(r.split()[-3:-1] == ["yes", "yes"] for r in rows), out
    assert f"{len(PROBLEMS)} problems: {len(PROBLEMS)} verified" in lines(out)[-1]
    assert max(map(len, lines(out))) <= 100


def table_rows(out):
    """The first line of each row of the table (a long cell goes on in the next lines, whose
    id column is blank)."""
    return [line for line in out[2:-1] if not line.startswith(" ")]


def test_a_table_wraps_its_widest_columns_to_fit():
    rows = [("id", "text", "n"), ("a", "x " * 80, "1"), ("bb", "short", "22")]
    out = cli.table(rows, right={2}, width=40)
    assert max(map(len, out)) <= 40
    assert out[0].split() == ["id", "text", "n"] and out[2].startswith("a   x x")
    assert out[2].endswith(" 1") and out[3].startswith("    x x")
    assert sorted(t for line in out[2:-1] for t in line.split()) == ["1", "a"] + ["x"] * 80
    assert out[-1].split() == ["bb", "short", "22"]


# ---- as a subprocess ---------------------------------------------------------------------

def subprocess_run(*argv, stdin=None, command=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("MATCALC_DEBUG", None)
    command = command or [sys.executable, "-m", "matcalc"]
    return subprocess.run([*command, *argv], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


def test_python_dash_m():
    p = subprocess_run("grad", "log det X", "--wrt", "X")
    assert (p.returncode, p.stdout, p.stderr) == (0, "X^-T\n", "")


def test_python_dash_m_steps_and_stdin():
    p = subprocess_run("grad", "--wrt", "X", "--steps", stdin="tr(A X^-1 B)\n")
    assert p.returncode == 0
    assert lines(p.stdout)[-1] == "gradient: -X^-T A^T B^T X^-T"


def test_python_dash_m_exit_codes():
    p = subprocess_run("check", "log det X", "--wrt", "X", "--answer", "X^-1")
    assert p.returncode == 1 and p.stdout.startswith("right only for symmetric X")
    p = subprocess_run("grad", "tr(A X", "--wrt", "X")
    assert p.returncode == 2 and p.stdout == ""
    assert lines(p.stderr) == ["error: the expression ends too early", "  tr(A X", "        ^"]
    p = subprocess_run("grad", "tr(A X)")
    assert p.returncode == 2 and "usage: matcalc" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("argv", [["problems", "--only", "P1,P2,P3"],
                                  ["grad", "--wrt", "x", "--steps"]])
def test_a_closed_pipe_is_a_normal_end(argv):
    """matcalc problems | head: the reader goes away before matcalc writes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("MATCALC_DEBUG", None)
    p = subprocess.Popen([sys.executable, "-m", "matcalc", *argv], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
    p.stdout.close()
    _, err = p.communicate("\n".join(["x^T x"] * 2000).encode(), timeout=300)
    assert (p.returncode, err.decode()) == (0, "")


def test_python_dash_m_problems():
    p = subprocess_run("problems", "--only", "P11,P30")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "P11-hess-general" in p.stdout and "P30-2" in p.stdout
    assert lines(p.stdout)[-1].startswith("5 problems: 5 verified, 5 match")


@pytest.mark.skipif(shutil.which("matcalc") is None, reason="the console script is not installed")
def test_console_script():
    p = subprocess_run("grad", "log det X", "--wrt", "X", command=[shutil.which("matcalc")])
    assert (p.returncode, p.stdout) == (0, "X^-T\n")


def readme_sessions():
    """($ command, the lines it prints, exit code) of the README's console blocks."""
    text = (ROOT / "README.md").read_text("utf-8")
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for session in re.split(r"^(?=\$ )", block, flags=re.M):
            if session.strip():
                command, *printed = session.rstrip("\n").split("\n")
                command, _, comment = command.removeprefix("$ ").partition("  # exit code ")
                yield command.strip(), printed, int(comment or 0)


@pytest.mark.parametrize("command, printed, code", list(readme_sessions()))
def test_the_readme_sessions(command, printed, code, tmp_path):
    """What the README shows the command line printing, it prints (stdout, then stderr)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("MATCALC_DEBUG", None)
    shell = f"matcalc() {{ {shlex.quote(sys.executable)} -m matcalc \"$@\"; }}\n{command}"
    p = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=tmp_path,
                       env=env, timeout=300)
    assert (p.returncode, lines(p.stdout + p.stderr)) == (code, printed)

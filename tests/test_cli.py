"""The command line (matcalc.cli): every command and option, stdin, exit codes.

Most tests call ``main(argv)`` in-process and read stdout/stderr with capsys; a
few run ``python -m matcalc`` (and the installed ``matcalc`` script, when there
is one) as a subprocess.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import matcalc as mc
from matcalc import cli
from matcalc.api.results import Result, VerifyReport

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


def test_leading_minus_is_an_expression(capsys):
    assert run(capsys, "grad", "-exp(-x^T x)", "--wrt", "x")[:2] == (0, "2 exp(-x^T x) x\n")
    assert run(capsys, "grad", "-x^Tx", "--wrt", "x")[:2] == (0, "-2 x\n")
    assert run(capsys, "grad", "--wrt", "x", "-1/(1 + x^T x)")[:2] == (
        0, "2 x / (1 + x^T x)^2\n")


# ---- numpy --------------------------------------------------------------------------------

def test_numpy_real_codegen(capsys):
    code, out, err = run(capsys, "grad", "log det X", "--wrt", "X", "--numpy")
    assert code == 0, err
    assert lines(out)[0] == "X^-T" and len(lines(out)) > 1


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
    (["hess", "x^T W b", "--wrt", "W,b"], "grad only"),
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


def test_help(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "grad" in out and "problems" in out
    code, out, _ = run(capsys, "grad", "--help")
    assert code == 0
    for option in ("--wrt", "--assume", "--shape", "--steps", "--latex", "--numpy",
                   "--verify"):
        assert option in out


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
    ids = [line.split()[0] for line in out[2:-1]]
    assert ids == ["P3", "P3-hess", "P3-sym", "P3-sym-hess", "S2"]
    s2 = out[2 + ids.index("S2")]
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
    rows = lines(out)[2:2 + len(PROBLEMS)]
    assert [r.split()[0] for r in rows] == [p.id for p in PROBLEMS]
    assert all(r.split()[-3:-1] == ["yes", "yes"] for r in rows), out
    assert f"{len(PROBLEMS)} problems: {len(PROBLEMS)} verified" in lines(out)[-1]


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

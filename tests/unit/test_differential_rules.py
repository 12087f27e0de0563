"""matcalc.rules.differential.differential_of, node type by node type.

For each row, the differential dF of F at X, evaluated in a random direction V
(dX = V), equals the central difference (F(X + h V) - F(X - h V)) / 2h of an
independent NumPy implementation of F. Every node type with a differential
rule appears in some row (``test_every_rule_is_exercised``).
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.linalg import det, inv, matrix_power, norm, svd

import matcalc as mc
from matcalc.backends.numeric import evaluate
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols, walk
from matcalc.rules.differential import RULES, differential_of
from oracle import assert_close, logsumexp, sigma, softmax, sym, vec


def column_softmax(Z):
    return np.apply_along_axis(softmax, 0, Z)


def traced_blocks(M, rows, cols):
    """The rows x cols matrix of the traces of M's (square) blocks: tr_2."""
    b = M.shape[0] // rows
    return np.array([[np.trace(M[i * b:(i + 1) * b, j * b:(j + 1) * b]) for j in range(cols)]
                     for i in range(rows)])


def summed_diagonal_blocks(M, n):
    """The sum of the diagonal blocks of an n x n grid of blocks: tr_1."""
    r, c = M.shape[0] // n, M.shape[1] // n
    return sum(M[i * r:(i + 1) * r, i * c:(i + 1) * c] for i in range(n))


def cubed_trace(shapes):
    """tr(X^3) with the power as a symbolic one (X^k at k = 3), built by hand: the parser
    writes X^3 as an integer power."""
    return E.Trace(E.SymbolicPower(E.Symbol("X", shapes["X"]), E.Number(3)))


def taylor_expm(M):
    """expm(M) by 30 terms of its series after scaling by 2^-6, then 6 squarings."""
    A, term, total = M / 64.0, np.eye(len(M)), np.eye(len(M))
    for k in range(1, 30):
        term = term @ A / k
        total = total + term
    for _ in range(6):
        total = total @ total
    return total


def block_frechet(A, X):
    """Dexpm(A)[X], the upper right block of expm([[A, X], [0, A]])."""
    n = len(A)
    return taylor_expm(np.block([[A, X], [np.zeros_like(A), A]]))[:n, n:]


# (id, text or builder of the tree from the shapes, variable, NumPy F of the values,
#  shapes, assumptions)
ROWS = [
    ("Add", "A X + X B", "X", lambda v: v["A"] @ v["X"] + v["X"] @ v["B"], None, None),
    ("Mul", "A X B", "X", lambda v: v["A"] @ v["X"] @ v["B"],
     {"A": ("m", "k"), "X": ("k", "n"), "B": ("n", "p")}, None),
    ("Mul-scalar", "(x^T x) x", "x", lambda v: (v["x"] @ v["x"]) * v["x"], None, None),
    ("Hadamard", "X .* (A X)", "X", lambda v: v["X"] * (v["A"] @ v["X"]), None, None),
    ("Transpose", "X^T A X", "X", lambda v: v["X"].T @ v["A"] @ v["X"],
     {"X": ("n", "m"), "A": ("n", "n")}, None),
    ("Inverse", "X^-1", "X", lambda v: inv(v["X"]), None, None),
    ("MatPower", "X^3", "X", lambda v: matrix_power(v["X"], 3), None, None),
    ("MatPower-negative", "X^-2", "X", lambda v: matrix_power(inv(v["X"]), 2), None, None),
    ("Power", "(1 + x^T x)^(3/2)", "x", lambda v: (1 + v["x"] @ v["x"]) ** 1.5, None, None),
    ("Power-elementwise", "x.^3", "x", lambda v: v["x"] ** 3, None, None),
    ("Power-variable-exponent", "(x^T x)^(x^T x)", "x",
     lambda v: (v["x"] @ v["x"]) ** (v["x"] @ v["x"]), None, None),
    ("Trace", "tr(A X)", "X", lambda v: np.trace(v["A"] @ v["X"]),
     {"A": ("m", "n"), "X": ("n", "m")}, None),
    ("Det", "det(X)", "X", lambda v: det(v["X"]), None, None),
    ("Inner-matrices", "<A, X>", "X", lambda v: np.sum(v["A"] * v["X"]),
     {"A": ("m", "n"), "X": ("m", "n")}, None),
    ("Inner-vectors", "<x, A x>", "x", lambda v: v["x"] @ v["A"] @ v["x"], None, None),
    ("Norm-2", "||x||_2", "x", lambda v: norm(v["x"]), None, None),
    ("Norm-F", "||X||_F", "X", lambda v: norm(v["X"]), {"X": ("m", "n")}, None),
    ("Norm-1", "||x||_1", "x", lambda v: np.sum(np.abs(v["x"])), None, None),
    ("Norm-spectral", "||X||_2", "X", lambda v: norm(v["X"], 2), {"X": ("m", "n")}, None),
    ("Norm-nuclear", "||X||_*", "X", lambda v: np.sum(svd(v["X"], compute_uv=False)),
     {"X": ("m", "n")}, None),
    ("Softmax", "softmax(A x)", "x", lambda v: softmax(v["A"] @ v["x"]), None, None),
    ("LogSumExp", "logsumexp(A x)", "x", lambda v: logsumexp(v["A"] @ v["x"]), None, None),
    # S symmetric: F extended off S^n as lambda_max(sym(S)); the directions are symmetric
    ("LambdaMax", "lambda_max(S)", "S", lambda v: np.linalg.eigvalsh(sym(v["S"]))[-1], None,
     {"S": "symmetric"}),
    ("Diag-of-vector", "diag(x) A", "x", lambda v: np.diag(v["x"]) @ v["A"], None, None),
    ("Diag-of-matrix", "diag(X)", "X", lambda v: np.diag(v["X"]).copy(), None, None),
    ("Kron", "X kron A", "X", lambda v: np.kron(v["X"], v["A"]),
     {"X": ("m", "n"), "A": ("k", "p")}, None),
    ("Kron-both", "X kron (A X)", "X", lambda v: np.kron(v["X"], v["A"] @ v["X"]), None, None),
    ("PartialTrace-2", "tr_2(X (I kron C))", "X",
     lambda v: traced_blocks(
         v["X"] @ np.kron(np.eye(v["X"].shape[1] // v["C"].shape[0]), v["C"]),
         v["X"].shape[0] // v["C"].shape[1], v["X"].shape[1] // v["C"].shape[0]),
     {"X": ("k*m", "n*p"), "C": ("p", "k")}, None),
    ("PartialTrace-1-factor", "tr_1((X kron I) A)", "X",
     lambda v: summed_diagonal_blocks(np.kron(v["X"], np.eye(v["A"].shape[0] // v["X"].shape[1]))
                                      @ v["A"], v["X"].shape[0]),
     {"X": ("n", "m"), "A": ("k*m", "n*p")}, None),
    ("Power-vector-exponent", "(1 + x.^2).^x", "x", lambda v: (1 + v["x"] ** 2) ** v["x"], None,
     None),
    ("Vec", "v^T vec(X)", "X", lambda v: v["v"] @ vec(v["X"]), {"X": ("m", "n")}, None),
    ("Softmax-columns", "softmax(A X)", "X", lambda v: column_softmax(v["A"] @ v["X"]),
     {"A": ("m", "k"), "X": ("k", "n")}, None),
    ("LogSumExp-columns", "logsumexp(X)", "X",
     lambda v: np.log(np.sum(np.exp(v["X"]), axis=0)), {"X": ("m", "n")}, None),
    ("Norm-inf", "||A x||_inf", "x", lambda v: np.max(np.abs(v["A"] @ v["x"])), None, None),
    ("Norm-3", "||x||_3", "x", lambda v: np.sum(np.abs(v["x"]) ** 3) ** (1 / 3), None, None),
    ("Norm-p", "||x||_{3/2}", "x", lambda v: np.sum(np.abs(v["x"]) ** 1.5) ** (2 / 3), None,
     None),
    ("LambdaMin", "lambda_min(S)", "S", lambda v: np.linalg.eigvalsh(sym(v["S"]))[0], None,
     {"S": "symmetric"}),
    ("Extremum-max", "max(A x)", "x", lambda v: np.max(v["A"] @ v["x"]), None, None),
    ("Extremum-min", "min(X)", "X", lambda v: np.min(v["X"]), {"X": ("m", "n")}, None),
    ("SymbolicPower-in-trace", cubed_trace, "X",
     lambda v: np.trace(matrix_power(v["X"], 3)), {"X": ("n", "n")}, None),
    ("MatFunc-expm", "expm(X)", "X", lambda v: taylor_expm(v["X"]), None, None),
    ("MatFunc-Frechet", "dexpm(A)[X]", "X", lambda v: block_frechet(v["A"], v["X"]), None, None),
    ("MatFunc-logm-spd", "logm(S)", "S",     # by eig: S + h V need not be symmetric
     lambda v: (lambda w, Q: np.real(Q @ np.diag(np.log(w + 0j)) @ inv(Q)))(*np.linalg.eig(v["S"])),
     None, {"S": "spd"}),
    ("Func-sin", "sin(X)", "X", lambda v: np.sin(v["X"]), {"X": ("m", "n")}, None),
    ("Func-log", "log(1 + x.^2)", "x", lambda v: np.log(1 + v["x"] ** 2), None, None),
    ("Func-sigma", "sigma(A x)", "x", lambda v: sigma(v["A"] @ v["x"]), None, None),
    ("Func-composed", "sum(exp(tanh(A x)))", "x",
     lambda v: np.sum(np.exp(np.tanh(v["A"] @ v["x"]))), None, None),
]


def tree(row):
    _, text, _, _, shapes, _ = row
    return text(shapes) if callable(text) else mc.parse(text, shapes)


def variable(f, name):
    return next(s for s in free_symbols(f) if isinstance(s, E.Symbol) and s.name == name)


def test_every_rule_is_exercised():
    used = {type(node) for row in ROWS for node in walk(tree(row))}
    assert set(RULES) - used == set(), "node types with a rule but no row"


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_differential_is_the_directional_derivative(row, values_for, rng, directional):
    row_id, _, name, F, _, assume = row
    f = tree(row)
    X = variable(f, name)
    df = differential_of(f, X)
    values = values_for(f, assume=assume)
    shape = np.shape(values[name])
    V = rng.standard_normal(shape)
    if (assume or {}).get(name) == "symmetric":
        V = sym(V)
    got = evaluate(df, {**values, "d" + name: V})
    expected = directional(F, values, name, V)
    scale = max(1.0, float(np.max(np.abs(expected))))
    assert_close(np.reshape(got, np.shape(expected)), expected, rtol=1e-5, atol=1e-6 * scale,
                 what=f"{row_id}: {df}")


def test_a_function_without_the_variable_has_no_differential():
    assert differential_of(mc.parse("A x + b"), E.Symbol("y", ("n", 1))) is None

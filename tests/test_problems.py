"""Acceptance tests: first-order problems of the seminar problem set (A and B).

For every problem the engine's gradient is evaluated at random points and
compared with two independent oracles:

- central finite differences of a NumPy implementation of f, and
- the closed-form answer of the problem set, written in NumPy.

Each row of PROBLEMS gives the matcalc text, the variable, optional shapes and
assumptions, the kinds of random values (see ``oracle.rng_values``), f and the
closed-form gradient. f and the gradient take the values as keyword arguments.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from numpy.linalg import det, inv, norm

import matcalc as mc
from oracle import assert_close, central_gradient, rng_values

SEEDS = (0, 1, 2)
SIZES = ({"n": 3, "m": 4, "k": 2}, {"n": 5, "m": 2, "k": 3})

# Engine vs closed form: both exact up to rounding.
EXACT_RTOL, EXACT_ATOL = 1e-7, 1e-9
# Engine vs central differences (h = 1e-6): truncation and cancellation errors.
FD_RTOL, FD_ATOL = 1e-5, 1e-6

tr = np.trace


@dataclass(frozen=True)
class Problem:
    id: str
    text: str
    wrt: str
    spec: dict
    f: Callable
    grad: Callable
    shapes: dict | None = None
    assume: dict | None = None


def quadratic(x, A, b, c):
    return 0.5 * x @ A @ x + b @ x + c


PROBLEMS = [
    # --- A. Matrix calculus ---------------------------------------------------
    Problem("P2", "c^T x", "x", {"c": "vector:n", "x": "vector:n"},
            f=lambda c, x: c @ x,
            grad=lambda c, x: c),
    Problem("P3", "1/2 x^T A x + b^T x + c", "x",
            {"A": "matrix:n,n", "x": "vector:n", "b": "vector:n", "c": "scalar"},
            f=quadratic,
            grad=lambda A, x, b, c: 0.5 * (A + A.T) @ x + b),
    Problem("P3-symmetric", "1/2 x^T A x + b^T x + c", "x",
            {"A": "symmetric:n", "x": "vector:n", "b": "vector:n", "c": "scalar"},
            f=quadratic,
            grad=lambda A, x, b, c: A @ x + b,
            assume={"A": "symmetric"}),
    Problem("P5", "1/2 ||A x - b||_2^2", "x",
            {"A": "matrix:m,n", "x": "vector:n", "b": "vector:m"},
            f=lambda A, x, b: 0.5 * norm(A @ x - b) ** 2,
            grad=lambda A, x, b: A.T @ (A @ x - b)),
    Problem("P6", "||x||_2", "x", {"x": "vector:n"},
            f=lambda x: norm(x),
            grad=lambda x: x / norm(x)),
    Problem("P7", "||A x||_2", "x", {"A": "matrix:m,n", "x": "vector:n"},
            f=lambda A, x: norm(A @ x),
            grad=lambda A, x: A.T @ A @ x / norm(A @ x)),
    Problem("P8", "-1 / (1 + x^T x)", "x", {"x": "vector:n"},
            f=lambda x: -1 / (1 + x @ x),
            grad=lambda x: 2 * x / (1 + x @ x) ** 2),
    # general A, drawn with x^T A x > 0 so that the log is defined
    Problem("P9", "log(x^T A x)", "x", {"A": "posdef:n", "x": "vector:n"},
            f=lambda A, x: np.log(x @ A @ x),
            grad=lambda A, x: (A + A.T) @ x / (x @ A @ x)),
    Problem("P10", "det(X)", "X", {"X": "square:n"},
            f=lambda X: det(X),
            grad=lambda X: det(X) * inv(X).T),
    Problem("P14-tr", "tr(X)", "X", {"X": "matrix:n,n"},
            f=lambda X: tr(X),
            grad=lambda X: np.eye(len(X))),
    Problem("P14-det", "det(X)", "X", {"X": "square:n"},
            f=lambda X: det(X),
            grad=lambda X: det(X) * inv(X).T),
    Problem("P15", "||X||_F^2", "X", {"X": "matrix:m,n"},
            f=lambda X: norm(X) ** 2,
            grad=lambda X: 2 * X),
    Problem("P17", "tr(A X)", "X", {"A": "matrix:m,n", "X": "matrix:n,m"},
            f=lambda A, X: tr(A @ X),
            grad=lambda A, X: A.T),
    Problem("P18", "<S, X> - log(det(X))", "X", {"S": "matrix:n,n", "X": "spd:n"},
            f=lambda S, X: np.sum(S * X) - np.log(det(X)),
            grad=lambda S, X: S - inv(X).T),
    # general A, drawn with <A x, x> > 0 so that the log is defined
    Problem("P19-general", "ln(<A x, x>)", "x", {"A": "posdef:n", "x": "vector:n"},
            f=lambda A, x: np.log(A @ x @ x),
            grad=lambda A, x: (A + A.T) @ x / (A @ x @ x)),
    Problem("P19-spd", "ln(<A x, x>)", "x", {"A": "spd:n", "x": "vector:n"},
            f=lambda A, x: np.log(A @ x @ x),
            grad=lambda A, x: 2 * A @ x / (A @ x @ x),
            assume={"A": "spd"}),
    Problem("P21", "1/3 ||x||_2^3", "x", {"x": "vector:n"},
            f=lambda x: norm(x) ** 3 / 3,
            grad=lambda x: norm(x) * x),
    Problem("P22", "||A X - B||_F", "X",
            {"A": "matrix:m,k", "X": "matrix:k,n", "B": "matrix:m,n"},
            f=lambda A, X, B: norm(A @ X - B),
            grad=lambda A, X, B: A.T @ (A @ X - B) / norm(A @ X - B),
            shapes={"X": ("k", "n"), "A": ("m", "k"), "B": ("m", "n")}),
    Problem("P24", "<x, x>^<x, x>", "x", {"x": "vector:n"},
            f=lambda x: (x @ x) ** (x @ x),
            grad=lambda x: 2 * (x @ x) ** (x @ x) * (1 + np.log(x @ x)) * x),
    Problem("P25", "<A x, x> / ||x||_2^2", "x", {"A": "symmetric:n", "x": "vector:n"},
            f=lambda A, x: (A @ x @ x) / (x @ x),
            grad=lambda A, x: 2 * (A @ x - (A @ x @ x) / (x @ x) * x) / (x @ x),
            assume={"A": "symmetric"}),
    Problem("P26", "1/2 ||A - x x^T||_F^2", "x", {"A": "symmetric:n", "x": "vector:n"},
            f=lambda A, x: 0.5 * norm(A - np.outer(x, x)) ** 2,
            grad=lambda A, x: 2 * (x @ x) * x - 2 * A @ x,
            assume={"A": "symmetric"}),
    Problem("P29-tr", "tr(X)", "X", {"X": "square:n"},
            f=lambda X: tr(X),
            grad=lambda X: np.eye(len(X))),
    Problem("P29-trinv", "tr(X^-1)", "X", {"X": "square:n"},
            f=lambda X: tr(inv(X)),
            grad=lambda X: -(inv(X) @ inv(X)).T),
    Problem("P29-det", "det(X)", "X", {"X": "square:n"},
            f=lambda X: det(X),
            grad=lambda X: det(X) * inv(X).T),
    Problem("P29-lndet", "ln(det(X))", "X", {"X": "square:n"},  # det X > 0
            f=lambda X: np.log(det(X)),
            grad=lambda X: inv(X).T),
    Problem("P30", "det(A - t I)", "t", {"A": "square:n", "t": "scalar"},
            f=lambda A, t: det(A - t * np.eye(len(A))),
            grad=lambda A, t: -det(A - t * np.eye(len(A))) * tr(inv(A - t * np.eye(len(A)))),
            shapes={"t": "scalar"}),
    Problem("P31", "tr(A X^2 B X^-T)", "X",
            {"A": "matrix:n,n", "B": "matrix:n,n", "X": "square:n"},
            f=lambda A, B, X: tr(A @ X @ X @ B @ inv(X).T),
            grad=lambda A, B, X: (A.T @ inv(X) @ B.T @ X.T + X.T @ A.T @ inv(X) @ B.T
                                  - inv(X).T @ A @ X @ X @ B @ inv(X).T)),
    # --- B. Seminar (differential method) -------------------------------------
    Problem("S1", "1/2 x^T A x + b^T x + c", "x",
            {"A": "matrix:n,n", "x": "vector:n", "b": "vector:n", "c": "scalar"},
            f=quadratic,
            grad=lambda A, x, b, c: 0.5 * (A + A.T) @ x + b),
    Problem("S2", "tr(A X^-1 B)", "X",
            {"A": "matrix:m,n", "X": "square:n", "B": "matrix:n,m"},
            f=lambda A, X, B: tr(A @ inv(X) @ B),
            grad=lambda A, X, B: -inv(X).T @ A.T @ B.T @ inv(X).T),
    Problem("S3", "1/3 ||x||_2^3", "x", {"x": "vector:n"},
            f=lambda x: norm(x) ** 3 / 3,
            grad=lambda x: norm(x) * x),
    Problem("S4", "ln(<x, A x>)", "x", {"A": "spd:n", "x": "vector:n"},
            f=lambda A, x: np.log(x @ A @ x),
            grad=lambda A, x: (A + A.T) @ x / (x @ A @ x),
            assume={"A": "spd"}),
    Problem("S5", "tr(X)", "X", {"X": "matrix:n,n"},
            f=lambda X: tr(X),
            grad=lambda X: np.eye(len(X))),
    # X not symmetric (det X > 0), so X^-T and X^-1 differ
    Problem("S6", "<S, X> - ln(det(X))", "X", {"S": "matrix:n,n", "X": "square:n"},
            f=lambda S, X: np.sum(S * X) - np.log(det(X)),
            grad=lambda S, X: S - inv(X).T),
    # --- Matrix Cookbook identities --------------------------------------------
    Problem("CB-trXTBX", "tr(X^T B X)", "X", {"B": "matrix:n,n", "X": "matrix:n,m"},
            f=lambda B, X: tr(X.T @ B @ X),
            grad=lambda B, X: B @ X + B.T @ X),
    Problem("CB-aTXinvb", "a^T X^-1 b", "X",
            {"a": "vector:n", "X": "square:n", "b": "vector:n"},
            f=lambda a, X, b: a @ inv(X) @ b,
            grad=lambda a, X, b: -inv(X).T @ np.outer(a, b) @ inv(X).T),
    Problem("CB-trAXBX", "tr(A X B X)", "X",
            {"A": "matrix:m,n", "X": "matrix:n,m", "B": "matrix:m,n"},
            f=lambda A, X, B: tr(A @ X @ B @ X),
            grad=lambda A, X, B: A.T @ X.T @ B.T + B.T @ X.T @ A.T),
    Problem("CB-trAXB", "tr(A X B)", "X",
            {"A": "matrix:m,n", "X": "matrix:n,k", "B": "matrix:k,m"},
            f=lambda A, X, B: tr(A @ X @ B),
            grad=lambda A, X, B: A.T @ B.T),
]

BY_ID = {p.id: p for p in PROBLEMS}
assert len(BY_ID) == len(PROBLEMS), "duplicate problem ids"


@functools.cache
def engine_gradient(problem_id):
    """The engine's symbolic gradient, derived once per problem."""
    p = BY_ID[problem_id]
    return mc.gradient(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)


def draws(problem):
    """(label, values) for every seed and size setting."""
    for dims in SIZES:
        for seed in SEEDS:
            label = f"{problem.id} seed={seed} dims={dims}"
            yield label, rng_values(np.random.default_rng(seed), problem.spec, dims)


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_gradient(problem):
    g = engine_gradient(problem.id)
    f = lambda values: problem.f(**values)
    for label, values in draws(problem):
        G = g.evaluate(values)
        assert np.shape(G) == np.shape(values[problem.wrt]), (
            f"{label}: gradient shape {np.shape(G)} != shape of {problem.wrt} "
            f"{np.shape(values[problem.wrt])}")

        closed = problem.grad(**values)
        scale = max(1.0, np.max(np.abs(closed)), abs(f(values)))
        assert_close(G, closed, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")
        assert_close(G, central_gradient(f, values, problem.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs central differences")

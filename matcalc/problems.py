"""The seminar problem set as data, and the other cases the tests, notebooks and
benchmarks read.

One ``Problem`` per problem or sub-question: the function in matcalc's input
language, the variable, what to find (``kind``), shapes and assumptions, and
the answer of the problem set written in the input language. ``solve`` asks
the engine; ``check_answer`` compares the engine's result with that answer
numerically (and symbolically where the simplifier can tell).

Tables: ``PROBLEMS``, the problem set (sections A, B, C; ``by_id``, ``select``);
``LOSSES``, the losses of ML and optimization with the form a paper prints
(section "L", one row per variable); ``IDENTITIES``, Matrix Cookbook
identities, Jacobians, spectral and elementwise functions (section "I").
``CASES`` is all three, ``case(id)`` looks one up by its exact id.

Kinds:

- ``"gradient"``: G with df = <G, dX>; the answer is G.
- ``"differential"``: the same G, shown as df = <G, dX> (the answer is G).
- ``"hessian"``: the answer is the Hessian matrix (vector variable, or the
  Kronecker/vec form for a matrix variable), or, with ``direction`` set, its
  action H[V] on a direction V (written with the symbol ``direction``).
- ``"jacobian"``: the answer is J (dF = J dx), or with ``direction`` the map
  dF for dX = V.
- ``"derivative"``: the ``order``-th derivative with respect to a scalar.

>>> from matcalc.problems import PROBLEMS, by_id, solve
>>> str(solve(by_id("S2")))
'-X^-T A^T B^T X^-T'
>>> check_answer(by_id("P10")).ok
True
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

import matcalc as mc

from .api.verification import valid_draw
from .backends.numeric import evaluate
from .errors import MatcalcError
from .ir import expr as E
from .ir.traverse import free_symbols
from .language.parser import parse

KINDS = ("gradient", "differential", "hessian", "jacobian", "derivative")


@dataclass(frozen=True, eq=False)
class Problem:
    id: str
    statement: str
    text: str
    wrt: str
    kind: str
    answer: str
    shapes: dict | None = None
    assume: dict | None = None
    order: int = 1
    direction: str | None = None
    section: str = "A"

    @property
    def family(self) -> str:
        """The id in problems.md: "P3" for "P3-sym-hess"."""
        return self.id.split("-")[0]


def _p(id, statement, text, wrt, kind, answer, **options):
    return Problem(id, statement, text, wrt, kind, answer, **options)


_SPD = {"X": "spd"}

PROBLEMS: tuple[Problem, ...] = (
    # --- A. Matrix calculus --------------------------------------------------------------
    _p("P1-x", "Jacobian of A x (A m x n) with respect to x", "A x", "x", "jacobian", "A"),
    _p("P1-A", "derivative of A x with respect to A: dA x, i.e. J_A = x^T kron I_m",
       "A x", "A", "jacobian", "V x", direction="V"),
    _p("P2", "gradient of c^T x", "c^T x", "x", "gradient", "c"),
    _p("P3", "gradient of 1/2 x^T A x + b^T x + c", "1/2 x^T A x + b^T x + c", "x",
       "gradient", "1/2 (A + A^T) x + b"),
    _p("P3-hess", "Hessian of 1/2 x^T A x + b^T x + c", "1/2 x^T A x + b^T x + c", "x",
       "hessian", "1/2 (A + A^T)"),
    _p("P3-sym", "gradient of 1/2 x^T A x + b^T x + c, A in S^n", "1/2 x^T A x + b^T x + c",
       "x", "gradient", "A x + b", assume={"A": "symmetric"}),
    _p("P3-sym-hess", "Hessian of 1/2 x^T A x + b^T x + c, A in S^n",
       "1/2 x^T A x + b^T x + c", "x", "hessian", "A", assume={"A": "symmetric"}),
    _p("P4", "gradient of -exp(-x^T x)", "-exp(-x^T x)", "x", "gradient",
       "2 exp(-x^T x) x"),
    _p("P4-hess", "Hessian of -exp(-x^T x)", "-exp(-x^T x)", "x", "hessian",
       "2 exp(-x^T x) (I - 2 x x^T)"),
    _p("P5", "gradient of 1/2 ||A x - b||_2^2", "1/2 ||A x - b||_2^2", "x", "gradient",
       "A^T (A x - b)"),
    _p("P5-hess", "Hessian of 1/2 ||A x - b||_2^2", "1/2 ||A x - b||_2^2", "x", "hessian",
       "A^T A"),
    _p("P6", "gradient of ||x||_2, x != 0", "||x||_2", "x", "gradient", "x / ||x||_2"),
    _p("P7", "gradient of ||A x||_2", "||A x||_2", "x", "gradient",
       "A^T A x / ||A x||_2"),
    _p("P8", "gradient of -1 / (1 + x^T x)", "-1 / (1 + x^T x)", "x", "gradient",
       "2 x / (1 + x^T x)^2"),
    _p("P8-hess", "Hessian of -1 / (1 + x^T x)", "-1 / (1 + x^T x)", "x", "hessian",
       "2 I / (1 + x^T x)^2 - 8 x x^T / (1 + x^T x)^3"),
    _p("P9-diff", "differential of log(x^T A x): df = <(A + A^T) x, dx> / (x^T A x)",
       "log(x^T A x)", "x", "differential", "(A + A^T) x / (x^T A x)"),
    _p("P9", "gradient of log(x^T A x)", "log(x^T A x)", "x", "gradient",
       "(A + A^T) x / (x^T A x)"),
    _p("P10", "gradient of det X", "det X", "X", "gradient", "det(X) X^-T"),
    _p("P11", "gradient of log det X, X in S++", "log det X", "X", "gradient", "X^-T",
       assume=_SPD),
    _p("P11-hess", "Hessian of log det X, X in S++: d^2 f = -tr(X^-1 dX X^-1 dX); "
       "on symmetric dX, H[dX] = -X^-1 dX X^-1, vec form -(X^-1 kron X^-1)",
       "log det X", "X", "hessian", "-X^-1 kron X^-1", assume=_SPD),
    _p("P11-hess-general", "Hessian of log det X, X square with det X > 0: "
       "H[dX] = -X^-T dX^T X^-T, in vec form -(X^-1 kron X^-T) K",
       "log det X", "X", "hessian", "-X^-T V^T X^-T", direction="V"),
    _p("P12", "gradient of log sum_i exp(a_i^T x + b_i), p = softmax(A x + b)",
       "log(sum(exp(A x + b)))", "x", "gradient", "A^T softmax(A x + b)"),
    _p("P12-hess", "Hessian of log sum_i exp(a_i^T x + b_i): A^T (diag(p) - p p^T) A",
       "log(sum(exp(A x + b)))", "x", "hessian",
       "A^T (diag(softmax(A x + b)) - softmax(A x + b) softmax(A x + b)^T) A"),
    _p("P14-sum-eig", "gradient of sum eig(X) = tr X", "sum(eig(X))", "X", "gradient", "I"),
    _p("P14-prod-eig", "gradient of prod eig(X) = det X", "prod(eig(X))", "X", "gradient",
       "det(X) X^-T"),
    _p("P14-tr", "gradient of tr X", "tr X", "X", "gradient", "I"),
    _p("P14-det", "gradient of det X", "det X", "X", "gradient", "det(X) X^-T"),
    _p("P15", "gradient of ||X||_F^2", "||X||_F^2", "X", "gradient", "2 X"),
    _p("P16", "gradient of the binary logistic loss, data Z (rows x_i^T), labels y",
       "-sum(y .* log(sigma(Z theta)) + (1 - y) .* log(1 - sigma(Z theta)))", "theta",
       "gradient", "Z^T (sigma(Z theta) - y)", shapes={"theta": "vector"}),
    _p("P17", "gradient of tr(A X)", "tr(A X)", "X", "gradient", "A^T"),
    _p("P18", "gradient of <S, X> - log det X", "<S, X> - log det X", "X", "gradient",
       "S - X^-T"),
    _p("P19", "gradient of ln <A x, x>, A in S++", "ln <A x, x>", "x", "gradient",
       "2 A x / <A x, x>", assume={"A": "spd"}),
    _p("P19-general", "gradient of ln <A x, x>, general A", "ln <A x, x>", "x", "gradient",
       "(A + A^T) x / <A x, x>"),
    _p("P20", "gradient of ln(1 + exp(<a, x>))", "ln(1 + exp(<a, x>))", "x", "gradient",
       "sigma(a^T x) a"),
    _p("P20-hess", "Hessian of ln(1 + exp(<a, x>))", "ln(1 + exp(<a, x>))", "x", "hessian",
       "sigma(a^T x) (1 - sigma(a^T x)) a a^T"),
    _p("P21", "gradient of 1/3 ||x||_2^3", "1/3 ||x||_2^3", "x", "gradient", "||x|| x"),
    _p("P21-hess", "Hessian of 1/3 ||x||_2^3", "1/3 ||x||_2^3", "x", "hessian",
       "||x|| I + x x^T / ||x||"),
    _p("P22", "gradient of ||A X - B||_F (X k x n, A m x k, B m x n)", "||A X - B||_F", "X",
       "gradient", "A^T (A X - B) / ||A X - B||_F",
       shapes={"X": ("k", "n"), "A": ("m", "k"), "B": ("m", "n")}),
    _p("P23-W", "one-layer network: dL/dW = delta x^T, "
       "delta = (s - y) .* s .* (1 - s), s = sigma(W x + b)",
       "1/2 ||sigma(W x + b) - y||_2^2", "W", "gradient",
       "((sigma(W x + b) - y) .* sigma(W x + b) .* (1 - sigma(W x + b))) x^T"),
    _p("P23-b", "one-layer network: dL/db = delta", "1/2 ||sigma(W x + b) - y||_2^2", "b",
       "gradient", "(sigma(W x + b) - y) .* sigma(W x + b) .* (1 - sigma(W x + b))"),
    _p("P24", "gradient of <x, x>^<x, x>, u = x^T x", "<x, x>^<x, x>", "x", "gradient",
       "2 <x, x>^<x, x> (1 + ln(<x, x>)) x"),
    _p("P24-hess", "Hessian of <x, x>^<x, x>, u = x^T x", "<x, x>^<x, x>", "x", "hessian",
       "2 <x, x>^<x, x> (1 + ln(<x, x>)) I "
       "+ 4 <x, x>^<x, x> ((1 + ln(<x, x>))^2 + 1 / <x, x>) x x^T"),
    _p("P25", "gradient of the Rayleigh quotient <A x, x> / ||x||_2^2, A in S^n: "
       "2 (A x - f x) / s", "<A x, x> / ||x||_2^2", "x", "gradient",
       "2 (A x - (<A x, x> / (x^T x)) x) / (x^T x)", assume={"A": "symmetric"}),
    _p("P25-hess", "Hessian of the Rayleigh quotient, A in S^n: "
       "2 (A - f I) / s - 4 (x (A x - f x)^T + (A x - f x) x^T) / s^2",
       "<A x, x> / ||x||_2^2", "x", "hessian",
       "2 (A - (<A x, x> / (x^T x)) I) / (x^T x) - 4 (x (A x - (<A x, x> / (x^T x)) x)^T "
       "+ (A x - (<A x, x> / (x^T x)) x) x^T) / (x^T x)^2", assume={"A": "symmetric"}),
    _p("P26", "gradient of 1/2 ||A - x x^T||_F^2, A in S^n", "1/2 ||A - x x^T||_F^2", "x",
       "gradient", "2 (x^T x) x - 2 A x", assume={"A": "symmetric"}),
    _p("P26-hess", "Hessian of 1/2 ||A - x x^T||_F^2, A in S^n", "1/2 ||A - x x^T||_F^2",
       "x", "hessian", "2 (x^T x) I + 4 x x^T - 2 A", assume={"A": "symmetric"}),
    _p("P27", "gradient of ||x x^T||_2 (spectral norm) = x^T x", "||x x^T||_2", "x",
       "gradient", "2 x"),
    _p("P27-hess", "Hessian of ||x x^T||_2 = x^T x", "||x x^T||_2", "x", "hessian", "2 I"),
    _p("P28", "gradient of 1/m sum_i log(1 + exp(a_i^T x)) + mu/2 ||x||_2^2",
       "1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2", "x", "gradient",
       "1/m A^T sigma(A x) + mu x", shapes={"m": "scalar"}),
    _p("P28-hess", "Hessian of 1/m sum_i log(1 + exp(a_i^T x)) + mu/2 ||x||_2^2",
       "1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2", "x", "hessian",
       "1/m A^T diag(sigma(A x) .* (1 - sigma(A x))) A + mu I", shapes={"m": "scalar"}),
    _p("P29-tr", "match tr X to its gradient", "tr X", "X", "gradient", "I"),
    _p("P29-trinv", "match tr X^-1 to its gradient", "tr(X^-1)", "X", "gradient",
       "-(X^-2)^T"),
    _p("P29-det", "match det X to its gradient", "det X", "X", "gradient", "det(X) X^-T"),
    _p("P29-lndet", "match ln det X to its gradient", "ln det X", "X", "gradient", "X^-T"),
    _p("P30", "f'(t) for f(t) = det(A - t I)", "det(A - t I)", "t", "derivative",
       "-det(A - t I) tr((A - t I)^-1)", shapes={"t": "scalar"}),
    _p("P30-2", "f''(t) for f(t) = det(A - t I)", "det(A - t I)", "t", "derivative",
       "det(A - t I) (tr((A - t I)^-1)^2 - tr((A - t I)^-2))", shapes={"t": "scalar"},
       order=2),
    _p("P31", "gradient of tr(A X^2 B X^-T)", "tr(A X^2 B X^-T)", "X", "gradient",
       "A^T X^-1 B^T X^T + X^T A^T X^-1 B^T - X^-T A X^2 B X^-T"),
    # --- B. Seminar (differential method) -------------------------------------------------
    _p("S1", "gradient of 1/2 x^T A x + b^T x + c", "1/2 x^T A x + b^T x + c", "x",
       "gradient", "1/2 (A + A^T) x + b", section="B"),
    _p("S2", "gradient of tr(A X^-1 B)", "tr(A X^-1 B)", "X", "gradient",
       "-X^-T A^T B^T X^-T", section="B"),
    _p("S3", "gradient of 1/3 ||x||_2^3", "1/3 ||x||_2^3", "x", "gradient", "||x|| x",
       section="B"),
    _p("S3-hess", "Hessian of 1/3 ||x||_2^3", "1/3 ||x||_2^3", "x", "hessian",
       "||x|| I + x x^T / ||x||", section="B"),
    _p("S4-diff", "differential of ln <x, A x>, A in S++: df = <(A + A^T) x, dx> / <x, A x>",
       "ln <x, A x>", "x", "differential", "(A + A^T) x / <x, A x>", assume={"A": "spd"},
       section="B"),
    _p("S4", "gradient of ln <x, A x>, A in S++", "ln <x, A x>", "x", "gradient",
       "(A + A^T) x / <x, A x>", assume={"A": "spd"}, section="B"),
    _p("S5", "gradient of tr X", "tr X", "X", "gradient", "I", section="B"),
    _p("S6", "gradient of <S, X> - ln det X", "<S, X> - ln det X", "X", "gradient",
       "S - X^-T", section="B"),
    # --- C. Automatic differentiation (the parts that are matrix calculus) -----------------
    _p("AD8-A", "x = A^-1 b inside a loss, g = dL/dx: dL/dA = -A^-T g x^T",
       "<g, A^-1 b>", "A", "gradient", "-A^-T g (A^-1 b)^T", section="C"),
    _p("AD8-b", "x = A^-1 b inside a loss, g = dL/dx: dL/db = A^-T g",
       "<g, A^-1 b>", "b", "gradient", "A^-T g", section="C"),
    _p("AD9", "nuclear norm R(W) = tr(Sigma), W = U Sigma V^T: dR/dW = U V^T = polar(W)",
       "||W||_*", "W", "gradient", "polar(W)", section="C"),
)

_BY_ID = {p.id: p for p in PROBLEMS}
assert len(_BY_ID) == len(PROBLEMS), "duplicate problem ids"



def _loss(id, statement, text, wrt, kind, answer, **options):
    return Problem(id, statement, text, wrt, kind, answer, section="L", **options)


def _identity(id, statement, text, wrt, kind, answer, **options):
    return Problem(id, statement, text, wrt, kind, answer, section="I", **options)


_SCALAR_LAMBDA = {"lambda": "scalar"}
_L6 = "1/2 ||W_2 tanh(W_1 x + b_1) + b_2 - y||_2^2"
_L6_R = "W_2 tanh(W_1 x + b_1) + b_2 - y"
_L6_DELTA = f"(W_2^T ({_L6_R})) .* (1 - tanh(W_1 x + b_1).^2)"
_L20 = "1/2 ||W_3 tanh(W_2 tanh(W_1 x)) - y||_2^2"
_L20_R = "W_3 tanh(W_2 tanh(W_1 x)) - y"
_L20_DELTA_2 = f"(W_3^T ({_L20_R})) .* (1 - tanh(W_2 tanh(W_1 x)).^2)"

# Losses that ML and optimization users bring (losses.md), the answer the form a paper
# prints; a loss of several variables is one row per variable.
LOSSES: tuple[Problem, ...] = (
    _loss("L1", "cross-entropy of softmax(W x) with weights y", "-y^T log(softmax(W x))", "W",
          "gradient", "(softmax(W x) 1^T y - y) x^T"),
    _loss("L1H", "Hessian in x of the cross-entropy: (1^T y) W^T (diag(p) - p p^T) W",
          "-y^T log(softmax(W x))", "x", "hessian",
          "(1^T y) W^T (diag(softmax(W x)) - softmax(W x) softmax(W x)^T) W"),
    _loss("L3", "ridge regression", "||X w - y||_2^2 + lambda ||w||_2^2", "w", "gradient",
          "2 X^T (X w - y) + 2 lambda w", shapes=_SCALAR_LAMBDA),
    _loss("L4m", "Gaussian negative log-likelihood in the mean, S in S++",
          "1/2 (x - m)^T S^-1 (x - m)", "m", "gradient", "S^-1 (m - x)", assume={"S": "spd"}),
    _loss("L4S", "Gaussian negative log-likelihood in the covariance, S in S++",
          "1/2 log det S + 1/2 (x - m)^T S^-1 (x - m)", "S", "gradient",
          "1/2 (S^-1 - S^-1 (x - m) (x - m)^T S^-1)", assume={"S": "spd"}),
    _loss("L5U", "matrix factorization in U", "||X - U V^T||_F^2", "U", "gradient",
          "-2 (X - U V^T) V"),
    _loss("L5V", "matrix factorization in V", "||X - U V^T||_F^2", "V", "gradient",
          "-2 (X - U V^T)^T U"),
    _loss("L6-W_1", "two-layer network: delta x^T", _L6, "W_1", "gradient", f"({_L6_DELTA}) x^T"),
    _loss("L6-b_1", "two-layer network: delta", _L6, "b_1", "gradient", _L6_DELTA),
    _loss("L6-W_2", "two-layer network: r h^T", _L6, "W_2", "gradient",
          f"({_L6_R}) tanh(W_1 x + b_1)^T"),
    _loss("L6-b_2", "two-layer network: r", _L6, "b_2", "gradient", _L6_R),
    _loss("L7", "log barrier", "c^T x - sum(log(b - A x))", "x", "gradient",
          "c + A^T (1 ./ (b - A x))"),
    _loss("L7H", "Hessian of the log barrier", "c^T x - sum(log(b - A x))", "x", "hessian",
          "A^T diag(1 ./ (b - A x).^2) A"),
    _loss("L10", "Poisson regression", "sum(exp(X w)) - y^T X w", "w", "gradient",
          "X^T (exp(X w) - y)"),
    _loss("L10H", "Hessian of Poisson regression", "sum(exp(X w)) - y^T X w", "w", "hessian",
          "X^T diag(exp(X w)) X"),
    _loss("L11", "log det of a regularized Gram matrix", "log det(X^T X + lambda I)", "X",
          "gradient", "2 X (X^T X + lambda I)^-1", shapes=_SCALAR_LAMBDA),
    _loss("L12", "least squares in a matrix", "1/2 ||A X B - C||_F^2", "X", "gradient",
          "A^T (A X B - C) B^T"),
    _loss("L13", "kernel quadratic, K in S^n", "1/2 a^T K a - 1^T a", "a", "gradient", "K a - 1",
          assume={"K": "symmetric"}),
    _loss("L15", "negative entropy", "sum(p .* log(p))", "p", "gradient", "1 + log(p)"),
    _loss("L16", "Mahalanobis distance, S in S++", "sqrt((x - m)^T S^-1 (x - m))", "x",
          "gradient", "S^-1 (x - m) / sqrt((x - m)^T S^-1 (x - m))", assume={"S": "spd"}),
    _loss("L18", "cross-entropy of a batch, softmax of each column of W X",
          "-sum(Y .* log(softmax(W X)))", "W", "gradient", "(softmax(W X) diag(Y^T 1) - Y) X^T"),
    _loss("L19", "l2-regularized logistic regression, labels +-1",
          "sum(log(1 + exp(-y .* (X w)))) + lambda/2 ||w||_2^2", "w", "gradient",
          "lambda w - X^T (y .* sigma(-y .* X w))", shapes=_SCALAR_LAMBDA),
    _loss("L20-W_1", "three-layer network: delta_1 x^T", _L20, "W_1", "gradient",
          f"((W_2^T ({_L20_DELTA_2})) .* (1 - tanh(W_1 x).^2)) x^T"),
    _loss("L20-W_2", "three-layer network: delta_2 h_1^T", _L20, "W_2", "gradient",
          f"({_L20_DELTA_2}) tanh(W_1 x)^T"),
    _loss("L20-W_3", "three-layer network: r h_2^T", _L20, "W_3", "gradient",
          f"({_L20_R}) tanh(W_2 tanh(W_1 x))^T"),
)

# Identities and compositions checked beside the problem set: Matrix Cookbook
# identities, elementwise functions, other spellings and variants of problems.
IDENTITIES: tuple[Problem, ...] = (
    _identity("CB-trXTBX", "gradient of tr(X^T B X)", "tr(X^T B X)", "X", "gradient",
              "B X + B^T X"),
    _identity("CB-aTXinvb", "gradient of a^T X^-1 b", "a^T X^-1 b", "X", "gradient",
              "-X^-T a b^T X^-T"),
    _identity("CB-trAXBX", "gradient of tr(A X B X)", "tr(A X B X)", "X", "gradient",
              "A^T X^T B^T + B^T X^T A^T"),
    _identity("CB-trAXB", "gradient of tr(A X B)", "tr(A X B)", "X", "gradient", "A^T B^T"),
    _identity("CB-trXTAX-hess", "Hessian of tr(X^T A X): I kron (A + A^T)", "tr(X^T A X)",
              "X", "hessian", "(A + A^T) V", direction="V"),
    _identity("J-AXB", "Jacobian of A X B: B^T kron A", "A X B", "X", "jacobian", "A V B",
              direction="V"),
    _identity("J-inv", "Jacobian of X^-1: -(X^-T kron X^-1)", "X^-1", "X", "jacobian",
              "-X^-1 V X^-1", direction="V"),
    _identity("J-softmax", "Jacobian of softmax(z)", "softmax(z)", "z", "jacobian",
              "diag(softmax(z)) - softmax(z) softmax(z)^T"),
    _identity("J-softmax-affine", "Jacobian of softmax(A x + b)", "softmax(A x + b)", "x",
              "jacobian", "(diag(softmax(A x + b)) - softmax(A x + b) softmax(A x + b)^T) A"),
    _identity("P12-logsumexp", "P12 spelled with logsumexp", "logsumexp(A x + b)", "x",
              "gradient", "A^T softmax(A x + b)"),
    _identity("P12-logsumexp-hess", "Hessian of P12 spelled with logsumexp",
              "logsumexp(A x + b)", "x", "hessian",
              "A^T (diag(softmax(A x + b)) - softmax(A x + b) softmax(A x + b)^T) A"),
    _identity("P16-hess", "Hessian of the binary logistic loss: Z^T diag(s .* (1 - s)) Z",
              "-sum(y .* log(sigma(Z theta)) + (1 - y) .* log(1 - sigma(Z theta)))", "theta",
              "hessian", "Z^T diag(sigma(Z theta) .* (1 - sigma(Z theta))) Z",
              shapes={"theta": "vector"}),
    _identity("AD9-wide", "nuclear norm of a wide matrix", "||W||_*", "W", "gradient",
              "polar(W)"),
    _identity("AD9-spectral", "spectral norm: u v^T of the top singular pair", "||W||_2", "W",
              "gradient", "svtop(W)"),
    _identity("AD9-lambda-max", "lambda_max, X in S^n: v v^T of the top eigenvector",
              "lambda_max(X)", "X", "gradient", "eigtop(X)", assume={"X": "symmetric"}),
    _identity("E-log-sin", "log of sin, elementwise", "a^T log(sin(X)) b", "X", "gradient",
              "(a b^T) .* cos(X) ./ sin(X)"),
    _identity("E-sin-AXB", "sin of a product, elementwise", "a^T sin(A X B) b", "X",
              "gradient", "A^T ((a b^T) .* cos(A X B)) B^T"),
    _identity("E-softplus-sum", "sum of softplus", "sum(log(1 + exp(A x)))", "x", "gradient",
              "A^T sigma(A x)"),
    _identity("E-softplus-sum-hess", "Hessian of the sum of softplus",
              "sum(log(1 + exp(A x)))", "x", "hessian",
              "A^T diag(sigma(A x) .* (1 - sigma(A x))) A"),
    _identity("E-relu", "relu, away from its kink", "1^T relu(A x)", "x", "gradient",
              "A^T step(A x)"),
    _identity("E-l1", "l1 norm, away from its kinks", "||x||_1", "x", "gradient", "sign(x)"),
    _identity("E-ratio", "a rational function, elementwise", "a^T (x ./ (1 + x.^2))", "x",
              "gradient", "a .* (1 - x.^2) ./ (1 + x.^2).^2"),
    _identity("E-ratio-hess", "Hessian of a rational function, elementwise",
              "a^T (x ./ (1 + x.^2))", "x", "hessian",
              "diag(a .* (2 x.^3 - 6 x) ./ (1 + x.^2).^3)"),
    _identity("E-tanh", "tanh of a product", "sum(tanh(W x))", "W", "gradient",
              "(1 - tanh(W x).^2) x^T"),
    _identity("E-sqrt", "square root of a quadratic", "sqrt(x^T x + 1)", "x", "gradient",
              "x / sqrt(x^T x + 1)"),
    _identity("E-sqrt-hess", "Hessian of the square root of a quadratic", "sqrt(x^T x + 1)",
              "x", "hessian", "I / sqrt(x^T x + 1) - x x^T / sqrt(x^T x + 1)^3"),
)

CASES: tuple[Problem, ...] = PROBLEMS + LOSSES + IDENTITIES
_CASE_BY_ID = {p.id: p for p in CASES}
assert len(_CASE_BY_ID) == len(CASES), "duplicate case ids"


def case(id: str) -> Problem:
    """The case with exactly this id among CASES: the problem set, the losses, the identities."""
    return _CASE_BY_ID[id]


def by_id(id: str) -> Problem:
    """The problem with this id (case-insensitive)."""
    for p in PROBLEMS:
        if p.id.lower() == id.lower():
            return p
    raise KeyError(id)


def select(ids) -> list[Problem]:
    """The problems named by ids: an exact id ("P3-hess") or a family ("P3": P3, P3-hess,
    P3-sym, ...). Raises KeyError for an id that matches nothing."""
    chosen = []
    for want in ids:
        want = want.strip()
        if not want:
            continue
        hits = [p for p in PROBLEMS if p.id.lower() == want.lower()
                or p.family.lower() == want.lower()]
        if not hits:
            raise KeyError(want)
        chosen += [p for p in hits if p not in chosen]
    return [p for p in PROBLEMS if p in chosen]


def solve(problem: Problem):
    """The engine's result: a Gradient (gradient, differential: its ``.differential``
    is df), Hessian, Jacobian or Result (derivative)."""
    common = dict(shapes=problem.shapes, assume=problem.assume)
    if problem.kind in ("gradient", "differential"):
        return mc.gradient(problem.text, wrt=problem.wrt, **common)
    if problem.kind == "hessian":
        return mc.hessian(problem.text, wrt=problem.wrt, **common)
    if problem.kind == "jacobian":
        return mc.jacobian(problem.text, wrt=problem.wrt, **common)
    if problem.kind == "derivative":
        return mc.derivative(problem.text, wrt=problem.wrt, order=problem.order, **common)
    raise ValueError(f"unknown kind {problem.kind!r}")


def display(problem: Problem, result) -> str:
    """The result as the table prints it (df = <G, dX> for a differential)."""
    return str(result.differential) if problem.kind == "differential" else str(result)


@dataclass(frozen=True)
class AnswerCheck:
    """Whether the engine's result equals the problem set's answer."""
    ok: bool
    message: str

    def __bool__(self):
        return self.ok

    def __str__(self):
        return self.message


def check_answer(problem: Problem, result=None, draws: int = 5, seed: int = 0) -> AnswerCheck:
    """Compare the engine's result with ``problem.answer``.

    Gradients and Hessian matrices go through ``matcalc.check`` (symbolic, then
    numeric on random inputs that respect the assumptions); Jacobians,
    derivatives and Hessians given as an action H[V] are compared numerically
    here, on ``draws`` random inputs.
    """
    if problem.kind in ("gradient", "differential") or (
            problem.kind == "hessian" and problem.direction is None):
        c = mc.check(problem.text, wrt=problem.wrt, answer=problem.answer,
                     kind="hessian" if problem.kind == "hessian" else "gradient",
                     shapes=problem.shapes, assume=problem.assume, draws=draws, seed=seed)
        return AnswerCheck(c.correct, c.message)
    return _compare_numerically(problem, result, draws, seed)


def _compare_numerically(problem, result, draws, seed):

    if problem.kind == "hessian" and problem.direction:   # the answer is H[V]: compare H v
        result = mc.hvp(problem.text, wrt=problem.wrt, shapes=problem.shapes,
                        assume=problem.assume, direction=problem.direction)
    elif result is None:
        result = solve(problem)
    f = result.source if result.source is not None else result.base
    X = result.wrt
    known = {s.name: s.shape for s in free_symbols(f) | {X} if isinstance(s, E.Symbol)}
    if problem.direction:
        known[problem.direction] = X.shape
    answer = parse(problem.answer, {**known, **(problem.shapes or {})})
    symbols = free_symbols(f) | free_symbols(answer) | {X}
    if problem.kind == "hessian" and problem.direction:
        symbols |= {result.direction}
    rng = np.random.default_rng(seed)
    for _ in range(draws):
        values = valid_draw(result, symbols, rng)
        with np.errstate(all="ignore"):
            want = np.asarray(evaluate(answer, values, (f, X)), dtype=float)
            got = np.asarray(result.evaluate(values), dtype=float)
        if problem.kind == "jacobian" and problem.direction:
            V = np.asarray(values[problem.direction], dtype=float)
            got = got @ np.ravel(V, order="F")
            want = np.ravel(want, order="F")
        if got.shape != want.shape or not np.allclose(
                got, want, rtol=1e-7, atol=1e-9 * max(1.0, float(np.max(np.abs(want))))):
            return AnswerCheck(False, f"differs: the engine's {result.label} is {result}, "
                                      f"the answer {problem.answer} (numerically, at random "
                                      "inputs)")
    return AnswerCheck(True, f"right (checked numerically): the {result.label} is {result}")


@dataclass(frozen=True)
class Outcome:
    """One row of the table: the problem, the result as printed, the checks, the time."""
    problem: Problem
    result: str
    verified: bool
    matches: bool
    ms: float
    error: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.verified and self.matches and not self.error


def run(problem: Problem) -> Outcome:
    """Solve, verify against finite differences and compare with the answer; never raises
    (a failure is reported in ``error``)."""
    start = time.perf_counter()
    try:
        result = solve(problem)
        shown = display(problem, result)
        report = result.verify()
        answer = check_answer(problem, result)
    except MatcalcError as e:
        return Outcome(problem, "", False, False, (time.perf_counter() - start) * 1e3,
                       error="error: " + str(e).splitlines()[0])
    except Exception as e:      # an engine bug: report it in the table, go on with the rest
        return Outcome(problem, "", False, False, (time.perf_counter() - start) * 1e3,
                       error=f"internal error: {type(e).__name__}: {e}".splitlines()[0])
    ms = (time.perf_counter() - start) * 1e3
    return Outcome(problem, shown, report.ok, answer.ok, ms,
                   message=answer.message if not answer.ok else str(report) if not report.ok
                   else "")

"""Checking a student's answer: is this the gradient (or Hessian) of f?

Symbolically where the simplifier can tell (answer - G simplifies to 0),
numerically on random inputs that respect the assumptions otherwise; when the
answer is wrong, the message says how: transposed, off by a factor, right
only for symmetric X, or simply what the gradient is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import arguments
from .. import deadline
from ..ir import expr as E
from ..ir.traverse import free_symbols
from .derive import gradient, hessian, prepare
from .results import Result
from .verification import MAX_DRAWS, valid_draw
from ..errors import MatcalcError, NotDefinedError, ShapeError
from ..backends.numeric import evaluate
from ..language.parser import parse
from ..backends.printing import text
from ..rules.simplify import simplify


@dataclass(frozen=True)
class CheckResult:
    correct: bool
    message: str
    expected: Result

    def __bool__(self):
        return self.correct

    def __str__(self):
        return self.message


@deadline.bounded
def check(f, wrt: str, answer: str, kind: str = "gradient", shapes: dict | None = None,
          assume: dict | None = None, draws: int = 5, seed: int | None = 0) -> CheckResult:
    """Whether ``answer`` is the gradient (kind="gradient") or Hessian of f with respect to wrt.

    >>> print(check("log det X", wrt="X", answer="X^-1"))
    right only for symmetric X: the gradient is X^-T
    """
    kind = arguments.choice(kind, "kind", ("gradient", "hessian"))
    draws, seed = arguments.count(draws, "draws", MAX_DRAWS), arguments.seed(seed)
    f, X, assume = prepare(f, wrt, shapes, assume)
    expected = (gradient if kind == "gradient" else hessian)(f, wrt, shapes, assume)
    if expected.expr is None:
        raise MatcalcError(f"the {kind} of {text(f)} has no matrix form to compare with")
    known = {s.name: s.shape for s in free_symbols(f) | {X} if isinstance(s, E.Symbol)}
    try:
        given = parse(answer, {**known, **(shapes or {})}, shape=expected.expr.shape)
    except ShapeError:
        given = parse(answer, {**known, **(shapes or {})})
    if given.shape != expected.expr.shape:
        how = "transposed" if given.shape == expected.expr.shape[::-1] else "wrong shape"
        return CheckResult(False, f"{how}: the answer {text(given)} is a "
                           f"{E.describe(given.shape)}, but the {kind} {expected} is a "
                           f"{E.describe(expected.expr.shape)}", expected)
    if isinstance(simplify(E.add(given, -expected.expr), assume), E.Zero):
        return CheckResult(True, f"right: the {kind} is {expected}", expected)
    rng = np.random.default_rng(seed)
    symbols = free_symbols(f) | free_symbols(given) | {X}
    compare = lambda values, e: _close(_value(e, values, (f, X)), expected.evaluate(values))
    samples = [valid_draw(expected, symbols, rng) for _ in range(draws)]
    if all(compare(v, given) for v in samples):
        return CheckResult(True, f"right (checked numerically): the {kind} is {expected}",
                           expected)
    return CheckResult(False, _diagnose(f, X, given, expected, assume, samples, rng), expected)


def _value(answer, values, context):
    """The answer's value; NaN where it has none (the inverse of a singular matrix)."""
    try:
        return np.asarray(evaluate(answer, values, context), dtype=float)
    except NotDefinedError:
        return np.array(np.nan)


def _close(a, b, rtol=1e-7):
    """Equal to rtol relative to the size of the larger (its largest entry)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.max(np.abs(a - b), initial=0.0) <=
                    rtol * max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0)))


def _diagnose(f, X, given, expected, assume, samples, rng) -> str:
    truth = f"the {expected.label.lower()} is {expected}"
    G = lambda v: np.asarray(expected.evaluate(v), dtype=float)
    A = lambda v: _value(given, v, (f, X))
    square = sorted(s.name for s in free_symbols(f) | {X} if isinstance(s, E.Symbol)
                    and s.shape[0] == s.shape[1] and s.shape[1] != 1 and s.name not in assume)
    if square:
        symmetric = [{**v, **{n: _symmetrized(v[n]) for n in square}} for v in samples]
        if all(_close(A(v), G(v)) for v in symmetric):
            return f"right only for symmetric {', '.join(square)}: {truth}"
    if X.shape[1] != 1 and all(_close(A(v), G(v).T) for v in samples):
        return f"transposed: {truth}"
    ratios = [np.sum(A(v) * G(v)) / np.sum(G(v) * G(v)) for v in samples if np.any(G(v))]
    if ratios and np.allclose(ratios, ratios[0]) and not np.isclose(ratios[0], 1) \
            and ratios[0] and all(_close(A(v), ratios[0] * G(v)) for v in samples):
        return f"off by a factor {ratios[0]:.4g}: {truth}"
    return f"wrong: {truth}"


def _symmetrized(M):
    M = np.asarray(M, dtype=float)
    return (M + M.T) / 2 + M.shape[0] * np.eye(M.shape[0])

"""Where a derivative holds: the points at which f is differentiable.

``conditions(f)`` lists, for every part of f that is not differentiable
everywhere, what must hold (``x != 0`` for ||x||_2, a simple top singular
value for ||X||_2, no zero entry for relu and |.|, a positive argument for
log and sqrt, an invertible matrix for X^-1). Each condition can be checked
numerically at given values; where a positive argument is negative, f itself
has no (real) value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import expr as E
from ..errors import MatcalcError
from ..language.parser import parse
from ..catalogue.functions import ELEMENTWISE
from ..backends.numeric import evaluate
from ..backends.printing import text


@dataclass(frozen=True)
class Condition:
    subject: E.Expr      # the sub-expression that needs it
    arg: E.Expr          # the argument the test looks at
    test: str            # one of TESTS

    def __str__(self):
        return f"{text(self.subject)}: {TESTS[self.test][0].format(text(self.arg))}"

    def holds(self, values: dict, context: tuple = ()) -> bool:
        """Whether it holds at values (dimensions fixed by them and the context, such as f);
        a value that cannot be computed fails it."""
        value = self._value(values, context)
        return value is not None and bool(np.all(np.isfinite(value)) and
                                          TESTS[self.test][1](value))

    def defined(self, values: dict, context: tuple = ()) -> bool:
        """False where f has no value: an argument that must be positive is negative (a value
        that cannot be computed is the evaluator's to report)."""
        if self.test not in DOMAINS:
            return True
        value = self._value(values, context)
        return value is None or bool(DOMAINS[self.test](value))

    def _value(self, values, context):
        """The argument's value at values, or None where it cannot be computed."""
        try:
            return np.asarray(evaluate(self.arg, values, context), dtype=float)
        except MatcalcError:
            return None


def _singular_gap(A):
    s = np.linalg.svd(np.atleast_2d(A), compute_uv=False)
    return len(s) < 2 or s[0] - s[1] > 1e-8 * max(s[0], 1.0)


def _eigen_gap(A):
    w = np.linalg.eigvalsh(np.atleast_2d(A))
    return len(w) < 2 or w[-1] - w[-2] > 1e-8 * max(abs(w[-1]), 1.0)


def _full_rank(A):
    s = np.linalg.svd(np.atleast_2d(A), compute_uv=False)
    return s[-1] > 1e-10 * s[0]


TESTS = {
    "nonzero": ("{} != 0", lambda v: np.linalg.norm(v) > 1e-12),
    "no zero entry": ("no entry of {} is 0 (a kink: the derivative there is a subgradient)",
                      lambda v: np.all(np.abs(v) > 1e-12)),
    "positive": ("{} > 0", lambda v: np.all(v > 0)),
    "invertible": ("{} invertible", lambda v: _full_rank(v)),
    "full rank": ("{} of full rank", lambda v: _full_rank(v)),
    "simple top singular value": ("the largest singular value of {} is simple",
                                  _singular_gap),
    "simple top eigenvalue": ("{} symmetric with a simple largest eigenvalue", _eigen_gap),
}

DOMAINS = {"positive": lambda v: not np.any(v < 0)}


def conditions(f: E.Expr | str) -> list[Condition]:
    """What must hold for f (an expression or text) to be differentiable, part by part."""
    if not isinstance(f, E.Expr):
        f = parse(f)
    found = []
    for e in E.walk(f):
        match e:
            case E.Norm(arg) if e.kind == "euclid":
                found.append(Condition(e, arg, "nonzero"))
            case E.Norm(arg) if e.kind == "l1":
                found.append(Condition(e, arg, "no zero entry"))
            case E.Norm(arg) if e.kind == "spectral":
                found.append(Condition(e, arg, "simple top singular value"))
            case E.Norm(arg) if e.kind == "nuclear":
                found.append(Condition(e, arg, "full rank"))
            case E.LambdaMax(arg):
                found.append(Condition(e, arg, "simple top eigenvalue"))
            case E.Inverse(arg) | E.MatPower(arg, _) if not isinstance(e, E.MatPower) or e.k < 0:
                found.append(Condition(e, arg, "invertible"))
            case E.Func(name, arg) if ELEMENTWISE[name].domain == "kink":
                found.append(Condition(e, arg, "no zero entry"))
            case E.Func(name, arg) if ELEMENTWISE[name].domain == "positive":
                found += _positive(e, arg)
            case E.Power(base, E.Number(value)) if not value.is_integer:
                found += _positive(e, base)
    return list(dict.fromkeys(found))


def _positive(e, arg):
    """arg > 0; for arg = det(M) also M invertible, which the sign of a rounded det cannot tell."""
    invertible = [Condition(e, arg.arg, "invertible")] if isinstance(arg, E.Det) else []
    return invertible + [Condition(e, arg, "positive")]

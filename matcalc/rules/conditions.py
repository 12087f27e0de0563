"""Where a derivative holds: the points at which f is differentiable.

``conditions(f)`` lists, for every part of f that is not differentiable
everywhere, what must hold (``x != 0`` for ||x||_2, a simple top singular
value for ||X||_2, no zero entry for relu and |.|, a positive argument for
log and sqrt, an invertible matrix for X^-1). Each condition can be checked
numerically at given values; where an argument is outside a function's domain
(a negative one for log), f itself has no (real) value. The requirement of an
elementwise function is its catalogue row's domain; ``RULES`` holds, per node class,
what the node requires of its argument.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..ir import expr as E
from ..ir.traverse import walk
from ..errors import MatcalcError
from ..language.parser import parse
from ..catalogue.domains import EVERYWHERE, KINK, POSITIVE, Requirement
from ..catalogue.functions import ELEMENTWISE
from ..backends.numeric import evaluate
from ..backends.printing import text
from .differential import squared_norm


@dataclass(frozen=True)
class Condition:
    subject: E.Expr              # the sub-expression that needs it
    arg: E.Expr                  # the argument the requirement is of
    requirement: Requirement

    def __str__(self):
        return f"{text(self.subject)}: {self.requirement.text.format(text(self.arg))}"

    def holds(self, values: dict, context: tuple = ()) -> bool:
        """Whether it holds at values (dimensions fixed by them and the context, such as f);
        a value that cannot be computed fails it."""
        value = self._value(values, context)
        return value is not None and bool(np.all(np.isfinite(value)) and
                                          self.requirement.holds(value))

    def defined(self, values: dict, context: tuple = ()) -> bool:
        """False where f has no value: an argument outside a function's domain (a value
        that cannot be computed is the evaluator's to report)."""
        if self.requirement.defined is None:
            return True
        value = self._value(values, context)
        return value is None or bool(self.requirement.defined(value))

    def _value(self, values, context):
        """The argument's value at values, or None where it cannot be computed."""
        try:
            return np.asarray(evaluate(self.arg, values, context), dtype=float)
        except MatcalcError:
            return None


def _unique_top(v):
    """The largest entry of v stands apart from the next one."""
    w = np.sort(np.ravel(v))
    return len(w) < 2 or w[-1] - w[-2] > 1e-8 * max(abs(w[-1]), 1.0)


def _singular_gap(A):
    return _unique_top(np.linalg.svd(np.atleast_2d(A), compute_uv=False))


def _eigen_gap(A):
    return _unique_top(np.linalg.eigvalsh(np.atleast_2d(A)))


def _full_rank(A):
    s = np.linalg.svd(np.atleast_2d(A), compute_uv=False)
    return s[-1] > 1e-10 * s[0]


INVERTIBLE = Requirement("{} invertible", _full_rank)

NORMS = {
    "euclid": Requirement("{} != 0", lambda v: np.linalg.norm(v) > 1e-12),
    "l1": KINK,
    "spectral": Requirement("the largest singular value of {} is simple", _singular_gap),
    "nuclear": Requirement("{} of full rank", _full_rank),
    "max": Requirement("the largest |entry| of {} is unique and not 0",
                       lambda v: _unique_top(np.abs(v)) and np.max(np.abs(v)) > 1e-12),
}

SIMPLE_EIGENVALUE = {
    "max": Requirement("{} symmetric with a simple largest eigenvalue", _eigen_gap),
    "min": Requirement("{} symmetric with a simple smallest eigenvalue",
                       lambda A: _eigen_gap(-np.atleast_2d(A))),
}

UNIQUE_EXTREMUM = {
    "max": Requirement("the largest entry of {} is unique", _unique_top),
    "min": Requirement("the smallest entry of {} is unique", lambda v: _unique_top(-v)),
}

RULES: dict[type, Callable] = {}     # node class -> its conditions (rule)


def rule(node_type):
    def register(fn):
        RULES[node_type] = fn
        return fn
    return register


@rule(E.Norm)
def norm_rule(e):
    """||x||_p: x != 0 for a number p > 1; no zero entry for p = 1 or a symbol p."""
    if e.kind == "lp":
        p = e.order[0]
        smooth = isinstance(p, E.Number) and p.value > 1
        return [Condition(e, e.arg, NORMS["euclid"] if smooth else KINK)]
    return [Condition(e, e.arg, NORMS[e.kind])] if e.kind in NORMS else []


@rule(E.LambdaMax)
def lambda_max_rule(e):
    return [Condition(e, e.arg, SIMPLE_EIGENVALUE[e.which])]


@rule(E.Extremum)
def extremum_rule(e):
    """max(x) and min(x), and their indicators ismax(x) and ismin(x), are smooth (the
    indicators constant) where the extremum is attained at one entry only."""
    return [Condition(e, e.arg, UNIQUE_EXTREMUM[e.which[-3:]])]


@rule(E.Inverse)
def inverse_rule(e):
    return [Condition(e, e.arg, INVERTIBLE)]


@rule(E.MatPower)
def matrix_power_rule(e):
    """X^k for k < 0 is a power of X^-1."""
    return [Condition(e, e.base, INVERTIBLE)] if e.k < 0 else []


def _principal(A):
    """No eigenvalue on the closed negative real axis, where log and sqrt have no principal
    branch."""
    w = np.linalg.eigvals(np.atleast_2d(A))
    on_axis = (np.abs(w.imag) <= 1e-12 * np.abs(w)) & (w.real <= 1e-12 * np.abs(w).max(initial=1.0))
    return not np.any(on_axis)


PRINCIPAL = Requirement("{} without eigenvalues on the closed negative real axis", _principal,
                        _principal)
INTEGER = Requirement("{} an integer", lambda k: np.all(k == np.round(k)),
                      lambda k: np.all(k == np.round(k)))


@rule(E.MatFunc)
def matrix_function_rule(e):
    """logm and sqrtm (and their Frechet derivatives) by the principal branch."""
    return [] if e.which == "expm" else [Condition(e, e.arg, PRINCIPAL)]


@rule(E.SymbolicPower)
def symbolic_power_rule(e):
    """X^k is a matrix power for an integer k (a negative one needs X invertible)."""
    return [Condition(e, e.exponent, INTEGER)]


@rule(E.Func)
def function_rule(e):
    """The domain of the function's catalogue row."""
    domain = ELEMENTWISE[e.name].domain
    return [] if domain is EVERYWHERE else _domain(e, e.arg, domain)


@rule(E.Power)
def power_rule(e):
    """u^c for a number c that is not an integer needs u > 0; so does u^v for an exponent v
    that is not a number (x.^t, x.^x)."""
    c = e.exponent
    return _domain(e, e.base, POSITIVE) if not isinstance(c, E.Number) or not c.value.is_integer \
        else []


def _domain(e, arg, requirement):
    """arg > 0 for arg = det(M) needs M invertible too, which the sign of a rounded det
    cannot tell."""
    invertible = [Condition(e, arg.arg, INVERTIBLE)] \
        if requirement is POSITIVE and isinstance(arg, E.Det) else []
    return invertible + [Condition(e, arg, requirement)]


def conditions(f: E.Expr | str) -> list[Condition]:
    """What must hold for f (an expression or text) to be differentiable, part by part.
    A Euclidean norm that occurs only squared needs none: ||x||^2 = <x, x> is smooth at 0."""
    if not isinstance(f, E.Expr):
        f = parse(f)
    found = [c for e in walk(f) if type(e) in RULES for c in RULES[type(e)](e)]
    squared = Counter(e.base for e in walk(f) if squared_norm(e))
    alone = Counter(e for e in walk(f) if e in squared)
    return [c for c in dict.fromkeys(found) if not squared[c.subject] == alone[c.subject] > 0]


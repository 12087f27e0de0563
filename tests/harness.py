"""Test harness shared by the test modules.

- hypothesis settings (``profile``) and a guard against hangs (``alarm``);
- the seeds, sizes and tolerances of the acceptance tests;
- ``Case``: a case of ``matcalc.problems.CASES`` (text, variable, shapes,
  assumptions) joined with its NumPy truth from ``closed_forms`` (random draws,
  f and closed forms), and ``draws`` of its values;
- the engine's results of a case, derived once.
"""
from __future__ import annotations

import contextlib
import functools
import signal
from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import HealthCheck, settings

import matcalc as mc
from matcalc import problems
from closed_forms import ORACLES
from oracle import central_gradient, rng_values, sym

SEEDS = (0, 1, 2)
SIZES = ({"n": 3, "m": 4, "k": 2}, {"n": 5, "m": 2, "k": 3})

# Engine vs closed form: both exact up to rounding.
EXACT_RTOL, EXACT_ATOL = 1e-7, 1e-9
# Against central differences (h = 1e-6): truncation and cancellation errors.
FD_RTOL, FD_ATOL = 1e-5, 1e-6


def profile(examples: int):
    """Settings of a property test: ``examples`` examples, reproducible, no time limit."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@contextlib.contextmanager
def alarm(seconds: float):
    """Fail (TimeoutError) instead of hanging: the block may run at most ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"still running {seconds} s after the start")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------
# Cases: the package's table joined with the NumPy truth
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """What the engine is asked (from matcalc.problems) and what checks it (closed_forms)."""
    id: str
    text: str
    wrt: str
    kind: str
    shapes: dict | None
    assume: dict | None
    spec: dict
    f: Callable | None
    grad: Callable | None
    hess: Callable | None
    F: Callable | None
    jac: Callable | None
    derived: Callable | None
    valid: Callable | None


def case(case_id: str) -> Case:
    p, closed = problems.case(case_id), ORACLES[case_id]
    return Case(p.id, p.text, p.wrt, p.kind, p.shapes, p.assume, closed.spec, closed.f,
                closed.grad, closed.hess, closed.F, closed.jac, closed.derived, closed.valid)


def cases(table, kinds) -> list[Case]:
    """The cases of a table of matcalc.problems whose kind is one of ``kinds``."""
    return [case(p.id) for p in table if p.kind in kinds]


def first_order(p: problems.Problem) -> bool:
    """A gradient, a differential, or f' for a scalar variable."""
    return p.kind in ("gradient", "differential") or (p.kind == "derivative" and p.order == 1)


def draws(c, extra=None):
    """(label, values) for every seed and size setting; ``extra(rng, values)`` may add
    entries (a direction) drawn after the values."""
    for dims in SIZES:
        for seed in SEEDS:
            label = f"{c.id} seed={seed} dims={dims}"
            rng = np.random.default_rng(seed)
            values = rng_values(rng, c.spec, dims)
            if c.derived is not None:
                values = {**values, **c.derived(**values)}
            if c.valid is not None:
                assert c.valid(**values), f"{label}: draw too close to a kink"
            if extra is not None:
                values = {**values, **extra(rng, values)}
            yield label, values


def symmetric_variable(c: Case) -> bool:
    return (c.assume or {}).get(c.wrt) in ("symmetric", "spd")


def fd_gradient(c: Case, values):
    """Central differences of f; for a variable declared symmetric the gradient on S^n
    is sym of the unconstrained one."""
    G = central_gradient(lambda v: c.f(**v), values, c.wrt)
    return sym(G) if symmetric_variable(c) else G


def gradient_scale(c: Case, values) -> float:
    """Magnitude for the absolute tolerances."""
    return max(1.0, np.max(np.abs(c.grad(**values))), abs(c.f(**values)))


def hessian_scale(c: Case, values) -> float:
    """Finite differences of the gradient lose about eps * |grad| / h."""
    return max(gradient_scale(c, values), np.max(np.abs(c.hess(**values))))


def jacobian_scale(c: Case, values) -> float:
    return max(1.0, np.max(np.abs(c.jac(**values))), np.max(np.abs(c.F(**values))))


DERIVE = {"gradient": mc.gradient, "hessian": mc.hessian, "jacobian": mc.jacobian,
          "hvp": mc.hvp}


@functools.cache
def engine(kind: str, case_id: str):
    """The engine's result of that kind (gradient, hessian, jacobian, hvp, derivative) for a
    case, derived once."""
    p = problems.case(case_id)
    if kind == "derivative":
        return mc.derivative(p.text, wrt=p.wrt, order=p.order, shapes=p.shapes)
    return DERIVE[kind](p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)

"""Acceptance tests: first-order cases of the problem set and of the identities.

The cases are the rows of ``matcalc.problems.PROBLEMS`` and ``IDENTITIES``
whose kind is a gradient (or a differential, or f' for a scalar variable);
their NumPy truth is ``closed_forms.ORACLES``. For every case the engine's
gradient is evaluated at random points (3 seeds x 2 size settings) and
compared with two independent oracles, never with the engine itself:

- central finite differences of the NumPy implementation of f, and
- the closed-form answer, written in NumPy.

``test_gradient_oracles`` checks the two oracles against each other without
the engine.
"""
from __future__ import annotations

import numpy as np
import pytest

from matcalc import problems
from closed_forms import ORACLES
from harness import (EXACT_ATOL, EXACT_RTOL, FD_ATOL, FD_RTOL, case, draws, engine,
                     fd_gradient, first_order, gradient_scale)
from oracle import assert_close

PROBLEMS = [case(p.id) for p in problems.PROBLEMS + problems.IDENTITIES if first_order(p)]


def test_every_first_order_case_has_an_oracle():
    wanted = {p.id for p in problems.CASES if first_order(p)}
    assert wanted - set(ORACLES) == set(), "cases without a NumPy truth"


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_gradient_oracles(problem):
    """Engine-free: the closed-form gradient vs central differences of f."""
    for label, values in draws(problem):
        assert_close(problem.grad(**values), fd_gradient(problem, values),
                     rtol=FD_RTOL, atol=FD_ATOL * gradient_scale(problem, values),
                     what=f"{label}: closed-form gradient vs central differences of f")


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_gradient(problem):
    g = engine("gradient", problem.id)
    for label, values in draws(problem):
        G = g.evaluate(values)
        assert np.shape(G) == np.shape(values[problem.wrt]), (
            f"{label}: gradient shape {np.shape(G)} != shape of {problem.wrt} "
            f"{np.shape(values[problem.wrt])}")
        scale = gradient_scale(problem, values)
        assert_close(G, problem.grad(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")
        assert_close(G, fd_gradient(problem, values), rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs central differences")

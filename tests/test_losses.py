"""Acceptance tests: the losses of losses.md, and losses of the problem set at their edges.

The cases are the rows of ``matcalc.problems.LOSSES`` (one row per variable
of a loss), their NumPy truth ``closed_forms.ORACLES``. As in
test_problems.py and test_second_order.py, every engine result is evaluated
at random points (3 seeds x 2 size settings) and compared with two
independent oracles, never with the engine itself:

- central finite differences of NumPy code (of f for a gradient, of the
  NumPy gradient for a Hessian), and
- the closed-form answer (the form a paper prints), written in NumPy.

The ``*_oracles`` tests check the oracles against each other without the
engine. Then: P23 with both variables at once, P16 at saturated logits.
"""
from __future__ import annotations

import functools
import re

import numpy as np
import pytest

import matcalc as mc
from matcalc import problems
from closed_forms import logistic_loss
from harness import (EXACT_ATOL, EXACT_RTOL, FD_ATOL, FD_RTOL, case, cases, draws,
                     engine, fd_gradient, gradient_scale,
                     hessian_scale)
from oracle import assert_close, central_gradient, central_jacobian

GRADIENTS = cases(problems.LOSSES, ("gradient",))
HESSIANS = cases(problems.LOSSES, ("hessian",))



def params(chosen):
    return [pytest.param(c, id=c.id) for c in chosen]


def size(value):
    return int(np.size(value))


@pytest.mark.parametrize("loss", params(GRADIENTS))
def test_gradient_oracles(loss):
    """Engine-free: the paper's gradient vs central differences of f."""
    for label, values in draws(loss):
        assert_close(loss.grad(**values), fd_gradient(loss, values),
                     rtol=FD_RTOL, atol=FD_ATOL * gradient_scale(loss, values),
                     what=f"{label}: closed-form gradient vs central differences of f")


@pytest.mark.parametrize("loss", params(GRADIENTS))
def test_gradient(loss):
    g = engine("gradient", loss.id)
    for label, values in draws(loss):
        G = g.evaluate(values)
        assert np.shape(G) == np.shape(values[loss.wrt]), (
            f"{label}: gradient shape {np.shape(G)} != shape of {loss.wrt} "
            f"{np.shape(values[loss.wrt])}")
        scale = gradient_scale(loss, values)
        assert_close(G, fd_gradient(loss, values), rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs central differences")
        assert_close(G, loss.grad(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


@pytest.mark.parametrize("loss", params(HESSIANS))
def test_hessian_oracles(loss):
    """Engine-free: the closed-form Hessian is symmetric and equals central
    differences of the (separately checked) NumPy gradient."""
    grad = lambda values: loss.grad(**values)
    for label, values in draws(loss):
        scale = hessian_scale(loss, values)
        closed = loss.hess(**values)
        assert_close(loss.grad(**values), fd_gradient(loss, values), rtol=FD_RTOL,
                     atol=FD_ATOL * scale, what=f"{label}: NumPy gradient vs central differences")
        assert_close(closed, closed.T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: closed-form Hessian symmetric")
        assert_close(closed, central_jacobian(grad, values, loss.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: closed-form Hessian vs Jacobian of the NumPy gradient")


@pytest.mark.parametrize("loss", params(HESSIANS))
def test_hessian(loss):
    h = engine("hessian", loss.id)
    grad = lambda values: loss.grad(**values)
    for label, values in draws(loss):
        N = size(values[loss.wrt])
        H = np.asarray(h.evaluate(values), dtype=float)
        assert H.shape == (N, N), f"{label}: Hessian shape {H.shape} != ({N}, {N})"
        scale = hessian_scale(loss, values)
        assert_close(H, H.T, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine Hessian symmetric")
        assert_close(H, central_jacobian(grad, values, loss.wrt),
                     rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: engine vs Jacobian of the NumPy gradient")
        assert_close(H, loss.hess(**values), rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")


# ---------------------------------------------------------------------------
# Printed as short as the paper, and read back: the acceptance test of losses.md
# ---------------------------------------------------------------------------

def tokens(text: str) -> int:
    """Symbols, numbers, operators and brackets: how long a formula reads (as
    notebooks/04_losses.py measures it)."""
    return len(re.findall(r"[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d+)?|\S", text))


@pytest.mark.parametrize("loss", params(problems.LOSSES))
def test_printed_no_longer_than_the_paper(loss):
    shown = str(engine(loss.kind, loss.id))
    assert tokens(shown) <= tokens(loss.answer), (shown, loss.answer)


@pytest.mark.parametrize("loss", params(problems.LOSSES))
def test_printed_answer_reads_back_through_check(loss):
    """The printed answer, parsed back, is the derivative (mc.check, symbolic or at random
    points that respect the assumptions); the paper's form is too."""
    shown = str(engine(loss.kind, loss.id))
    for answer in (shown, loss.answer):
        verdict = mc.check(loss.text, wrt=loss.wrt, answer=answer, kind=loss.kind,
                           shapes=loss.shapes, assume=loss.assume)
        assert verdict.correct, (answer, verdict.message)


# ---------------------------------------------------------------------------
# P23 with several variables at once: mc.gradient(text, wrt=["W", "b"])
# ---------------------------------------------------------------------------

P23_PARTS = {name: case(f"P23-{name}") for name in ("W", "b")}


@functools.cache
def engine_p23_gradients():
    return mc.gradient(P23_PARTS["W"].text, wrt=["W", "b"])


def test_p23_several_variables():
    g = engine_p23_gradients()
    for label, values in draws(P23_PARTS["W"]):
        together = g.evaluate(values)
        assert isinstance(together, dict), f"{label}: evaluate returned {type(together)}"
        assert set(together) == {"W", "b"}, f"{label}: keys {sorted(together)}"
        for name, part in P23_PARTS.items():
            alone = g[name].evaluate(values)
            scale = gradient_scale(part, values)
            assert np.shape(alone) == np.shape(values[name]), (
                f"{label}: g[{name!r}] shape {np.shape(alone)}")
            assert np.shape(together[name]) == np.shape(values[name]), (
                f"{label}: evaluate()[{name!r}] shape {np.shape(together[name])}")
            assert_close(together[name], alone, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                         what=f"{label}: g.evaluate()[{name!r}] vs g[{name!r}].evaluate()")
            assert_close(alone, fd_gradient(part, values), rtol=FD_RTOL,
                         atol=FD_ATOL * scale,
                         what=f"{label}: g[{name!r}] vs central differences")
            assert_close(alone, part.grad(**values), rtol=EXACT_RTOL,
                         atol=EXACT_ATOL * scale, what=f"{label}: g[{name!r}] vs closed form")


# ---------------------------------------------------------------------------
# P16 at saturated logits: |Z theta| >= 40, where sigma(Z theta) rounds to 0 or 1
# ---------------------------------------------------------------------------

def stable_logistic_loss(Z, theta, y):
    """The same loss as sum(softplus(z) - y .* z), z = Z theta: finite for any z."""
    z = Z @ theta
    return np.sum(np.logaddexp(0.0, z) - y * z)


def saturated_draws():
    p = case("P16")
    for label, values in draws(p):
        Z, theta = values["Z"], values["theta"]
        theta = theta * (40.0 / np.min(np.abs(Z @ theta)))
        yield f"{label} saturated", {**values, "theta": theta}


def test_p16_saturated_oracles():
    """Engine-free: the stable loss is the loss of P16 at ordinary points, and
    the closed form is its gradient at saturated ones."""
    p = case("P16")
    for label, values in draws(p):
        assert_close(stable_logistic_loss(**values), logistic_loss(**values),
                     rtol=EXACT_RTOL, atol=EXACT_ATOL, what=f"{label}: stable vs plain loss")
    for label, values in saturated_draws():
        G = p.grad(**values)
        fd = central_gradient(lambda v: stable_logistic_loss(**v), values, "theta")
        scale = max(1.0, np.max(np.abs(G)), stable_logistic_loss(**values))
        assert_close(G, fd, rtol=FD_RTOL, atol=FD_ATOL * scale,
                     what=f"{label}: closed form vs central differences of the stable loss")


def test_p16_saturated():
    p = case("P16")
    g = engine("gradient", p.id)
    for label, values in saturated_draws():
        with np.errstate(all="ignore"):
            G = g.evaluate(values)
        closed = p.grad(**values)
        scale = max(1.0, np.max(np.abs(closed)), stable_logistic_loss(**values))
        assert_close(G, closed, rtol=EXACT_RTOL, atol=EXACT_ATOL * scale,
                     what=f"{label}: engine vs closed form")

"""What the notebooks share: random inputs, the closed forms' building blocks, the
numeric checks of a result, timings and the figure style.

The notebooks run with this folder as working directory and `import helpers`.
"""
from __future__ import annotations

import inspect
import time
import timeit

import numpy as np
from IPython.display import display

PRINT_OPTIONS = {"precision": 4, "suppress": True, "linewidth": 100}   # np.set_printoptions
PLOT_STYLE = {"figure.dpi": 150, "font.size": 9}   # plt.rcParams.update: sharp on a laptop screen


class Draws:
    """Random inputs from one generator, drawn in the order they are asked for."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def vector(self, n):
        return self.rng.standard_normal(n)

    def matrix(self, m, n):
        return self.rng.standard_normal((m, n))

    def invertible(self, n):
        """A square matrix with det > 0, far from singular."""
        return np.eye(n) + 0.3 * self.rng.standard_normal((n, n))

    def spd(self, n):
        """A symmetric positive definite matrix, eigenvalues at least n."""
        B = self.rng.standard_normal((n, n))
        return B @ B.T + n * np.eye(n)

    def symmetric(self, n):
        B = self.rng.standard_normal((n, n))
        return (B + B.T) / 2


def sigma(z):
    """The logistic function 1 / (1 + e^-z), elementwise."""
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def vec(M):
    """The columns of M stacked (vec layout)."""
    return np.ravel(M, order="F")


def commutation(n):
    """K with K vec(A) = vec(A^T) for n x n matrices A."""
    K = np.zeros((n * n, n * n))
    for i in range(n):
        for j in range(n):
            K[j + i * n, i + j * n] = 1.0
    return K


def max_rel_diff(a, b):
    """max |a - b| relative to max(1, max |b|)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b))))


def derive(result):
    """matcalc's derivation: rendered LaTeX in Jupyter, and the same lines as text."""
    display(result)
    print(result.explain())


def numeric_check(result, closed_form, values, answer="the closed form of problems.md"):
    """Finite differences (verify) and the closed form `answer`, typed in NumPy,
    evaluated at `values` and compared with matcalc's result."""
    report = result.verify()
    print(report)
    got = np.asarray(result.evaluate(values), dtype=float)
    want = np.asarray(closed_form, dtype=float)
    assert got.shape == want.shape, (got.shape, want.shape)
    error = max_rel_diff(got, want)
    print(f"matcalc vs {answer}: max relative difference {error:.1e}")
    assert report, "verify() failed"
    assert error < 1e-9, error


def arguments(fn, values):
    """The entries of values that fn takes (all of them if it takes **kwargs)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return dict(values)
    return {name: values[name] for name in params}


def best_time(fn, repeat=5, budget=0.02):
    """Best time of one call over `repeat` runs (2 for calls over 0.25 s), after a
    warm-up call (JIT compilation)."""
    fn()
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    if once > 0.25:
        return min(once, *timeit.repeat(fn, number=1, repeat=1))
    number = max(1, int(budget / max(once, 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number

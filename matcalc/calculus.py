"""Gradients by the differential method: df -> <G, dX> -> G.

Conventions: a gradient has the shape of the variable (df = <G, dX>). When
the variable itself is declared symmetric, the gradient is the one on the
space of symmetric matrices, sym(G) = (G + G^T) / 2: the unique symmetric G
with df = <G, dX> for every symmetric dX.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import numpy as np
import sympy

from . import expr as E
from .canonical import gradient_from_differential
from .differential import differential as d
from .errors import MatcalcError
from .numeric import central_difference, directions, draw, evaluate
from .parser import parse
from .printing import latex, text
from .simplify import ASSUMPTIONS, SYMMETRIC_KINDS, simplify


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of a finite-difference check; true when it passed."""
    ok: bool
    max_rel_error: float
    draws: int
    checks: int
    tolerance: float

    def __bool__(self):
        return self.ok

    def __str__(self):
        verdict = "verified" if self.ok else "FAILED"
        return (f"{verdict}: max relative error {self.max_rel_error:.1e} (tolerance "
                f"{self.tolerance:.0e}) over {self.draws} random draws, {self.checks} "
                f"finite differences")


@dataclass(frozen=True)
class Derivative:
    """The gradient G of a scalar f with respect to a variable X: df = <G, dX>."""
    function: E.Expr
    wrt: E.Symbol
    expr: E.Expr
    assume: dict = field(default_factory=dict)

    def __str__(self):
        return text(self.expr)

    def __repr__(self):
        return f"<gradient of {text(self.function)} wrt {self.wrt.name}: {self}>"

    @property
    def latex(self) -> str:
        return latex(self.expr)

    def _repr_latex_(self):
        return f"$\\displaystyle \\nabla_{{{latex(self.wrt)}}} f = {self.latex}$"

    @property
    def differential(self) -> DifferentialForm:
        return DifferentialForm(self.function, self.wrt, self.expr)

    def evaluate(self, values: dict):
        """The gradient at the given values (a NumPy array shaped like the variable)."""
        return evaluate(self.expr, values, context=(self.function, self.wrt))

    def verify(self, draws: int = 3, seed: int = 0, tolerance: float = 1e-5) -> VerifyReport:
        """Compare with central differences of f on random inputs that respect the assumptions."""
        rng = np.random.default_rng(seed)
        symbols = E.free_symbols(self.function) | {self.wrt}
        symmetric = self.assume.get(self.wrt.name) in SYMMETRIC_KINDS
        worst, checks = 0.0, 0
        for _ in range(draws):
            values = self._valid_draw(symbols, rng)
            X = np.asarray(values[self.wrt.name], dtype=float)
            G = np.asarray(self.evaluate(values), dtype=float).reshape(X.shape)
            f = lambda Xv: evaluate(self.function, {**values, self.wrt.name: Xv})
            for V in directions(np.atleast_2d(X).shape if X.ndim else (1, 1), symmetric, rng):
                V = V.reshape(X.shape)
                fd = central_difference(f, X, V)
                exact = float(np.sum(G * V))
                worst = max(worst, abs(fd - exact) / max(1.0, abs(fd), abs(exact)))
                checks += 1
        return VerifyReport(bool(worst < tolerance), worst, draws, checks, tolerance)

    def _valid_draw(self, symbols, rng):
        """A draw where f is finite; later tries use positive entries (for log, sqrt)."""
        for attempt in range(20):
            values = draw(symbols, self.assume, rng, {})
            if attempt % 2:
                values = {k: np.abs(v) if np.ndim(v) else abs(v) for k, v in values.items()}
            with np.errstate(all="ignore"):
                try:
                    if np.isfinite(evaluate(self.function, values)) and \
                            np.all(np.isfinite(self.evaluate(values))):
                        return values
                except np.linalg.LinAlgError:
                    pass
        raise MatcalcError(f"could not find random inputs where {text(self.function)} is "
                           "defined; pass assumptions (e.g. assume={'X': 'spd'})")


@dataclass(frozen=True)
class DifferentialForm:
    """df = <G, dX>, printed with scalar factors outside the bracket."""
    function: E.Expr
    wrt: E.Symbol
    gradient: E.Expr

    @property
    def expr(self) -> E.Expr:
        dX = E.Differential(self.wrt)
        G = self.gradient
        factors = G.factors if isinstance(G, E.Mul) and not E.is_scalar_chain(G) else (G,)
        scalars = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        if not chain:
            return E.mul(*scalars, dX)
        return E.mul(*scalars, E.Inner(E.mul(*chain), dX))

    def __str__(self):
        return f"df = {text(self.expr)}"

    @property
    def latex(self) -> str:
        return f"df = {latex(self.expr)}"

    def _repr_latex_(self):
        return f"$\\displaystyle {self.latex}$"


def prepare(f, wrt: str, shapes=None, assume=None):
    """Parse f and find the variable; check the assumptions."""
    assume = dict(assume or {})
    for name, kind in assume.items():
        if kind not in ASSUMPTIONS:
            raise MatcalcError(f"unknown assumption {kind!r} for {name}; known: "
                               f"{', '.join(sorted(ASSUMPTIONS))}")
    expr = f if isinstance(f, E.Expr) else parse(f, shapes)
    if not isinstance(wrt, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", wrt):
        raise MatcalcError(f"wrt must name a variable, such as 'x' or 'X', not {wrt!r}")
    symbols = {s.name: s for s in E.free_symbols(expr) if isinstance(s, E.Symbol)}
    for name in assume:
        if name not in symbols and name != wrt:
            raise MatcalcError(f"assumption on {name!r}, which does not occur in {text(expr)}")
    if wrt in symbols:
        return expr, symbols[wrt], assume
    var = parse(wrt, shapes)    # f does not depend on it: the derivative is zero
    if not isinstance(var, E.Symbol):
        close = difflib.get_close_matches(wrt, list(symbols), n=1)
        raise MatcalcError(f"cannot differentiate with respect to {wrt!r}"
                           + (f"; did you mean {close[0]!r}?" if close else ""))
    return expr, var, assume


def gradient(f, wrt: str, shapes: dict | None = None, assume: dict | None = None) -> Derivative:
    """The gradient of a scalar expression f with respect to the variable named wrt.

    >>> str(gradient("tr(A X^-1 B)", wrt="X"))
    '-X^-T A^T B^T X^-T'
    """
    f, X, assume = prepare(f, wrt, shapes, assume)
    if not f.is_scalar:
        raise MatcalcError(f"{text(f)} is a {E.describe(f.shape)}, not a scalar: a gradient "
                           "needs a scalar function; use jacobian() for the derivative of "
                           "a vector or matrix")
    G = gradient_from_differential(d(f, X), E.Differential(X))
    if assume.get(X.name) in SYMMETRIC_KINDS:
        G = E.mul(E.Number(sympy.Rational(1, 2)), E.add(G, E.Transpose(G)))
    return Derivative(f, X, simplify(G, assume), assume)


def differential(f, wrt: str, shapes: dict | None = None,
                 assume: dict | None = None) -> DifferentialForm:
    """df in the canonical form <G, dX>."""
    g = gradient(f, wrt, shapes, assume)
    return g.differential

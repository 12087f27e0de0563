"""Derivatives by the differential method.

    gradient    df = <G, dX>                   -> G, shaped like X
    jacobian    dF = J dx  (vec(dF) = J vec(dX)) -> J, size(F) x size(X)
    hessian     d^2 f = <H[dX1], dX2>: the Jacobian of the gradient; H[dX] = dG
    derivative  F^(k)(t) for a scalar t
    hvp         H[v], without forming H

When the variable itself is declared symmetric, the gradient is the one on
the space of symmetric matrices, sym(G) = (G + G^T) / 2: the unique symmetric
G with df = <G, dX> for every symmetric dX (``symmetric="sym"``). Some texts
use 2 G - diag(G), the derivative with respect to the independent entries
of X (``symmetric="entries"``).
"""
from __future__ import annotations

import difflib
from functools import cached_property
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy

from .. import arguments
from .. import deadline
from ..ir import expr as E
from ..rules.conditions import Condition, conditions
from ..rules.canonical import gradient_from_differential, jacobian_from_differential, vec_jacobian
from ..rules.differential import Step, differential as d
from ..backends import code
from ..errors import MatcalcError, NotDefinedError, NotDifferentiableError, UnsupportedError
from ..backends.numeric import central_difference, directions, draw, evaluate, to_internal
from ..language.parser import parse
from ..backends.printing import latex, text
from .steps import explain, latex_derivation
from ..rules.simplify import ASSUMPTIONS, SYMMETRIC_KINDS, expand, simplify as normal_form

HALF = E.Number(sympy.Rational(1, 2))
MAX_ORDER = 30                 # derivative(): each order differentiates and simplifies again
MAX_DERIVATIVE_SIZE = 2_000    # operations in F^(k) before F^(k+1) is refused
MAX_DRAWS = 1_000              # random points in one verify() or check()
MAX_DIRECTIONS = 100           # finite differences per draw; random directions for more entries


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of a finite-difference check; true when it passed.

    Errors are relative to the size of the derivative (its largest entry at each
    point). ``undecided``: the differences were within the rounding error of the
    finite differences themselves, and that error exceeds the tolerance.
    """
    ok: bool
    max_rel_error: float
    draws: int
    checks: int
    tolerance: float
    notes: tuple = ()      # conditions of differentiability that fail at the points checked
    undecided: bool = False
    noise: float = 0.0     # largest rounding error of the finite differences, relative
    entries: int = 0       # finite differences one per entry would take: more than checks when
                           # random directions stood in for them

    def __bool__(self):
        return self.ok

    def __str__(self):
        counts = f"over {self.draws} draws, {self.checks} finite differences"
        if self.checks < self.entries:
            counts += f" (along random directions; one per entry would take {self.entries})"
        if self.undecided:
            out = (f"undecided: finite differences cannot tell, their rounding error is up to "
                   f"{self.noise:.0e} of the derivative (tolerance {self.tolerance:.0e}); max "
                   f"relative difference {self.max_rel_error:.1e} {counts}")
        else:
            out = (f"{'verified' if self.ok else 'FAILED'}: max relative error "
                   f"{self.max_rel_error:.1e} (tolerance {self.tolerance:.0e}) {counts}")
        return out + "".join(f"\n  not differentiable here: {n}" for n in self.notes)


def _differences(pairs):
    """(largest |fd - prediction|, largest rounding error of fd, size of the derivative)."""
    error = rounding = scale = 0.0
    for fd, noise, exact in pairs:
        fd, exact = np.asarray(fd, dtype=float), np.asarray(exact, dtype=float)
        with np.errstate(invalid="ignore"):
            gap = float(np.max(np.abs(fd - exact)))
        error = max(error, gap if np.isfinite(gap) else np.inf)
        rounding = max(rounding, float(np.max(noise)))
        scale = max(scale, float(np.max(np.abs(fd))), float(np.max(np.abs(exact))))
    return error, rounding, scale


@dataclass(frozen=True)
class Result:
    """A derivative: ``expr`` is its value as an expression of the inputs.

    ``base`` is what was differentiated (f, or the gradient for a Hessian),
    ``wrt`` the variable. ``verify()`` compares ``expr`` with central
    differences of ``base`` on random inputs that respect the assumptions.
    """
    base: E.Expr
    wrt: E.Symbol
    expr: E.Expr | None
    assume: dict = field(default_factory=dict)
    label: str = "derivative"
    steps: tuple = ()
    source: E.Expr | None = None      # the function f itself, when base is not f

    def __str__(self):
        return text(self.expr, self._context)

    def __repr__(self):
        return f"<{self.label} of {text(self.base)} wrt {self.wrt.name}: {self}>"

    @property
    def latex(self) -> str:
        return latex(self.expr, self._context)

    def _repr_latex_(self):
        if self.steps:
            return f"$\\displaystyle {latex_derivation(self.lhs_latex, self.steps, self.boxed)}$"
        return f"$\\displaystyle {self.latex}$"

    lhs_text, lhs_latex = "df", "df"

    @property
    def boxed(self) -> str:
        return self.latex

    @property
    def function(self) -> E.Expr:
        """f, the function this is a derivative of."""
        return self.source if self.source is not None else self.base

    def explain(self) -> str:
        """The derivation as plain text, step by step."""
        return explain(f"f = {text(self.function)}", self.lhs_text, list(self.steps),
                       f"{self.label}: {self}")

    def numpy_source(self, name: str = "f", **options) -> str:
        """Readable NumPy source of a function computing this result (backends/code)."""
        return code.numpy_source(self, name, **options)

    def to_numpy(self, **options):
        """A fast NumPy function computing this result, arguments by name."""
        return code.to_numpy(self, **options)

    def to_jax(self, **options):
        """The same function on jax.numpy (jittable)."""
        return code.to_jax(self, **options)

    @deadline.bounded
    def evaluate(self, values: dict):
        """The value at the given inputs (NumPy: vectors 1-D, matrices 2-D, scalars float)."""
        return self._where_differentiable(
            values, lambda: evaluate(self.expr, values, context=self._context))

    def _where_differentiable(self, values, compute):
        """compute(), unless f is not differentiable at (finite) values: f has no value there,
        or the derivative has none and a condition of differentiability fails
        (NotDifferentiableError naming it)."""
        try:
            result, error = compute(), None
        except NotDefinedError as err:
            result, error = None, err
        finite = error is None and np.all(np.isfinite(result))
        f = self.function
        given = all(np.all(np.isfinite(to_internal(values[s.name], s.name)))
                    for s in E.free_symbols(f) if isinstance(s, E.Symbol) and s.name in values)
        failing = [c for c in self.conditions if not (
            c.defined(values, self._context) if finite else c.holds(values, self._context))
        ] if given else []
        if failing:
            raise NotDifferentiableError(f"{text(f):.80} is not differentiable at these values: "
                                         f"{'; '.join(map(str, failing))} fails") from None
        if error is not None:
            raise error
        return result

    @cached_property
    def conditions(self) -> list[Condition]:
        """Where this derivative holds (see conditions.py)."""
        return conditions(self.function)

    @deadline.bounded
    def verify(self, draws: int = 3, seed: int = 0, tolerance: float = 1e-5,
               at: dict | None = None) -> VerifyReport:
        """Compare with central differences on random inputs that respect the assumptions.

        ``at`` fixes some or all values (the rest are drawn); the conditions of
        differentiability are checked there too and failures are reported. Errors are
        relative to the size of the derivative; where the finite differences' own rounding
        error could hide a mismatch above the tolerance, the report says undecided.
        """
        draws = arguments.count(draws, "draws", MAX_DRAWS)
        tolerance = arguments.positive(tolerance, "tolerance")
        at = None if at is None else arguments.values(at, "at")
        for name, v in (at or {}).items():
            to_internal(v, name)
        rng = np.random.default_rng(arguments.seed(seed))
        worst, noise, checks, notes, done, failed, entries = 0.0, 0.0, 0, [], 0, False, 0
        for _ in range(draws if at is None or not self._fixed(at) else 1):
            values = {**self._valid_draw(self._symbols(), rng, at), **(at or {})}
            failing = [str(c) for c in self.conditions if not c.holds(values, self._context)]
            notes += failing
            done += 1
            try:
                comparisons, n = self._comparisons(values, rng)
                pairs = list(comparisons)
            except (NotDefinedError, NotDifferentiableError) as err:
                notes += [] if failing else [str(err)]
                continue
            entries += n
            error, rounding, scale = _differences(pairs)
            relative = error / scale if scale else 0.0 if error == 0 else np.inf
            worst, checks = max(worst, relative), checks + len(pairs)
            noise = max(noise, rounding / scale if scale else 0.0 if rounding == 0 else np.inf)
            failed = failed or not error <= tolerance * scale + rounding
        notes = tuple(dict.fromkeys(notes))
        ok = bool(worst <= tolerance) and not notes
        return VerifyReport(ok, worst, done, checks, tolerance, notes,
                            undecided=not (ok or failed or notes), noise=noise, entries=entries)

    @property
    def _context(self):
        """What fixes the dimensions of base: f itself and the variable."""
        return (self.function, self.wrt)

    def _fixed(self, at):
        return all(s.name in at for s in self._symbols() if isinstance(s, E.Symbol))

    def _symbols(self):
        """What a draw gives values: the symbols of base and of f (which may carry a dimension
        that base only names, as the Hessian 2 n I of tr(A^-1 A) x^T x), and the variable."""
        return E.free_symbols(self._context[0]) | E.free_symbols(self.base) | {self.wrt}

    def _comparisons(self, values, rng):
        """((finite difference, its rounding error, prediction) triples, the number of
        entries): along every entry (or symmetric pair) of X, or MAX_DIRECTIONS random
        directions (numeric.directions)."""
        X = np.asarray(values[self.wrt.name], dtype=float)
        G = self.evaluate(values)
        f = lambda Xv: np.asarray(evaluate(self.base, {**values, self.wrt.name: Xv}, self._context))
        symmetric = self.assume.get(self.wrt.name) in SYMMETRIC_KINDS
        along = lambda V: G * V if self.wrt.is_scalar else np.sum(G * V)
        Vs, n = directions(X.shape, symmetric, rng, MAX_DIRECTIONS)
        return ((*central_difference(f, X, V), along(V)) for V in Vs), n

    def _valid_draw(self, symbols, rng, at=None):
        """A draw where everything is finite and f differentiable (inverses of invertible
        matrices, logs of positive numbers); later tries use positive entries (log, sqrt).
        Failing that, one where everything is finite."""
        if at:
            symbols = {s for s in symbols if not (isinstance(s, E.Symbol) and s.name in at)}
            if self._fixed(at):
                return dict(at)
        finite = None
        for attempt in range(20):
            deadline.check("drawing random values")
            values = {**draw(symbols, self.assume, rng, self._sizes(at)), **(at or {})}
            if attempt % 2:
                values = {k: np.abs(v) if np.ndim(v) else abs(v) for k, v in values.items()}
            with np.errstate(all="ignore"):
                try:
                    if np.all(np.isfinite(evaluate(self.base, values, self._context))) and \
                            np.all(np.isfinite(self.evaluate(values))):
                        if all(c.holds(values, self._context) for c in self.conditions):
                            return values
                        finite = finite or values
                except (NotDefinedError, NotDifferentiableError):
                    pass
        if finite is not None:
            return finite
        raise MatcalcError(f"could not find random inputs where {text(self.base)} is "
                           "defined; pass assumptions (e.g. assume={'X': 'spd'})")

    def _sizes(self, at):
        """Dimensions already fixed by the given values."""
        sizes = {}
        for s in self._symbols():
            if isinstance(s, E.Symbol) and at and s.name in at:
                for d, n in zip(s.shape, np.shape(np.atleast_1d(at[s.name]))):
                    if isinstance(d, str):
                        sizes[d] = n
        return sizes


@dataclass(frozen=True, repr=False)
class Derivative(Result):
    """The gradient G of a scalar f: df = <G, dX>, G shaped like X."""
    label: str = "gradient"

    @property
    def function(self) -> E.Expr:
        return self.base

    @property
    def boxed(self) -> str:
        return f"\\nabla_{{{latex(self.wrt)}}} f = {self.latex}"

    @property
    def differential(self) -> DifferentialForm:
        return DifferentialForm(self.base, self.wrt, self.expr)


@dataclass(frozen=True, repr=False)
class Jacobian(Result):
    """J with dF = J dX (vec layout: vec(dF) = J vec(dX)); ``map`` is dF itself."""
    map: E.Expr | None = None
    label: str = "Jacobian"

    def __str__(self):
        if self.expr is not None and (self.wrt.shape[1] == 1 and self.base.shape[1] == 1):
            return text(self.expr, self._context)
        return f"{text(E.Differential(self.wrt))} -> {text(self.map, self._context)}"

    @property
    def kron(self) -> E.Expr | None:
        """The vec-layout matrix in Kronecker form (None where there is none)."""
        return self.expr

    @deadline.bounded
    def evaluate(self, values: dict):
        """size(F) x size(X) in vec (column-stacking) layout."""
        if self.expr is not None:
            return np.atleast_2d(np.asarray(super().evaluate(values), dtype=float)).reshape(
                self.size(self.base, values), self.size(self.wrt, values))
        return self._where_differentiable(values, lambda: self._evaluate_map(values))

    def _evaluate_map(self, values):
        dX = E.Differential(self.wrt)
        X = np.asarray(values[self.wrt.name], dtype=float)
        columns = []
        for k in range(X.size):
            deadline.check("evaluating the Jacobian")
            basis = np.zeros(X.size)
            basis[k] = 1.0
            V = basis.reshape(X.shape, order="F")
            columns.append(np.ravel(evaluate(self.map, {**values, text(dX): V},
                                             context=self._context), order="F"))
        return np.array(columns).T

    def size(self, e, values):
        if e is self.wrt:
            return np.asarray(values[e.name]).size
        return np.asarray(evaluate(e, values, self._context)).size

    def _comparisons(self, values, rng):
        """J vec(V) against central differences of F along V: each entry of X, or
        MAX_DIRECTIONS random directions."""
        X = np.asarray(values[self.wrt.name], dtype=float)
        J = self.evaluate(values)
        F = lambda Xv: np.ravel(evaluate(self.base, {**values, self.wrt.name: Xv}, self._context), order="F")
        Vs, n = directions(X.shape, False, rng, MAX_DIRECTIONS)
        return ((*central_difference(F, X, V), J @ np.ravel(V, order="F")) for V in Vs), n


@dataclass(frozen=True, repr=False)
class Hessian(Jacobian):
    """The Hessian: the Jacobian of the gradient. For a matrix X, ``map`` is H[dX] = dG."""
    gradient: Derivative | None = None
    label: str = "Hessian"

    def __str__(self):
        if self.wrt.shape[1] == 1:
            return text(self.expr, self._context)
        return f"H[{text(E.Differential(self.wrt))}] = {text(self.map, self._context)}"


@dataclass(frozen=True)
class Gradients(Mapping):
    """The gradients of one f with respect to several variables, by name."""
    by_name: dict

    def __getitem__(self, name):
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name)

    def __len__(self):
        return len(self.by_name)

    def __str__(self):
        return "\n".join(f"grad_{name} f = {g}" for name, g in self.by_name.items())

    def _repr_latex_(self):
        rows = r" \\ ".join(g.boxed.replace("=", "&=", 1) for g in self.by_name.values())
        return rf"$\displaystyle \begin{{aligned}} {rows} \end{{aligned}}$"

    @deadline.bounded
    def evaluate(self, values: dict) -> dict:
        return {name: g.evaluate(values) for name, g in self.by_name.items()}

    @deadline.bounded
    def verify(self, **options) -> VerifyReport:
        reports = [g.verify(**options) for g in self.by_name.values()]
        worst = max(reports, key=lambda r: r.max_rel_error)
        return VerifyReport(all(reports), worst.max_rel_error, worst.draws,
                            sum(r.checks for r in reports), worst.tolerance,
                            tuple(dict.fromkeys(n for r in reports for n in r.notes)),
                            undecided=not all(reports) and all(r.ok or r.undecided for r in reports),
                            noise=max(r.noise for r in reports),
                            entries=sum(r.entries for r in reports))


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
        return f"df = {text(self.expr, (self.function,))}"

    @property
    def latex(self) -> str:
        return f"df = {latex(self.expr, (self.function,))}"

    def _repr_latex_(self):
        return f"$\\displaystyle {self.latex}$"


# ---- the public functions ---------------------------------------------------------------

def _parse(f, shapes, assume):
    """(f as an expression, the assumptions checked); an assumed kind makes a matrix square."""
    assume = arguments.assumptions(assume, ASSUMPTIONS)
    shapes = arguments.shapes(shapes)
    if isinstance(f, E.Expr):
        return f, assume
    square = {name: "square" for name in assume if name not in shapes}
    return parse(f, {**square, **shapes}), assume


def prepare(f, wrt: str, shapes=None, assume=None):
    """Parse f and find the variable; check the assumptions."""
    expr, assume = _parse(f, shapes, assume)
    wrt = arguments.variable_name(wrt)
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


@deadline.bounded
def simplify(f, assume: dict | None = None, shapes: dict | None = None) -> E.Expr:
    """f (text or an expression) in matcalc's normal form, using the assumptions.

    >>> str(simplify("(X^-1)^T + X^-T"))
    '2 X^-T'
    """
    expr, assume = _parse(f, shapes, assume)
    return normal_form(expr, assume)


def _require_scalar(f, what):
    if not f.is_scalar:
        raise MatcalcError(f"{text(f)} is a {E.describe(f.shape)}, not a scalar: {what} "
                           "needs a scalar function; use jacobian() for the derivative of "
                           "a vector or matrix")


def _gradient_expr(f, X, assume, symmetric="sym", steps=None):
    """G with df = <G, dX>; the derivation goes into steps (a list) if given."""
    symmetric = arguments.choice(symmetric, "symmetric", ("sym", "entries"))
    dX = E.Differential(X)
    df = d(normal_form(f, assume), X, steps=steps)
    G = normal_form(gradient_from_differential(df, dX), assume)
    if steps is not None:
        steps.append(Step(("canonical form <G, " + text(dX) + ">",),
                          DifferentialForm(f, X, G).expr))
    if assume.get(X.name) in SYMMETRIC_KINDS and not X.is_scalar:
        if symmetric == "sym":
            G = E.mul(HALF, E.add(G, E.Transpose(G)))
        else:
            G = E.add(G, E.Transpose(G), E.mul(E.Number(-1), E.Diag(E.Diag(G))))
        G = normal_form(G, assume)
        if steps is not None:
            steps.append(Step((f"{X.name} symmetric: the gradient on symmetric matrices, "
                               + ("sym(G)" if symmetric == "sym" else "2 G - diag(G)"),),
                              DifferentialForm(f, X, G).expr))
    return G


@deadline.bounded
def gradient(f, wrt, shapes: dict | None = None, assume: dict | None = None,
             symmetric: str = "sym") -> Derivative | Gradients:
    """The gradient of a scalar expression f with respect to the variable named wrt.

    With a list of names, the gradients with respect to each (a ``Gradients`` mapping).

    >>> str(gradient("tr(A X^-1 B)", wrt="X"))
    '-X^-T A^T B^T X^-T'
    """
    if not isinstance(wrt, str):
        names = arguments.variable_names(wrt)
        f = _parse(f, shapes, assume)[0]
        return Gradients({name: gradient(f, name, shapes, assume, symmetric) for name in names})
    f, X, assume = prepare(f, wrt, shapes, assume)
    _require_scalar(f, "a gradient")
    steps = []
    G = _gradient_expr(f, X, assume, symmetric, steps)
    return Derivative(f, X, G, assume, steps=tuple(steps))


@deadline.bounded
def differential(f, wrt: str, shapes: dict | None = None,
                 assume: dict | None = None) -> DifferentialForm:
    """df in the canonical form <G, dX>.

    >>> print(differential("ln <x, Ax>", wrt="x"))
    df = <(A + A^T) x, dx> / <x, A x>
    """
    return gradient(f, arguments.variable_name(wrt), shapes, assume).differential


def _jacobian_parts(F, X, assume, tidy=normal_form, steps=None, lhs="dF"):
    """(dF simplified, J or None): J in matrix form for vectors, Kronecker form otherwise."""
    dX = E.Differential(X)
    layers = []
    dF = d(tidy(F, assume), X, steps=layers)
    if layers:
        layers[0] = Step((), layers[0].expr, lhs)
    dF = tidy(dF, assume) if dF is not None else None
    if steps is not None:
        steps += layers + ([Step(("simplify",), dF)] if dF is not None else [])
    dF_simple = dF if dF is not None else E.Zero(F.shape)
    if F.shape[1] == 1 and X.shape[1] == 1:
        J = jacobian_from_differential(dF, dX)
        return dF_simple, tidy(J, assume) if J is not None else E.Zero((F.shape[0], X.shape[0]))
    try:
        J = vec_jacobian(dF, dX)
    except UnsupportedError:
        return dF_simple, None
    size = (E.Vec(F).shape[0], E.Vec(X).shape[0])
    return dF_simple, tidy(J, assume) if J is not None else E.Zero(size)


@deadline.bounded
def jacobian(F, wrt: str, shapes: dict | None = None, assume: dict | None = None) -> Jacobian:
    """J with dF = J dX: m x n for vectors; size(F) x size(X) in vec layout otherwise.

    >>> str(jacobian("A x", wrt="x"))
    'A'
    """
    F, X, assume = prepare(F, wrt, shapes, assume)
    steps = []
    dF, J = _jacobian_parts(F, X, assume, steps=steps)
    if J is not None:
        steps.append(Step((f"read off dF = J {text(E.Differential(X))}",), J, "J"))
    return Jacobian(F, X, J, assume, map=dF, steps=tuple(steps))


@deadline.bounded
def hessian(f, wrt: str, shapes: dict | None = None, assume: dict | None = None) -> Hessian:
    """The Hessian: n x n for a vector x; for a matrix X the map H[dX] and its vec form.

    >>> str(hessian("1/2 ||A x - b||_2^2", wrt="x"))
    'A^T A'
    """
    f, X, assume = prepare(f, wrt, shapes, assume)
    _require_scalar(f, "a Hessian")
    steps = []
    g = Derivative(f, X, _gradient_expr(f, X, assume, steps=steps), assume, steps=tuple(steps))
    steps.append(Step(("read off the gradient",), g.expr, "grad f"))
    dG, H = _jacobian_parts(g.expr, X, assume, tidy=expand, steps=steps, lhs="d(grad f)")
    if H is not None and X.shape[1] == 1:
        H = _symmetric_form(H, assume)
        steps.append(Step((f"read off d(grad f) = H {text(E.Differential(X))}",), H, "H"))
    return Hessian(g.expr, X, H, assume, map=dG, gradient=g, source=f, steps=tuple(steps))


def _symmetric_form(H, assume):
    """H as printed: itself when it reads symmetric, else (H + H^T) / 2."""
    if normal_form(E.Transpose(H), assume) == H:
        return H
    return normal_form(E.mul(HALF, E.add(H, E.Transpose(H))), assume)


@deadline.bounded
def derivative(F, wrt: str, order: int = 1, shapes: dict | None = None,
               assume: dict | None = None) -> Result:
    """The order-th derivative of F with respect to a scalar variable.

    >>> str(derivative("t^3", wrt="t", order=2, shapes={"t": "scalar"}))
    '6 t'
    """
    F, t, assume = prepare(F, wrt, shapes, assume)
    if not t.is_scalar:
        raise MatcalcError(f"derivative() is for a scalar variable; {wrt} is a "
                           f"{E.describe(t.shape)}: use gradient(), jacobian() or hessian()")
    order = arguments.count(order, "order", MAX_ORDER)
    dt = E.Differential(t)
    current = base = F
    for k in range(order):
        deadline.check(f"taking the derivative of order {k + 1}")
        if (size := E.size(current)) > MAX_DERIVATIVE_SIZE:
            raise UnsupportedError(f"the derivative of order {k} of {text(F):.60} has grown to "
                                   f"{size} operations; order {order} is out of reach (the "
                                   f"limit is {MAX_DERIVATIVE_SIZE} operations)")
        base = current
        dF = d(current, t)
        current = normal_form(E.substitute(dF, dt, E.Number(1)), assume) if dF is not None \
            else E.Zero(F.shape)
    return Result(base, t, current, assume, label=f"derivative of order {order}", source=F)


@deadline.bounded
def hvp(f, wrt: str, shapes: dict | None = None, assume: dict | None = None,
        direction: str | None = None) -> Result:
    """The Hessian-vector product H[v] as an expression in a new symbol ``direction``
    (by default v for a vector variable, V for a matrix).

    >>> str(hvp("1/2 ||A x - b||_2^2", wrt="x"))
    'A^T A v'
    """
    f, X, assume = prepare(f, wrt, shapes, assume)
    _require_scalar(f, "a Hessian-vector product")
    direction = _direction_name(("v" if X.shape[1] == 1 else "V") if direction is None
                                else direction, X)
    if direction in {s.name for s in E.free_symbols(f) if isinstance(s, E.Symbol)}:
        raise MatcalcError(f"the direction {direction!r} already occurs in {text(f)}; "
                           "choose another name with direction=")
    G = _gradient_expr(f, X, assume)
    v = E.Symbol(direction, X.shape)
    dG = d(G, X)
    Hv = normal_form(E.substitute(dG, E.Differential(X), v), assume) if dG is not None \
        else E.Zero(X.shape)
    return HVP(G, X, Hv, assume, label="Hessian-vector product", direction=v, source=f)


def _direction_name(name, X):
    """A name that reads back as a symbol of X's kind: not I or exp, nor sigma for a vector."""
    try:
        read = parse(arguments.variable_name(name, "direction"))
    except MatcalcError:
        read = None
    kind = lambda e: (e.is_scalar, e.shape[1] == 1)
    if not isinstance(read, E.Symbol) or not X.is_scalar and kind(read) != kind(X):
        raise MatcalcError(f"direction must name a new {E.describe(X.shape)} like {X.name}, "
                           f"such as {'v' if X.shape[1] == 1 else 'V'!r}, not {name!r}")
    return name


@dataclass(frozen=True, repr=False)
class HVP(Result):
    """H[v] = dG along v; verify() compares with central differences of the gradient."""
    direction: E.Symbol | None = None

    def _symbols(self):
        return super()._symbols() | {self.direction}

    def _comparisons(self, values, rng):
        X = np.asarray(values[self.wrt.name], dtype=float)
        V = np.asarray(values[self.direction.name], dtype=float)
        G = lambda Xv: np.asarray(evaluate(self.base, {**values, self.wrt.name: Xv}, self._context))
        return [(*central_difference(G, X, V), self.evaluate(values))], 1

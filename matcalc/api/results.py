"""The results of differentiation: what a derivative is, how it prints, evaluates,
verifies and turns into code.

    Result          a derivative as an expression of the inputs (derivative(), hvp())
    Gradient        G with df = <G, dX>, shaped like X
    Jacobian        J with dF = J dX (vec layout); ``map`` is dF itself
    Hessian         the Jacobian of the gradient; for a matrix X the map H[dX] = dG
    HessianBlock    H[x, y]: the Jacobian of grad_x f with respect to y
    Gradients       the gradients of one f with respect to several variables
    Jacobians       the Jacobians of one F with respect to several variables
    Hessians        the block Hessian of one f with respect to several variables
    DifferentialForm  df = <G, dX> as printed
    HVP             H[v] along a direction symbol v
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .. import deadline
from ..backends import code
from ..backends.numeric import central_difference, evaluate, to_internal
from ..backends.naming import Named, name_intermediates
from ..backends.printing import aligned, latex, text, where_latex, where_text
from ..errors import NotDefinedError, NotDifferentiableError
from ..ir import expr as E
from ..ir.traverse import free_symbols
from ..rules.conditions import Condition, conditions
from ..rules.simplify import SYMMETRIC_KINDS
from .steps import explain, latex_derivation
from .verification import VerifyReport, along_directions, combined, verify


@dataclass(frozen=True)
class Result:
    """A derivative: ``expr`` is its value as an expression of the inputs.

    ``base`` is what was differentiated (f, or the gradient for a Hessian),
    ``wrt`` the variable. ``verify()`` compares ``expr`` with central
    differences of ``base`` on random inputs that respect the assumptions.
    It prints with named intermediates (``named``, backends/naming.py): the main
    expression, then one ``where h = ...`` line per name; ``expr`` is the expanded one.
    """
    base: E.Expr
    wrt: E.Symbol
    expr: E.Expr | None
    assume: dict = field(default_factory=dict)
    label: str = "derivative"
    steps: tuple = ()
    source: E.Expr | None = None      # the function f itself, when base is not f

    def __str__(self):
        return "\n".join([self.prefix + text(self.named.main[0], self.context),
                          *where_text(self.named, self.context)])

    def __repr__(self):
        shown = str(self).replace("\n", "; ")
        return f"<{self.label} of {text(self.base)} wrt {self.wrt.name}: {shown}>"

    @property
    def prefix(self) -> str:
        """What str() writes before the expression: "H[dX] = ", "dX -> "."""
        return ""

    @property
    def shown(self) -> E.Expr:
        """The expression str() prints: expr, or the map dF of a Jacobian of matrices."""
        assert self.expr is not None, "a gradient has its expression"
        return self.expr

    @cached_property
    def named(self) -> Named:
        """The printed expression with named intermediates (backends/naming.py); the names
        avoid the symbols of the context and the letters of the prefix (H of H[dX] = ...)."""
        heading = tuple(E.Symbol(c) for c in self.prefix if c.isupper())
        return name_intermediates([self.shown], self.context + heading,
                                  lambda e: len(text(e, self.context)))

    @property
    def latex(self) -> str:
        """LaTeX of expr; with named intermediates, an aligned block: the expression, then a
        row per name (\\text{where } h = ...); the map dF = ... for a Jacobian that has no
        matrix form."""
        if self.expr is None:
            return self.boxed
        if self.shown is not self.expr:
            return latex(self.expr, self.context)
        return aligned([latex(self.named.main[0], self.context), *self.where_latex])

    @property
    def where_latex(self) -> list[str]:
        """The rows of the names that the boxed result uses."""
        return where_latex(self.named, self.context)

    def _repr_latex_(self):
        if self.steps:
            shown = latex_derivation(self.lhs_latex, self.steps, self.boxed, self.where_latex)
            return f"$\\displaystyle {shown}$"
        return f"$\\displaystyle {self.latex}$"

    lhs_text, lhs_latex = "df", "df"

    @property
    def boxed(self) -> str:
        return self.main_latex

    @property
    def main_latex(self) -> str:
        """LaTeX of the shown expression over its names."""
        return latex(self.named.main[0], self.context)

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

    def to_torch(self, **options):
        """The same function on torch (float64 tensors; batched by torch.func.vmap)."""
        return code.to_torch(self, **options)

    @deadline.bounded
    def evaluate(self, values: dict):
        """The value at the given inputs (NumPy: vectors 1-D, matrices 2-D, scalars float)."""
        expr = self.expr
        assert expr is not None, "Jacobian.evaluate evaluates a map without a matrix form"
        return self._where_differentiable(
            values, lambda: evaluate(expr, values, context=self.context))

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
                    for s in free_symbols(f) if isinstance(s, E.Symbol) and s.name in values)
        failing = [c for c in self.conditions if not (
            c.defined(values, self.context) if finite else c.holds(values, self.context))
        ] if given else []
        if failing:
            raise NotDifferentiableError(f"{text(f):.80} is not differentiable at these values: "
                                         f"{'; '.join(map(str, failing))} fails") from None
        if error is not None:
            raise error
        return result

    @cached_property
    def conditions(self) -> list[Condition]:
        """Where this derivative holds (see rules/conditions.py)."""
        return conditions(self.function)

    @property
    def context(self):
        """What fixes the dimensions of base: f itself and the variable."""
        return (self.function, self.wrt)

    def symbols(self):
        """What a draw gives values: the symbols of base and of f (which may carry a dimension
        that base only names, as the Hessian 2 n I of tr(A^-1 A) x^T x), and the variable."""
        return free_symbols(self.context[0]) | free_symbols(self.base) | {self.wrt}

    def comparisons(self, values, rng):
        """<G, V> (G V for a scalar variable) against central differences of f along V
        (verification.along_directions)."""
        X = np.asarray(values[self.wrt.name], dtype=float)
        G = self.evaluate(values)
        f = lambda Xv: np.asarray(evaluate(self.base, {**values, self.wrt.name: Xv}, self.context))
        symmetric = self.assume.get(self.wrt.name) in SYMMETRIC_KINDS
        along = lambda V: G * V if self.wrt.is_scalar else np.sum(G * V)
        return along_directions(f, X, along, symmetric, rng)

    @deadline.bounded
    def verify(self, draws: int = 3, seed: int = 0, tolerance: float = 1e-5,
               at: dict | None = None) -> VerifyReport:
        """Compare with central differences on random inputs that respect the assumptions
        (verification.verify)."""
        return verify(self, draws, seed, tolerance, at)


@dataclass(frozen=True, repr=False)
class Gradient(Result):
    """The gradient G of a scalar f: df = <G, dX>, G shaped like X."""
    expr: E.Expr                      # a gradient always has its expression
    label: str = "gradient"

    @property
    def function(self) -> E.Expr:
        return self.base

    @property
    def boxed(self) -> str:
        return f"\\nabla_{{{latex(self.wrt)}}} f = {self.main_latex}"

    @cached_property
    def differential(self) -> DifferentialForm:
        return DifferentialForm(self.base, self.wrt, self.expr)


@dataclass(frozen=True, repr=False)
class Jacobian(Result):
    """J with dF = J dX (vec layout: vec(dF) = J vec(dX)); ``map`` is dF itself."""
    map: E.Expr | None = None
    label: str = "Jacobian"

    @property
    def vectors(self) -> bool:
        """Of a vector with respect to a vector: J itself is shown."""
        return self.expr is not None and self.wrt.shape[1] == 1 and self.base.shape[1] == 1

    @property
    def shown(self) -> E.Expr:
        shown = self.expr if self.vectors else self.map
        assert shown is not None, "jacobian() and hessian() give the map"
        return shown

    @property
    def prefix(self) -> str:
        return "" if self.vectors else f"{text(E.Differential(self.wrt))} -> "

    @property
    def kron(self) -> E.Expr | None:
        """The vec-layout matrix in Kronecker form (None where there is none)."""
        return self.expr

    @property
    def boxed(self) -> str:
        """J = ... for vectors, the vec-layout matrix for matrices, else dF = ... ."""
        assert self.map is not None, "jacobian() and hessian() give the map"
        if self.expr is None:
            return f"dF = {self.main_latex}"
        x = latex(self.wrt)
        if self.vectors:
            return rf"\frac{{\partial F}}{{\partial {x}}} = {self.main_latex}"
        vec = r"\operatorname{vec}"
        return rf"\frac{{\partial {vec} F}}{{\partial {vec} {x}}} = {self.latex}"

    @property
    def where_latex(self) -> list[str]:
        return [] if self.expr is not None and not self.vectors else super().where_latex

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
                                             context=self.context), order="F"))
        return np.array(columns).T

    def size(self, e, values):
        if e is self.wrt:
            return np.asarray(values[e.name]).size
        return np.asarray(evaluate(e, values, self.context)).size

    def comparisons(self, values, rng):
        """J vec(V) against central differences of F along V."""
        X = np.asarray(values[self.wrt.name], dtype=float)
        J = self.evaluate(values)
        F = lambda Xv: np.ravel(evaluate(self.base, {**values, self.wrt.name: Xv}, self.context),
                                order="F")
        return along_directions(F, X, lambda V: J @ np.ravel(V, order="F"), False, rng)


@dataclass(frozen=True, repr=False)
class Hessian(Jacobian):
    """The Hessian: the Jacobian of the gradient. For a matrix X, ``map`` is H[dX] = dG."""
    gradient: Gradient | None = None
    label: str = "Hessian"

    @property
    def vectors(self) -> bool:
        return self.wrt.shape[1] == 1

    @property
    def prefix(self) -> str:
        return "" if self.vectors else f"H[{text(E.Differential(self.wrt))}] = "

    @property
    def boxed(self) -> str:
        if self.vectors:
            return rf"\nabla^2_{{{latex(self.wrt)}}} f = {self.main_latex}"
        return rf"H[{latex(E.Differential(self.wrt))}] = {self.main_latex}"

    @property
    def where_latex(self) -> list[str]:
        return where_latex(self.named, self.context)


@dataclass(frozen=True, repr=False)
class HessianBlock(Hessian):
    """H[x, y] of a block Hessian: the Jacobian of grad_x f (``gradient``) with respect to
    y (``wrt``), size(x) x size(y) in vec layout: vec d(grad_x f) = H[x, y] vec(dy).
    ``map`` is d(grad_x f) as a linear map of dy, H[dy]. On the diagonal it is the Hessian
    with respect to x; H[y, x] is H[x, y]^T (the second derivatives commute)."""
    label: str = "Hessian block"

    @property
    def row(self) -> E.Symbol:
        """x, the variable whose gradient this block differentiates."""
        assert self.gradient is not None, "a block knows the gradient it differentiates"
        return self.gradient.wrt

    @property
    def is_matrix(self) -> bool:
        """Whether the block prints as a matrix: both variables are vectors (or scalars)."""
        return self.expr is not None and self.row.shape[1] == 1 and self.wrt.shape[1] == 1

    @property
    def vectors(self) -> bool:
        return self.is_matrix

    def __str__(self):
        if self.is_matrix:
            return text(self.expr, self.context)
        assert self.map is not None, "a block has its map"
        return f"H[{text(E.Differential(self.wrt))}] = {text(self.map, self.context)}"

    def __repr__(self):
        return f"<{self.label} of {text(self.function)}: {self}>"

    @property
    def boxed(self) -> str:
        """nabla^2_{x y} f = ... for vectors, nabla^2_{X Y} f [dY] = ... otherwise."""
        head = rf"\nabla^2_{{{latex(self.row)} {latex(self.wrt)}}} f"
        if self.is_matrix:
            return f"{head} = {self.latex}"
        assert self.map is not None, "a block has its map"
        return rf"{head}\,[{latex(E.Differential(self.wrt))}] = {latex(self.map, self.context)}"


class Printed:
    """A repr that is the printed result on one line (a list of results reads in Jupyter)."""
    def __repr__(self):
        return f"<{type(self).__name__}: " + str(self).replace("\n", "; ") + ">"


@dataclass(frozen=True, repr=False)
class Hessians(Printed, Mapping):
    """The block Hessian of one f with respect to several variables x_1, ..., x_k:
    ``H[x_i, x_j]`` (a HessianBlock) for every pair, in the order of wrt; iterating gives
    the pairs. ``full(values)`` is the Hessian with respect to the stacked variable
    (vec x_1; ...; vec x_k). ``gradients`` are the gradients the blocks differentiate."""
    blocks: dict
    gradients: Gradients

    def __getitem__(self, pair):
        if not (isinstance(pair, tuple) and pair in self.blocks):
            x, y = next(iter(self.blocks))
            raise KeyError(f"{pair!r}: a block is named by two variables of "
                           f"{list(self.gradients)}, as H[{x!r}, {y!r}]")
        return self.blocks[pair]

    def __iter__(self):
        return iter(self.blocks)

    def __len__(self):
        return len(self.blocks)

    def __str__(self):
        """One line per block: H[x, y] = A, or H[X, Y][dY] = ... for a linear map."""
        return "\n".join(f"H[{b.row.name}, {b.wrt.name}]" + (
            f" = {b}" if b.is_matrix else f"[{text(E.Differential(b.wrt))}] = "
            f"{text(b.map, b.context)}") for b in self.blocks.values())

    @property
    def latex(self) -> str:
        rows = r" \\ ".join(b.boxed.replace("=", "&=", 1) for b in self.blocks.values())
        return rf"\begin{{aligned}} {rows} \end{{aligned}}"

    def _repr_latex_(self):
        return rf"$\displaystyle {self.latex}$"

    @deadline.bounded
    def evaluate(self, values: dict) -> dict:
        """{(x, y): H[x, y] as a size(x) x size(y) array in vec layout}."""
        return {pair: b.evaluate(values) for pair, b in self.blocks.items()}

    @deadline.bounded
    def full(self, values: dict) -> np.ndarray:
        """The whole Hessian, with respect to z = (vec x_1; ...; vec x_k) in the order of wrt:
        its (i, j) block is H[x_i, x_j]."""
        blocks = self.evaluate(values)
        return np.block([[blocks[r, c] for c in self.gradients] for r in self.gradients])

    @deadline.bounded
    def verify(self, **options) -> VerifyReport:
        """Every block against central differences of its gradient (Hessian.verify)."""
        return combined([b.verify(**options) for b in self.blocks.values()])


@dataclass(frozen=True, repr=False)
class Gradients(Printed, Mapping):
    """The gradients of one f with respect to several variables, by name."""
    by_name: dict

    def __getitem__(self, name):
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name)

    def __len__(self):
        return len(self.by_name)

    @cached_property
    def named(self) -> Named:
        """The gradients with one set of names for the intermediates they share."""
        gradients = list(self.by_name.values())
        context = self.context
        return name_intermediates([g.expr for g in gradients], context,
                                  lambda e: len(text(e, context)))

    @property
    def context(self) -> tuple:
        """f and the variables: what fixes the dimensions."""
        gradients = list(self.by_name.values())
        return (gradients[0].function, *(g.wrt for g in gradients))

    def __str__(self):
        named, context = self.named, self.context
        return "\n".join([*(f"grad_{name} f = {text(m, context)}"
                            for name, m in zip(self.by_name, named.main)),
                          *where_text(named, context)])

    @property
    def latex_rows(self) -> list[str]:
        """One row per gradient (\\nabla_{W} f = ...), then one per name
        (\\text{where } h = ...)."""
        named, context = self.named, self.context
        return [rf"\nabla_{{{latex(g.wrt)}}} f = {latex(m, context)}"
                for g, m in zip(self.by_name.values(), named.main)] + where_latex(named, context)

    def _repr_latex_(self):
        body = r" \\ ".join(row.replace(" = ", " &= ", 1) for row in self.latex_rows)
        return rf"$\displaystyle \begin{{aligned}} {body} \end{{aligned}}$"

    @deadline.bounded
    def evaluate(self, values: dict) -> dict:
        return {name: g.evaluate(values) for name, g in self.by_name.items()}

    @deadline.bounded
    def verify(self, **options) -> VerifyReport:
        return combined([g.verify(**options) for g in self.by_name.values()])


@dataclass(frozen=True, repr=False)
class Jacobians(Gradients):
    """The Jacobians of one F with respect to several variables, by name: dF = J[x] dx +
    J[y] dy (vec layout). ``full(values)`` is the Jacobian with respect to the stacked
    variable (vec x_1; ...; vec x_k)."""

    def __str__(self):
        """One line per variable: J[x] = A, or J[X]: dX -> ... for a linear map."""
        return "\n".join(f"J[{name}] = {j}" if j.vectors else f"J[{name}]: {j}"
                          for name, j in self.by_name.items())

    def _repr_latex_(self):
        rows = r" \\ ".join(
            j.boxed.replace("=", "&=", 1) if j.vectors
            else rf"d_{{{latex(j.wrt)}}} F &= {latex(j.map, j.context)}"
            for j in self.by_name.values())
        return rf"$\displaystyle \begin{{aligned}} {rows} \end{{aligned}}$"

    @deadline.bounded
    def full(self, values: dict) -> np.ndarray:
        """size(F) x (size(x_1) + ... + size(x_k)): the blocks side by side."""
        return np.hstack([j.evaluate(values) for j in self.by_name.values()])


@dataclass(frozen=True, repr=False)
class DifferentialForm(Printed):
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

    @cached_property
    def named(self) -> Named:
        context = (self.function, self.wrt)
        return name_intermediates([self.expr], context, lambda e: len(text(e, context)))

    def __str__(self):
        context = (self.function,)
        return "\n".join([f"df = {text(self.named.main[0], context)}",
                          *where_text(self.named, context)])

    @property
    def latex(self) -> str:
        context = (self.function,)
        return aligned([f"df = {latex(self.named.main[0], context)}",
                        *where_latex(self.named, context)])

    def _repr_latex_(self):
        return f"$\\displaystyle {self.latex}$"




@dataclass(frozen=True, repr=False)
class HVP(Result):
    """H[v] = dG along v; verify() compares with central differences of the gradient."""
    direction: E.Symbol | None = None

    @property
    def boxed(self) -> str:
        assert self.direction is not None, "hvp() gives the direction"
        return rf"\nabla^2_{{{latex(self.wrt)}}} f\,[{latex(self.direction)}] = {self.latex}"

    def symbols(self):
        return super().symbols() | {self.direction}

    def comparisons(self, values, rng):
        X = np.asarray(values[self.wrt.name], dtype=float)
        V = np.asarray(values[self.direction.name], dtype=float)
        G = lambda Xv: np.asarray(evaluate(self.base, {**values, self.wrt.name: Xv}, self.context))
        return [(*central_difference(G, X, V), self.evaluate(values))], 1

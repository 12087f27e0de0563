"""The function catalogue: one row per elementwise function, and the lookups by name.

A row holds every fact about its function: name and aliases, a SymPy definition (its
derivative comes from SymPy), a NumPy implementation, LaTeX, the code spelling per
backend and the domain with the condition it imposes. The parser, the differential
rules, the printers, the conditions, the evaluator and the code generator all read the
rows; adding a function is adding a row. Structural functions (``tr``, ``det``, ...)
are nodes of their own, named in structural.py.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Callable

import numpy as np

from ..ir import expr as E
from ..lazy import sympy
from .domains import EVERYWHERE, KINK, POSITIVE, Requirement
from .structural import SHORTHANDS, STRUCTURAL, operator


@cache
def own_functions() -> dict[str, type]:
    """The SymPy functions that SymPy lacks, by class name, made on first use (subclassing
    sympy.Function imports SymPy); log1p is SymPy's, from its codegen package."""
    from sympy.codegen.cfunctions import log1p

    class sigma(sympy.Function):
        """The logistic function 1 / (1 + exp(-z)); sigma' = sigma (1 - sigma)."""

        def fdiff(self, argindex=1):
            return sigma(self.args[0]) * (1 - sigma(self.args[0]))

    class softplus(sympy.Function):
        """log(1 + exp(z)); softplus' = sigma."""

        def fdiff(self, argindex=1):
            return sigma(self.args[0])

    class step(sympy.Function):
        """The unit step (0 for z < 0, 1 for z > 0); step' = 0 away from the kink at 0."""

        def fdiff(self, argindex=1):
            return sympy.S.Zero

    class relu(sympy.Function):
        """max(z, 0); relu' = step, a subgradient at the kink 0."""

        def fdiff(self, argindex=1):
            return step(self.args[0])

    class sign(sympy.Function):
        """The sign of z; sign' = 0 away from 0."""

        def fdiff(self, argindex=1):
            return sympy.S.Zero

    class abs_(sympy.Function):
        """|z|; abs' = sign, a subgradient at the kink 0."""

        def fdiff(self, argindex=1):
            return sign(self.args[0])

    class cosh(sympy.Function):
        """The hyperbolic cosine; cosh' = sinh = cosh tanh, written with catalogue functions."""

        def fdiff(self, argindex=1):
            return cosh(self.args[0]) * sympy.tanh(self.args[0])

    return {f.__name__: f for f in (log1p, sigma, softplus, step, relu, sign, abs_, cosh)}


@dataclass(frozen=True)
class SymPyFunction:
    """A row's SymPy definition, looked up on first use so that SymPy loads with the first
    derivation: the class ``name`` of own_functions(), else SymPy's own (``sympy.log``)."""
    name: str

    def function(self) -> type:
        """The SymPy function: a class, which builds the application when called."""
        own = own_functions()
        return own[self.name] if self.name in own else getattr(sympy, self.name)

    def __call__(self, arg):
        return self.function()(arg)


@dataclass(frozen=True)
class Function:
    """One elementwise function: every fact a pass looks up by its name.

    ``sympy``: its definition (the derivative comes from SymPy), SymPy's own function or one
    of own_functions(); ``numpy``: its value; ``latex``: its LaTeX name (a KaTeX command,
    else \\operatorname{...}); ``code``: its spelling in generated code, per backend (a
    template of the argument {0}; a name starting with _ is a helper of the code generator);
    ``domain``: the requirement on its argument for the derivative (domains.py), whose
    samples are points to test it at; ``nonnegative``: its values are >= 0."""
    name: str
    sympy: SymPyFunction
    numpy: Callable
    latex: str
    code: dict
    aliases: tuple = ()
    domain: Requirement = EVERYWHERE
    nonnegative: bool = False


def spelled(numpy: str, jax: str | None = None, torch: str | None = None) -> dict:
    """The code spelling per backend; JAX's is NumPy's on jax.numpy, PyTorch's NumPy's on
    torch, unless given."""
    return {"numpy": numpy, "jax": jax or numpy.replace("np.", "jnp."),
            "torch": torch or numpy.replace("np.", "torch.")}


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


ELEMENTWISE = {f.name: f for f in [
    Function("log", SymPyFunction("log"), np.log, r"\log", spelled("np.log({0})"), ("ln",),
             domain=POSITIVE),
    Function("log1p", SymPyFunction("log1p"), np.log1p, operator("log1p"),
             spelled("np.log1p({0})"),
             domain=Requirement("{} > -1", lambda v: np.all(v > -1), lambda v: not np.any(v < -1),
                                samples=(-0.6, 0.2, 1.5))),
    Function("exp", SymPyFunction("exp"), np.exp, r"\exp", spelled("np.exp({0})"),
             nonnegative=True),
    Function("sqrt", SymPyFunction("sqrt"), np.sqrt, r"\sqrt", spelled("np.sqrt({0})"),
             domain=POSITIVE, nonnegative=True),
    Function("sin", SymPyFunction("sin"), np.sin, r"\sin", spelled("np.sin({0})")),
    Function("cos", SymPyFunction("cos"), np.cos, r"\cos", spelled("np.cos({0})")),
    Function("tan", SymPyFunction("tan"), np.tan, r"\tan", spelled("np.tan({0})")),
    Function("tanh", SymPyFunction("tanh"), np.tanh, r"\tanh", spelled("np.tanh({0})")),
    Function("cosh", SymPyFunction("cosh"), np.cosh, r"\cosh", spelled("np.cosh({0})"),
             nonnegative=True),
    Function("sigma", SymPyFunction("sigma"), _sigmoid, r"\sigma",
             spelled("_sigmoid({0})", torch="torch.sigmoid({0})"),
             ("sigmoid",), nonnegative=True),
    Function("softplus", SymPyFunction("softplus"), lambda z: np.logaddexp(0.0, z),
             operator("softplus"), spelled("np.logaddexp(0.0, {0})", torch="_softplus({0})"),
             nonnegative=True),
    Function("relu", SymPyFunction("relu"), lambda z: np.maximum(z, 0.0), operator("relu"),
             spelled("np.maximum({0}, 0.0)", torch="torch.relu({0})"), domain=KINK,
             nonnegative=True),
    Function("step", SymPyFunction("step"), lambda z: np.heaviside(z, 0.0), operator("step"),
             spelled("np.heaviside({0}, 0.0)", torch="_step({0})"), domain=KINK),
    Function("abs", SymPyFunction("abs_"), np.abs, operator("abs"), spelled("np.abs({0})"),
             domain=KINK, nonnegative=True),
    Function("sign", SymPyFunction("sign"), np.sign, operator("sign"), spelled("np.sign({0})"),
             domain=KINK),
]}

ALIASES = {alias: f.name for f in ELEMENTWISE.values() for alias in f.aliases} | {
    alias: s.name for s in STRUCTURAL.values() for alias in s.aliases}


def canonical_name(name: str) -> str:
    return ALIASES.get(name, name)


@cache
def all_names() -> list[str]:
    """Every name the parser accepts as a function, longest first."""
    names = set(ELEMENTWISE) | set(ALIASES) | set(SHORTHANDS) | {
        s.name for s in STRUCTURAL.values() if s.parsed}
    return sorted(names, key=lambda n: (-len(n), n))


def build(name: str, arg: E.Expr) -> E.Expr:
    name = canonical_name(name)
    if name in SHORTHANDS:
        return SHORTHANDS[name](arg)
    if name in STRUCTURAL:
        return STRUCTURAL[name].build(arg)
    return E.Func(name, arg)


def latex_name(name: str) -> str:
    """The LaTeX of a function's name (elementwise or structural): \\log, \\operatorname{tr}."""
    return (ELEMENTWISE[name] if name in ELEMENTWISE else STRUCTURAL[name]).latex


@cache
def printed_names() -> list[str]:
    """Every name the printers write as a function, longest first."""
    return sorted(set(ELEMENTWISE) | set(STRUCTURAL), key=lambda n: (-len(n), n))


@cache
def variable() -> sympy.Symbol:
    """z, the variable of the SymPy definitions and of their derivatives."""
    return sympy.Symbol("z", real=True)


@cache
def derivative(name: str) -> sympy.Expr:
    """f'(z) for the elementwise function ``name``, by SymPy (in the variable z)."""
    z = variable()
    return sympy.diff(ELEMENTWISE[name].sympy(z), z)


class _FunctionNames(Mapping):
    """SymPy's functions read back as catalogue names; also SymPy's own Abs and sign, which it
    writes for a real u: sqrt(u^2) = Abs(u). Built on first lookup (it needs SymPy)."""

    def __getitem__(self, function):
        return _function_names()[function]

    def __iter__(self):
        return iter(_function_names())

    def __len__(self):
        return len(_function_names())


@cache
def _function_names() -> dict:
    return {f.sympy.function(): f.name for f in ELEMENTWISE.values()} | {sympy.Abs: "abs",
                                                                         sympy.sign: "sign",
                                                                         sympy.cosh: "cosh"}


SYMPY_TO_NAME = _FunctionNames()

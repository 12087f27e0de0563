"""The function catalogue: one entry per named function.

Elementwise functions are rows of data: a name and aliases, a SymPy definition
(its derivative comes from SymPy), a NumPy implementation and LaTeX. The
parser, the differential rules, the printers and the evaluator all read this
table; adding a function is adding a row. Structural functions (``tr``,
``det``, ...) build tree nodes of their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Callable

import numpy as np
import sympy

from ..ir import expr as E
from ..errors import UnsupportedError


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


@dataclass(frozen=True)
class Function:
    """One elementwise function. ``domain``: "positive" (log, sqrt) or "kink" (not
    differentiable at 0: the derivative there is a subgradient). ``code``: its spelling in
    generated code, per backend (a template of the argument {0}; a name starting with _ is a
    helper of the code generator); ``nonnegative``: its values are >= 0."""
    name: str
    sympy: Callable
    numpy: Callable
    latex: str
    code: dict
    aliases: tuple = ()
    domain: str = ""
    nonnegative: bool = False


def spelled(numpy: str, jax: str | None = None) -> dict:
    """The code spelling per backend; JAX's is NumPy's on jax.numpy unless given."""
    return {"numpy": numpy, "jax": jax or numpy.replace("np.", "jnp.")}


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


ELEMENTWISE = {f.name: f for f in [
    Function("log", sympy.log, np.log, r"\log", spelled("np.log({0})"), ("ln",), domain="positive"),
    Function("exp", sympy.exp, np.exp, r"\exp", spelled("np.exp({0})"), nonnegative=True),
    Function("sqrt", sympy.sqrt, np.sqrt, r"\sqrt", spelled("np.sqrt({0})"), domain="positive",
             nonnegative=True),
    Function("sin", sympy.sin, np.sin, r"\sin", spelled("np.sin({0})")),
    Function("cos", sympy.cos, np.cos, r"\cos", spelled("np.cos({0})")),
    Function("tan", sympy.tan, np.tan, r"\tan", spelled("np.tan({0})")),
    Function("tanh", sympy.tanh, np.tanh, r"\tanh", spelled("np.tanh({0})")),
    Function("sigma", sigma, _sigmoid, r"\sigma", spelled("_sigmoid({0})"), ("sigmoid",),
             nonnegative=True),
    Function("softplus", softplus, lambda z: np.logaddexp(0.0, z), r"\operatorname{softplus}",
             spelled("np.logaddexp(0.0, {0})"), nonnegative=True),
    Function("relu", relu, lambda z: np.maximum(z, 0.0), r"\operatorname{relu}",
             spelled("np.maximum({0}, 0.0)"), domain="kink", nonnegative=True),
    Function("step", step, lambda z: np.heaviside(z, 0.0), r"\operatorname{step}",
             spelled("np.heaviside({0}, 0.0)"), domain="kink"),
    Function("abs", abs_, np.abs, r"\operatorname{abs}", spelled("np.abs({0})"), domain="kink",
             nonnegative=True),
    Function("sign", sign, np.sign, r"\operatorname{sign}", spelled("np.sign({0})"), domain="kink"),
]}

def _sum(A):
    """sum(v) = 1^T v; sum(X) = 1^T X 1; sum(eig(X)) = tr(X)."""
    if isinstance(A, E.Eig):
        return E.Trace(A.arg)
    total = E.mul(E.Transpose(E.Ones((A.shape[0], 1))), A)
    return total if A.shape[1] == 1 else E.mul(total, E.Ones((A.shape[1], 1)))


def _prod(A):
    """prod(eig(X)) = det(X); no other product of entries is supported."""
    if isinstance(A, E.Eig):
        return E.Det(A.arg)
    raise UnsupportedError("prod(.) is supported for prod(eig(X)) = det(X) only")


STRUCTURAL = {
    "tr": E.Trace,
    "trace": E.Trace,
    "det": E.Det,
    "inv": E.Inverse,
    "logdet": lambda X: E.Func("log", E.Det(X)),
    "diag": E.Diag,
    "sum": _sum,
    "prod": _prod,
    "eig": E.Eig,
    "softmax": E.Softmax,
    "logsumexp": E.LogSumExp,
    "polar": lambda X: E.SingularFactor(X, "polar"),
    "svtop": lambda X: E.SingularFactor(X, "top"),
    "lambda_max": E.LambdaMax,
    "lambda_{\\max}": E.LambdaMax,
    "eigtop": E.TopEigvec,
}

ALIASES = {alias: f.name for f in ELEMENTWISE.values() for alias in f.aliases}


def canonical_name(name: str) -> str:
    return ALIASES.get(name, name)


def all_names() -> list[str]:
    """Every name the parser accepts as a function, longest first."""
    names = set(ELEMENTWISE) | set(ALIASES) | set(STRUCTURAL)
    return sorted(names, key=lambda n: (-len(n), n))


def build(name: str, arg: E.Expr) -> E.Expr:
    name = canonical_name(name)
    if name in STRUCTURAL:
        return STRUCTURAL[name](arg)
    return E.Func(name, arg)


Z = sympy.Symbol("z", real=True)


@cache
def derivative(name: str) -> sympy.Expr:
    """f'(z) for the elementwise function ``name``, by SymPy (in the variable Z)."""
    return sympy.diff(ELEMENTWISE[name].sympy(Z), Z)


SYMPY_TO_NAME = {f.sympy: f.name for f in ELEMENTWISE.values()} | {sympy.Abs: "abs",
                                                                   sympy.sign: "sign"}
"""SymPy's functions read back as catalogue names; also SymPy's own Abs and sign, which it
writes for a real u: sqrt(u^2) = Abs(u)."""

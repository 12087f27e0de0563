"""Structural functions: named functions that are nodes of their own in the tree.

A row gives a node class its name in text (``tr(X)``) and in LaTeX, and the names the
parser reads for it. ``which`` tells apart the rows of one node class that differ by a
field (SingularFactor: polar or top). A row that is not ``parsed`` is only printed: vec(X)
arises in derivatives, never in input. ``SHORTHANDS`` are names the parser expands into
other nodes; nothing prints them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import expr as E
from ..errors import UnsupportedError


@dataclass(frozen=True)
class Structural:
    name: str
    node: type
    latex: str
    aliases: tuple = ()
    which: str | None = None       # the node's ``which`` field, for SingularFactor
    parsed: bool = True

    def build(self, arg: E.Expr) -> E.Expr:
        return self.node(arg) if self.which is None else self.node(arg, self.which)


def operator(name: str) -> str:
    """An operator name KaTeX has no command for: \\operatorname{name}."""
    return rf"\operatorname{{{name}}}"


MATRIX_FUNCTIONS = ("expm", "logm", "sqrtm")
"""The matrix functions (MatFunc nodes); ``d`` before a name is its Frechet derivative."""

STRUCTURAL = {s.name: s for s in [
    Structural("tr", E.Trace, operator("tr"), ("trace",)),
    Structural("det", E.Det, r"\det"),
    Structural("diag", E.Diag, operator("diag")),
    Structural("vec", E.Vec, operator("vec"), parsed=False),
    Structural("softmax", E.Softmax, operator("softmax")),
    Structural("logsumexp", E.LogSumExp, operator("logsumexp")),
    Structural("eig", E.Eig, operator("eig")),
    Structural("polar", E.SingularFactor, operator("polar"), which="polar"),
    Structural("svtop", E.SingularFactor, operator("svtop"), which="top"),
    Structural("lambda_max", E.LambdaMax, r"\lambda_{\max}", ("lambda_{\\max}",)),
    Structural("eigtop", E.TopEigvec, operator("eigtop")),
    *(Structural(f, E.MatFunc, operator(f), which=f) for f in MATRIX_FUNCTIONS),
]}

FRECHET = {"d" + f: f for f in MATRIX_FUNCTIONS}
"""The names of the Frechet derivatives, written with a direction: dexpm(X)[E] is D expm(X)[E]."""

BY_NODE = {(s.node, s.which): s for s in STRUCTURAL.values()}


def structural_of(e: E.Expr) -> Structural:
    """The row of a structural node: tr for Trace(X), svtop for SingularFactor(X, "top")."""
    return BY_NODE[type(e), getattr(e, "which", None)]


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


def _vector_norm(x, p):
    """norm2(x) = ||x||_2 and norm1(x) = ||x||_1, for vectors (a matrix's says which norm)."""
    if x.shape[1] != 1:
        raise UnsupportedError(f"norm{p}(.) is for vectors; for a matrix write ||X||_F (Frobenius), "
                               f"||X||_2 (spectral) or ||X||_1 (entrywise)")
    return E.Norm(x, p)


def _needs_direction(name):
    def refuse(X):
        raise UnsupportedError(f"{name}(X)[E], the Frechet derivative of {FRECHET[name]} at X, "
                               f"needs its direction E in brackets after it: {name}(X)[E]")
    return refuse


SHORTHANDS = {
    "inv": E.Inverse,
    "norm2": lambda x: _vector_norm(x, "2"),      # matrixcalculus.org's spellings
    "norm1": lambda x: _vector_norm(x, "1"),
    "logdet": lambda X: E.Func("log", E.Det(X)),
    "sum": _sum,
    "prod": _prod,
    **{name: _needs_direction(name) for name in FRECHET},
}

"""Structural functions: named functions that are nodes of their own in the tree.

A row gives a node class its name in text (``tr(X)``) and in LaTeX, and the names the
parser reads for it. ``which`` tells apart the rows of one node class that differ by a
field (SingularFactor: polar or top; LambdaMax: max or min). ``SHORTHANDS`` are names the
parser expands into other nodes; nothing prints them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import expr as E
from ..ir.constants import dimension
from ..errors import UnsupportedError


@dataclass(frozen=True)
class Structural:
    name: str
    node: type
    latex: str
    aliases: tuple = ()
    which: str | int | None = None   # the node's ``which`` field: polar or top, max or min, ...
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
    Structural("vec", E.Vec, operator("vec")),
    Structural("tr_1", E.PartialTrace, r"\operatorname{tr}_{1}", ("operatorname{tr}_{1}",),
               which=1, parsed=False),       # read by SHORTHANDS: the product is taken apart
    Structural("tr_2", E.PartialTrace, r"\operatorname{tr}_{2}", ("operatorname{tr}_{2}",),
               which=2, parsed=False),
    Structural("softmax", E.Softmax, operator("softmax")),
    Structural("logsumexp", E.LogSumExp, operator("logsumexp")),
    Structural("eig", E.Eig, operator("eig")),
    Structural("polar", E.SingularFactor, operator("polar"), which="polar"),
    Structural("svtop", E.SingularFactor, operator("svtop"), which="top"),
    Structural("lambda_max", E.LambdaMax, r"\lambda_{\max}", ("lambda_{\\max}",), which="max"),
    Structural("lambda_min", E.LambdaMax, r"\lambda_{\min}", ("lambda_{\\min}",), which="min"),
    Structural("eigtop", E.TopEigvec, operator("eigtop"), which="top"),
    Structural("eigbottom", E.TopEigvec, operator("eigbottom"), which="bottom"),
    Structural("max", E.Extremum, r"\max", which="max"),
    Structural("min", E.Extremum, r"\min", which="min"),
    Structural("ismax", E.Extremum, operator("ismax"), which="ismax"),
    Structural("ismin", E.Extremum, operator("ismin"), which="ismin"),
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


def _mean(A):
    """mean(v) = 1^T v / n; mean(X) = 1^T X 1 / (m n), the mean of all its entries (as
    NumPy's mean without an axis); mean(eig(X)) = tr(X) / n."""
    count = E.mul(*(dimension(d) for d in A.shape if d != 1))
    return E.mul(_sum(A), E.Power(count, E.Number(-1)))


def _prod(A):
    """prod(eig(X)) = det(X); no other product of entries is supported."""
    if isinstance(A, E.Eig):
        return E.Det(A.arg)
    raise UnsupportedError("prod(.) is supported for prod(eig(X)) = det(X) only; for the "
                           "product of the entries of a positive vector x write exp(sum(log(x)))")


def _vector_norm(x, p):
    """norm2(x) = ||x||_2 and norm1(x) = ||x||_1, for vectors (a matrix's says which norm)."""
    if x.shape[1] != 1:
        raise UnsupportedError(f"norm{p}(.) is for vectors; for a matrix write ||X||_F "
                               "(Frobenius), ||X||_2 (spectral) or sum(abs(X)) (entrywise)")
    return E.Norm(x, p)


def _partial_trace(which):
    """tr_2(W (I kron C)) and tr_1((C kron I) W) as printed: the identity's factor C gives the
    size of the blocks traced."""
    def build(M):
        factors = list(M.factors) if isinstance(M, E.Mul) else [M]
        chain = [i for i, f in enumerate(factors) if not f.is_scalar]
        k = factors[chain[-1] if which == 2 else chain[0]] if chain else None
        if not isinstance(k, E.Kron) or \
                not isinstance(k.left if which == 2 else k.right, E.Identity):
            raise UnsupportedError(
                f"tr_{which}(M) needs M written with the Kronecker factor that sizes its "
                "blocks: " + ("tr_2(W (I kron C))" if which == 2 else "tr_1((C kron I) W)"))
        factors.remove(k)
        W = E.mul(*factors) if chain[1:] else E.mul(*factors, E.Identity(k.shape[0]))
        return E.PartialTrace(W, k.right if which == 2 else k.left, which)
    return build


EIGENVECTORS = ("the eigenvectors of a matrix as a function of it are not supported: their "
                "derivative is a tensor of order 3 or more, which matcalc does not represent; "
                "what it offers: eigtop(X) = v1 v1^T for the top eigenvector of a symmetric "
                "X, lambda_max(X), sum(eig(X)) = tr(X) and prod(eig(X)) = det(X)")
UNSUPPORTED = {    # names users type for what matcalc does not represent: what to write instead
    "eigvec": EIGENVECTORS, "eigvecs": EIGENVECTORS, "eigenvectors": EIGENVECTORS,
    "svd": "the singular value decomposition as a function of a matrix is not supported "
           "(the derivatives of its factors are tensors of order 3 or more); what it offers: "
           "||X||_* (the sum of the singular values), ||X||_2 (the largest), polar(X) = U V^T "
           "and svtop(X) = u1 v1^T",
    "pinv": "the pseudo-inverse is not supported; for A of full column rank write "
            "(A^T A)^-1 A^T, of full row rank A^T (A A^T)^-1",
}


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
    "mean": _mean,
    "prod": _prod,
    "tr_1": _partial_trace(1),
    "tr_2": _partial_trace(2),
    **{name: _needs_direction(name) for name in FRECHET},
}

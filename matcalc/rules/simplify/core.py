"""The engine: rules registered per node type, run bottom-up and repeated to a fixed point.

A rule is a function ``fn(e, simp)`` registered with ``@rule(NodeType)``. It receives a
node whose children are already simplified and returns that node or a simpler equal one.
``simp`` is the running ``Simplifier``: ``simp(u)`` simplifies a sub-expression the rule has
built, and ``simp.symmetric`` and ``simp.orthogonal`` name the symbols assumed so. As with
``sympy.strategies``, the pass is a plain function of the tree, and ``exhaust`` repeats it
until it changes nothing.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

from ... import deadline
from ...ir import expr as E
from ...ir.constants import constant_form
from ...ir.expr import Mul, Transpose, add, mul

SYMMETRIC_KINDS = {"symmetric", "spd", "diagonal"}
ASSUMPTIONS = SYMMETRIC_KINDS | {"orthogonal"}
MAX_EXPANSION = 64     # terms one product may multiply out to; a larger one stays factored
MAX_PASSES = 20        # bottom-up passes before simplify gives up on reaching a fixed point

RULES: dict[type, Callable] = {}
"""Node type -> its rule, filled by the family modules (products, sums, elementwise,
reductions, structure) as they are imported."""

WITHOUT_RULES = frozenset({
    E.Symbol, E.Number, E.Zero, E.Ones,    # leaves
    E.Differential, E.D,        # dX and a pending d(U): their arguments are simplified
    E.LambdaMax, E.Extremum,    # stay as they are over a simplified argument
})
"""Node types that need no rule of their own."""


def rule(*node_types):
    """Register the decorated ``fn(e, simp)`` as the rule of these node types (one each)."""
    def register(fn):
        for node_type in node_types:
            if node_type in RULES:
                raise ValueError(f"{node_type.__name__} has a rule already: "
                                 f"{RULES[node_type].__name__}")
            RULES[node_type] = fn
        return fn
    return register


def exhaust(step: Callable, limit: int) -> Callable:
    """step applied until it has no effect, at most limit times (sympy.strategies.exhaust)."""
    def exhausted(e):
        for _ in range(limit):
            new = step(e)
            if new == e:
                return new
            e = new
        return e
    return exhausted


def simplify(e: E.Expr, assume: dict | None = None) -> E.Expr:
    assume = assume or {}
    simp = _simplifier(frozenset(n for n, k in assume.items() if k in SYMMETRIC_KINDS),
                       frozenset(n for n, k in assume.items() if k == "orthogonal"))
    return simp.normal_form(e)


@lru_cache(maxsize=64)
def _simplifier(symmetric: frozenset, orthogonal: frozenset) -> Simplifier:
    """One simplifier per set of assumptions, so that its memo serves every call (simp(e)
    depends on nothing else): a derivation simplifies f, G and dG, which share subtrees."""
    return Simplifier(symmetric, orthogonal)


def expand(e: E.Expr, assume: dict | None = None) -> E.Expr:
    """Simplified, with products of matrix sums multiplied out: x (a^T + b^T) -> x a^T + x b^T."""
    return simplify(_distribute(simplify(e, assume)), assume)


def _distribute(e: E.Expr, memo: dict | None = None) -> E.Expr:
    """Products of matrix sums multiplied out; each distinct subtree once (memo: e -> result)."""
    memo = {} if memo is None else memo
    if e in memo:
        return memo[e]
    deadline.check("multiplying out")
    out = e.with_children([_distribute(c, memo) for c in e.children]) if e.children else e
    if isinstance(out, Mul) and math.prod(len(_summands(f)) for f in out.factors) \
            <= MAX_EXPANSION:
        for i, f in enumerate(out.factors):
            if len(terms := _summands(f)) > 1:
                rest = out.factors
                out = add(*(_distribute(mul(*rest[:i], t, *rest[i + 1:]), memo)
                            for t in terms))
                break
    memo[e] = out
    return out


def _summands(f: E.Expr) -> tuple:
    """The terms a matrix factor multiplies out to: those of a sum, or of a transposed
    one ((x - m)^T = x^T - m^T); itself otherwise."""
    if isinstance(f, Transpose) and isinstance(f.arg, E.Add) and not f.is_scalar:
        return tuple(Transpose(t) for t in f.arg.terms)
    return f.terms if isinstance(f, E.Add) and not f.is_scalar else (f,)


class Simplifier:
    """The rules under one set of assumptions. Calling it is one bottom-up pass: the
    children first, then the rule of the node's type, then a constant is written with its
    shape (constant_form); the passes are memoized."""
    MEMO_LIMIT = 100_000       # entries; the memo starts afresh beyond

    def __init__(self, symmetric: frozenset, orthogonal: frozenset):
        self.symmetric, self.orthogonal = symmetric, orthogonal
        self.memo: dict = {}   # e -> one bottom-up pass over e

    def normal_form(self, e: E.Expr) -> E.Expr:
        """Bottom-up passes until one changes nothing."""
        if len(self.memo) > self.MEMO_LIMIT:
            self.memo.clear()
        return exhaust(self, MAX_PASSES)(e)

    def __call__(self, e: E.Expr) -> E.Expr:
        if e in self.memo:
            return self.memo[e]
        deadline.check("simplifying")
        out = e.with_children([self(c) for c in e.children]) if e.children else e
        if (node_rule := RULES.get(type(out))) is not None:
            out = node_rule(out, self)
        if (written := constant_form(out)) is not None:
            out = self(written)
        if out.shape != e.shape and out.is_scalar != e.is_scalar:
            raise AssertionError(f"simplification changed the shape of {e}")
        self.memo[e] = out
        return out

    def is_symmetric(self, a: E.Expr) -> bool:
        return self(Transpose(a)) == a

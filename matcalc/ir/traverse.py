"""Reading and rewriting the tree as a whole: substitution and replacement (each distinct
subtree visited once, since trees share subtrees), every node, the free symbols."""
from __future__ import annotations

import functools

from .expr import Add, Differential, Expr, Mul, Symbol, add, mul


def substitute(e: Expr, old: Expr, new: Expr, memo: dict | None = None) -> Expr:
    """e with every occurrence of old replaced by new (same shape); each distinct subtree is
    visited once (memo: node -> its result)."""
    memo = {} if memo is None else memo
    if e == old:
        return new
    if isinstance(old, (Symbol, Differential)) and old not in free_symbols(e) or not e.children:
        return e
    if e not in memo:
        memo[e] = e.with_children([substitute(c, old, new, memo) for c in e.children])
    return memo[e]


def replace_all(e: Expr, mapping: dict, memo: dict | None = None) -> Expr:
    """e with every sub-expression that is a key of mapping replaced by its value; sums and
    products rebuilt flat (add, mul), unchanged subtrees kept (the same objects). ``memo`` (node
    -> its result; each distinct subtree visited once) may serve calls with agreeing mappings."""
    memo = {} if memo is None else memo
    if e in mapping:
        return mapping[e]
    if not e.children:
        return e
    if e not in memo:
        children = [replace_all(c, mapping, memo) for c in e.children]
        out = mul(*children) if isinstance(e, Mul) else \
            add(*children) if isinstance(e, Add) else e.with_children(children)
        memo[e] = e if out == e else out    # e itself when unchanged: later lookups are cheap
    return memo[e]


def walk(e: Expr):
    """Every node of e, parents first."""
    yield e
    for c in e.children:
        yield from walk(c)


@functools.cache
def free_symbols(e: Expr) -> frozenset:
    """The symbols and differentials in e."""
    if isinstance(e, (Symbol, Differential)):
        return frozenset((e,))
    return frozenset().union(*(free_symbols(c) for c in e.children))

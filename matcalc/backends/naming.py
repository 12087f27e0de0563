"""Named intermediates: the subexpressions a paper gives a name (h = tanh(W_1 x + b_1),
r = W_2 h + b_2 - y, p = softmax(A x + b)), chosen on the DAG of one or several results.

A subexpression is named when it occurs more than once in the printed trees, counted up to
transposition and the order of sums and elementwise products (tanh(b_1^T + x^T W_1^T) is
h^T), and either it is an activation (a function of the variables, used twice), or a scalar
met only in several even powers (||x||_2^2 and ||x||_2^4 print s and s^2 with s = ||x||_2^2,
as the problem set writes s = x^T x), or naming it saves MARGIN nodes beyond its where
line. A result that prints shorter than SHORT characters keeps its names only where they
make it shorter (or write s = x^T x): the seminar's short answers stay as they are. Names
are chosen one at a time, the largest saving first, and a name counts as one node from then
on, so names nest (h_2 = tanh(W_2 h_1)) and the printed size grows with the DAG, not the
tree.

Names by role: h an activation, p a softmax, r a residual (a sum with a symbol subtracted),
delta a back-propagated error (an elementwise product), s a scalar, u any other vector, M
any other matrix (capitals for matrices: H, P, R, Delta); numbered when a role has several
(h_1, h_2 in the order they are computed; delta_k goes with the h_k it uses, else they
count in the reverse order, as errors flow back), never the name of a symbol or dimension
in use. Definitions come in dependency order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..ir import expr as E
from ..ir.traverse import free_symbols, replace_all, walk

SHORT = 80          # characters: results printed shorter than this get no names
MARGIN = 3          # nodes a name must save, beyond its where line (activations: 0)
ROLES = [(E.Softmax, "p", "P"), (E.Func, "h", "H"), (E.Hadamard, "delta", "Delta")]
"""(node class, name of a vector, name of a matrix): the role of a named value by its top node;
a sum with a symbol subtracted (x - m, W h + b - y) is a residual, r or R."""


@dataclass(frozen=True)
class Named:
    """Results written with names: ``main`` (one expression per result) over the names, and
    ``definitions``, (name, value) pairs in dependency order, each value over earlier names."""
    main: tuple
    definitions: tuple = ()


def name_intermediates(exprs, context, printed_length) -> Named:
    """The named form of exprs (several results share one set of names). ``context``: further
    expressions whose symbols and dimensions the names must not take; ``printed_length``
    (expression -> characters) decides whether the results are long enough to name."""
    exprs = tuple(exprs)
    length = sum(map(printed_length, exprs)) if sum(map(E.size, exprs)) < SHORT else SHORT
    short = length < SHORT      # a node prints as a character at least: large ones are long
    taken = _taken(exprs + tuple(context))
    normal: tuple[dict, dict, dict] = ({}, {}, {})   # (node, t) -> number; form -> number;
    #                                                     node -> group key
    roots = list(exprs)
    definitions: dict[E.Symbol, E.Expr] = {}     # placeholder Symbol -> its value (over names)
    powers_named = False
    while (best := _best_group(roots + list(definitions.values()), normal, short)) is not None:
        nodes, value, powers = best
        powers_named |= powers is not None
        name = E.Symbol(f"#{len(definitions)}", value.shape)     # named at the end
        mapping = _occurrences_named(nodes, value, powers, name, normal)
        memo: dict = {}
        roots = [replace_all(r, mapping, memo) for r in roots]
        definitions = {s: replace_all(v, mapping, memo) for s, v in definitions.items()}
        definitions[name] = replace_all(value, {n: m for n, m in mapping.items() if n != value},
                                        memo)
    if not definitions:
        return Named(exprs)
    order = _dependency_order(roots, definitions)
    rename = _names(order, definitions, taken)
    memo = {}
    named = Named(tuple(replace_all(r, rename, memo) for r in roots),
                  tuple((rename[s], replace_all(definitions[s], rename, memo)) for s in order))
    if short and not powers_named and sum(map(printed_length, named.main)) + sum(
            len(" where  = ") + printed_length(s) + printed_length(v)
            for s, v in named.definitions) >= length:
        return Named(exprs)      # a short result keeps names that shorten it, and s = x^T x
    return named


def _occurrences_named(nodes, value, powers, name, normal) -> dict:
    """node -> what it becomes: the name, its transpose (a node that is value^T), or its power
    (powers: node -> exponent of the name)."""
    if powers:
        return {n: name if powers[n] == 1 else E.Power(name, E.Number(powers[n])) for n in nodes}
    up = _normal(value, False, normal)
    return {n: name if n.is_scalar or _normal(n, False, normal) == up else E.Transpose(name)
            for n in nodes}


def _taken(exprs) -> set:
    """The names of the symbols in exprs and of their dimensions."""
    taken = set()
    for e in exprs:
        for s in free_symbols(e):
            if isinstance(s, E.Symbol):
                taken.add(s.name)
                taken.update(p for d in s.shape if isinstance(d, str) for p in d.split("*"))
    return taken


def _best_group(roots, normal, short=False):
    """(the nodes of the group most worth a name, its value as the definition writes it, and
    for powers of one base the power of the name each node becomes), or None (of a short
    result, activations and powers only). A group is the nodes equal up to transposition and
    order (_normal)."""
    count = _occurrences(roots)
    groups, powers = {}, {}      # group key -> (nodes, occurrences, transposed ones); -> powers
    for n, k in count.items():
        if _integer_power(n):
            powers.setdefault(_group_key(n.base, normal), []).append(n)
        if isinstance(n, E.Transpose) or not n.children or E.has(n, E.Differential, E.D) or \
                _denominator(n):
            continue
        key = _group_key(n, normal)
        nodes, total, transposed = groups.get(key, ((), 0, 0))
        groups[key] = (nodes + (n,), total + k,
                       transposed + k * (_normal(n, False, normal) != key[0]))
    best, best_gain = None, None
    for key, (nodes, k, transposed) in groups.items():
        w = max(n._size for n in nodes)
        if k < 2 or w < 2 or not free_symbols(nodes[0]):
            continue
        gain = (k - 1) * w - k - transposed - 2     # nodes saved: k copies -> k names + where
        activation = isinstance(nodes[0], (E.Func, E.Softmax))
        if (activation or not short) and gain >= (0 if activation else MARGIN) and \
                (best is None or gain > best_gain):
            upright = [n for n in nodes if _normal(n, False, normal) == key[0]]
            best, best_gain = (nodes, upright[0] if upright else _transposed(nodes[0]), None), gain
    for key, nodes in powers.items():
        exponents = {abs(int(n.exponent.value)) for n in nodes}
        k = sum(count[n] for n in nodes)
        if key in groups and groups[key][1] == k and math.gcd(*exponents) > 1 < len(exponents) and \
                (best is None or k * nodes[0].base._size > best_gain):
            m = math.gcd(*exponents)
            best = (nodes, E.Power(nodes[0].base, E.Number(m)),
                    {n: int(n.exponent.value) // m for n in nodes})
            best_gain = k * nodes[0].base._size
    return best


def _group_key(n, normal) -> tuple:
    """The same for the nodes equal up to transposition and order: its normal forms, the
    upright one (a column, or the first by number) first."""
    keys = normal[2]
    if n not in keys:
        a, b = _normal(n, False, normal), _normal(n, True, normal)
        keys[n] = (a,) if a == b else \
            (a, b) if n.shape[1] == 1 or n.shape[0] != 1 and a < b else (b, a)
    return keys[n]


def _integer_power(e) -> bool:
    """u^k of a scalar u that is no symbol, k an integer other than 1, 0 and -1: the powers
    (||x||^2, ||x||^4, ...) that a name for their common power writes s, s^2, ..."""
    return isinstance(e, E.Power) and isinstance(e.exponent, E.Number) and e.base.is_scalar \
        and e.base.children != () and e.exponent.value.is_integer and abs(e.exponent.value) > 1


def _denominator(e) -> bool:
    """A negative power, which prints as a denominator (1 / ||x||^4): not named apart from its
    fraction."""
    return isinstance(e, E.Power) and isinstance(e.exponent, E.Number) and e.exponent.value < 0


def _occurrences(roots) -> dict:
    """How often each distinct node occurs in the printed trees of roots (over the DAG)."""
    order = _topological(roots)
    count = dict.fromkeys(order, 0)
    for r in roots:
        count[r] += 1
    for n in order:
        for c in n.children:
            count[c] += count[n]
    return count


def _topological(roots) -> list:
    """The distinct nodes of roots, every parent before its children."""
    done, out = set(), []
    for start in roots:
        stack = [(start, False)]
        while stack:
            n, expanded = stack.pop()
            if expanded:
                out.append(n)
            elif n not in done:
                done.add(n)
                stack.append((n, True))
                stack.extend((c, False) for c in n.children if c not in done)
    return out[::-1]


def _normal(e, t, normal) -> int:
    """The number of the normal form of e (of e^T if t): transposes moved to the leaves, sums,
    scalar factors and elementwise products in a fixed order; equal numbers, equal values.
    ``normal`` is (memo: (node, t) -> number, the numbers of the forms met, ...)."""
    memo, numbers = normal[:2]
    if e.is_scalar:
        t = False
    if (e, t) in memo:
        return memo[e, t]
    of = lambda c, tc=t: _normal(c, tc, normal)
    form: tuple
    match e:
        case E.Transpose(a):
            memo[e, t] = of(a, not t)
            return memo[e, t]
        case E.Add(terms):
            form = ("+", tuple(sorted(map(of, terms))))
        case E.Mul(factors):
            chain = [of(f) for f in factors if not f.is_scalar]
            form = ("*", tuple(sorted(of(f) for f in factors if f.is_scalar)),
                    tuple(chain[::-1] if t else chain))
        case E.Hadamard(a, b):
            form = (".*", tuple(sorted((of(a), of(b)))))
        case E.Inner(a, b):
            form = ("<>", tuple(sorted((of(a, False), of(b, False)))))
        case E.Func() | E.Inverse() | E.MatPower() | E.Power():      # (f(X))^T = f(X^T)
            form = (type(e), _fields(e), tuple(map(of, e.children)))
        case E.Diag() if e.builds_matrix:                           # symmetric
            form = (E.Diag, of(e.arg, False))
        case _ if not e.children:
            form = ("leaf", e, t)
        case _:
            form = (type(e), _fields(e), tuple(of(c, False) for c in e.children), t)
    memo[e, t] = numbers.setdefault(form, len(numbers))
    return memo[e, t]


def _fields(e) -> tuple:
    """The fields of a node that are no subexpressions (a function's name, a power k)."""
    return tuple(v for v in e._values() if not isinstance(v, (E.Expr, tuple)))


def _transposed(e):
    """e^T, the transpose moved inside sums, products and elementwise functions:
    tanh(x^T W^T)^T is tanh(W x)."""
    match e:
        case _ if e.is_scalar:
            return e
        case E.Transpose(a):
            return a
        case E.Add(terms):
            return E.add(*map(_transposed, terms))
        case E.Mul(factors):
            chain = [_transposed(f) for f in factors if not f.is_scalar]
            return E.mul(*(f for f in factors if f.is_scalar), *chain[::-1])
        case E.Hadamard(a, b):
            return E.Hadamard(_transposed(a), _transposed(b))
        case E.Func(name, a):
            return E.Func(name, _transposed(a))
        case E.Power(base, exponent):
            return E.Power(_transposed(base), exponent)
    return E.Transpose(e)


def _dependency_order(roots, definitions) -> list:
    """The placeholders in the order their where lines come: each after the names its value
    uses, otherwise in the order they are first printed."""
    order, seen = [], set()

    def visit(e):
        for n in walk(e):
            if n in definitions and n not in seen:
                seen.add(n)
                visit(definitions[n])
                order.append(n)
    for r in roots:
        visit(r)
    return order


def _names(order, definitions, taken) -> dict:
    """placeholder -> its Symbol named by role, numbered within a role where it has several."""
    roles: dict[str, list] = {}
    for s in order:
        v = definitions[s]
        vector = v.shape[1] == 1
        residual = isinstance(v, E.Add) and any(
            isinstance(t, E.Mul) and t.factors[0] == E.Number(-1) and len(t.factors) == 2
            and isinstance(t.factors[1], E.Symbol) for t in v.terms)
        letter = "s" if v.is_scalar else ("r" if vector else "R") if residual else next(
            (one if vector else many for cls, one, many in ROLES if isinstance(v, cls)),
            "u" if vector else "M")
        roles.setdefault(letter, []).append(s)
    rename: dict = {}
    used = set(taken)
    for letter, members in roles.items():
        if letter in ("delta", "Delta"):
            continue
        _number(letter, members, rename, used)
    for letter in ("delta", "Delta"):
        members = roles.get(letter, [])
        layers = [_layer(definitions[s], rename) for s in members]
        if None in layers or len(set(layers)) < len(layers) or \
                any(f"{letter}_{k}" in used for k in layers):
            _number(letter, members[::-1], rename, used)    # errors flow back
            continue
        for s, k in zip(members, layers):
            used.add(f"{letter}_{k}")
            rename[s] = E.Symbol(f"{letter}_{k}", s.shape)
    return rename


def _number(letter, members, rename, used):
    """Names letter (one member) or letter_1, letter_2, ... (several), skipping those used."""
    numbers = iter(range(1, 10 ** 6))
    for s in members:
        name = letter if len(members) == 1 and letter not in used else None
        while name is None or name in used:
            name = f"{letter}_{next(numbers)}"
        used.add(name)
        rename[s] = E.Symbol(name, s.shape)


def _layer(value, rename):
    """The number k of the one numbered activation h_k that an error's value uses directly
    (delta_k = (W^T delta_{k+1}) .* (1 - h_k.^2) goes with h_k), else None."""
    ks = {rename[s].name.partition("_")[2] for s in free_symbols(value)
          if s in rename and rename[s].name.partition("_")[0] in ("h", "H")}
    return int(next(iter(ks))) if len(ks) == 1 and next(iter(ks)).isdigit() else None

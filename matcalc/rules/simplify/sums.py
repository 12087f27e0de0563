"""Rules of sums: like terms collected (2 x + 3 x -> 5 x), common factors pulled out
(A x + A^T x -> (A + A^T) x, A^T A x - A^T b -> A^T (A x - b)), a scalar sum handed to
SymPy, and the terms in one order."""
from __future__ import annotations

from functools import cmp_to_key

from ...ir import expr as E
from ...ir.expr import Identity, Mul, Number, Zero, add, mul
from ...lazy import sympy
from ..scalar import Atoms, from_sympy, printed, simplify_scalar, tidy, to_sympy
from .core import rule
from .elementwise import entrywise_algebra


@rule(E.Add)
def simplify_add(e, simp):
    """Zeros dropped; a scalar sum by SymPy, a sum of elementwise products by its entrywise
    algebra; like terms collected, common factors pulled out, the terms sorted."""
    flat = add(*e.terms)
    terms = [t for t in (flat.terms if isinstance(flat, E.Add) else (flat,))
             if not isinstance(t, Zero)]
    if not terms:
        return Zero(e.shape)
    if e.is_scalar:
        return simplify_scalar(E.add(*terms))
    if any(E.has(t, E.Hadamard) for t in terms) and \
            not any(E.has(t, E.Differential, E.D) for t in terms):
        shorter = entrywise_algebra(E.add(*terms))
        if not isinstance(shorter, E.Add):
            return shorter
        terms = list(shorter.terms)
    if (merged := merge_directions(terms, simp)) != terms:
        return simp(add(*merged))
    atoms = Atoms()
    items = collect(terms, atoms)
    if (scaled := expand_scaled_sums(terms)) != terms:     # c (P + Q) multiplied out
        expanded = collect(scaled, atoms)
        if len(expanded) <= len(items):
            items = expanded
    items = factor_common(items, simp)
    items.sort(key=cmp_to_key(term_order))
    return build_sum(items, atoms, e.shape)


def merge_directions(terms, simp):
    """Df(X)[A] + c Df(X)[B] = Df(X)[A + c B]: a Frechet derivative is linear in its direction."""
    groups, out = {}, []
    for t in terms:
        factors = t.factors if isinstance(t, Mul) else (t,)
        D = [f for f in factors if isinstance(f, E.MatFunc) and f.direction]
        if len(D) == 1 and all(f.is_scalar for f in factors if f is not D[0]):
            rest = mul(*(f for f in factors if f is not D[0]), D[0].direction[0])
            key = (D[0].arg, D[0].which)
            if key not in groups:
                groups[key] = []
                out.append(key)
            groups[key].append(rest)
        else:
            out.append(t)
    if all(len(g) == 1 for g in groups.values()):
        return terms
    return [E.MatFunc(t[0], t[1], (simp(add(*groups[t])),)) if isinstance(t, tuple) else t
            for t in out]


def term_order(a, b) -> int:
    """The order of the terms (coefficient, chain): positive ones first, then by the text of
    their chains, which is printed only to tell apart two terms of one sign."""
    sign_a, sign_b = (item[0].could_extract_minus_sign() for item in (a, b))
    if sign_a != sign_b:
        return 1 if sign_a else -1
    text_a, text_b = (printed(mul(*item[1])) for item in (a, b))
    return (text_a > text_b) - (text_a < text_b)


def expand_scaled_sums(terms):
    """c (P + Q) -> c P + c Q, so that it can meet like terms outside."""
    out = []
    for t in terms:
        chain = [f for f in t.factors if not f.is_scalar] if isinstance(t, Mul) else []
        if len(chain) == 1 and isinstance(chain[0], E.Add):
            scalars = [f for f in t.factors if f.is_scalar]
            out.extend(mul(*scalars, u) for u in chain[0].terms)
        else:
            out.append(t)
    return out


def build_sum(items, atoms, shape):
    """The sum, with a common symbolic factor outside: 2 e I - 4 e x x^T = 2 e (I - 2 x x^T)."""
    if not items:
        return Zero(shape)
    first = items[0][0]
    common = first.as_coeff_Mul()[1]
    ks = [_ratio(c, common) for c, _ in items]
    if len(items) > 1 and None not in ks and (
            not common.is_Number or len({c for c, _ in items}) == 1 and not first.is_integer):
        g = sympy.gcd_list(ks) * (1 if ks[0] > 0 else -1)
        inner = add(*(mul(*coefficient(k / g, atoms), *chain)
                      for k, (_, chain) in zip(ks, items)))
        return mul(*coefficient(g * common, atoms), inner)
    return add(*(mul(*coefficient(c, atoms), *chain) for c, chain in items))


def coefficient(c, atoms):
    """The factors that write the SymPy coefficient c: none for 1."""
    if c == 1:
        return []
    return [from_sympy(tidy(c), atoms)]


def collect(terms, atoms):
    """[(coefficient, chain)] with like terms added: 2 x + 3 x -> 5 x."""
    collected: dict[tuple, sympy.Expr] = {}
    for t in terms:
        factors = t.factors if isinstance(t, Mul) else (t,)
        c = sympy.Mul(*(to_sympy(f, atoms) for f in factors if f.is_scalar))
        chain = tuple(f for f in factors if not f.is_scalar)
        collected[chain] = collected.get(chain, 0) + c
    return [(c, chain) for chain, c in collected.items() if c != 0]


def factor_common(items, simp):
    """c (k1 P1 + k2 P2) S for terms c k_i P_i S with numbers k_i; likewise for prefixes."""
    changed = True
    while changed and len(items) > 1:
        changed = False
        for side in (-1, 0):
            for i, (c, chain) in enumerate(items):
                group = [j for j, (d, other) in enumerate(items)
                         if other[side] == chain[side] and _ratio(d, c) is not None
                         and (len(other) > 1 or len(chain) > 1)]
                if len(group) < 2:
                    continue
                common = chain[side]
                inner = []
                for j in group:
                    d, other = items[j]
                    rest = other[:-1] if side == -1 else other[1:]
                    size = common.shape[0] if side == -1 else common.shape[1]
                    inner.append(mul(Number(_ratio(d, c)), *rest) if rest else
                                 mul(Number(_ratio(d, c)), Identity(size)))
                summed = simp(add(*inner))
                new = (summed, common) if side == -1 else (common, summed)
                items = [it for j, it in enumerate(items) if j not in group]
                items.insert(min(group), (c, new))
                changed = True
                break
            if changed:
                break
    return items


def _ratio(d, c):
    """d / c when it is a number, else None. The numeric coefficients are divided and the
    rest compared: a SymPy division is slow and can miss y^(s-1) / y^(s-1) = 1."""
    (j, rest_d), (k, rest_c) = d.as_coeff_Mul(), c.as_coeff_Mul()
    return j / k if rest_d == rest_c else None

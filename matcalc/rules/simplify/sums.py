"""Rules of sums: like terms collected (2 x + 3 x -> 5 x), common factors pulled out
(A x + A^T x -> (A + A^T) x, A^T A x - A^T b -> A^T (A x - b)), a scalar sum handed to
SymPy, and the terms in one order."""
from __future__ import annotations

from functools import cmp_to_key, lru_cache

from ...ir import expr as E
from ...ir.expr import Identity, Mul, Number, Transpose, Zero, add, mul
from ...lazy import sympy
from ..scalar import Atoms, from_sympy, printed, simplify_scalar, tidy, to_sympy
from .core import rule
from .elementwise import entrywise_algebra
from ...ir.shapes import resolve
from .structure import is_column, row_sum_transposed


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
    items = factor_common_keeping_symmetry(scalars_into_chain(items, atoms), simp)
    items.sort(key=cmp_to_key(term_order))
    out = build_sum(items, atoms, e.shape)
    if isinstance(out, E.Add) and is_column(Transpose(out)):
        return row_sum_transposed(out, simp)
    return out


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
            not common.is_Number or len({abs(c) for c, _ in items}) == 1 and not first.is_integer):
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
    """[(coefficient, chain)] with like terms added: 2 x + 3 x -> 5 x; a difference counts
    as its negation with the opposite sign: (a - x) (x - a)^T + (x - a) (a - x)^T =
    -2 (x - a) (x - a)^T."""
    collected: dict[tuple, list] = {}     # key -> [chain, sign of chain against key, sum]
    for t in terms:
        factors = t.factors if isinstance(t, Mul) else (t,)
        c = sympy.Mul(*(to_sympy(f, atoms) for f in factors if f.is_scalar))
        sign, chain = one_orientation(tuple(f for f in factors if not f.is_scalar))
        key, against = oriented_key(chain)
        entry = collected.setdefault(key, [chain, against, 0])
        entry[2] += sign * against * entry[1] * c
    return [(c, chain) for chain, _, c in collected.values() if c != 0]


def _difference(f):
    """The sum of a factor that is a sum or the transpose of one, else None."""
    inner = f.arg if isinstance(f, Transpose) else f
    return inner if isinstance(inner, E.Add) and not inner.is_scalar else None


def _negated(total: E.Add) -> E.Add:
    """-(a - x) = x - a, built without simplifying (terms: positive ones first)."""
    terms = [mul(Number(-1), t) if not (isinstance(t, Mul) and isinstance(t.factors[0], Number))
             else mul(Number(-t.factors[0].value), *t.factors[1:]) for t in total.terms]
    terms = [t.factors[1] if isinstance(t, Mul) and len(t.factors) == 2 and
             t.factors[0] == Number(1) else t for t in terms]
    return E.Add(tuple(sorted(terms, key=lambda t: (_leads_negative(t), printed(t)))))


def _leads_negative(t) -> bool:
    return isinstance(t, Mul) and isinstance(t.factors[0], Number) and bool(t.factors[0].value < 0)


@lru_cache(maxsize=4096)
def _orientation(total: E.Add):
    """(key, sign): one key for a sum and its negation; sign -1 for the one not chosen."""
    mine = tuple(sorted(printed(t) for t in total.terms))
    theirs = tuple(sorted(printed(t) for t in _negated(total).terms))
    return (min(mine, theirs), 1 if mine <= theirs else -1)


def oriented_key(chain):
    """(key, sign): the chain with every difference in one orientation, and the sign
    that orientation costs."""
    key, sign = [], 1
    for f in chain:
        total = _difference(f)
        if total is None:
            key.append(f)
            continue
        k, s = _orientation(total)
        key.append((isinstance(f, Transpose), k))
        sign *= s
    return tuple(key), sign


def one_orientation(chain):
    """(sign, chain) with a difference and its negation in one chain written alike, as
    the later one: (a - x) (x - a)^T = -(x - a) (x - a)^T."""
    last = {}
    for f in chain:
        if (total := _difference(f)) is not None:
            last[_orientation(total)[0]] = _orientation(total)[1]
    sign, out = 1, []
    for f in chain:
        total = _difference(f)
        if total is not None and _orientation(total)[1] != last[_orientation(total)[0]]:
            flipped = _negated(total)
            f, sign = (Transpose(flipped) if isinstance(f, Transpose) else flipped), -sign
        out.append(f)
    return sign, tuple(out)


def scalars_into_chain(items, atoms):
    """(1^T y) p x^T - y x^T = p 1^T y x^T - y x^T: a product u^T v that is a term's whole
    symbolic coefficient goes into its chain after the last vector factor but one, when
    another term ends in the same factor with a number for coefficient; the common factors
    then come out: (p 1^T - I) y x^T."""
    plain_ends = {chain[-1] for c, chain in items if c.is_Number and chain}
    out = []
    for c, chain in items:
        k, rest = c.as_coeff_Mul()
        product = atoms.by_symbol.get(rest)
        columns = [i for i, f in enumerate(chain[:-1]) if resolve(f.shape[1]) == 1]
        if product is not None and E.is_scalar_chain(product) and columns and \
                chain[-1] in plain_ends:
            i = columns[-1] + 1
            c, chain = k, chain[:i] + product.factors + chain[i:]
        out.append((c, chain))
    return out


def factor_common_keeping_symmetry(items, simp):
    """factor_common, unless the sum reads symmetric and would not after it:
    diag(c) A + A^T diag(c) - A^T E A stays, 1/2 S^-1 - 1/2 S^-1 u u^T S^-1 too, while
    W^T D W - W^T p p^T W becomes W^T (D - p p^T) W."""
    factored = factor_common(items, simp)
    if factored != items and reads_symmetric(items, simp) and \
            not reads_symmetric(factored, simp):
        return items
    return factored


def reads_symmetric(items, simp) -> bool:
    """The terms of a square sum, transposed one by one, are the terms again."""
    if not items or items[0][1] == () or items[0][1][0].shape[0] != items[0][1][-1].shape[1]:
        return False
    def entry(c, chain):
        key, sign = oriented_key(chain)
        return key, c * sign
    flat = lambda chain: [g for f in chain for g in (f.factors if isinstance(f, Mul) and
                                                       not E.is_scalar_chain(f) else (f,))]
    terms = {entry(c, tuple(flat(chain))) for c, chain in items}
    return all(entry(c, tuple(simp(Transpose(f)) for f in reversed(flat(chain)))) in terms
               for c, chain in items)


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

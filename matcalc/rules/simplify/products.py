"""Rules of products: scalars gathered (SymPy cancels det X / det X and combines powers),
identities dropped, X X^-1 -> I, X X -> X^2, Q Q^T -> I for orthogonal Q, runs of ones
folded (1^T 1 = n), and exp(u) / (1^T exp(u)) recognised as softmax(u)."""
from __future__ import annotations

from ...ir import expr as E
from ...ir.constants import constant_value, ones_of
from ...ir.expr import Identity, Inverse, MatPower, Mul, Number, Transpose, Zero, add, mul
from ...ir.shapes import resolve
from ...lazy import sympy
from ..scalar import Atoms, from_sympy, printed, sign_algebra, to_sympy
from .core import rule
from .sums import collect


@rule(E.Mul)
def simplify_mul(e, simp):
    """A zero factor makes 0; ones folded and contracted; the chain merged; the scalars
    multiplied by SymPy; a scalar chain read its simpler way round; softmax recognised; a
    negative number taken into a difference."""
    flat = mul(*e.factors)
    factors = flat.factors if isinstance(flat, Mul) else (e,)
    if any(isinstance(f, Zero) for f in factors):
        return Zero(e.shape)
    sizes, chain = fold_ones([f for f in factors if not f.is_scalar])
    scalars = [f for f in factors if f.is_scalar] + sizes
    contracted = contract_ones(chain)
    if contracted is not None:
        return simp(mul(*scalars, contracted))
    chain = merge_chain(sums_of_columns(chain), simp)
    if not chain and not e.is_scalar:
        chain = [Identity(e.shape[0])]
    if len(scalars) <= 1 and not (scalars and isinstance(scalars[0], Number)):
        coefficient = scalars
    else:
        atoms = Atoms()
        s = sign_algebra(sympy.Mul(*(to_sympy(f, atoms) for f in scalars)))
        if s == 0:
            return Zero(e.shape)
        coefficient = [] if s == 1 else [from_sympy(s, atoms)]
    if len(chain) > 1 and E.Mul(tuple(chain)).is_scalar:
        chain = scalar_chain(chain, simp)
        if coefficient:
            chain = [Mul(tuple(chain))]
    softmax = recognize_softmax(coefficient, chain, simp)
    if softmax is not None:
        return softmax
    if len(coefficient) == 1 and len(chain) == 1 and isinstance(chain[0], E.Add):
        cleared = clear_fraction(coefficient[0], chain[0], simp)
        if cleared is not None:
            return cleared
    coefficient, chain = absorb_sign(coefficient, chain, simp)
    out = mul(*coefficient, *chain)
    return out if out is not None else Number(1)


def absorb_sign(coefficient, chain, simp):
    """-c A (x - m) = c A (m - x): a negative number taken into the one difference of the
    chain, which then reads with no more minus signs (-S^-1 (x - m) -> S^-1 (m - x))."""
    sums = [i for i, f in enumerate(chain) if isinstance(f, E.Add) and not f.is_scalar]
    differences = len(sums) + sum(1 for f in chain
                                  if isinstance(f, Transpose) and isinstance(f.arg, E.Add))
    if len(coefficient) != 1 or len(sums) != 1 or differences != 1 \
            or not isinstance(coefficient[0], Number) or coefficient[0].value >= 0:
        return coefficient, chain
    terms = chain[sums[0]].terms
    negative = sum(1 for t in terms if _negative(t))
    if not 0 < len(terms) - negative <= negative:
        return coefficient, chain
    c = -coefficient[0].value
    flipped = simp(add(*(mul(Number(-1), t) for t in terms)))
    return [] if c == 1 else [Number(c)], chain[:sums[0]] + [flipped] + chain[sums[0] + 1:]


def _negative(t) -> bool:
    """A term with a negative leading number: -x, -2 A B."""
    lead = t.factors[0] if isinstance(t, Mul) else t
    return isinstance(lead, Number) and lead.value < 0


def sums_of_columns(chain):
    """1^T softmax(u) = 1, the entries of a softmax summing to one; 1^T (u .* v) = u^T v and
    1^T u.^2 = u^T u, the sum of an entrywise product being an inner product; likewise
    with the ones on the right of a row."""
    ones_row = lambda f: isinstance(f, Transpose) and isinstance(f.arg, E.Ones)
    column = lambda f: resolve(f.shape[1]) == 1 and not f.is_scalar
    for i in range(len(chain) - 1):
        a, b = chain[i], chain[i + 1]
        if ones_row(a) and column(b):
            summed = b
        elif isinstance(a, Transpose) and column(a.arg) and isinstance(b, E.Ones):
            summed = a.arg
        else:
            continue
        match summed:
            case E.Softmax():
                return sums_of_columns(chain[:i] + chain[i + 2:])
            case E.Hadamard(u, v):
                return sums_of_columns(chain[:i] + [Transpose(u), v] + chain[i + 2:])
            case E.Power(u, E.Number(2)):
                return sums_of_columns(chain[:i] + [Transpose(u), u] + chain[i + 2:])
    return chain


def recognize_softmax(coefficient, chain, simp):
    """exp(u) / (1^T exp(u)) = softmax(u)."""
    if len(chain) != 1 or not isinstance(chain[0], E.Func) or chain[0].name != "exp":
        return None
    u = chain[0].arg
    total = Mul((Transpose(E.Ones(u.shape)), chain[0]))
    atoms = Atoms()
    c = sympy.Mul(*(to_sympy(f, atoms) for f in coefficient)) * to_sympy(total, atoms)
    if c.free_symbols & {atoms.symbol(total)}:
        return None
    return simp(mul(from_sympy(c, atoms), E.Softmax(u)))


def scalar_chain(chain, simp):
    """x^T A x or its transpose x^T A^T x, whichever reads simpler (b^T x, not x^T b;
    x^T sin(A x), led by a transposed symbol or 1^T, not sin(A x)^T x)."""
    reverse = [simp(Transpose(f)) for f in reversed(chain)]
    led = lambda c: isinstance(c[0], Transpose) and isinstance(c[0].arg, (E.Symbol, E.Ones))
    key = lambda c: (printed(Mul(tuple(c))).count("^T"), not led(c), printed(Mul(tuple(c))))
    return min(chain, reverse, key=key)


def clear_fraction(c, total, simp):
    """1/2 (2 A + 4 B) -> A + 2 B: distribute a fraction when it leaves whole numbers."""
    if not (isinstance(c, Number) and not c.value.is_integer):
        return None
    atoms = Atoms()
    coefficients = [c.value * k for k, _ in collect(total.terms, atoms)]
    if all(k.is_Number and k.is_integer for k in coefficients):
        return simp(add(*(mul(c, t) for t in total.terms)))
    return None


def merge_chain(factors, simp):
    """Drop identities, cancel X X^-1 and Q Q^T (Q orthogonal), merge X X -> X^2,
    diag(a) diag(b) -> diag(a .* b), diag(a) b -> a .* b and (A kron B)(C kron D) ->
    A C kron B D."""
    powers = []   # (base, k): X^k
    for f in factors:
        if isinstance(f, Identity) and len(factors) > 1:
            continue
        base, k = power_of(f)
        if powers and powers[-1][0] == base and base.shape[0] == base.shape[1]:
            b, j = powers.pop()
            if j + k:
                powers.append((b, j + k))
        elif powers and cancels(powers[-1], (base, k), simp.orthogonal):
            powers.pop()
        elif powers and _diagonal(powers[-1]) and _diagonal((base, k)):
            left = powers.pop()[0].arg
            powers.append((E.Diag(simp(E.Hadamard(left, base.arg))), 1))
        elif powers and _diagonal(powers[-1]) and k == 1 and base.shape[1] == 1:
            powers.append((simp(E.Hadamard(powers.pop()[0].arg, base)), 1))   # diag(a) b
        elif powers and _mixed_product(powers[-1], (base, k)):
            a = powers.pop()[0]
            powers.append((simp(E.Kron(mul(a.left, base.left), mul(a.right, base.right))), 1))
        else:
            powers.append((base, k))
    return [from_power(b, k) for b, k in powers]


def power_of(f):
    """(X, k) for a factor X^k: X^-1 is (X, -1), X^-T is (X^T, -1)."""
    match f:
        case E.MatPower(b, k):
            return b, k
        case E.Inverse(b):
            return b, -1
        case E.Transpose(E.Inverse(b)):
            return Transpose(b), -1
    return f, 1


def from_power(b, k):
    """The factor X^k, written X, X^-1, X^-T or X^k."""
    if k == 1:
        return b
    if k == -1:
        return Transpose(Inverse(b.arg)) if isinstance(b, Transpose) else Inverse(b)
    return MatPower(b, k)


def cancels(a, b, orthogonal) -> bool:
    """Q^T Q = Q Q^T = I for orthogonal Q."""
    (p, j), (q, k) = a, b
    if j != 1 or k != 1:
        return False
    name = lambda m: m.name if isinstance(m, E.Symbol) else None
    return (isinstance(p, Transpose) and name(p.arg) in orthogonal and p.arg == q) or \
           (isinstance(q, Transpose) and name(q.arg) in orthogonal and q.arg == p)


def _mixed_product(first, second) -> bool:
    """Two Kronecker products whose factors conform: (A kron B)(C kron D) = A C kron B D."""
    (a, j), (b, k) = first, second
    return j == k == 1 and isinstance(a, E.Kron) and isinstance(b, E.Kron) and \
        a.left.shape[1] == b.left.shape[0] and a.right.shape[1] == b.right.shape[0]


def _diagonal(power) -> bool:
    base, k = power
    return k == 1 and isinstance(base, E.Diag) and base.builds_matrix


def fold_ones(chain):
    """(scalars, chain) with each run of constant factors multiplied out: 1^T 1 = n,
    (c 1) 1^T = c 1 1^T."""
    scalars, out, run = [], [], []
    for f in [*chain, None]:
        if f is not None and constant_value(f) is not None:
            run.append(f)
            continue
        if len(run) > 1:
            product = Mul(tuple(run))
            scalars.append(constant_value(product))
            out += [] if product.is_scalar else ones_of(product.shape)
        else:
            out += run
        out += [f] if f is not None else []
        run = []
    return scalars, out


def contract_ones(chain):
    """A sum next to a ones factor, every term of which meets it with ones or I, multiplied
    out, so that the ones contract: (t 1 1^T + b 1^T) 1 = n t 1 + n b, 1^T (I + 1 1^T) 1 =
    n + n^2 (the 1 of the first forms has a length no symbol fixes); None if there is none."""
    edge = lambda t, side: ([f for f in t.factors if not f.is_scalar] if isinstance(t, Mul)
                            else [t])[side]
    meets = lambda f: isinstance(f, Identity) or constant_value(f) is not None
    for i, f in enumerate(chain):
        if not isinstance(f, E.Add) or f.is_scalar:
            continue
        for j, side in ((i - 1, 0), (i + 1, -1)):
            if 0 <= j < len(chain) and constant_value(chain[j]) is not None and \
                    all(meets(edge(t, side)) for t in f.terms):
                return add(*(mul(*chain[:i], t, *chain[i + 1:]) for t in f.terms))
    return None

"""Simplification to a normal form a textbook would print.

One bottom-up pass per node type, repeated to a fixed point; every rule is
one-directional and makes the expression smaller or more canonical:

- transposes pushed to the leaves: (A B)^T -> B^T A^T, (X^-1)^T -> X^-T,
  x^T y stays a scalar, A^T -> A for symmetric A;
- products: scalars gathered (SymPy cancels det X / det X and combines
  powers), identities dropped, X X^-1 -> I, X X -> X^2;
- sums: like terms collected (2 x + 3 x -> 5 x), common factors pulled out
  (A x + A^T x -> (A + A^T) x, A^T A x - A^T b -> A^T (A x - b));
- scalar sub-expressions handed to SymPy (scalar.py);
- tr, det and <.,.> rules: tr(A^T) = tr(A), tr(x y^T) = y^T x, <I, M> = tr(M),
  <c 1, V> = c 1^T V 1, det(X^-1) = 1 / det(X), det(s M) = s^n det(M); the 1 x 1 identity is 1;
- constants folded, so that they print with their shape: (b - b).^2 = 0, exp(0 1) = 1,
  c 1 + d 1 = (c + d) 1, diag(c 1) = c I, ||c 1||_2 = sqrt(c^2) sqrt(n),
  f(c I) = f(0) 1 1^T + (f(c) - f(0)) I; a matrix of ones is 1 1^T; a dimension as a
  scalar is tr(I_n), tr(I) of a number is that number, 1^T 1 = n.
"""
from __future__ import annotations

import math
from functools import lru_cache

import sympy

from .. import deadline
from ..ir import expr as E
from ..ir.expr import Identity, Inverse, MatPower, Mul, Number, Transpose, Zero, add, mul
from ..errors import NotDifferentiableError
from ..backends.printing import text
from ..ir.constants import constant_form, constant_value, dimension, ones_of
from .scalar import (Atoms, from_sympy, simplify_elementwise, simplify_scalar, tidy,
                     to_sympy)

SYMMETRIC_KINDS = {"symmetric", "spd", "diagonal"}
ASSUMPTIONS = SYMMETRIC_KINDS | {"orthogonal"}
MAX_EXPANSION = 64     # terms one product may multiply out to; a larger one stays factored


def simplify(e: E.Expr, assume: dict | None = None) -> E.Expr:
    assume = assume or {}
    return _simplifier(frozenset(n for n, k in assume.items() if k in SYMMETRIC_KINDS),
                       frozenset(n for n, k in assume.items() if k == "orthogonal"))(e)


@lru_cache(maxsize=64)
def _simplifier(symmetric: frozenset, orthogonal: frozenset) -> Simplifier:
    """One simplifier per set of assumptions, so that its memo serves every call (simp(e)
    depends on nothing else): a derivation simplifies f, G and dG, which share subtrees."""
    return Simplifier(symmetric, orthogonal)


def expand(e: E.Expr, assume: dict | None = None) -> E.Expr:
    """Simplified, with products of matrix sums multiplied out: x (a^T + b^T) -> x a^T + x b^T."""
    return simplify(_distribute(simplify(e, assume)), assume)


def _distribute(e: E.Expr) -> E.Expr:
    deadline.check("multiplying out")
    e = e.with_children([_distribute(c) for c in e.children]) if e.children else e
    if isinstance(e, Mul) and math.prod(len(f.terms) for f in e.factors if isinstance(f, E.Add)
                                        and not f.is_scalar) <= MAX_EXPANSION:
        for i, f in enumerate(e.factors):
            if isinstance(f, E.Add) and not f.is_scalar:
                rest = e.factors
                return add(*(_distribute(mul(*rest[:i], t, *rest[i + 1:])) for t in f.terms))
    return e


class Simplifier:
    MEMO_LIMIT = 100_000       # entries; the memo starts afresh beyond

    def __init__(self, symmetric: frozenset, orthogonal: frozenset):
        self.symmetric, self.orthogonal = symmetric, orthogonal
        self.memo: dict = {}   # e -> one bottom-up pass over e

    def __call__(self, e):
        if len(self.memo) > self.MEMO_LIMIT:
            self.memo.clear()
        for _ in range(20):
            new = self.simp(e)
            if new == e:
                return new
            e = new
        return e

    def simp(self, e):
        if e in self.memo:
            return self.memo[e]
        deadline.check("simplifying")
        out = e.with_children([self.simp(c) for c in e.children]) if e.children else e
        rule = getattr(self, type(out).__name__.lower(), None)
        if rule is not None:
            out = rule(out)
        if (written := constant_form(out)) is not None:
            out = self.simp(written)
        if out.shape != e.shape and out.is_scalar != e.is_scalar:
            raise AssertionError(f"simplification changed the shape of {e}")
        self.memo[e] = out
        return out

    # ---- transposes and inverses -------------------------------------------------
    def transpose(self, e):
        a = e.arg
        if a.is_scalar:
            return a
        match a:
            case E.Transpose(b):
                return b
            case E.Symbol(name) if name in self.symmetric:
                return a
            case E.Identity():
                return a
            case E.Diag() if a.builds_matrix:
                return a
            case E.TopEigvec():
                return a
            case E.Zero(dims):
                return Zero((dims[1], dims[0]))
            case E.Add(terms):
                return self.simp(add(*(Transpose(t) for t in terms)))
            case E.Mul(factors):
                scalars = [f for f in factors if f.is_scalar]
                chain = [Transpose(f) for f in reversed(factors) if not f.is_scalar]
                return self.simp(mul(*scalars, *chain))
            case E.MatPower(b, k):
                return MatPower(self.simp(Transpose(b)), k)
            case E.Inverse(b):
                return a if self.is_symmetric(b) else e
            case E.Hadamard(l, r):
                return self.simp(E.Hadamard(Transpose(l), Transpose(r)))
            case E.Func(name, arg):
                return E.Func(name, self.simp(Transpose(arg)))
            case E.Power(base, x):
                return E.Power(self.simp(Transpose(base)), x)
        return e

    def is_symmetric(self, a) -> bool:
        return self.simp(Transpose(a)) == a

    def inverse(self, e):
        a = e.arg
        match a:
            case _ if a.is_scalar:
                return E.Power(a, Number(-1))
            case E.Transpose(b):
                return self.simp(Transpose(Inverse(b)))
            case E.Inverse(b):
                return b
            case E.Identity():
                return a
            case E.MatPower(b, k):
                return MatPower(b, -k)
            case E.Symbol(name) if name in self.orthogonal:
                return Transpose(a)
            case E.Zero():
                raise NotDifferentiableError(f"{text(e)}: the zero matrix has no inverse")
        return e

    def identity(self, e):
        """The 1 x 1 identity is the number 1."""
        return Number(1) if e.is_scalar else e

    def matpower(self, e):
        if e.k == 0 or isinstance(e.base, Identity):
            return Identity(e.shape[0])
        if isinstance(e.base, Zero) and e.k > 0:
            return e.base
        return e.base if e.k == 1 else e

    # ---- structure of a constant: diag(c 1) = c I, eig(0) = 0, 0 kron B = 0 -------------
    def diag(self, e):
        if e.builds_matrix and (c := constant_value(e.arg)) is not None:
            return self.simp(mul(c, Identity(e.shape[0])))
        return e

    def softmax(self, e):
        """softmax(c 1) = 1/n 1."""
        if constant_value(e.arg) is None:
            return e
        return self.simp(mul(E.Power(dimension(e.shape[0]), Number(-1)), *ones_of(e.shape)))

    def logsumexp(self, e):
        """logsumexp(c 1) = c + log(n)."""
        c = constant_value(e.arg)
        if c is None:
            return e
        return self.simp(add(c, E.Func("log", dimension(e.arg.shape[0]))))

    def eig(self, e):
        return Zero(e.shape) if isinstance(e.arg, Zero) else e

    def kron(self, e):
        return Zero(e.shape) if any(isinstance(c, Zero) for c in e.children) else e

    def singularfactor(self, e):
        """polar(0), svtop(0) and eigtop(0) do not exist: U, V, v1 of 0 are not unique."""
        if isinstance(e.arg, Zero):
            raise NotDifferentiableError(f"{text(e)} is undefined: the zero matrix has no "
                                         "unique singular vectors or eigenvectors")
        return e

    topeigvec = singularfactor

    # ---- products ---------------------------------------------------------------
    def mul(self, e):
        factors = mul(*e.factors).factors if isinstance(mul(*e.factors), Mul) else (e,)
        if any(isinstance(f, Zero) for f in factors):
            return Zero(e.shape)
        sizes, chain = fold_ones([f for f in factors if not f.is_scalar])
        scalars = [f for f in factors if f.is_scalar] + sizes
        contracted = contract_ones(chain)
        if contracted is not None:
            return self.simp(mul(*scalars, contracted))
        chain = self.chain(chain)
        if not chain and not e.is_scalar:
            chain = [Identity(e.shape[0])]
        if len(scalars) <= 1 and not (scalars and isinstance(scalars[0], Number)):
            coefficient = scalars
        else:
            atoms = Atoms()
            s = sympy.Mul(*(to_sympy(f, atoms) for f in scalars))
            if s == 0:
                return Zero(e.shape)
            coefficient = [] if s == 1 else [from_sympy(s, atoms)]
        if len(chain) > 1 and E.Mul(tuple(chain)).is_scalar:
            chain = self.scalar_chain(chain)
            if coefficient:
                chain = [Mul(tuple(chain))]
        softmax = self.recognize_softmax(coefficient, chain)
        if softmax is not None:
            return softmax
        if len(coefficient) == 1 and len(chain) == 1 and isinstance(chain[0], E.Add):
            cleared = self.clear_fraction(coefficient[0], chain[0])
            if cleared is not None:
                return cleared
        out = mul(*coefficient, *chain)
        return out if out is not None else Number(1)

    def recognize_softmax(self, coefficient, chain):
        """exp(u) / (1^T exp(u)) = softmax(u)."""
        if len(chain) != 1 or not isinstance(chain[0], E.Func) or chain[0].name != "exp":
            return None
        u = chain[0].arg
        total = Mul((Transpose(E.Ones(u.shape)), chain[0]))
        atoms = Atoms()
        c = sympy.Mul(*(to_sympy(f, atoms) for f in coefficient)) * to_sympy(total, atoms)
        if c.free_symbols & {atoms.symbol(total)}:
            return None
        return self.simp(mul(from_sympy(c, atoms), E.Softmax(u)))

    def scalar_chain(self, chain):
        """x^T A x or its transpose x^T A^T x, whichever reads simpler (b^T x, not x^T b)."""
        reverse = [self.simp(Transpose(f)) for f in reversed(chain)]
        key = lambda c: (text(Mul(tuple(c))).count("^T"), text(Mul(tuple(c))))
        return min(chain, reverse, key=key)

    def clear_fraction(self, c, total):
        """1/2 (2 A + 4 B) -> A + 2 B: distribute a fraction when it leaves whole numbers."""
        if not (isinstance(c, Number) and not c.value.is_integer):
            return None
        atoms = Atoms()
        coefficients = [c.value * k for k, _ in self.collect(total.terms, atoms)]
        if all(k.is_Number and k.is_integer for k in coefficients):
            return self.simp(add(*(mul(c, t) for t in total.terms)))
        return None

    def chain(self, factors):
        """Drop identities, cancel X X^-1 and Q Q^T (Q orthogonal), merge X X -> X^2."""
        powers = []   # (base, k): X^k
        for f in factors:
            if isinstance(f, Identity) and len(factors) > 1:
                continue
            base, k = self.power_of(f)
            if powers and powers[-1][0] == base and base.shape[0] == base.shape[1]:
                b, j = powers.pop()
                if j + k:
                    powers.append((b, j + k))
            elif powers and self.cancels(powers[-1], (base, k)):
                powers.pop()
            elif powers and _diagonal(powers[-1]) and _diagonal((base, k)):
                left = powers.pop()[0].arg     # diag(a) diag(b) = diag(a .* b)
                powers.append((E.Diag(self.simp(E.Hadamard(left, base.arg))), 1))
            else:
                powers.append((base, k))
        return [self.from_power(b, k) for b, k in powers]

    def power_of(self, f):
        match f:
            case E.MatPower(b, k):
                return b, k
            case E.Inverse(b):
                return b, -1
            case E.Transpose(E.Inverse(b)):
                return Transpose(b), -1
        return f, 1

    def from_power(self, b, k):
        if k == 1:
            return b
        if k == -1:
            return Transpose(Inverse(b.arg)) if isinstance(b, Transpose) else Inverse(b)
        return MatPower(b, k)

    def cancels(self, a, b):
        """Q^T Q = Q Q^T = I for orthogonal Q."""
        (p, j), (q, k) = a, b
        if j != 1 or k != 1:
            return False
        name = lambda m: m.name if isinstance(m, E.Symbol) else None
        return (isinstance(p, Transpose) and name(p.arg) in self.orthogonal and p.arg == q) or \
               (isinstance(q, Transpose) and name(q.arg) in self.orthogonal and q.arg == p)

    def hadamard(self, e):
        """0 .* A = 0;  (c 1 1^T) .* A = c A for a constant c (1 .* A = A);
        (c A) .* B = c (A .* B) for a scalar c."""
        l, r = e.left, e.right
        if isinstance(l, Zero) or isinstance(r, Zero):
            return Zero(e.shape)
        for constant, other in ((l, r), (r, l)):
            if (c := constant_value(constant)) is not None:
                return self.simp(mul(c, other))
        scalars = [f for side in (l, r) if isinstance(side, Mul) for f in side.factors
                   if f.is_scalar]
        if scalars:
            strip = lambda m: mul(*(f for f in m.factors if not f.is_scalar)) \
                if isinstance(m, Mul) else m
            return self.simp(mul(*scalars, E.Hadamard(strip(l), strip(r))))
        return self.elementwise(e)

    def elementwise(self, e):
        """Entrywise algebra by SymPy: (1 - y) ./ (1 - s) .* (1 - s) .* s -> (1 - y) .* s.

        Not on linear forms in dX, whose shape the Jacobian reads."""
        if any(isinstance(n, (E.Differential, E.D)) for n in E.walk(e)):
            return e
        out = simplify_elementwise(e)
        return out if E.size(out) < E.size(e) else e

    # ---- sums ---------------------------------------------------------------------
    def add(self, e):
        flat = add(*e.terms)
        terms = [t for t in (flat.terms if isinstance(flat, E.Add) else (flat,))
                 if not isinstance(t, Zero)]
        if not terms:
            return Zero(e.shape)
        if e.is_scalar:
            return simplify_scalar(E.add(*terms))
        nodes = [n for t in terms for n in E.walk(t)]
        if any(isinstance(n, E.Hadamard) for n in nodes) and \
                not any(isinstance(n, (E.Differential, E.D)) for n in nodes):
            shorter = self.elementwise(E.add(*terms))
            if not isinstance(shorter, E.Add):
                return shorter
            terms = list(shorter.terms)
        atoms = Atoms()
        items = self.collect(terms, atoms)
        expanded = self.collect(self.expand_scaled_sums(terms), atoms)
        if len(expanded) <= len(items):
            items = expanded
        items = self.factor_common(items, atoms)
        items.sort(key=lambda item: (item[0].could_extract_minus_sign(), text(mul(*item[1]))))
        return self.build_sum(items, atoms, e.shape)

    def expand_scaled_sums(self, terms):
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

    def build_sum(self, items, atoms, shape):
        """The sum, with a common symbolic factor outside: 2 e I - 4 e x x^T = 2 e (I - 2 x x^T)."""
        if not items:
            return Zero(shape)
        first = items[0][0]
        common = first.as_coeff_Mul()[1]
        ks = [_ratio(c, common) for c, _ in items]
        if len(items) > 1 and None not in ks and (
                not common.is_Number or len({c for c, _ in items}) == 1 and not first.is_integer):
            g = sympy.gcd_list(ks) * (1 if ks[0] > 0 else -1)
            inner = add(*(mul(*self.coefficient(k / g, atoms), *chain)
                          for k, (_, chain) in zip(ks, items)))
            return mul(*self.coefficient(g * common, atoms), inner)
        return add(*(mul(*self.coefficient(c, atoms), *chain) for c, chain in items))

    def coefficient(self, c, atoms):
        if c == 1:
            return []
        return [from_sympy(tidy(c), atoms)]

    def collect(self, terms, atoms):
        """[(coefficient, chain)] with like terms added: 2 x + 3 x -> 5 x."""
        collected: dict[tuple, sympy.Expr] = {}
        for t in terms:
            factors = t.factors if isinstance(t, Mul) else (t,)
            c = sympy.Mul(*(to_sympy(f, atoms) for f in factors if f.is_scalar))
            chain = tuple(f for f in factors if not f.is_scalar)
            collected[chain] = collected.get(chain, 0) + c
        return [(c, chain) for chain, c in collected.items() if c != 0]

    def factor_common(self, items, atoms):
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
                    summed = self.simp(add(*inner))
                    new = (summed, common) if side == -1 else (common, summed)
                    items = [it for j, it in enumerate(items) if j not in group]
                    items.insert(min(group), (c, new))
                    changed = True
                    break
                if changed:
                    break
        return items

    # ---- scalar functions ----------------------------------------------------------
    def power(self, e):
        if e.base.is_scalar:
            return simplify_scalar(e)
        return e.base if e.exponent == Number(1) else e

    def func(self, e):
        match e:
            case E.Func("log", E.Add((E.Number(1) | E.Ones(), E.Func("exp", u)))):
                return E.Func("softplus", u)            # log(1 + exp(u))
            case E.Func("log", E.Mul((E.Transpose(E.Ones()), E.Func("exp", u)))):
                return E.LogSumExp(u)                   # log(1^T exp(u))
        factors = e.arg.factors if isinstance(e.arg, Mul) else (e.arg,)
        I = Identity(e.shape[0])
        if [f for f in factors if not f.is_scalar] == [I]:   # f(c I) = f(0) 1 1^T + (f(c) - f(0)) I
            c = mul(*(f for f in factors if f.is_scalar))
            f0, fc = E.Func(e.name, Number(0)), E.Func(e.name, c)
            return self.simp(add(mul(f0, *ones_of(e.shape)), mul(add(fc, -f0), I)))
        return simplify_scalar(e) if e.arg.is_scalar else e

    def norm(self, e):
        """||u v^T|| = ||u|| ||v|| (2-norm, Frobenius and nuclear alike); ||x x^T|| = x^T x;
        of c 1 (n x m): |c| n for the 1-norms, else sqrt(c^2 n m)."""
        if (c := constant_value(e.arg)) is not None:
            rows, cols = (dimension(d) for d in e.arg.shape)
            if e.kind in ("l1", "matrix-l1"):
                c = Number(abs(c.value)) if isinstance(c, Number) else E.Func("abs", c)
                return self.simp(mul(c, rows))
            root = lambda u: E.Power(u, Number(sympy.Rational(1, 2)))
            size = rows if rows == cols else root(mul(rows, cols))
            return self.simp(mul(root(E.Power(c, Number(2))), size))
        match e.arg:
            case E.Mul((u, E.Transpose(v))) if u.shape[1] == 1 and v.shape[1] == 1 \
                    and e.kind in ("spectral", "euclid", "nuclear"):
                if u == v:
                    return self.simp(Mul((Transpose(u), u)))
                return self.simp(mul(E.Norm(u), E.Norm(v)))
        return e

    def trace(self, e):
        a = e.arg
        match a:
            case _ if a.is_scalar:
                return a
            case E.Transpose(b):
                return self.simp(E.Trace(b))
            case E.Identity(n) if isinstance(n, int):
                return Number(n)
            case E.Add(terms) if any(_sized_constant(t) for t in terms):   # tr(1 1^T + I) = 2 n
                return self.simp(add(*(E.Trace(t) for t in terms)))
            case _ if (c := constant_value(a)) is not None:     # tr(c 1 1^T) = c n
                return self.simp(mul(c, dimension(a.shape[0])))
            case E.Mul(factors):
                scalars = [f for f in factors if f.is_scalar]
                chain = [f for f in factors if not f.is_scalar]
                for i, f in enumerate(chain):
                    if f.shape[0] == 1:     # a row vector leads: tr(x y^T) = y^T x
                        return self.simp(mul(*scalars, Mul(tuple(chain[i:] + chain[:i]))))
                if scalars:
                    return self.simp(mul(*scalars, E.Trace(mul(*chain))))
        return e

    def det(self, e):
        a = e.arg
        match a:
            case _ if a.is_scalar:
                return a
            case E.Identity():
                return Number(1)
            case E.Transpose(b):
                return self.simp(E.Det(b))
            case E.Inverse(b):
                return self.simp(E.Power(E.Det(b), Number(-1)))
            case E.Mul(factors) if any(f.is_scalar for f in factors):    # det(s M) = s^n det M
                scalars = [f for f in factors if f.is_scalar]
                s = E.Power(mul(*scalars), dimension(e.arg.shape[0]))
                return self.simp(mul(s, E.Det(mul(*(f for f in factors if not f.is_scalar)))))
        return e

    def inner(self, e):
        l, r = e.left, e.right
        if isinstance(l, Zero) or isinstance(r, Zero):
            return Zero(E.SCALAR)
        if l.is_scalar:
            return self.simp(mul(l, r))
        if isinstance(l, Identity):
            return self.simp(E.Trace(r))
        if isinstance(r, Identity):
            return self.simp(E.Trace(l))
        for ones, v in ((l, r), (r, l)):
            if (c := constant_value(ones)) is not None:     # <c 1, v> = c 1^T v 1, the sum of v
                rows, cols = v.shape
                left = [Transpose(E.Ones((rows, 1)))] if rows != 1 else []
                right = [E.Ones((cols, 1))] if cols != 1 else []
                return self.simp(mul(c, *left, v, *right))
        if (len(text(r)), text(r)) < (len(text(l)), text(l)):   # <a, b> = <b, a>: one order
            return self.simp(E.Inner(r, l))
        pulled = []
        parts = []
        for side in (l, r):
            if isinstance(side, Mul) and any(f.is_scalar for f in side.factors):
                pulled += [f for f in side.factors if f.is_scalar]
                side = mul(*(f for f in side.factors if not f.is_scalar))
            parts.append(side)
        if pulled:
            return self.simp(mul(*pulled, E.Inner(*parts)))
        return e


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


def _ratio(d, c):
    """d / c when it is a number, else None. The numeric coefficients are divided and the
    rest compared: a SymPy division is slow and can miss y^(s-1) / y^(s-1) = 1."""
    (j, rest_d), (k, rest_c) = d.as_coeff_Mul(), c.as_coeff_Mul()
    return j / k if rest_d == rest_c else None


def _sized_constant(e) -> bool:
    """c 1 1^T or c I: a constant whose trace is a multiple of its size."""
    factors = e.factors if isinstance(e, Mul) else (e,)
    return constant_value(e) is not None or \
        [f for f in factors if not f.is_scalar] == [Identity(e.shape[0])]


def _diagonal(power) -> bool:
    base, k = power
    return k == 1 and isinstance(base, E.Diag) and base.builds_matrix

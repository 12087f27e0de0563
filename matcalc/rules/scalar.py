"""The bridge to SymPy for scalar algebra.

A scalar-valued expression is handed to SymPy with every piece SymPy cannot
see into (``tr(X)``, ``det(X)``, ``x^T A x``, ``||x||_2``) replaced by a named
atom; SymPy cancels, combines powers and collects, and the result comes back
as an expression tree. The same bridge turns a SymPy derivative f'(z) of a
catalogue function into f'(U), elementwise when U is a vector or matrix.
"""
from __future__ import annotations

import math
from functools import lru_cache

from .. import deadline
from ..ir import expr as E
from ..backends.printing import decimal, text
from ..errors import UnsupportedError
from ..catalogue.functions import ELEMENTWISE, SYMPY_TO_NAME
from ..lazy import sympy

MAX_EXPANDED_TERMS = 256
TRIAL_SIZE = 200        # nodes from which shorter_elementwise tries unnamed atoms first


@lru_cache(maxsize=16384)
def printed(e: E.Expr) -> str:
    """text(e), printed once per expression: the name of its atom and a sort key."""
    return text(e)


class Atoms:
    """Named SymPy symbols standing for opaque scalar sub-expressions. An atom is named as
    its expression prints, since SymPy orders terms and factors by name; with ``named``
    False, by its number instead, for a trial whose result is kept only if it is shorter."""

    def __init__(self, named: bool = True):
        self.by_expr: dict[E.Expr, sympy.Symbol] = {}
        self.by_symbol: dict[sympy.Symbol, E.Expr] = {}
        self.named = named
        self.translated: dict[E.Expr, sympy.Expr] = {}   # elementwise_to_sympy's memo

    def symbol(self, e: E.Expr) -> sympy.Symbol:
        if e not in self.by_expr:
            name = printed(e) if self.named else f"_{len(self.by_expr)}"
            while sympy.Symbol(name, real=True) in self.by_symbol:
                name += "'"
            s = sympy.Symbol(name, real=True)
            self.by_expr[e], self.by_symbol[s] = s, e
        return self.by_expr[e]


def to_sympy(e: E.Expr, atoms: Atoms) -> sympy.Expr:
    """SymPy form of a scalar-valued expression."""
    match e:
        case E.Number(value):
            return value
        case E.Add(terms):
            return sympy.Add(*(to_sympy(t, atoms) for t in terms))
        case E.Mul(factors):
            scalars = [to_sympy(f, atoms) for f in factors if f.is_scalar]
            chain = [f for f in factors if not f.is_scalar]
            if chain:
                scalars.append(atoms.symbol(chain[0] if len(chain) == 1 else E.Mul(tuple(chain))))
            return sympy.Mul(*scalars)
        case E.Power(base, exponent) if base.is_scalar:
            return sympy.Pow(to_sympy(base, atoms), to_sympy(exponent, atoms))
        case E.Func(name, arg) if arg.is_scalar:
            return ELEMENTWISE[name].sympy(to_sympy(arg, atoms))
        case E.Transpose(arg) | E.Inverse(arg) if arg.is_scalar:
            inner = to_sympy(arg, atoms)
            return inner if isinstance(e, E.Transpose) else 1 / inner
        case _:
            return atoms.symbol(e)


def from_sympy(s: sympy.Expr, atoms: Atoms, shape=E.SCALAR) -> E.Expr:
    """Expression tree of a SymPy expression; elementwise when shape is not scalar, where
    a scalar value fills every entry: 1/t -> t^-1 1."""
    e = _tree(s, atoms, shape)
    return E.mul(e, E.Ones(shape)) if e.is_scalar and shape != E.SCALAR else e


def _tree(s, atoms, shape):
    """from_sympy, but a factor, base or argument may stay scalar inside an elementwise form."""
    back = lambda a: _tree(a, atoms, shape)
    elementwise = shape != E.SCALAR
    if s.is_Number:
        return E.Zero(shape) if elementwise and s == 0 else E.Number(s)
    if s.is_Symbol:
        return atoms.by_symbol[s]
    if s.is_Add:
        return E.add(*(from_sympy(a, atoms, shape) for a in _ordered(_terms(s))))
    if s.is_Mul:
        coef, rest = s.as_coeff_Mul()
        args = sorted(sympy.Mul.make_args(rest),   # sigma(u) (1 - sigma(u)); divisors last
                      key=lambda a: (_is_divisor(a), a.is_Add))
        factors = [back(a) for a in args]
        matrices = [f for f in factors if not f.is_scalar]
        scalars = [f for f in factors if f.is_scalar]
        if coef != 1:
            scalars.insert(0, E.Number(coef))
        if elementwise and len(matrices) > 1:
            product = matrices[0]
            for m in matrices[1:]:
                product = E.Hadamard(product, m)
            matrices = [product]
        return E.mul(*scalars, *matrices)
    if s.is_Pow and elementwise and abs(s.exp) == sympy.Rational(1, 2):   # roots as roots
        root = E.Func("sqrt", back(s.base))
        return root if s.exp > 0 else E.Power(root, E.Number(-1))
    if s.is_Pow:
        entrywise = elementwise and any(not atoms.by_symbol[a].is_scalar
                                        for a in s.exp.free_symbols if a in atoms.by_symbol)
        return E.Power(back(s.base), from_sympy(s.exp, atoms, shape if entrywise else E.SCALAR))
    name = SYMPY_TO_NAME.get(type(s))
    if name is not None:
        return E.Func(name, back(s.args[0]))
    if s == sympy.E:
        return E.Func("exp", E.Number(1))
    if not s.is_finite and s.is_number:
        raise UnsupportedError(f"the result has no finite value: SymPy finds {s} (from a "
                               "power or logarithm of 0, such as 0^u); write the expression "
                               "without it (0^u is 0 for u > 0)")
    raise UnsupportedError(f"cannot express {s} in matcalc's language")


def _is_divisor(s: sympy.Expr) -> bool:
    """A power with a negative exponent, read off its sign as written: SymPy's is_negative
    can evaluate the exponent numerically, which takes minutes for large ones."""
    return bool(s.is_Pow and s.exp.could_extract_minus_sign())


def _terms(s: sympy.Add):
    """The terms in SymPy's order (by degree), unless a function of numbers occurs: SymPy
    then evaluates it to order the terms, which can take minutes (exp(exp(sigma(3))))."""
    if any(not f.free_symbols for f in s.atoms(sympy.Function)):
        return sorted(s.args, key=sympy.default_sort_key)
    return s.as_ordered_terms()


def _ordered(args):
    """Numbers first, then positive terms, then negative ones: 1 + x^T x, a - b."""
    return sorted(args, key=lambda a: (not a.is_Number, a.could_extract_minus_sign()))


@lru_cache(maxsize=4096)
def tidy(s: sympy.Expr) -> sympy.Expr:
    """The shortest of: common factors pulled out; over one denominator; expanded.

    Without a sum anywhere in it, s is all three already; a sum of monomials is expanded.
    Neither of the last two is tried when its result would have more than
    MAX_EXPANDED_TERMS terms (or, over one denominator, terms times denominators)."""
    s = sign_algebra(s)
    if not s.has(sympy.Add):
        return s
    decimals = {r: sympy.Dummy() for r in s.atoms(sympy.Rational) if decimal(r) is not None}
    if decimals:     # kept as written: u (0.04 u^2 + 0.8), not u (8943 u^2 + 200000) / 10^6
        kept = _tidy_sum(s.xreplace(decimals))
        return kept.xreplace({d: r for r, d in decimals.items()})
    return _tidy_sum(s)


def _tidy_sum(s: sympy.Expr) -> sympy.Expr:
    deadline.check("simplifying a scalar")
    candidates = [sympy.factor_terms(s)]
    denominators = {a.base for a in s.atoms(sympy.Pow) if _is_divisor(a)}
    if denominators and len(denominators) * len(sympy.Add.make_args(s)) <= MAX_EXPANDED_TERMS:
        deadline.check("simplifying a scalar")
        candidates.append(sympy.factor_terms(sympy.together(s)))
    if isinstance(s, sympy.Add) and not all(map(_monomial, s.args)) \
            and _expanded_terms(s) <= MAX_EXPANDED_TERMS:
        deadline.check("simplifying a scalar")
        candidates.append(sympy.factor_terms(sympy.expand(s)))
    return min(candidates, key=sympy.count_ops)


def sign_algebra(s: sympy.Expr) -> sympy.Expr:
    """|u| = u sign(u), which holds for every real u, used where it cancels:
    u sign(u) / |u| = 1, |u| / u = sign(u); s itself where it does not shorten it."""
    absolute = ELEMENTWISE["abs"].sympy.function()
    if not s.has(absolute, sympy.Abs):
        return s
    sign = ELEMENTWISE["sign"].sympy.function()
    written = s.replace(lambda a: isinstance(a, (absolute, sympy.Abs)),
                        lambda a: a.args[0] * sign(a.args[0]))
    for a in s.atoms(absolute, sympy.Abs):
        written = written.subs(a.args[0] * sign(a.args[0]), a)
    return written if sympy.count_ops(written) < sympy.count_ops(s) else s


def _expanded_terms(s: sympy.Expr) -> int:
    """About how many terms sympy.expand(s) writes (MAX_EXPANDED_TERMS + 1 for that many or
    more): those of s, and those of each of its denominators, multiplied out on its own."""
    denominators: dict[sympy.Expr, int] = {}
    return min(MAX_EXPANDED_TERMS + 1, _expansion(s, denominators) + sum(denominators.values()))


def _expansion(s, denominators) -> int:
    """Terms of expand(s): sums add, products multiply, (a sum of k terms)^n makes
    binomial(n + k - 1, k - 1), a function's argument is expanded inside it; the terms of
    each denominator go to ``denominators``."""
    most = MAX_EXPANDED_TERMS + 1
    if s.is_Add:
        return min(most, sum(_expansion(a, denominators) for a in s.args))
    if s.is_Mul or _is_divisor(s):
        below = [1 / a for a in sympy.Mul.make_args(s) if _is_divisor(a)]
        if below:
            denominators[sympy.Mul(*below)] = min(most, math.prod(
                _expansion(b, denominators) for b in below))
        return min(most, math.prod(_expansion(a, denominators) for a in sympy.Mul.make_args(s)
                                   if not _is_divisor(a)))
    if s.is_Pow and s.exp.is_Integer:
        k, n = _expansion(s.base, denominators), int(s.exp)
        return 1 if k == 1 else most if max(k, n) >= most else \
            min(most, math.comb(n + k - 1, k - 1))
    return max([1, *(_expansion(a, denominators) for a in s.args)])


def _monomial(s: sympy.Expr) -> bool:
    """A number times powers of symbols (with rational exponents): nothing to expand."""
    return all(a.is_Rational or a.is_Symbol or a.is_Pow and a.base.is_Symbol and a.exp.is_Rational
               for a in sympy.Mul.make_args(s))


@lru_cache(maxsize=4096)
def simplify_scalar(e: E.Expr) -> E.Expr:
    """Cancel, combine powers and pull out common factors of a scalar expression."""
    atoms = Atoms()
    return from_sympy(tidy(to_sympy(e, atoms)), atoms)


def elementwise_to_sympy(e: E.Expr, atoms: Atoms) -> sympy.Expr:
    """SymPy form of an elementwise expression: .* is *, ./ is /, f(U) is f, 1 is 1; the
    argument of f that is itself an application, g(U), is one atom, since SymPy's work on
    nested applications grows fast with their depth."""
    if e not in atoms.translated:
        atoms.translated[e] = _entrywise(e, atoms)
    return atoms.translated[e]


def _entrywise(e, atoms):
    match e:
        case E.Hadamard(left, right):
            return elementwise_to_sympy(left, atoms) * elementwise_to_sympy(right, atoms)
        case E.Power(base, exponent) if not base.is_scalar:
            return elementwise_to_sympy(base, atoms) ** (
                to_sympy(exponent, atoms) if exponent.is_scalar else
                elementwise_to_sympy(exponent, atoms))
        case E.Func(name, arg) if not arg.is_scalar:    # f(g(U)) is f of the atom g(U)
            inner = atoms.symbol(arg) if isinstance(arg, E.Func) else \
                elementwise_to_sympy(arg, atoms)
            return ELEMENTWISE[name].sympy(inner)
        case E.Add(terms):
            return sympy.Add(*(elementwise_to_sympy(t, atoms) for t in terms))
        case E.Mul(factors) if sum(not f.is_scalar for f in factors) == 1:
            return sympy.Mul(*(to_sympy(f, atoms) if f.is_scalar else
                               elementwise_to_sympy(f, atoms) for f in factors))
        case E.Ones():
            return sympy.S.One
        case E.Zero():
            return sympy.S.Zero
    return atoms.symbol(e)


def simplify_elementwise(e: E.Expr) -> E.Expr:
    """An elementwise expression simplified as scalar algebra, entry by entry."""
    atoms = Atoms()
    return from_sympy(tidy(elementwise_to_sympy(e, atoms)), atoms, e.shape)


def shorter_elementwise(e: E.Expr) -> E.Expr:
    """simplify_elementwise(e) if it has fewer operations than e, else e. For a large e a
    trial first names the atoms by number, so that nothing is printed unless its result is
    kept; a small e is printed at once (cheaper than a second pass of SymPy)."""
    if E.size(e) >= TRIAL_SIZE:
        trial = Atoms(named=False)
        if E.size(from_sympy(tidy(elementwise_to_sympy(e, trial)), trial, e.shape)) >= E.size(e):
            return e
    out = simplify_elementwise(e)
    return out if E.size(out) < E.size(e) else e


def apply_elementwise(s: sympy.Expr, z: sympy.Symbol, arg: E.Expr) -> E.Expr:
    """The SymPy function s(z) applied to arg (elementwise when arg is not a scalar)."""
    atoms = Atoms()
    atoms.by_symbol[z], atoms.by_expr[arg] = arg, z
    return from_sympy(s, atoms, arg.shape if not arg.is_scalar else E.SCALAR)

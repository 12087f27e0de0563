"""The values of the lowering: sums of terms ``c F1 F2 ... Fk``.

``c`` is a Coef (a number times powers of scalar nodes); the factors are Vals kept
symbolic (dense arrays, diagonal matrices, all-ones arrays, inverses), so that the
products pass can choose how to multiply them.
"""
from __future__ import annotations

from dataclasses import dataclass

from .graph import Node


@dataclass(frozen=True)
class Val:
    """A factor: ``dense`` (node is the array), ``diag`` (node is the diagonal, a vector,
    or a scalar s for s I), ``ones`` (the all-ones array), ``inv`` (node is X, t: X^-T;
    once: X^-1 occurs once, so it may become a solve)."""
    rep: str
    node: Node | None
    dims: tuple
    t: bool = False
    once: bool = False


@dataclass(frozen=True)
class Coef:
    """number * prod(node ** exponent): the scalar factor of a term."""
    number: float = 1.0
    powers: tuple = ()

    def __mul__(self, other: Coef) -> Coef:
        powers = dict(self.powers)
        for node, e in other.powers:
            powers[node] = powers.get(node, 0) + e
        return Coef(self.number * other.number, _sorted_powers(powers))

    def power(self, k: float) -> Coef | None:
        """self ** k, or None where that would not be exact for real values."""
        if not float(k).is_integer() and (self.number < 0 or
                                         any(not n.nonneg for n, _ in self.powers)):
            return None
        if self.number == 0 and k < 0:
            return None
        return Coef(self.number ** k, _sorted_powers({n: e * k for n, e in self.powers}))

    def abs(self) -> Coef:
        return Coef(abs(self.number), self.powers)


def _sorted_powers(powers: dict) -> tuple:
    return tuple(sorted(((n, e) for n, e in powers.items() if e != 0), key=lambda p: p[0].id))


ONE = Coef()


@dataclass(frozen=True)
class Lin:
    """A sum of terms (coef, factors); a product of no factors is a scalar."""
    terms: tuple
    dims: tuple

    def scaled(self, c: Coef) -> Lin:
        return Lin(tuple((c * tc, fs) for tc, fs in self.terms), self.dims)


def merge_terms(terms) -> tuple:
    """Like terms collected: c1 F + c2 F = (c1 + c2) F."""
    out: dict = {}
    for coef, factors in terms:
        key = (coef.powers, factors)
        out[key] = out.get(key, 0.0) + coef.number
    return tuple((Coef(number, powers), factors) for (powers, factors), number in out.items()
                 if number != 0)



def all_ones(factors) -> bool:
    """Whether a product of factors is the all-ones array: ones factors joined by inner
    dimensions 1 (1 1^T is, but 1_(n x k) 1_(k x n) is k times it)."""
    return bool(factors) and all(f.rep == "ones" for f in factors) and \
        all(f.dims[1] == 1 for f in factors[:-1])


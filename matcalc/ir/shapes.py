"""Shapes and their unification.

Every expression has a 2-D shape ``(rows, cols)``: a scalar is ``(1, 1)``, a
column vector ``(n, 1)``, a row vector ``(1, n)``. A dimension is an ``int`` or
a name (``"n"``). While text is parsed, unknown dimensions are ``DimVar``s and an
active ``Unifier`` merges them; outside parsing, dimensions must simply agree.

The dimension of ``vec(X)`` or of ``A kron B`` is a product: ``"m*n"`` once the
factors are named, a ``DimProduct`` while some are still unknown, so that
``(A kron B) x`` ties the length of x to the factors of A and B.
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools

from ..errors import ShapeError

_counter = itertools.count()
_active: contextvars.ContextVar[Unifier | None] = contextvars.ContextVar("unifier", default=None)


class DimVar:
    """An unknown dimension, met while parsing.

    The length of a vector may turn out to be 1 (``c`` in ``b^T x + c`` is a
    scalar); a dimension of a matrix may not (``x + A`` is an error).
    """

    __slots__ = ("id", "may_be_one")

    def __init__(self, may_be_one: bool = True):
        self.id = next(_counter)
        self.may_be_one = may_be_one

    def __repr__(self):
        return f"?{self.id}"


class DimProduct:
    """A product of dimensions with at least one still unknown (``m*n`` of A kron B).

    Factors keep their order (left to right); numbers are merged in front.
    Two products are equal when their factors are (unknowns by identity).
    """

    __slots__ = ("factors",)

    def __init__(self, factors):
        self.factors = tuple(factors)

    def __eq__(self, other):
        return isinstance(other, DimProduct) and len(self.factors) == len(other.factors) and \
            all(a is b or not isinstance(a, DimVar) and a == b
                for a, b in zip(self.factors, other.factors))

    def __hash__(self):
        return hash(tuple(id(f) if isinstance(f, DimVar) else f for f in self.factors))

    def __repr__(self):
        return "*".join(map(repr, self.factors))


def _product(factors):
    """The product of resolved factors: an int, a name, a single unknown or a DimProduct."""
    number, rest = 1, []
    for f in factors:
        if isinstance(f, DimProduct):
            rest.extend(f.factors)
        elif isinstance(f, int):
            number *= f
        elif isinstance(f, str) and "*" in f:
            rest.extend(factors_of(f))
        else:
            rest.append(f)
    for i, f in enumerate(rest):
        if isinstance(f, int):
            number *= f
            rest[i] = None
    rest = [f for f in rest if f is not None]
    if number == 0:
        return 0
    if not rest:
        return number
    if not any(isinstance(f, DimVar) for f in rest):
        return "*".join(([str(number)] if number != 1 else []) + sorted(map(str, rest)))
    factors = ([number] if number != 1 else []) + rest
    return factors[0] if len(factors) == 1 else DimProduct(factors)


def factors_of(name: str) -> list:
    """The factors of a dimension written as a product: 'm*n' -> ['m', 'n'], '2*n' -> [2, 'n']."""
    return [int(p) if p.isdigit() else p for p in name.split("*")]


def _factors(name: str) -> DimProduct:
    """'m*n' as a product of its named factors."""
    return DimProduct(factors_of(name))


class Unifier:
    """Union-find over dimensions; a class holds at most one known value."""

    def __init__(self):
        self.parent: dict = {}

    def find(self, d):
        while isinstance(d, DimVar) and d in self.parent:
            d = self.parent[d]
        if isinstance(d, DimProduct):
            return _product(self.find(f) for f in d.factors)
        return d

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a is b or a == b:
            return True
        if isinstance(a, DimVar) and isinstance(b, DimVar):
            a, b = (a, b) if b.may_be_one <= a.may_be_one else (b, a)
        elif isinstance(b, DimVar):
            a, b = b, a
        if isinstance(a, DimProduct) or isinstance(b, DimProduct):
            return self._unify_products(a, b)
        if not isinstance(a, DimVar) or b == 1 and not a.may_be_one:
            return False
        self.parent[a] = b
        return True

    def exclude_one(self, d):
        """d may no longer turn out to be 1."""
        self.unify(d, DimVar(False))

    def _unify_products(self, a, b) -> bool:
        """a or b a product: cancel the factors they share (a named product such as m*n has
        its factors sorted, not in the order of A kron B), then bind an unknown to what is
        left of the other side, or match what is left factor by factor."""
        a, b = _factor_list(a), _factor_list(b)
        for f in list(a):
            same = next((g for g in b if g is f or not isinstance(f, DimVar) and g == f), None)
            if same is not None:
                a.remove(f)
                b.remove(same)
        if len(a) > len(b):
            a, b = b, a
        if not a:                                   # n = n*m: the other factors are 1
            return all(self.unify(f, 1) for f in b)
        if len(a) == 1 < len(b) and isinstance(a[0], DimVar):
            self.parent[a[0]] = _product(b)
            return True
        return len(a) == len(b) and all(self.unify(f, g) for f, g in zip(a, b))


def _factor_list(d) -> list:
    """The factors of a dimension other than 1: of a DimProduct, of 'm*n', or d itself."""
    if isinstance(d, DimProduct):
        factors = d.factors
    elif isinstance(d, str) and "*" in d:
        factors = _factors(d).factors
    else:
        factors = (d,)
    return [f for f in factors if f != 1]


@contextlib.contextmanager
def unifying(unifier: Unifier | None):
    """Shapes are checked against unifier while the block runs (None: strictly, as final)."""
    token = _active.set(unifier)
    try:
        yield unifier
    finally:
        _active.reset(token)


def resolve(d):
    u = _active.get()
    return u.find(d) if u else d


def same_dim(a, b) -> bool:
    """Unify a and b when parsing; otherwise tell whether they are equal."""
    u = _active.get()
    return u.unify(a, b) if u else a == b


def exclude_one(d):
    """While parsing, d may no longer turn out to be 1 (the length of a transposed x)."""
    u = _active.get()
    if u:
        u.exclude_one(d)


def is_scalar(shape) -> bool:
    return resolve(shape[0]) == 1 and resolve(shape[1]) == 1


def is_vector(shape) -> bool:
    return resolve(shape[1]) == 1 and not is_scalar(shape)


def is_square(shape) -> bool:
    return same_dim(shape[0], shape[1])


def describe(shape, names=None) -> str:
    """'scalar', 'vector of length n', 'row vector of length n', 'matrix m x n'."""
    r, c = (resolve(d) for d in shape)
    names = names if names is not None else name_dims((r, c))

    def name(d):
        if isinstance(d, DimProduct):
            return "*".join(name(f) for f in d.factors)
        return names.get(d, "?") if isinstance(d, DimVar) else str(d)

    if r == 1 and c == 1:
        return "scalar"
    if c == 1:
        return f"vector of length {name(r)}"
    if r == 1:
        return f"row vector of length {name(c)}"
    return f"matrix {name(r)} x {name(c)}"


def require(ok: bool, message: str, *shapes):
    if not ok:
        names = name_dims([resolve(d) for s in shapes for d in s])
        raise ShapeError(message.format(*(describe(s, names) for s in shapes)))


def name_dims(dims, taken=()):
    """Readable names for unresolved dimensions, in order of first appearance."""
    pool = (n for n in itertools.chain("nmkpqrlsuvw", (f"n{i}" for i in itertools.count(1)))
            if n not in taken)
    names = {}
    for d in dims:
        for f in d.factors if isinstance(d, DimProduct) else (d,):
            if isinstance(f, DimVar) and f not in names:
                names[f] = next(pool)
    return names


def dim_product(*dims):
    """The dimension a * b, e.g. of vec(X) or A kron B: an int, or names joined by '*'
    (a DimProduct while parsing, when some factor is still unknown)."""
    return _product(resolve(d) for d in dims)



def dim_quotient(a, b):
    """The dimension q with a = q * b (the size of a partial trace): while parsing, an unknown
    unified so; otherwise b's factors taken out of a's ('m*p' / 'p' = 'm', 12 / 4 = 3)."""
    u = _active.get()
    if u:
        q = DimVar()
        if not u.unify(a, DimProduct((q, b))):
            raise ShapeError("a partial trace needs a dimension that is a multiple of its block's")
        return u.find(q)
    split = lambda d: factors_of(d) if isinstance(d, str) else [d]
    number = 1
    rest = []
    for f in split(a):
        if isinstance(f, int):
            number *= f
        else:
            rest.append(f)
    for f in split(b):
        if isinstance(f, int) and number % f == 0:
            number //= f
        elif f in rest:
            rest.remove(f)
        else:
            raise ShapeError(f"cannot divide the dimension {a} by {b}")
    return _product([number, *rest])

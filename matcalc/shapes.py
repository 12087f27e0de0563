"""Shapes and their unification.

Every expression has a 2-D shape ``(rows, cols)``: a scalar is ``(1, 1)``, a
column vector ``(n, 1)``, a row vector ``(1, n)``. A dimension is an ``int`` or
a name (``"n"``). While text is parsed, unknown dimensions are ``DimVar``s and an
active ``Unifier`` merges them; outside parsing, dimensions must simply agree.
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools

from .errors import ShapeError

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


class Unifier:
    """Union-find over dimensions; a class holds at most one known value."""

    def __init__(self):
        self.parent: dict = {}

    def find(self, d):
        while isinstance(d, DimVar) and d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a is b or a == b:
            return True
        if isinstance(a, DimVar) and isinstance(b, DimVar):
            a, b = (a, b) if b.may_be_one <= a.may_be_one else (b, a)
        elif isinstance(b, DimVar):
            a, b = b, a
        if not isinstance(a, DimVar) or b == 1 and not a.may_be_one:
            return False
        self.parent[a] = b
        return True


@contextlib.contextmanager
def unifying(unifier: Unifier):
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
    name = lambda d: names.get(d, "?") if isinstance(d, DimVar) else str(d)
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
        if isinstance(d, DimVar) and d not in names:
            names[d] = next(pool)
    return names


def dim_product(*dims):
    """The dimension a * b, e.g. of vec(X) or A kron B: an int, or names joined by '*'."""
    number, names = 1, []
    for d in dims:
        d = resolve(d)
        if isinstance(d, int):
            number *= d
        else:
            names.extend(str(d).split("*"))
    if not names:
        return number
    return "*".join(([str(number)] if number != 1 else []) + sorted(names))

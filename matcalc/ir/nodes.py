"""The expression tree: small, frozen, hashable nodes that know their shape; here the base
node, the leaves, the algebra (sums, products, powers, transposes, inverses, entrywise
products) and the builders add and mul. The functions of matrices (tr, det, norms, diag,
softmax, Kronecker products, matrix functions, ...) are in ir/structural.py; ir/expr.py
gathers both into one namespace.

Shapes are checked when a node is built (see ir/shapes.py). Nodes never simplify
themselves; rules/simplify/ does that. Operators let code read like the math:
``A @ X``, ``X.T``, ``2 * x``, ``f / g``.

A product ``Mul`` holds scalar factors, which commute, and a chain of matrix
factors, which must conform: ``Mul((b.T @ x, a))`` is ``(b^T x) a``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
import sys
from operator import attrgetter
from typing import Any, overload

from ..errors import UnsupportedError
from ..lazy import sympy
from .numbers import in_float_range
from .shapes import is_scalar, is_square, require, same_dim

SCALAR = (1, 1)


if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:                           # it only tells type checkers that node makes dataclasses
    dataclass_transform = lambda **_: lambda f: f   # noqa: E731


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def node(cls):
    """Every node is a frozen dataclass; equality and the hash are Expr's (see there)."""
    return dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)


@node
class Expr:
    """Equal when of one type with equal fields. Trees are dict keys everywhere, so the hash,
    the children, the size and the flags (``has``) are computed once, and equality tries
    identity, the hash and an equal tree found before, before comparing fields."""
    shape: tuple = field(init=False, repr=False)
    _hash: int = field(init=False, repr=False)
    children: tuple = field(init=False, repr=False)    # the Expr fields' values, in order
    _size: int = field(init=False, repr=False)
    _flags: int = field(init=False, repr=False)
    _same: Expr | None = field(init=False, repr=False, default=None)   # an equal tree

    def __post_init__(self):
        cls = type(self)
        values, children, _ = _layout(cls)
        children = children(self)
        size, flags = 1, FLAGS.get(cls, 0)
        for c in children:
            size += c._size
            flags |= c._flags
        object.__setattr__(self, "children", children)
        object.__setattr__(self, "_size", size)
        object.__setattr__(self, "_flags", flags)
        object.__setattr__(self, "shape", self._shape())
        object.__setattr__(self, "_hash", hash((cls, *values(self))))

    def _values(self) -> tuple:
        return _layout(type(self))[0](self)

    def __eq__(self, other):
        """Equal trees once compared are linked (``_same``), so that they compare at once again."""
        if self is other or type(other) is not type(self) or self._hash != other._hash:
            return self is other
        a, b = self._representative(), other._representative()
        if a is not b and a._values() != b._values():
            return False
        for n in (b, other):
            if n is not a:
                object.__setattr__(n, "_same", a)     # found equal: a stands for both
        return True

    def _representative(self) -> Expr:
        while self._same is not None:
            self = self._same
        return self

    def __hash__(self):
        return self._hash

    def _shape(self):
        return SCALAR

    def with_children(self, children) -> Expr:
        """The same node over new children (in the order of ``children``); itself if its own."""
        children = tuple(children)
        if all(new is old for new, old in zip(children, self.children)):
            return self
        it = iter(children)
        updates: dict[str, Any] = {}
        for name, many in _layout(type(self))[2]:
            updates[name] = tuple(next(it) for _ in getattr(self, name)) if many else next(it)
        return replace(self, **updates) if updates else self

    @property
    def is_scalar(self) -> bool:
        return is_scalar(self.shape)

    # operators, so that rules read like the math
    def __add__(self, other):
        return add(self, as_expr(other))

    def __radd__(self, other):
        return add(as_expr(other), self)

    def __sub__(self, other):
        return add(self, -as_expr(other))

    def __rsub__(self, other):
        return add(as_expr(other), -self)

    def __neg__(self):
        return mul(Number(-1), self)

    def __mul__(self, other):
        return mul(self, as_expr(other))

    def __rmul__(self, other):
        return mul(as_expr(other), self)

    __matmul__ = __mul__
    __rmatmul__ = __rmul__

    def __truediv__(self, other):
        return mul(self, Power(as_expr(other), Number(-1)))

    @property
    def T(self):
        return Transpose(self)

    def __str__(self):
        return READERS["text"](self)

    def __repr__(self):
        return READERS["repr"](self)

    def _repr_latex_(self):
        return f"$\\displaystyle {READERS['latex'](self)}$"

    @property
    def latex(self) -> str:
        return READERS["latex"](self)

    def evaluate(self, values: dict | None = None):
        """NumPy value: vectors as 1-D arrays, matrices 2-D, scalars floats."""
        return READERS["evaluate"](self, values or {})


READERS: dict = {}
"""The readers of the tree behind ``str(e)``, ``repr(e)``, ``e.latex`` and ``e.evaluate()``:
"text", "repr" and "latex" (backends/printing.py) and "evaluate" (backends/numeric.py)
register themselves, so the tree depends on none of its readers."""


_LAYOUTS: dict = {}


def _layout(cls):
    """How to read a node of class cls, made once per class: (its field values, its children as
    a tuple, its Expr fields as (name, holds a tuple) pairs)."""
    if cls not in _LAYOUTS:
        names = tuple(f.name for f in fields(cls) if f.init)
        types = {n: cls.__dataclass_fields__[n].type for n in names}
        expr = tuple((n, types[n] != "Expr") for n in names
                     if types[n] in ("Expr", "tuple[Expr, ...]"))
        one = attrgetter(*(n for n, _ in expr)) if expr else None
        children = (lambda e: ()) if not expr else \
            one if [m for _, m in expr] == [True] else \
            (lambda e: (one(e),)) if len(expr) == 1 and not expr[0][1] else \
            one if not any(m for _, m in expr) else \
            (lambda e: tuple(c for n, m in expr
                             for c in (getattr(e, n) if m else (getattr(e, n),))))
        get = attrgetter(*names) if names else None
        values = get if len(names) > 1 else (lambda e: (get(e),)) if names else (lambda e: ())
        _LAYOUTS[cls] = values, children, expr
    return _LAYOUTS[cls]


# ---- leaves ----------------------------------------------------------------

@node
class Symbol(Expr):
    name: str
    dims: tuple = SCALAR

    def _shape(self):
        return self.dims


@node
class Differential(Expr):
    """``dX``: the differential of a variable (``index`` tells dX1 from dX2)."""
    var: Expr
    index: int = 0

    def _shape(self):
        return self.var.shape


@node
class D(Expr):
    """``d(U)``: a differential not yet worked out (a step of a derivation)."""
    arg: Expr

    def _shape(self):
        return self.arg.shape


@node
class Number(Expr):
    """An exact number; a rational one must lie in the range of floating-point numbers
    (nonzero ones between about 5e-324 and 1.8e308 in size), so that it evaluates to what it
    says and its numeral reads back."""
    value: sympy.Expr

    def __post_init__(self):
        value = sympy.nsimplify(self.value, rational=True) if isinstance(self.value, float) \
            else sympy.sympify(self.value)
        if not in_float_range(value):
            raise UnsupportedError(f"the number {sympy.Float(value, 3)} is outside the range of "
                                   "floating-point numbers")
        object.__setattr__(self, "value", value)
        Expr.__post_init__(self)


@node
class Identity(Expr):
    n: object = "n"

    def _shape(self):
        return (self.n, self.n)


@node
class Zero(Expr):
    dims: tuple = SCALAR

    def _shape(self):
        return self.dims


@node
class Ones(Expr):
    """The all-ones vector (or matrix) ``1``."""
    dims: tuple = ("n", 1)

    def _shape(self):
        return self.dims


# ---- operations --------------------------------------------------------------

@node
class Add(Expr):
    terms: tuple[Expr, ...]

    def _shape(self):
        first = self.terms[0].shape
        for t in self.terms[1:]:
            require(same_dim(first[0], t.shape[0]) and same_dim(first[1], t.shape[1]),
                    "cannot add a {} and a {}", first, t.shape)
        return first


@node
class Mul(Expr):
    """Scalar factors commute; the other factors form a conforming matrix chain."""
    factors: tuple[Expr, ...]

    def _shape(self):
        chain = [f for f in self.factors if not f.is_scalar]
        for left, right in zip(chain, chain[1:]):
            require(same_dim(left.shape[1], right.shape[0]),
                    "cannot multiply a {} by a {}", left.shape, right.shape)
        return (chain[0].shape[0], chain[-1].shape[1]) if chain else SCALAR


@node
class Hadamard(Expr):
    """Elementwise product ``A .* B``."""
    left: Expr
    right: Expr

    def _shape(self):
        return elementwise_shape(self.left, self.right, "take the elementwise product of")


@node
class Transpose(Expr):
    arg: Expr

    def _shape(self):
        return (self.arg.shape[1], self.arg.shape[0])


@node
class Inverse(Expr):
    arg: Expr

    def _shape(self):
        require(is_square(self.arg.shape), "only a square matrix has an inverse, not a {}",
                self.arg.shape)
        return self.arg.shape


@node
class MatPower(Expr):
    """Integer power of a square matrix, ``X^k``."""
    base: Expr
    k: int

    def _shape(self):
        require(is_square(self.base.shape), "only a square matrix has powers, not a {}",
                self.base.shape)
        return self.base.shape


@node
class SymbolicPower(Expr):
    """``X^k`` for a square X and a scalar expression k that stands for an integer (a node of
    its own, so that no rule of the integer powers, X^j X^k = X^(j+k), meets it)."""
    base: Expr
    exponent: Expr

    def _shape(self):
        return MatPower._shape(self)


@node
class Power(Expr):
    """Scalar power ``u^v``; on a vector or matrix base it acts elementwise, with a scalar
    exponent or one shaped like the base (``x.^x``)."""
    base: Expr
    exponent: Expr

    def _shape(self):
        if not self.exponent.is_scalar:
            elementwise_shape(self.base, self.exponent, "take the elementwise power of")
        return self.base.shape


def elementwise_shape(a, b, verb):
    """The shape of a and b, which must agree for an entrywise operation (verb names it)."""
    require(same_dim(a.shape[0], b.shape[0]) and same_dim(a.shape[1], b.shape[1]),
            "cannot " + verb + " a {} and a {}", a.shape, b.shape)
    return a.shape

# ---- builders -------------------------------------------------------------------

def as_expr(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float, sympy.Basic)):
        return Number(value)
    raise TypeError(f"not an expression: {value!r}")


@overload
def add(first: Expr, *terms: Expr | None) -> Expr: ...
@overload
def add(*terms: Expr | None) -> Expr | None: ...
def add(*terms):
    """Sum of the terms that are not None, flattened; None (zero) if none is left."""
    flat: list[Expr] = []
    for t in terms:
        if t is not None:
            flat.extend(t.terms if isinstance(t, Add) else (t,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else Add(tuple(flat))


@overload
def mul(*factors: Expr) -> Expr: ...
@overload
def mul(*factors: Expr | None) -> Expr | None: ...
def mul(*factors):
    """Product of the factors, flattened; None if any factor is None (zero).

    A scalar product of matrices, such as ``b^T x``, stays one factor.
    """
    flat: list[Expr] = []
    for f in factors:
        if f is None:
            return None
        flat.extend(f.factors if isinstance(f, Mul) and not is_scalar_chain(f) else (f,))
    if not flat:
        return Number(1)
    return flat[0] if len(flat) == 1 else Mul(tuple(flat))


def is_scalar_chain(e: Expr) -> bool:
    """A product of matrices whose value is a scalar (``x^T A x``)."""
    return isinstance(e, Mul) and e.is_scalar and any(not f.is_scalar for f in e.factors)


def size(e: Expr) -> int:
    """The number of nodes of e, as printed (a shared subexpression counts each time)."""
    return e._size


FLAGS = {D: 1, Differential: 2, Hadamard: 4}   # the node types that ``has`` can look for


def has(e: Expr, *node_types) -> bool:
    """Whether a node of one of these types (keys of FLAGS) occurs in e."""
    return any(e._flags & FLAGS[t] for t in node_types)

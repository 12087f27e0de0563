"""Lark tree -> Expr: a Transformer whose methods are named after the grammar's rule
aliases, building nodes of matcalc/ir/expr.py while shapes are unified.

An expression nested deeper than MAX_DEPTH (functions of functions, transposes of
transposes, ...) is refused with a ParseError, so that no later stage runs out of stack.
"""
from __future__ import annotations

import math
import re
import sys

from lark import v_args
from lark.visitors import Transformer_NonRecursive

from ..catalogue import functions
from ..catalogue.structural import FRECHET
from ..errors import MatcalcError, ParseError, ShapeError, UnsupportedError
from ..ir import expr as E
from ..ir.numbers import in_float_range
from ..ir.shapes import DimVar, exclude_one, resolve, same_dim
from ..lazy import sympy
from .lexer import GREEK, MAX_DIGITS, symbol_name


SHAPE_WORDS = {"scalar", "vector", "matrix", "square"}

IDENTITY_OF_SIZE = re.compile(r"I_([1-9][0-9]*|[A-Za-z])")   # I_n: the n x n identity
MAX_DEPTH = 100           # nesting of the expression tree (not of parentheses)
MAX_MATRIX_POWER = 100    # |k| in X^k: d(X^k) has k terms
DIMENSION = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
POSITIVE = re.compile(r"[1-9][0-9]*\Z")


def _located(method):
    """Point errors raised while building a node at its place in the text; guard the depth."""
    def wrapper(self, meta, *args):
        try:
            out = method(self, *args)
            if out is not None:
                self.check_depth(out)
            return out
        except MatcalcError as err:
            if not getattr(meta, "empty", True):
                err.locate(self.text, meta.line, meta.column)
            raise
    wrapper.__name__ = method.__name__
    return v_args(meta=True, inline=True)(wrapper)


class Builder(Transformer_NonRecursive):
    """Builds Expr nodes; methods are named after the grammar's rule aliases.

    Non-recursive (huge inputs are fine); every node built is checked against
    MAX_DEPTH.
    """

    def __init__(self, shapes: dict, text: str = "", transposed: frozenset = frozenset(),
                 dimensions: frozenset = frozenset()):
        super().__init__()
        self.overrides = shapes
        self.dimensions = dimensions
        self.text = text
        self.transposed = transposed
        self.symbols: dict[str, E.Expr] = {}
        self.sizes: set[str] = set()      # dimensions the text names itself: the n of I_n
        self.depths: dict[int, tuple[E.Expr, int]] = {}   # id -> (node kept alive, depth)

    def depth(self, e: E.Expr) -> int:
        """Height of the tree e, without recursion (memoized by node identity)."""
        stack = [e]
        while stack:
            top = stack[-1]
            if id(top) in self.depths:
                stack.pop()
                continue
            todo = [c for c in top.children if id(c) not in self.depths]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            height = 1 + max((self.depths[id(c)][1] for c in top.children), default=0)
            self.depths[id(top)] = (top, height)
        return self.depths[id(e)][1]

    def check_depth(self, e: E.Expr):
        if self.depth(e) > MAX_DEPTH:
            raise ParseError(f"the expression is nested too deeply (more than {MAX_DEPTH} "
                             "levels of functions, powers or transposes inside each other)")

    # leaves
    @_located
    def number(self, tok):
        return E.Number(_number_value(str(tok)))

    @_located
    def symbol(self, tok):
        name = symbol_name(str(tok))
        if name not in self.symbols:
            self.symbols[name] = self._new_symbol(name)
        return self.symbols[name] if name != "I" or "I" in self.overrides else E.Identity(DimVar())

    def _new_symbol(self, name):
        if name in self.overrides:
            return E.Symbol(name, _dims_from_spec(name, self.overrides[name]))
        if name in self.dimensions:         # n of x: "n" -> the length of x, tr(I_n)
            return E.Trace(E.Identity(name))
        if name == "I":
            return None
        if (size := IDENTITY_OF_SIZE.fullmatch(name)) is not None:     # I_n, I_3
            d = size[1]
            if not d.isdigit():
                self.sizes.add(d)
            return E.Identity(int(d) if d.isdigit() else d)
        if name.partition("_")[0] in GREEK and name[0].islower():     # alpha, delta_1
            return E.Symbol(name, E.SCALAR)
        if name[0].isupper():
            return E.Symbol(name, (DimVar(False), DimVar(False)))
        return E.Symbol(name, (DimVar(name not in self.transposed), 1))

    # operators
    @_located
    def add(self, a, b):
        if isinstance(a, E.Number) and isinstance(b, E.Number):
            return E.Number(a.value + b.value)       # 2 + 1 = 3: a number, sized by context
        return E.add(*_broadcast(a, b))

    @_located
    def sub(self, a, b):
        if isinstance(a, E.Number) and isinstance(b, E.Number):
            return E.Number(a.value - b.value)
        a, b = _broadcast(a, b)
        return E.add(a, -b)

    @_located
    def neg(self, a):
        if isinstance(a, E.Number):
            return E.Number(-a.value)
        if isinstance(a, E.Mul) and isinstance(a.factors[0], E.Number) and \
                a.factors[0] != E.Number(1):        # -(-x) is x; -(1 / s) keeps the ones 1
            c = -a.factors[0].value
            return E.mul(*a.factors[1:]) if c == 1 else E.Mul((E.Number(c), *a.factors[1:]))
        return -a

    @_located
    def mul(self, a, b):
        one = E.Number(1)
        if isinstance(a, E.Number) and isinstance(b, E.Number) and one not in (a, b) and \
                in_float_range(product := a.value * b.value):
            return E.Number(product)                 # 2 3 = 6
        if b == one and not a.is_scalar and resolve(a.shape[1]) != 1:
            b = E.Ones((DimVar(), 1))                # X 1: the ones vector, as in 1^T X 1
        if resolve(b.shape[0]) == 1 and resolve(b.shape[1]) != 1:     # 1 x^T, 1 1^T: outer
            if a == one:
                a = E.Ones((DimVar(), 1))
            elif isinstance(a, E.Mul) and a.is_scalar and a.factors[-1] == one:
                a = E.Mul((*a.factors[:-1], E.Ones((DimVar(), 1))))
        return E.mul(a, b)

    @_located
    def div(self, a, b):
        if not b.is_scalar:
            raise ShapeError(f"can only divide by a scalar, not by a {E.describe(b.shape)}")
        _check_not_zero(b)
        if isinstance(a, E.Number) and isinstance(b, E.Number) and b.value != 0:
            return E.Number(a.value / b.value)      # a literal fraction: \frac{1}{2} = 1/2
        return a / b

    @_located
    def hadamard(self, a, _op, b):
        if a.is_scalar != b.is_scalar and not isinstance(a, E.Number) and \
                not isinstance(b, E.Number):
            return E.mul(a, b)                       # s .* v = s v
        return E.Hadamard(*_broadcast(a, b))

    @_located
    def elementwise_div(self, a, b):
        _check_not_zero(b)
        if b.is_scalar and not a.is_scalar:
            return a / b                             # v ./ s = v / s
        if a.is_scalar and not b.is_scalar and not isinstance(a, E.Number):
            return E.mul(a, E.Power(b, E.Number(-1)))    # s ./ v = s (1 ./ v)
        a, b = _broadcast(a, b)
        return E.Hadamard(a, E.Power(b, E.Number(-1)))

    @_located
    def kron(self, a, _op, b):
        return E.Kron(a, b)

    @_located
    def transpose(self, a, _op):
        """A transposed operand is a vector or a matrix, never a scalar in disguise:
        (x + y)^T x^T is a shape error, not a product of scalars (a symbol written
        transposed is a vector from the start: _transposed_symbols)."""
        if a == E.Number(1):
            return E.Transpose(E.Ones((DimVar(), 1)))
        if a.is_scalar:
            return a
        for d in a.shape:
            exclude_one(d)
        return E.Transpose(a)

    @_located
    def inverse(self, a, _op):
        _check_not_zero(a)
        return E.Power(a, E.Number(-1)) if a.is_scalar else E.Inverse(a)

    @_located
    def inverse_transpose(self, a, _op):
        _check_not_zero(a)
        return E.Power(a, E.Number(-1)) if a.is_scalar else E.Transpose(E.Inverse(a))

    @_located
    def power(self, base, exponent):
        if base == self.symbols.get("e") and "e" not in self.overrides \
                and isinstance(base, E.Symbol):
            return E.Func("exp", exponent)      # e^{-x^T x}: e is Euler's number
        k = exponent.value if isinstance(exponent, E.Number) else None
        if k is not None and k.is_integer and not base.is_scalar:
            k = int(k)
            if abs(k) > MAX_MATRIX_POWER:
                raise UnsupportedError(f"the matrix power ^{k} is too large (at most "
                                       f"^{MAX_MATRIX_POWER} and ^-{MAX_MATRIX_POWER})")
            if k == 1:
                return base
            if k == -1:
                return E.Inverse(base)
            return E.MatPower(base, k)
        if k is not None and k < 0:
            _check_not_zero(base)
        if k is None and not base.is_scalar and exponent.is_scalar and not _force_scalar(base):
            return E.SymbolicPower(base, exponent)      # X^k, k a scalar symbol: an integer
        if not base.is_scalar:
            if not _force_scalar(base):
                raise ShapeError(f"a non-integer power needs a scalar base, not a "
                                 f"{E.describe(base.shape)}; use .^ for an elementwise power")
        return E.Power(base, exponent)

    @_located
    def elementwise_power(self, base, exponent):
        return E.Power(base, exponent)

    @_located
    def circ_power(self, base, _op, exponent):
        """x^{\\circ 2}: the elementwise power, as the LaTeX printer writes it."""
        return E.Power(base, exponent)

    @_located
    def inner(self, _l, a, b, _r):
        return E.Inner(*_broadcast(a, b))

    @_located
    def norm(self, _open, arg, _close, sub=None):
        """||x||_2, ||X||_F, ||x||_1, ||X||_*, ||x||_inf, and ||x||_p for any number p >= 1
        or scalar symbol p (||x||_{2} is ||x||_2)."""
        sub = re.sub(r"[_{}\s]", "", str(sub)) if sub else ""
        if sub in ("inf", "\\infty", "∞"):
            return E.Norm(arg, "inf")
        if sub[:1].isdigit():
            p = sympy.Rational(sub)
            if p < 1:
                raise UnsupportedError(f"||.||_{sub} is no norm: p must be at least 1")
            return E.Norm(arg, str(p)) if p in (1, 2) else E.Norm(arg, order=(E.Number(p),))
        if sub in ("", "F", "*"):
            return E.Norm(arg, sub)
        if sub not in self.symbols:
            self.symbols[sub] = self._new_symbol(sub)
        p = self.symbols[sub]
        if not isinstance(p, E.Symbol) or not _force_scalar(p):
            raise ShapeError(f"the p of ||.||_p must be a scalar symbol, not {sub}")
        return E.Norm(arg, order=(p,))

    @_located
    def abs(self, _open, arg, _close):
        if not arg.is_scalar:
            raise ShapeError(f"|.| is for scalars; use ||.|| for a {E.describe(arg.shape)}")
        return E.Func("abs", arg)

    @_located
    def call(self, name, arg):
        return _build(_function_name(name), arg)

    @_located
    def frechet(self, name, arg, direction):
        """dexpm(X)[E]: the Frechet derivative of expm at X in the direction E."""
        name = functions.canonical_name(_function_name(name))
        if name not in FRECHET:
            raise ParseError(f"{name}(.)[.]: only {', '.join(FRECHET)} take a direction in "
                             "brackets (the Frechet derivative of a matrix function)")
        return E.MatFunc(arg, FRECHET[name], (direction,))

    @_located
    def apply(self, name, arg):
        return _build(_function_name(name), arg)


def _build(name, arg):
    if name == "diag" and arg == E.Number(1):        # diag(1): of the ones vector, I
        return E.Identity(DimVar())
    if name in ("softmax", "logsumexp"):              # softmax(0): of the zero vector
        arg = ones_for(arg, E.Zero((DimVar(), 1)))
    return functions.build(name, arg)


def _number_value(text: str):
    """The exact value of a numeral (12, 1.5, 1e-3); it must lie in the floating-point range
    (ir/numbers.py), not 0 unless written 0, so that it evaluates to what it says."""
    if sum(c.isdigit() for c in text) > MAX_DIGITS:
        raise ParseError(f"a number with more than {MAX_DIGITS} digits")
    magnitude = float(text)           # before the exact value: 1e99999999 is not computed
    if math.isinf(magnitude):
        raise ParseError(f"the number {text} is too large (at most {sys.float_info.max:.4g})")
    if magnitude == 0 and not any(c in "123456789" for c in text.lower().partition("e")[0]):
        return sympy.Integer(0)       # 0e99999999 is 0
    value = sympy.Rational(text) if magnitude else None
    if value is None or not in_float_range(value):
        raise ParseError(f"the number {text} is too small (the smallest floating-point "
                         "number is about 4.9e-324)")
    return value


def _check_not_zero(b):
    if isinstance(b, E.Number) and b.value == 0:
        raise ParseError("division by zero")


def _force_scalar(e):
    """While parsing, make e a scalar if its dimensions are still free."""
    return same_dim(e.shape[0], 1) and same_dim(e.shape[1], 1)


def _broadcast(a, b):
    """A number added to a vector or matrix stands for that number times ones; so does a
    scalar term with a literal factor 1 (``c 1 + x``: the printed form of c times ones)."""
    return ones_for(a, b), ones_for(b, a)


def ones_for(a, other):
    if a.is_scalar and not other.is_scalar:
        if isinstance(a, E.Number):
            return E.mul(a, E.Ones(other.shape)) if a.value != 1 else E.Ones(other.shape)
        if isinstance(a, E.Mul) and E.Number(1) in a.factors:
            i = a.factors.index(E.Number(1))
            return E.Mul((*a.factors[:i], E.Ones(other.shape), *a.factors[i + 1:]))
    return a


def _function_name(tok) -> str:
    """tr from tr, \\tr, \\operatorname{tr}, \\text{tr} or \\mathrm{tr}."""
    m = re.fullmatch(r"\\(?:operatorname|text|mathrm)\{([^{}]*)\}", str(tok))
    return m[1] if m else str(tok).removeprefix("\\")


def _dims_from_spec(name, spec):
    if spec == "scalar":
        return E.SCALAR
    if spec == "vector":
        return (DimVar(False), 1)
    if spec == "matrix":
        return (DimVar(False), DimVar(False))
    if spec == "square":
        n = DimVar(False)
        return (n, n)
    if is_dimension(spec) or is_shape_dimension(spec) and spec != 1:
        return (spec, 1)
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and all(map(is_shape_dimension, spec)):
        return tuple(spec)
    raise MatcalcError(f"shape of {name!r} must be 'scalar', 'vector', 'matrix', 'square', a "
                       f"dimension (a positive integer or a name such as 'n') or a pair of "
                       f"dimensions such as ('m', 'n'), not {spec!r}")


def is_dimension(d) -> bool:
    """A positive integer or a name such as 'n' or 'n_1'."""
    if isinstance(d, bool):
        return False
    if isinstance(d, int):
        return d > 0
    return isinstance(d, str) and d not in SHAPE_WORDS and bool(DIMENSION.match(d))


def is_shape_dimension(d) -> bool:
    """A dimension of a result's shape: 1, or a dimension, or a product such as 'm*n'."""
    return d == 1 and not isinstance(d, bool) or is_dimension(d) or \
        isinstance(d, str) and all(is_dimension(p) or POSITIVE.match(p) for p in d.split("*"))

"""Text -> Expr: the Lark grammar (language/matcalc.lark) and a Transformer.

Shapes are inferred while the tree is built: unknown dimensions are unified
(shapes.Unifier), then named (n, m, k, ...) and the tree is rebuilt with them.

Limits: the tree is built without Python recursion, and an expression nested
deeper than MAX_DEPTH (functions of functions, transposes of transposes, ...)
is refused with a ParseError, so that no later stage runs out of stack.
Parentheses and long sums or products cost no depth: ``((((x))))`` is ``x``.
Input longer than MAX_LENGTH characters or with more than MAX_NODES operations
is refused too, before any work is done on it.
"""
from __future__ import annotations

import difflib
import math
import re
import sys
import unicodedata
from functools import cache
from importlib import resources

import sympy
from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError
from lark.visitors import Transformer_NonRecursive

from ..ir import expr as E
from .. import arguments
from ..catalogue import functions
from ..errors import MatcalcError, ParseError, ShapeError, UnknownFunctionError, UnsupportedError
from ..ir.shapes import (DimProduct, DimVar, Unifier, dim_product, exclude_one, name_dims,
                         require, resolve, same_dim, unifying)

GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi",
         "Pi", "Sigma", "Phi", "Psi", "Omega"]
GREEK_UNICODE = dict(zip("αβγδεζηθικλμνξρστυφχψωΓΔΘΛΞΠΣΦΨΩ",
                         ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
                          "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
                          "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
                          "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"]))

SHAPE_WORDS = {"scalar", "vector", "matrix", "square"}

OPERATOR_WORDS = {"kron"}     # words of the grammar that are no functions: A kron (B + C)

MAX_LENGTH = 20_000       # characters
MAX_DIGITS = 400          # in one number (any finite floating-point number prints in fewer)
MAX_DEPTH = 100           # nesting of the expression tree (not of parentheses)
MAX_NODES = 2_000         # operations and symbols in the whole expression
MAX_MATRIX_POWER = 100    # |k| in X^k: d(X^k) has k terms
DIMENSION = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
POSITIVE = re.compile(r"[1-9][0-9]*\Z")


def _alternation(words):
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


def _function_pattern(names):
    alt = _alternation(names)
    return rf"\\(?:operatorname|text|mathrm)\{{(?:{alt})\}}|\\?(?:{alt})"


def _grammar() -> str:
    text = resources.files("matcalc").joinpath("language/matcalc.lark").read_text("utf-8")
    names = functions.all_names()
    greek = _alternation(GREEK)
    return text + "\n".join([
        "",
        f"FUNCCALL.4: /(?:{_function_pattern(names)})(?=\\s*(?:\\\\left)?\\s*\\()/",
        f"FUNC.3: /{_function_pattern(n for n in names if n not in GREEK)}/",
        f"GREEK.3: /\\\\?(?:{greek})|[{''.join(GREEK_UNICODE)}]/",
    ]) + "\n"


OPERAND_END = {"SYMBOL", "GREEK", "NUMBER", "RPAR", "RBRACE", "RANGLE", "TRANSPOSE", "INVERSE",
               "INVERSE_T", "NORM_CLOSE", "NORM_SUB", "ABS_CLOSE"}


class BarLexer:
    """Tells an opening bar of ||x|| or |t| from a closing one; then puts a norm's
    subscript before its exponent (_subscript_first).

    A bar closes the innermost open bar of its kind when it follows an operand
    and stands at the same bracket depth as that bar (``|a + f(b |c|)|``);
    ``||`` after ``|a + |b`` closes both absolute values.
    """

    always_accept = ("BAR1", "BAR2")

    def process(self, stream):
        return _subscript_first(self.bars(stream))

    def bars(self, stream):
        open_bars, previous, depth = [], None, 0     # open_bars: (kind, depth)
        for tok in stream:
            closable = previous in OPERAND_END
            if tok.type == "BAR2" and str(tok) == "||" and closable and \
                    open_bars[-2:] == [("ABS", depth)] * 2:      # |a + |b||: two closing bars
                for _ in range(2):
                    open_bars.pop()
                    yield Token.new_borrow_pos("ABS_CLOSE", "|", tok)
                previous = "ABS_CLOSE"
                continue
            if tok.type in ("BAR1", "BAR2"):
                kind = "NORM" if tok.type == "BAR2" else "ABS"
                closing = closable and bool(open_bars) and open_bars[-1] == (kind, depth)
                if closing:
                    open_bars.pop()
                else:
                    open_bars.append((kind, depth))
                tok = Token.new_borrow_pos(f"{kind}_{'CLOSE' if closing else 'OPEN'}", tok, tok)
            else:
                value = str(tok)
                depth += value.count("(") + value.count("{") - value.count(")") - \
                    value.count("}") + (tok.type == "LANGLE") - (tok.type == "RANGLE")
            previous = tok.type
            yield tok


def _subscript_first(stream):
    """A norm's subscript written after its exponent, as LaTeX allows (\\|x\\|^2_2 or
    \\|x\\|^{2}_{2}), moves before it; the exponent is one token or a group in braces."""
    held, depth, previous = [], 0, None      # held: '^' and the exponent after a norm
    for tok in stream:
        if held and (len(held) == 1 or depth):
            held.append(tok)
            depth += (tok.type == "LBRACE") - (tok.type == "RBRACE")
            if len(held) == 2 and tok.type not in ("NUMBER", "SYMBOL", "GREEK", "LBRACE"):
                yield from held
                held, previous = [], tok.type
            continue
        if held:
            if tok.type == "NORM_SUB":
                yield tok
            yield from held
            held, previous = [], held[-1].type
            if tok.type == "NORM_SUB":
                continue
        if previous == "NORM_CLOSE" and tok.type == "CIRCUMFLEX":
            held = [tok]
        else:
            yield tok
        previous = tok.type
    yield from held


@cache
def _lark() -> Lark:
    return Lark(_grammar(), parser="lalr", postlex=BarLexer(), propagate_positions=True,
                maybe_placeholders=False)


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
        name = _symbol_name(str(tok))
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
        if name in GREEK and name[0].islower():
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
                E.in_float_range(product := a.value * b.value):
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
        return E.Norm(arg, re.sub(r"[_{}\s]", "", str(sub)) if sub else "")

    @_located
    def abs(self, _open, arg, _close):
        if not arg.is_scalar:
            raise ShapeError(f"|.| is for scalars; use ||.|| for a {E.describe(arg.shape)}")
        return E.Func("abs", arg)

    @_located
    def call(self, name, arg):
        return _build(_function_name(name), arg)

    @_located
    def apply(self, name, arg):
        return _build(_function_name(name), arg)


def _build(name, arg):
    if name == "diag" and arg == E.Number(1):        # diag(1): of the ones vector, I
        return E.Identity(DimVar())
    if name in ("softmax", "logsumexp"):              # softmax(0): of the zero vector
        arg = _ones_for(arg, E.Zero((DimVar(), 1)))
    return functions.build(name, arg)


def _number_value(text: str):
    """The exact value of a numeral (12, 1.5, 1e-3); it must lie in the floating-point range
    (expr.in_float_range), not 0 unless written 0, so that it evaluates to what it says."""
    if sum(c.isdigit() for c in text) > MAX_DIGITS:
        raise ParseError(f"a number with more than {MAX_DIGITS} digits")
    magnitude = float(text)           # before the exact value: 1e99999999 is not computed
    if math.isinf(magnitude):
        raise ParseError(f"the number {text} is too large (at most {sys.float_info.max:.4g})")
    if magnitude == 0 and not any(c in "123456789" for c in text.lower().partition("e")[0]):
        return sympy.Integer(0)       # 0e99999999 is 0
    value = sympy.Rational(text) if magnitude else None
    if value is None or not E.in_float_range(value):
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
    return _ones_for(a, b), _ones_for(b, a)


def _ones_for(a, other):
    if a.is_scalar and not other.is_scalar:
        if isinstance(a, E.Number):
            return E.mul(a, E.Ones(other.shape)) if a.value != 1 else E.Ones(other.shape)
        if isinstance(a, E.Mul) and E.Number(1) in a.factors:
            i = a.factors.index(E.Number(1))
            return E.Mul((*a.factors[:i], E.Ones(other.shape), *a.factors[i + 1:]))
    return a


def _symbol_name(tok: str) -> str:
    tok = tok.lstrip("\\")
    if tok in GREEK_UNICODE:
        return GREEK_UNICODE[tok]
    m = re.fullmatch(r"([A-Za-z])_\{?([A-Za-z0-9]+)\}?", tok)
    return f"{m[1]}_{m[2]}" if m else tok


def _function_name(tok) -> str:
    """tr from tr, \\tr, \\operatorname{tr}, \\text{tr} or \\mathrm{tr}."""
    m = re.fullmatch(r"\\(?:operatorname|text|mathrm)\{(.*)\}", str(tok))
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
    if _is_dimension(spec) or _is_shape_dimension(spec) and spec != 1:
        return (spec, 1)
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and all(map(_is_shape_dimension, spec)):
        return tuple(spec)
    raise MatcalcError(f"shape of {name!r} must be 'scalar', 'vector', 'matrix', 'square', a "
                       f"dimension (a positive integer or a name such as 'n') or a pair of "
                       f"dimensions such as ('m', 'n'), not {spec!r}")


def _is_dimension(d) -> bool:
    """A positive integer or a name such as 'n' or 'n_1'."""
    if isinstance(d, bool):
        return False
    if isinstance(d, int):
        return d > 0
    return isinstance(d, str) and d not in SHAPE_WORDS and bool(DIMENSION.match(d))


def _is_shape_dimension(d) -> bool:
    """A dimension of a result's shape: 1, or a dimension, or a product such as 'm*n'."""
    return d == 1 and not isinstance(d, bool) or _is_dimension(d) or \
        isinstance(d, str) and all(_is_dimension(p) or POSITIVE.match(p) for p in d.split("*"))


def _check_digits(text):
    """Digits are 0-9: another digit (Arabic-Indic, fullwidth, superscript other than in
    the inverse ⁻¹) is refused, with what to write instead, wherever it stands."""
    for m in re.finditer(r"[^\x00-\x7f]", text):
        char = m[0]
        if unicodedata.digit(char, None) is None or text[m.start() - 1:m.end()] == "⁻¹":
            continue
        name, digit = unicodedata.name(char, ""), unicodedata.digit(char)
        instead = f"^{digit}" if "SUPERSCRIPT" in name else \
            f"_{digit}" if "SUBSCRIPT" in name else str(digit)
        raise ParseError(f"the digit {char!r} is not one of 0-9; write {instead}", text,
                         *_position(text, m.start()))


def _check_unknown_functions(text):
    """Words that look like a function but are none, with the closest known name.

    Refused: a word of 3+ lowercase letters (and digits) before '(' that is no
    known name (``lgo(x)``, ``sinh(x)``, ``log2(x)``); a capitalized known name
    before '(' (``Tr(X)``); an unknown ``\\operatorname{...}``; a word of 4+
    letters close to a known name that does not start with one (``trace`` is
    known, ``tarce X`` is refused, ``trAX`` and ``logx`` are fine). A word in
    braces is a word (``\\frac{lgo(x)}{2}``), but for a subscript (``x_{ab}``).
    """
    known = set(functions.all_names()) | set(GREEK) | OPERATOR_WORDS
    for m in re.finditer(r"\\(?:operatorname|text|mathrm)\s*\{\s*([^{}]*?)\s*\}", text):
        if m[1] not in known and not re.fullmatch(r"[A-Za-z]", m[1]):
            _unknown(m[1], known, text, m.start(1))
    for m in re.finditer(r"(?<![A-Za-z0-9\\_])(?<!_\{)([A-Za-z]{2,}[0-9]*)(\s*\()?", text):
        word, call = m[1], bool(m[2])
        if word in known:
            continue
        if call and word.lower() in known:
            _unknown(word, known, text, m.start(1), hint=word.lower())
        if not word.islower():
            continue
        if call and len(word) >= 3:
            _unknown(word, known, text, m.start(1))
        if not call and len(word) >= 4 and not any(word.startswith(k) for k in known):
            close = difflib.get_close_matches(word, sorted(known), n=1)
            if close:
                _unknown(word, known, text, m.start(1), hint=close[0])


def _unknown(word, known, text, offset, hint=None):
    hint = hint or next(iter(difflib.get_close_matches(word, sorted(known), n=1)), None)
    line, column = _position(text, offset)
    raise UnknownFunctionError(f"unknown function '{word}'"
                               + (f"; did you mean '{hint}'?" if hint else ""), text, line, column)


def _position(text, offset):
    """(line, column), both from 1, of an offset into text."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def parse(text: str, shapes: dict | None = None, shape: tuple | None = None) -> E.Expr:
    """Parse text in the input language into an expression with resolved shapes.

    ``shape``, if given, is the shape the whole expression must have (it sizes an
    ``I`` or ``1`` that nothing else sizes, as in an answer ``I`` to be checked; a
    lone number such as ``0`` is then that number in every entry).
    """
    if not isinstance(text, str):
        raise MatcalcError(f"expected the expression as a string, got {type(text).__name__}")
    shapes = arguments.shapes(shapes)
    if shape is not None and not (isinstance(shape, (tuple, list)) and len(shape) == 2
                                  and all(map(_is_shape_dimension, shape))):
        raise MatcalcError(f"shape must be a pair of dimensions such as ('n', 1), not {shape!r}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is too long ({len(text)} characters; at most "
                         f"{MAX_LENGTH})")
    _check_digits(text)
    _check_unknown_functions(text)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _parse_error(err, text) from None
    if _size(tree) > MAX_NODES:
        raise ParseError(f"the expression is too large (more than {MAX_NODES} operations "
                         "and symbols)")
    unifier = Unifier()
    dimensions = _dimension_names([*shapes.values(), shape or ()])
    builder = Builder(shapes, text, _transposed_symbols(tree), dimensions)
    try:
        with unifying(unifier):
            raw = builder.transform(tree)
            if shape is not None:
                if raw.is_scalar and tuple(shape) != E.SCALAR:
                    raw = E.Zero(tuple(shape)) if raw == E.Number(0) else \
                        _ones_for(raw, E.Zero(tuple(shape)))
                require(all(unifier.unify(a, b) for a, b in zip(raw.shape, shape)),
                        "the expression is a {} where a {} is expected", raw.shape, shape)
            raw = _name_dimensions(raw, unifier, dimensions | set(builder.symbols))
    except VisitError as err:
        raise err.orig_exc from None
    return raw


SAME_SHAPE = {"add", "sub", "neg", "hadamard", "elementwise_div"}    # as their operands


def _transposed_symbols(tree) -> frozenset:
    """Names of the symbols that have the shape of a transposed operand (x in x^T, (x)',
    (x + y)^T, (2 x)^T, (x / t)^T): vectors, wherever they stand (x x x^T as well as x^T x x)."""
    names, stack = set(), [t.children[0] for t in tree.iter_subtrees() if t.data == "transpose"]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        if node.data == "symbol":
            names.add(_symbol_name(str(node.children[0])))
        elif node.data in SAME_SHAPE or node.data == "mul" and any(
                isinstance(c, Tree) and c.data == "number" for c in node.children):
            stack.extend(node.children)
        elif node.data == "div":
            stack.append(node.children[0])
    return frozenset(names)


def _size(tree) -> int:
    """Number of rule nodes (operations, symbols, numbers) of a Lark tree, without recursion."""
    count, stack = 0, [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            count += 1
            stack.extend(node.children)
    return count


def _dimension_names(specs) -> frozenset:
    """The names of the dimensions in shape specs: 'n', ('m', 'n'), 'm*n'."""
    return frozenset(part for spec in specs if isinstance(spec, (tuple, list, str))
                     for d in ((spec,) if isinstance(spec, str) else spec) if isinstance(d, str)
                     for part in d.split("*") if _is_dimension(part))


def _name_dimensions(e, unifier, taken):
    """Replace unresolved dimensions by readable names other than those taken (the
    dimensions of the shapes given and the symbols' names: a printed dimension must not
    read as a symbol), then rebuild strictly."""
    dims = [unifier.find(d) for node in _preorder(e) for d in node.shape]
    names = name_dims(dims, taken)

    def final(d):
        d = unifier.find(d)
        if isinstance(d, DimProduct):       # m*n, once its factors have names
            return dim_product(*(names.get(f, f) for f in d.factors))
        return names.get(d, d)
    return _rebuild(e, final)


def _preorder(e):
    """Every node of e, parents first (as expr.walk, without recursion)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _rebuild(e, final):
    with unifying(None):
        return _rebuild_strict(e, final, {})


def _rebuild_strict(e, final, memo):
    """e with final dimensions, children first (without recursion)."""
    stack = [e]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        todo = [c for c in node.children if c not in memo]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        match node:
            case E.Symbol(name, dims):
                out = E.Symbol(name, tuple(final(d) for d in dims))
            case E.Identity(n):         # I of size 1 (as in x^T I) is the number 1
                out = E.Number(1) if final(n) == 1 else E.Identity(final(n))
            case E.Ones(dims) if all(final(d) == 1 for d in dims):
                out = E.Number(1)
            case E.Zero(dims) | E.Ones(dims):
                out = type(node)(tuple(final(d) for d in dims))
            case E.Transpose(arg) if memo[arg].is_scalar:     # 1^T of a scalar: the scalar
                out = memo[arg]
            case E.Mul(factors) if all(isinstance(memo[f], E.Number) for f in factors) and \
                    E.in_float_range(product := sympy.Mul(*(memo[f].value for f in factors))):
                out = E.Number(product)
            case E.Mul(factors) if any(memo[f] == E.Number(1) for f in factors):
                out = E.mul(*(memo[f] for f in factors if memo[f] != E.Number(1)))
            case _:
                out = node.with_children([memo[c] for c in node.children])
        memo[node] = out
    return memo[e]


TOKEN_NAMES = {"RPAR": "')'", "LPAR": "'('", "RBRACE": "'}'", "COMMA": "','", "RANGLE": "'>'",
               "NORM_CLOSE": "'||'", "ABS_CLOSE": "'|'", "SYMBOL": "a symbol",
               "NUMBER": "a number", "PLUS": "'+'", "MINUS": "'-'", "$END": "the end"}


def _parse_error(err: UnexpectedInput, text: str) -> ParseError:
    if isinstance(err, UnexpectedEOF) or getattr(err, "token", None) is not None and \
            getattr(err.token, "type", "") == "$END":
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
        return ParseError("the expression ends too early", text, line, column)
    line, column = err.line, err.column
    if isinstance(err, UnexpectedCharacters):
        command = re.match(r"\\[A-Za-z]+", text[err.pos_in_stream:])
        if command:
            return ParseError(f"unknown LaTeX command '{command[0]}'", text, line, column)
        char = text[err.pos_in_stream]
        if char == "." and text[err.pos_in_stream - 1:err.pos_in_stream].isdigit():
            return ParseError("a number cannot end with '.' (write 2 or 2.0; .* ./ .^ are "
                              "elementwise operators)", text, line, column)
        what = f"unexpected character {char!r}"
    else:
        what = f"unexpected {str(err.token)!r}"
    expected = sorted({TOKEN_NAMES.get(t) for t in getattr(err, "expected", ()) or ()} - {None})
    if expected and len(expected) <= 5:
        what += f"; expected {' or '.join(expected)}"
    return ParseError(what, text, line, column)

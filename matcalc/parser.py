"""Text -> Expr: the Lark grammar (grammar/matcalc.lark) and a Transformer.

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
import re
from functools import cache
from importlib import resources

import sympy
from lark import Lark, Token, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError
from lark.visitors import Transformer_NonRecursive

from . import expr as E
from . import functions
from .errors import MatcalcError, ParseError, ShapeError, UnknownFunctionError, UnsupportedError
from .shapes import DimVar, Unifier, is_scalar, name_dims, require, resolve, unifying

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

MAX_LENGTH = 100_000      # characters
MAX_DEPTH = 100           # nesting of the expression tree (not of parentheses)
MAX_NODES = 1_000         # operations and operands in the whole expression
MAX_MATRIX_POWER = 100    # |k| in X^k: d(X^k) has k terms
DIMENSION = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _alternation(words):
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


def _function_pattern(names):
    alt = _alternation(names)
    return rf"\\(?:operatorname|text|mathrm)\{{(?:{alt})\}}|\\?(?:{alt})"


def _grammar() -> str:
    text = resources.files("matcalc").joinpath("grammar/matcalc.lark").read_text("utf-8")
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
    """Tells an opening bar of ||x|| or |t| from a closing one by the token before it."""

    always_accept = ("BAR1", "BAR2")

    def process(self, stream):
        open_bars, previous = [], None
        for tok in stream:
            if tok.type in ("BAR1", "BAR2"):
                kind = "NORM" if tok.type == "BAR2" else "ABS"
                closing = bool(open_bars) and open_bars[-1] == kind and previous in OPERAND_END
                if closing:
                    open_bars.pop()
                else:
                    open_bars.append(kind)
                tok = Token.new_borrow_pos(f"{kind}_{'CLOSE' if closing else 'OPEN'}", tok, tok)
            previous = tok.type
            yield tok


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

    def __init__(self, shapes: dict, text: str = ""):
        super().__init__()
        self.overrides = shapes
        self.text = text
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
        numerator, _, denominator = str(tok).partition("/")
        if denominator and sympy.Integer(denominator) == 0:
            raise ParseError(f"division by zero in {tok}")
        return E.Number(sympy.Rational(str(tok)))

    @_located
    def symbol(self, tok):
        name = _symbol_name(str(tok))
        if name not in self.symbols:
            self.symbols[name] = self._new_symbol(name)
        return self.symbols[name] if name != "I" or "I" in self.overrides else E.Identity(DimVar())

    def _new_symbol(self, name):
        if name in self.overrides:
            return E.Symbol(name, _dims_from_spec(name, self.overrides[name]))
        if name == "I":
            return None
        if name in GREEK and name[0].islower():
            return E.Symbol(name, E.SCALAR)
        if name[0].isupper():
            return E.Symbol(name, (DimVar(False), DimVar(False)))
        return E.Symbol(name, (DimVar(), 1))

    # operators
    @_located
    def add(self, a, b):
        return E.add(*_broadcast(a, b))

    @_located
    def sub(self, a, b):
        a, b = _broadcast(a, b)
        return E.add(a, -b)

    @_located
    def neg(self, a):
        if isinstance(a, E.Number):
            return E.Number(-a.value)
        if isinstance(a, E.Mul) and isinstance(a.factors[0], E.Number):   # -(-x) is x
            c = -a.factors[0].value
            return E.mul(*a.factors[1:]) if c == 1 else E.Mul((E.Number(c), *a.factors[1:]))
        return -a

    @_located
    def mul(self, a, b):
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
        return E.Hadamard(*_broadcast(a, b))

    @_located
    def elementwise_div(self, a, b):
        _check_not_zero(b)
        a, b = _broadcast(a, b)
        return E.Hadamard(a, E.Power(b, E.Number(-1)))

    @_located
    def kron(self, a, _op, b):
        return E.Kron(a, b)

    @_located
    def transpose(self, a, _op):
        if a == E.Number(1):
            return E.Transpose(E.Ones((DimVar(), 1)))
        return a if a.is_scalar else E.Transpose(a)

    @_located
    def inverse(self, a, _op):
        return E.Power(a, E.Number(-1)) if a.is_scalar else E.Inverse(a)

    @_located
    def inverse_transpose(self, a, _op):
        return E.Transpose(E.Inverse(a))

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
        if not base.is_scalar:
            if not _force_scalar(base):
                raise ShapeError(f"a non-integer power needs a scalar base, not a "
                                 f"{E.describe(base.shape)}; use .^ for an elementwise power")
        return E.Power(base, exponent)

    @_located
    def elementwise_power(self, base, exponent):
        return E.Power(base, exponent)

    @_located
    def inner(self, _l, a, b, _r):
        return E.Inner(a, b)

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
        return functions.build(_function_name(name), arg)

    @_located
    def apply(self, name, arg):
        return functions.build(_function_name(name), arg)


def _check_not_zero(b):
    if isinstance(b, E.Number) and b.value == 0:
        raise ParseError("division by zero")


def _force_scalar(e):
    """While parsing, make e a scalar if its dimensions are still free."""
    from .shapes import same_dim
    return same_dim(e.shape[0], 1) and same_dim(e.shape[1], 1)


def _broadcast(a, b):
    """A number added to a vector or matrix stands for that number times ones."""
    if isinstance(a, E.Number) and not b.is_scalar:
        a = E.mul(a, E.Ones(b.shape)) if a.value != 1 else E.Ones(b.shape)
    if isinstance(b, E.Number) and not a.is_scalar:
        b = E.mul(b, E.Ones(a.shape)) if b.value != 1 else E.Ones(a.shape)
    return a, b


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
        return (DimVar(), 1)
    if spec == "matrix":
        return (DimVar(False), DimVar(False))
    if spec == "square":
        n = DimVar(False)
        return (n, n)
    if _is_dimension(spec):
        return (spec, 1)
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and all(map(_is_dimension, spec)):
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


def _check_shapes(shapes) -> dict:
    if shapes is None:
        return {}
    if not isinstance(shapes, dict):
        raise MatcalcError("shapes must be a dict from symbol names to shapes, such as "
                           f"{{'t': 'scalar', 'A': ('m', 'n')}}, not {type(shapes).__name__}")
    for name in shapes:
        if not isinstance(name, str):
            raise MatcalcError(f"shapes: a symbol name must be a string, not {name!r}")
    return dict(shapes)


def _check_unknown_functions(text):
    """Words that look like a function but are none, with the closest known name.

    Refused: a word of 3+ lowercase letters (and digits) before '(' that is no
    known name (``lgo(x)``, ``sinh(x)``, ``log2(x)``); a capitalized known name
    before '(' (``Tr(X)``); an unknown ``\\operatorname{...}``; a word of 4+
    letters close to a known name that does not start with one (``trace`` is
    known, ``tarce X`` is refused, ``trAX`` and ``logx`` are fine).
    """
    known = set(functions.all_names()) | set(GREEK)
    for m in re.finditer(r"\\(?:operatorname|text|mathrm)\s*\{\s*([^{}]*?)\s*\}", text):
        if m[1] not in known and not re.fullmatch(r"[A-Za-z]", m[1]):
            _unknown(m[1], known, text, m.start(1))
    for m in re.finditer(r"(?<![A-Za-z0-9\\_{])([A-Za-z]{2,}[0-9]*)(\s*\()?", text):
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
    ``I`` or ``1`` that nothing else sizes, as in an answer ``I`` to be checked).
    """
    if not isinstance(text, str):
        raise MatcalcError(f"expected the expression as a string, got {type(text).__name__}")
    shapes = _check_shapes(shapes)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is too long ({len(text)} characters; at most "
                         f"{MAX_LENGTH})")
    _check_unknown_functions(text)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _parse_error(err, text) from None
    if _size(tree) > MAX_NODES:
        raise ParseError(f"the expression is too large (more than {MAX_NODES} operations "
                         "and operands)")
    unifier = Unifier()
    builder = Builder(shapes, text)
    try:
        with unifying(unifier):
            raw = builder.transform(tree)
            if shape is not None:
                require(all(unifier.unify(a, b) for a, b in zip(raw.shape, shape)),
                        "the expression is a {} where a {} is expected", raw.shape, shape)
            raw = _name_dimensions(raw, unifier, shapes)
    except VisitError as err:
        raise err.orig_exc from None
    return raw


def _size(tree) -> int:
    """Number of nodes and tokens of a Lark tree, without recursion."""
    count, stack = 0, [tree]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(getattr(node, "children", ()))
    return count


def _name_dimensions(e, unifier, shapes):
    """Replace unresolved dimensions by readable names, then rebuild strictly."""
    taken = {d for spec in shapes.values() if isinstance(spec, (tuple, list, str))
             for d in ((spec,) if isinstance(spec, str) else spec)}
    dims = [unifier.find(d) for node in _preorder(e) for d in node.shape]
    names = name_dims(dims, taken)
    final = lambda d: names.get(unifier.find(d), unifier.find(d))
    return _rebuild(e, final)


def _preorder(e):
    """Every node of e, parents first (as expr.walk, without recursion)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _rebuild(e, final):
    from .shapes import _active
    token = _active.set(None)
    try:
        return _rebuild_strict(e, final, {})
    finally:
        _active.reset(token)


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
            case E.Identity(n):
                out = E.Identity(final(n))
            case E.Zero(dims) | E.Ones(dims):
                out = type(node)(tuple(final(d) for d in dims))
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
        line, column = text.count("\n") + 1, len(text.splitlines()[-1] if text else "") + 1
        return ParseError("the expression ends too early", text, line, column)
    line, column = err.line, err.column
    if isinstance(err, UnexpectedCharacters):
        what = f"unexpected character {text[err.pos_in_stream]!r}"
    else:
        what = f"unexpected {str(err.token)!r}"
    expected = sorted({TOKEN_NAMES.get(t) for t in getattr(err, "expected", ()) or ()} - {None})
    if expected and len(expected) <= 5:
        what += f"; expected {' or '.join(expected)}"
    return ParseError(what, text, line, column)

"""Text -> Expr: the Lark grammar (grammar/matcalc.lark) and a Transformer.

Shapes are inferred while the tree is built: unknown dimensions are unified
(shapes.Unifier), then named (n, m, k, ...) and the tree is rebuilt with them.
"""
from __future__ import annotations

import difflib
import re
from functools import cache
from importlib import resources

import sympy
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from . import expr as E
from . import functions
from .errors import MatcalcError, ParseError, ShapeError, UnknownFunctionError
from .shapes import DimVar, Unifier, is_scalar, name_dims, resolve, unifying

GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi",
         "Pi", "Sigma", "Phi", "Psi", "Omega"]
GREEK_UNICODE = dict(zip("αβγδεζηθικλμνξρστυφχψωΓΔΘΛΞΠΣΦΨΩ",
                         ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
                          "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
                          "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
                          "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"]))

SHAPE_WORDS = {"scalar", "vector", "matrix"}


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
    """Attach the text position to shape errors raised while building a node."""
    def wrapper(self, meta, *args):
        try:
            return method(self, *args)
        except ShapeError as err:
            if getattr(err, "column", None) is None and not getattr(meta, "empty", True):
                err.line, err.column = meta.line, meta.column
            raise
    wrapper.__name__ = method.__name__
    return v_args(meta=True, inline=True)(wrapper)


class Builder(Transformer):
    """Builds Expr nodes; methods are named after the grammar's rule aliases."""

    def __init__(self, shapes: dict):
        super().__init__()
        self.overrides = shapes
        self.symbols: dict[str, E.Expr] = {}

    # leaves
    @_located
    def number(self, tok):
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
        return E.Number(-a.value) if isinstance(a, E.Number) else -a

    @_located
    def mul(self, a, b):
        return E.mul(a, b)

    @_located
    def div(self, a, b):
        if not b.is_scalar:
            raise ShapeError(f"can only divide by a scalar, not by a {E.describe(b.shape)}")
        if isinstance(a, E.Number) and isinstance(b, E.Number) and b.value != 0:
            return E.Number(a.value / b.value)      # a literal fraction: \frac{1}{2} = 1/2
        return a / b

    @_located
    def hadamard(self, a, _op, b):
        return E.Hadamard(*_broadcast(a, b))

    @_located
    def elementwise_div(self, a, b):
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
    if isinstance(spec, (str, int)):
        return (spec, 1)
    if isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(d, (str, int)) for d in spec):
        return spec
    raise MatcalcError(f"shape of {name!r} must be 'scalar', 'vector', 'matrix', a dimension "
                       f"or a pair of dimensions, not {spec!r}")


def _check_unknown_functions(text):
    """A word that is no known name: before '(' (3+ letters), or close to one (4+ letters)."""
    known = set(functions.all_names()) | set(GREEK)
    for m in re.finditer(r"(?<![A-Za-z\\_])([a-z]{3,})(\s*\()?", text):
        word = m[1]
        if word in known or any(word.startswith(k) for k in known):
            continue
        close = difflib.get_close_matches(word, sorted(known), n=1)
        if m[2] or close and len(word) >= 4:
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UnknownFunctionError(f"unknown function '{word}'{hint}", text, 1,
                                       m.start(1) + 1)


def parse(text: str, shapes: dict | None = None) -> E.Expr:
    """Parse text in the input language into an expression with resolved shapes."""
    if not isinstance(text, str):
        raise MatcalcError(f"expected the expression as a string, got {type(text).__name__}")
    shapes = dict(shapes or {})
    _check_unknown_functions(text)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        raise _parse_error(err, text) from None
    unifier = Unifier()
    builder = Builder(shapes)
    try:
        with unifying(unifier):
            raw = builder.transform(tree)
            raw = _name_dimensions(raw, unifier, shapes)
    except VisitError as err:
        inner = err.orig_exc
        if isinstance(inner, ShapeError) and getattr(inner, "column", None):
            raise ShapeError(f"{inner}" + _caret_line(text, inner.line, inner.column)) from None
        if isinstance(inner, MatcalcError):
            raise inner from None
        raise
    return raw


def _name_dimensions(e, unifier, shapes):
    """Replace unresolved dimensions by readable names, then rebuild strictly."""
    taken = {d for spec in shapes.values() if isinstance(spec, tuple) for d in spec}
    dims = [unifier.find(d) for d in E.dims_of(e)]
    names = name_dims(dims, taken)
    final = lambda d: names.get(unifier.find(d), unifier.find(d))
    return _rebuild(e, final)


def _rebuild(e, final):
    from .shapes import _active
    token = _active.set(None)
    try:
        return _rebuild_strict(e, final, {})
    finally:
        _active.reset(token)


def _rebuild_strict(e, final, memo):
    if e in memo:
        return memo[e]
    match e:
        case E.Symbol(name, dims):
            out = E.Symbol(name, tuple(final(d) for d in dims))
        case E.Identity(n):
            out = E.Identity(final(n))
        case E.Zero(dims) | E.Ones(dims):
            out = type(e)(tuple(final(d) for d in dims))
        case _:
            out = e.with_children([_rebuild_strict(c, final, memo) for c in e.children])
    memo[e] = out
    return out


def _caret_line(text, line, column):
    from .errors import _caret
    return _caret(text, line, column)


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

"""Printers: plain text in the input language (re-parseable) and LaTeX.

Both read the expression tree with the same layout logic (signs, fractions,
precedence); only the spelling differs.
"""
from __future__ import annotations

import re
from functools import singledispatchmethod
from typing import Callable

from ..ir import expr as E
from ..ir.traverse import free_symbols
from ..ir.numbers import in_float_range
from ..catalogue.functions import all_names, latex_name
from ..catalogue.structural import operator, structural_of
from ..ir.constants import constant_form, constant_value, ones_of, times
from ..language.lexer import GREEK
from ..lazy import sympy

SUM, PRODUCT, JUXT, POSTFIX, ATOM = range(5)

DIFFERENTIAL = re.compile(r"d(?:\\[A-Za-z]+|[A-Za-z])(?:_\{[^{}]*\})*")   # LaTeX of dX, dX_{1}

# text ending in a symbol that is also a function's name (sigma): a parenthesis after it is a call
ENDS_IN_FUNCTION_NAME = re.compile(
    rf"(?<![A-Za-z])\\?(?:{'|'.join(n for n in GREEK if n in all_names())})\Z")


def split_sign(e: E.Expr) -> tuple[bool, E.Expr]:
    """(negative?, |e|) for a term whose leading number is negative."""
    if isinstance(e, E.Number) and e.value < 0:
        return True, E.Number(-e.value)
    if isinstance(e, E.Mul):
        for i, f in enumerate(e.factors):
            if isinstance(f, E.Number) and f.value < 0:
                rest = list(e.factors)
                if f.value == -1:
                    del rest[i]
                else:
                    rest[i] = E.Number(-f.value)
                return True, (rest[0] if len(rest) == 1 else E.Mul(tuple(rest)))
    return False, e


def fraction_parts(e: E.Mul):
    """(coefficient, numerator factors, denominator factors) of a product; scalars first.
    Numbers whose product would leave the floating-point range stay factors."""
    coef, num, den, chain = sympy.Integer(1), [], [], []
    for f in e.factors:
        if isinstance(f, E.Number) and in_float_range(coef * f.value):
            coef *= f.value
        elif isinstance(f, E.Power) and f.base.is_scalar and isinstance(f.exponent, E.Number) \
                and f.exponent.value < 0:
            den.append(f.base if f.exponent.value == -1
                       else E.Power(f.base, E.Number(-f.exponent.value)))
        elif f.is_scalar:
            num.append(f)
        else:
            chain.append(f)
    return coef, num + chain, den


def decimal(v) -> str | None:
    """A fraction p/q written as the decimal it is, when q = 2^a 5^b and the decimal is the
    shorter (1.7, 0.044715, not 17/10, 8943/200000; 1/2 and 3/4 stay fractions): numbers
    as users write them. The numeral reads back as the same exact value."""
    if not isinstance(v, sympy.Rational) or v.q == 1:
        return None
    q, twos, fives = v.q, 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1:
        return None
    places = max(twos, fives)
    digits = str(abs(v.p) * 10 ** places // v.q).rjust(places + 1, "0")
    point = ("-" if v.p < 0 else "") + digits[:-places] + "." + digits[-places:]
    return point if len(point) < len(f"{v.p}/{v.q}") else None


class Printer:
    """Layout shared by the text and LaTeX printers.

    A dimension as a scalar, tr(I_n), prints as its name n when a symbol of the printed
    expression or of its context (the function a derivative is of) has that dimension: the
    parser reads the name of a dimension of the shapes given as that size. Otherwise it
    prints as tr(I), whose size no text carries.
    """
    # What each printer spells its own way (TextPrinter, LatexPrinter):
    transpose: str
    inverse: str
    inverse_transpose: str
    hadamard: str
    kron: str
    ediv: str
    infinity: str
    frechet: Callable[[str, str, str], str]
    lparen: str
    symbol: Callable[[str], str]
    differential: Callable[[str, int], str]
    number: Callable[[object], str]
    rational: Callable[[int, int], str]
    ones: Callable[[], str]
    paren: Callable[[str], str]
    fraction: Callable[[str, str, bool], str]
    sup: Callable[[str, str], str]
    elementwise_sup: Callable[[str, str], str]
    exponent: Callable[[str], str]
    call: Callable[[str, str], str]
    inner: Callable[[str, str], str]
    norm: Callable[[str, str], str]

    def __init__(self):
        # bound once: singledispatchmethod builds a new bound function on every access
        self.node = Printer.__dict__["node"].__get__(self, type(self))
        self.norms = 0      # how many norms enclose the node being printed
        self.sized = None   # while printing: the dimensions the symbols carry

    def __call__(self, e: E.Expr, context: tuple = ()) -> str:
        if self.sized is not None:
            return self.print(e)[0]
        self.sized = {part for x in (e, *context) for s in free_symbols(x) for d in s.shape
                      if isinstance(d, str) for part in d.split("*")}
        try:
            return self.print(e)[0]
        finally:
            self.sized = None

    def wrap(self, e, level):
        s, prec = self.print(e)
        return self.paren(s) if prec < level else s

    def print(self, e) -> tuple[str, int]:
        """A constant prints as one (c 1, c 1 1^T, n), so that it reads back with its shape."""
        written = constant_form(e)
        return self.node(e if written is None else written)

    @singledispatchmethod
    def node(self, e) -> tuple[str, int]:
        raise TypeError(f"no printer for {type(e).__name__}")

    @node.register
    def _(self, e: E.Symbol):
        return self.symbol(e.name), ATOM

    @node.register
    def _(self, e: E.Differential):
        return self.differential(self.wrap(e.var, ATOM), e.index), ATOM

    @node.register
    def _(self, e: E.D):
        return self.differential(self.paren(self(e.arg)), 0), ATOM

    @node.register
    def _(self, e: E.Number):
        v = e.value
        if v < 0:
            return "-" + self.print(E.Number(-v))[0], SUM
        if isinstance(v, sympy.Rational) and v.q != 1:
            if (point := decimal(v)) is not None:
                return point, ATOM
            return self.rational(v.p, v.q), JUXT
        return self.number(v), ATOM

    @node.register
    def _(self, e: E.Identity):
        return "I", ATOM

    @node.register
    def _(self, e: E.Zero):
        return "0", ATOM

    @node.register
    def _(self, e: E.Ones):
        """A column: print() writes a row as 1^T and a matrix as 1 1^T."""
        return self.ones(), ATOM

    @node.register
    def _(self, e: E.Add):
        """A number times ones reads as that number in a sum with a vector: x + 3."""
        def term(t, level):
            match t:
                case E.Mul((E.Number() as c, E.Ones())):
                    return self.wrap(c, level)
            return self.wrap(t, level)
        out = term(e.terms[0], SUM)
        for t in e.terms[1:]:
            negative, t = split_sign(t)
            out += (" - " if negative else " + ") + term(t, PRODUCT)
        return out, SUM

    @node.register
    def _(self, e: E.Mul):
        product = E.mul(*(times(c, *ones_of(f.shape)) if not f.is_scalar and
                          (c := constant_value(f)) is not None else f for f in e.factors))
        if not isinstance(product, E.Mul):      # the ones of constants merged into one
            return self.print(product)
        negative, positive = split_sign(product)
        if negative:
            return "-" + self.wrap(positive, PRODUCT), SUM
        coef, num, den = fraction_parts(product)
        if den and decimal(coef) is not None:
            return self.fraction(self.product(num, coef) if num else self.print(E.Number(coef))[0],
                                 self.product(den, 1), len(den) > 1 or
                                 self.print(den[0])[1] == JUXT), PRODUCT
        if den:
            numer = self.numerator(num, coef.p)
            group = len(den) + (coef.q != 1) > 1 or self.print(den[0])[1] == JUXT
            return self.fraction(numer, self.product(den, coef.q), group), PRODUCT
        return self.product(num, coef), JUXT

    def numerator(self, num, p):
        return self.product(num, p) if num else self.number(p)

    def product(self, factors, coef):
        """Factors side by side; sums and scalar products of matrices in parentheses.

        A factor ending in a function's name (the symbol sigma) goes last when a
        parenthesis would follow it: (1 - x) sigma, not sigma (1 - x).
        """
        parts = [self.print(E.Number(coef))[0]] if coef != 1 else []
        several = len(factors) + len(parts) > 1
        for f in factors:
            s, prec = self.print(f)
            parts.append(self.paren(s) if prec < JUXT or several and E.is_scalar_chain(f) else s)
        kept, last = [], []     # right to left: kept[-1] is what follows a part
        for part in reversed(parts):
            call = ENDS_IN_FUNCTION_NAME.search(part) and kept and kept[-1].startswith(self.lparen)
            (last if call else kept).append(part)
        return self.juxtapose(kept[::-1] + last[::-1])

    @node.register
    def _(self, e: E.Hadamard):
        r = e.right
        if isinstance(r, E.Power) and isinstance(r.exponent, E.Number) and r.exponent.value < 0:
            den = r.base if r.exponent.value == -1 else E.Power(r.base, E.Number(-r.exponent.value))
            return f"{self.wrap(e.left, PRODUCT)} {self.ediv} {self.wrap(den, JUXT)}", PRODUCT
        right = self.wrap(r, PRODUCT if isinstance(r, E.Hadamard) else JUXT)   # associative
        return f"{self.wrap(e.left, PRODUCT)} {self.hadamard} {right}", PRODUCT

    @node.register
    def _(self, e: E.Transpose):
        if isinstance(e.arg, E.Inverse):
            return self.sup(self.wrap(e.arg.arg, ATOM), self.inverse_transpose), POSTFIX
        return self.sup(self.wrap(e.arg, ATOM), self.transpose), POSTFIX

    @node.register
    def _(self, e: E.Inverse):
        return self.sup(self.wrap(e.arg, ATOM), self.inverse), POSTFIX

    @node.register
    def _(self, e: E.MatPower):
        if isinstance(e.base, E.Transpose):     # (X^T)^k reads (X^k)^T
            return self.print(E.Transpose(E.MatPower(e.base.arg, e.k)))
        return self.sup(self.wrap(e.base, ATOM), self.exponent(str(e.k))), POSTFIX

    @node.register
    def _(self, e: E.Power):
        x = e.exponent
        if isinstance(x, E.Number) and x.value == sympy.Rational(1, 2) and e.base.is_scalar:
            return self.call("sqrt", self(e.base)), ATOM
        if isinstance(x, E.Number) and x.value < 0:
            if e.base.is_scalar:
                return self.print(E.Mul((E.Number(1), e)))
            return self.print(E.Hadamard(E.Ones(e.shape), e))
        base = self.wrap(e.base, ATOM)
        exponent = self.exponent(self.wrap(x, ATOM))
        if not e.base.is_scalar:
            return self.elementwise_sup(base, exponent), POSTFIX
        return self.sup(base, exponent), POSTFIX

    @node.register
    def _(self, e: E.Trace):
        return self.dimension(e) if isinstance(e.arg, E.Identity) else self.structural(e)

    def dimension(self, e: E.Trace):
        """tr(I_d) as n, m n or 3, the size d, if the text carries each name in it."""
        assert isinstance(e.arg, E.Identity)
        d = e.arg.n
        parts = str(d).split("*") if isinstance(d, (int, str)) else ["?"]    # ? while parsing
        if not all(p.isdigit() or p in self.sized for p in parts):
            return self.structural(e)
        return self.print(E.mul(*(E.Number(int(p)) if p.isdigit() else E.Symbol(p)
                                  for p in parts)))

    @node.register
    def _(self, e: E.Det):
        return self.structural(e)

    @node.register
    def _(self, e: E.Diag):
        if e.builds_matrix and (c := constant_value(e.arg)) is not None:
            return self.print(E.mul(c, E.Identity(e.shape[0])))     # diag(c 1) = c I
        return self.structural(e)

    @node.register
    def _(self, e: E.Kron):
        """Left-associative: A kron B kron C is (A kron B) kron C."""
        left = self.wrap(e.left, PRODUCT if isinstance(e.left, E.Kron) else JUXT)
        return f"{left} {self.kron} {self.wrap(e.right, JUXT)}", PRODUCT

    @node.register
    def _(self, e: E.PartialTrace):
        """tr_2(W (I kron C)), tr_1((C kron I) W): the product names the blocks' size."""
        return self.call(structural_of(e).name, self(e.product)), ATOM

    @node.register
    def _(self, e: E.Vec):
        return self.structural(e)

    @node.register
    def _(self, e: E.Commutation):
        return "K", ATOM

    @node.register
    def _(self, e: E.Func):
        return self.call(e.name, self(e.arg)), ATOM

    @node.register
    def _(self, e: E.Inner):
        return self.inner(self(e.left), self(e.right)), ATOM

    @node.register
    def _(self, e: E.Norm):
        """A norm inside a norm is in parentheses: ||x (||y||_2)||_2, whose inner bars
        cannot read as closing the outer norm."""
        vector = e.arg.shape[1] == 1
        sub = {"euclid": "2" if vector else "F", "l1": "1", "spectral": "2", "nuclear": "*",
               "max": self.infinity}.get(e.kind, e.p)
        if e.order:           # the p of ||x||_p: a symbol, or a number as a numeral (3/2)
            p = e.order[0]
            sub = str(p.value) if isinstance(p, E.Number) else self(p)
        self.norms += 1
        try:
            s = self.norm(self(e.arg), sub)
        finally:
            self.norms -= 1
        return (self.paren(s) if self.norms else s), ATOM

    @node.register
    def _(self, e: E.Softmax):
        """Of a single entry, 1: softmax(c) reads as of c in every entry of a sized vector."""
        if e.arg.is_scalar:
            return self.print(E.Number(1))
        return self.structural(e)

    @node.register
    def _(self, e: E.LogSumExp):
        """Of a single entry, that entry (logsumexp(c) reads as of c in every entry)."""
        if e.arg.is_scalar:
            return self.print(e.arg)
        return self.structural(e)

    @node.register
    def _(self, e: E.MatFunc):
        """expm(X); its Frechet derivative in the direction E as dexpm(X)[E]."""
        if e.direction:
            return self.frechet("d" + e.which, self(e.arg), self(e.direction[0])), ATOM
        return self.structural(e)

    @node.register
    def _(self, e: E.SymbolicPower):
        exponent = self.exponent(self.wrap(e.exponent, ATOM))
        return self.sup(self.wrap(e.base, ATOM), exponent), POSTFIX

    @node.register(E.Eig)
    @node.register(E.SingularFactor)
    @node.register(E.LambdaMax)
    @node.register(E.TopEigvec)
    @node.register(E.Extremum)
    def structural(self, e):
        """A structural function, by its name in the catalogue: tr(X), svtop(X)."""
        return self.call(structural_of(e).name, self(e.arg)), ATOM


class TextPrinter(Printer):
    transpose, inverse, inverse_transpose = "T", "-1", "-T"
    hadamard, kron, ediv = ".*", "kron", "./"
    infinity = "inf"
    lparen = "("

    def symbol(self, name):
        head, _, sub = name.partition("_")
        return f"{head}_{{{sub}}}" if len(sub) > 1 and not sub.isdigit() else name

    def differential(self, var, index):
        return f"d{var}" + (str(index) if index else "")

    def number(self, v):
        return str(v)

    def rational(self, p, q):
        return f"{p}/{q}"

    def ones(self):
        return "1"

    def paren(self, s):
        return f"({s})"

    def juxtapose(self, parts):
        return " ".join(parts)

    def fraction(self, num, den, group):
        return f"{num} / {self.paren(den) if group else den}"

    def sup(self, base, s):
        return f"{base}^{s}"

    def elementwise_sup(self, base, s):
        return f"{base}.^{s}"

    def exponent(self, s):
        return s

    def call(self, name, arg):
        return f"{name}({arg})"

    def inner(self, a, b):
        return f"<{a}, {b}>"

    def frechet(self, name, x, direction):
        return f"{name}({x})[{direction}]"

    def norm(self, arg, p):
        """||x||_2, ||x||_p, ||x||_{3/2}: a subscript of more than one letter or number in
        braces."""
        return f"||{arg}||_{p}" if p.isdigit() or len(p) == 1 or p == "inf" else \
            f"||{arg}||_{{{p}}}"


class LatexPrinter(Printer):
    transpose, inverse, inverse_transpose, hadamard, kron, ediv = (
        r"\top", "{-1}", r"{-\top}", r"\odot", r"\otimes", r"\oslash")
    infinity = r"\infty"
    lparen = r"\left("

    def symbol(self, name):
        head, _, sub = name.partition("_")
        head = "\\" + head if head in GREEK else head
        return f"{head}_{{{sub}}}" if sub else head

    def differential(self, var, index):
        return rf"d{var}" + (f"_{{{index}}}" if index else "")

    def number(self, v):
        return str(v)

    def rational(self, p, q):
        return rf"\frac{{{p}}}{{{q}}}"

    def ones(self):
        return r"\mathbf{1}"

    def paren(self, s):
        return rf"\left({s}\right)"

    def juxtapose(self, parts):
        """Side by side; a thin space after a differential, so that dX Y does not read dXY."""
        return "".join(p + (r"\, " if DIFFERENTIAL.fullmatch(p) else " ") for p in parts[:-1]) + \
            parts[-1]

    def fraction(self, num, den, group):
        return rf"\frac{{{num}}}{{{den}}}"

    def numerator(self, num, p):
        """No parentheses around a lone sum over a fraction bar."""
        if len(num) == 1 and p == 1:
            return self(num[0])
        return super().numerator(num, p)

    def sup(self, base, s):
        return f"{base}^{{{s}}}" if not s.startswith("{") else f"{base}^{s}"

    def elementwise_sup(self, base, s):
        return rf"{base}^{{\circ {s.strip('{}')}}}"

    def exponent(self, s):
        return s

    def call(self, name, arg):
        """name(arg) by the catalogue's LaTeX name; a square root is a radical."""
        if name == "sqrt":
            return rf"\sqrt{{{arg}}}"
        return rf"{latex_name(name)}\left({arg}\right)"

    def inner(self, a, b):
        return rf"\left\langle {a}, {b} \right\rangle"

    def frechet(self, name, x, direction):
        return rf"{operator(name)}\left({x}\right)\left[{direction}\right]"

    def norm(self, arg, p):
        return rf"\left\| {arg} \right\|_{{{p}}}"


text = TextPrinter()
latex = LatexPrinter()


def where_text(named, context: tuple = ()) -> list[str]:
    """The definitions of a named form (backends/naming.py), one line each:
    'where h = tanh(W_1 x + b_1)'."""
    return [f"where {text(s)} = {text(v, context)}" for s, v in named.definitions]


def where_latex(named, context: tuple = ()) -> list[str]:
    """The definitions in LaTeX, one row each: '\\text{where } h = \\tanh\\left(...\\right)'."""
    return [rf"\text{{where }} {latex(s)} = {latex(v, context)}" for s, v in named.definitions]


def aligned(rows: list[str]) -> str:
    """Rows of LaTeX one under another, left-aligned (a result and its where rows)."""
    if len(rows) == 1:
        return rows[0]
    return r"\begin{aligned} " + r" \\ ".join("& " + r for r in rows) + r" \end{aligned}"


def short_repr(e: E.Expr) -> str:
    """repr of an expression: its text, cut after 100 characters: Expr('tr(A X)'); a node
    that has no text (a printer's gap) by its class, since repr must not fail."""
    try:
        s = text(e)
    except Exception:       # noqa: BLE001 - repr of any node, as the debugger shows it
        return f"<{type(e).__name__} node>"
    return f"Expr({s if len(s) <= 100 else s[:97] + '...'!r})"


E.READERS.update(text=text, latex=latex, repr=short_repr)

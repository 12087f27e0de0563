"""Text -> tokens: the grammar (matcalc.lark, completed with the catalogue's function
names and the Greek letters), the lexer's post-processing of bars and norm subscripts, and
the errors of the text itself (unknown words, too many digits, syntax) with a caret under
their column.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache
from importlib import resources

from lark import Lark, Token
from lark.exceptions import (UnexpectedCharacters, UnexpectedEOF, UnexpectedInput,
                             UnexpectedToken)

from ..catalogue import functions, structural
from ..errors import ParseError, UnknownFunctionError, UnsupportedError


GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi",
         "Pi", "Sigma", "Phi", "Psi", "Omega"]
GREEK_UNICODE = dict(zip("αβγδεζηθικλμνξρστυφχψωΓΔΘΛΞΠΣΦΨΩ",
                         ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
                          "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
                          "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
                          "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"]))

OPERATOR_WORDS = {"kron", "where"}   # words of the grammar that are no functions: A kron (B + C)

MAX_DIGITS = 400          # in one number (any finite floating-point number prints in fewer)
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
        f"GREEK.3: /\\\\?(?:{greek})(?:_[0-9]+|_\\{{[0-9]+\\}})?|[{''.join(GREEK_UNICODE)}]/",
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
def lark_parser() -> Lark:
    return Lark(_grammar(), parser="lalr", postlex=BarLexer(), propagate_positions=True,
                maybe_placeholders=False)


def symbol_name(tok: str) -> str:
    tok = tok.lstrip("\\")
    if tok in GREEK_UNICODE:
        return GREEK_UNICODE[tok]
    m = re.fullmatch(r"([A-Za-z]|[A-Za-z]+(?=_\{?[0-9]))_\{?([A-Za-z0-9]+)\}?", tok)  # delta_1
    return f"{m[1]}_{m[2]}" if m else tok


def check_digits(text):
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


def check_unknown_functions(text):
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
    """UnknownFunctionError with the closest known name; UnsupportedError saying what to
    write instead for a name of what matcalc does not represent (eigvec, svd, pinv)."""
    line, column = _position(text, offset)
    if word in structural.UNSUPPORTED:
        raise UnsupportedError(f"{word}: {structural.UNSUPPORTED[word]}").locate(text, line,
                                                                               column)
    hint = hint or next(iter(difflib.get_close_matches(word, sorted(known), n=1)), None)
    raise UnknownFunctionError(f"unknown function '{word}'"
                               + (f"; did you mean '{hint}'?" if hint else ""), text, line, column)


def _position(text, offset):
    """(line, column), both from 1, of an offset into text."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


TOKEN_NAMES = {"RPAR": "')'", "LPAR": "'('", "RBRACE": "'}'", "COMMA": "','", "RANGLE": "'>'",
               "NORM_CLOSE": "'||'", "ABS_CLOSE": "'|'", "SYMBOL": "a symbol",
               "NUMBER": "a number", "PLUS": "'+'", "MINUS": "'-'", "$END": "the end"}


def parse_error(err: UnexpectedInput, text: str) -> ParseError:
    if isinstance(err, UnexpectedEOF) or isinstance(err, UnexpectedToken) and \
            getattr(err.token, "type", "") == "$END":
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
        return ParseError("the expression ends too early", text, line, column)
    line, column = err.line, err.column
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        command = re.match(r"\\[A-Za-z]+", text[pos:])
        if command:
            return ParseError(f"unknown LaTeX command '{command[0]}'", text, line, column)
        char = text[pos]
        if char == "." and text[pos - 1:pos].isdigit():
            return ParseError("a number cannot end with '.' (write 2 or 2.0; .* ./ .^ are "
                              "elementwise operators)", text, line, column)
        what = f"unexpected character {char!r}"
    else:
        what = f"unexpected {str(getattr(err, 'token', ''))!r}"
    expected = sorted({TOKEN_NAMES[t] for t in getattr(err, "expected", ()) or ()
                       if t in TOKEN_NAMES})
    if expected and len(expected) <= 5:
        what += f"; expected {' or '.join(expected)}"
    return ParseError(what, text, line, column)

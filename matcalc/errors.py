"""Every failure a user can cause is a MatcalcError with a message a student understands."""
from __future__ import annotations


class MatcalcError(Exception):
    """Base class of all errors matcalc raises on purpose.

    An error about a place in the text knows its ``line`` and ``column``
    (1-based) and shows the line with a caret under that column.
    """

    line: int | None = None
    column: int | None = None
    text: str = ""

    def locate(self, text: str, line: int | None, column: int | None) -> MatcalcError:
        """Point the error at (line, column) of text, unless it already points somewhere."""
        if self.column is None and line and column:
            self.text, self.line, self.column = text, line, column
            message = self.args[0] if self.args else ""
            self.args = (f"{message}{_caret(text, line, column)}", *self.args[1:])
        return self


class ParseError(MatcalcError, ValueError):
    """The text is not in the input language; the message points at the column."""

    def __init__(self, message, text="", line=None, column=None):
        self.line, self.column, self.text = line, column, text
        super().__init__(message + (_caret(text, line, column) if column else ""))


class ShapeError(MatcalcError, ValueError):
    """Two shapes that must agree do not; the message names both."""


class UnknownFunctionError(ParseError):
    """A name is used as a function but is not in the catalogue."""


class UnsupportedError(MatcalcError, NotImplementedError):
    """A rule matcalc does not (yet) know."""


class NotDifferentiableError(MatcalcError, ValueError):
    """The expression is not differentiable where asked."""


class NotDefinedError(MatcalcError, ValueError):
    """The expression has no value at the given inputs (the inverse of a singular matrix)."""


class TooLargeError(MatcalcError, ValueError):
    """The numbers asked for would not fit in the memory matcalc allows itself."""


class TimeLimitError(MatcalcError):
    """A public call ran past its time limit (see matcalc.deadline)."""


CARET_WIDTH = 72


def _caret(text, line, column):
    """The source line and a caret under the column; a window around it for long lines."""
    lines = text.split("\n")
    source = lines[min(max(line or 1, 1), len(lines)) - 1]
    source = "".join(c if c.isprintable() or c == "\t" else "?" for c in source)
    col = max((column or 1) - 1, 0)
    if len(source) > CARET_WIDTH:
        start = max(0, min(col - CARET_WIDTH // 2, len(source) - CARET_WIDTH))
        end = start + CARET_WIDTH
        prefix, suffix = ("..." if start else ""), ("..." if end < len(source) else "")
        source, col = prefix + source[start:end] + suffix, col - start + len(prefix)
    pad = "".join("\t" if c == "\t" else " " for c in source[:col]) + " " * (col - len(source))
    return f"\n  {source}\n  {pad}^"

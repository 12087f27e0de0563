"""Every failure a user can cause is a MatcalcError with a message a student understands."""


class MatcalcError(Exception):
    """Base class of all errors matcalc raises on purpose."""


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


def _caret(text, line, column):
    lines = text.splitlines() or [""]
    source = lines[min(line or 1, len(lines)) - 1]
    return f"\n  {source}\n  {' ' * (column - 1)}^"

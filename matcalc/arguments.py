"""Checks of the arguments of the public functions: a misuse is a MatcalcError that
says which argument is wrong and what is expected, never a raw Python error."""
from __future__ import annotations

import re
from collections.abc import Mapping
from numbers import Integral, Real

from .errors import MatcalcError

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def shapes(value) -> dict:
    """A dict from symbol names to shape specs ('scalar', 'n', ('m', 'n'), ...)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MatcalcError("shapes must be a dict from symbol names to shapes, such as "
                           f"{{'t': 'scalar', 'A': ('m', 'n')}}, not {type(value).__name__}")
    for name in value:
        if not isinstance(name, str):
            raise MatcalcError(f"shapes: a symbol name must be a string, not {name!r}")
    return dict(value)


def assumptions(value, known) -> dict:
    """A dict from symbol names to one of the known kinds of matrix."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MatcalcError("assume must be a dict from symbol names to kinds, such as "
                           f"{{'A': 'spd'}}, not {type(value).__name__}")
    for name, kind in value.items():
        if not isinstance(name, str):
            raise MatcalcError(f"assume: a symbol name must be a string, not {name!r}")
        if not isinstance(kind, str) or kind not in known:
            raise MatcalcError(f"unknown assumption {kind!r} for {name}; known: "
                               f"{', '.join(sorted(known))}")
    return dict(value)


def variable_name(value, what="wrt") -> str:
    """The name of a symbol: a Latin letter, then letters, digits or '_'."""
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise MatcalcError(f"{what} must name a variable, such as 'x' or 'X', not {value!r}")
    return value


def variable_names(value) -> list[str]:
    """One name, or a non-empty list of distinct names."""
    if isinstance(value, str):
        return [variable_name(value)]
    if not isinstance(value, (list, tuple)) or not value:
        raise MatcalcError(f"wrt must name a variable or list distinct variables, not {value!r}")
    names = [variable_name(v) for v in value]
    if len(set(names)) != len(names):
        raise MatcalcError(f"wrt must list distinct variables, not {value!r}")
    return names


def choice(value, what: str, options: tuple):
    """One of a few fixed values (compared with their type: True is not 1)."""
    for option in options:
        if type(value) is type(option) and value == option:
            return option
    raise MatcalcError(f"{what} must be {' or '.join(map(repr, options))}, not {value!r:.60}")


def count(value, what: str, most: int) -> int:
    """A whole number from 1 to most."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not 1 <= int(value) <= most:
        raise MatcalcError(f"{what} must be a whole number from 1 to {most}, not {value!r}")
    return int(value)


def positive(value, what: str) -> float:
    """A real number above 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value) > 0:
        raise MatcalcError(f"{what} must be a positive number, not {value!r}")
    return float(value)


def seed(value) -> int | None:
    """A seed for NumPy's random generator: None or a whole number >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise MatcalcError(f"seed must be a whole number >= 0, not {value!r}")
    return int(value)


def values(value, what="values") -> Mapping:
    """A dict from symbol names to numbers or arrays."""
    if not isinstance(value, Mapping):
        raise MatcalcError(f"{what} must be a dict from symbol names to numbers or arrays, "
                           f"such as {{'x': np.ones(3)}}, not {type(value).__name__}")
    return value

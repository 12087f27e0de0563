"""Time bounds: every public call ends within its time limit or raises TimeLimitError.

A public call (``gradient``, ``hessian``, ``verify``, ...) sets a deadline when
it starts; the public calls it makes itself share it. The work checks the
deadline in its loops (``check``). The limit is what ``set_time_limit`` last
set, else the environment variable ``MATCALC_TIMEOUT`` (seconds, or ``none``),
else ``DEFAULT_LIMIT`` seconds; None means no limit.
"""
from __future__ import annotations

import functools
import math
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass
from numbers import Real

from .errors import MatcalcError, TimeLimitError

DEFAULT_LIMIT = 10.0     # seconds
ENVIRONMENT = "MATCALC_TIMEOUT"
class _Unset:
    """The limit before set_time_limit is called."""


_UNSET = _Unset()
_limit: float | None | _Unset = _UNSET          # set by set_time_limit


@dataclass(frozen=True)
class Deadline:
    """The deadline of the public call running now."""
    call: str            # the public call, as "gradient()"
    limit: float
    end: float           # time.monotonic() at which it expires


_current: ContextVar[Deadline | None] = ContextVar("matcalc deadline", default=None)


def set_time_limit(seconds: float | None) -> float | None:
    """Bound every public call by ``seconds`` (None: no bound); returns the previous limit."""
    global _limit
    previous = time_limit()
    _limit = _seconds(seconds, "the time limit")
    return previous


def time_limit() -> float | None:
    """The limit of a public call in seconds (None: none)."""
    if not isinstance(_limit, _Unset):
        return _limit
    setting = os.environ.get(ENVIRONMENT, "").strip()
    if not setting:
        return DEFAULT_LIMIT
    if setting.lower() == "none":
        return None
    try:
        value = float(setting)
    except ValueError:
        value = math.nan
    return _seconds(value, f"{ENVIRONMENT}={setting!r}")


def _seconds(value, what):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < math.inf:
        raise MatcalcError(f"{what} must be a positive number of seconds or None (no limit), "
                           f"not {value!r}")
    return float(value)


def bounded(fn):
    """fn as a public call: it starts a deadline unless it runs inside another public call."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if _current.get() is not None:
            return fn(*args, **kwargs)
        limit = time_limit()
        if limit is None:
            return fn(*args, **kwargs)
        token = _current.set(Deadline(f"{fn.__name__}()", limit, time.monotonic() + limit))
        try:
            return fn(*args, **kwargs)
        finally:
            _current.reset(token)
    return call


def check(doing: str) -> None:
    """Raise TimeLimitError if the running public call is past its deadline."""
    deadline = _current.get()
    if deadline is not None and time.monotonic() > deadline.end:
        limit = f"{deadline.limit:g} s"
        raise TimeLimitError(
            f"{deadline.call} ran past its time limit of {limit} while {doing}; raise the limit "
            f"with matcalc.set_time_limit(seconds), {ENVIRONMENT}=seconds or matcalc --timeout "
            "seconds")

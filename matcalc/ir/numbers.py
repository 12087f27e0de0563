"""Which exact numbers a node may hold: those that evaluate to what they say in floating point."""
from __future__ import annotations


def in_float_range(value) -> bool:
    """A rational is 0 or between 2^-1074 and 2^1024 in size (IEEE double); other values pass."""
    if not getattr(value, "is_Rational", False) or value == 0:
        return True
    p, q = abs(value.p), value.q
    return p >> 1024 < q and p << 1074 >= q

"""Requirements on an argument: where a function is differentiable, stated and tested.

A ``Requirement`` says, of an argument u, what must hold for the derivative of the
function applied to u: as text of u (``{}`` stands for u) and as a test of u's value.
``defined`` tests where the function has a (real) value at all; where it fails, f itself
has no value, which is worse than a missing derivative. ``samples`` are scalar points
at which the requirement holds, for tests and examples.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Requirement:
    text: str                           # of u: "{} > 0"
    holds: Callable                     # u's value -> bool
    defined: Callable | None = None     # u's value -> bool; None: f has a value everywhere
    samples: tuple = (-1.3, -0.4, 0.6, 1.2)


EVERYWHERE = Requirement("", lambda v: True)
"""No requirement: differentiable at every point (its samples are the default ones)."""

POSITIVE = Requirement("{} > 0", lambda v: np.all(v > 0), lambda v: not np.any(v < 0),
                       samples=(0.3, 0.9, 1.7))

KINK = Requirement("no entry of {} is 0 (a kink: the derivative there is a subgradient)",
                   lambda v: np.all(np.abs(v) > 1e-12))

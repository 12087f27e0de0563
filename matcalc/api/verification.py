"""Verification: a result against central finite differences of what it differentiates, on
random inputs that respect the assumptions (and the conditions of differentiability)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .. import arguments, deadline
from ..backends.numeric import central_difference, directions, draw, evaluate, to_internal
from ..backends.printing import text
from ..errors import MatcalcError, NotDefinedError, NotDifferentiableError
from ..ir import expr as E

MAX_DRAWS = 1_000              # random points in one verify() or check()
MAX_DIRECTIONS = 100           # finite differences per draw; random directions for more entries


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of a finite-difference check; true when it passed.

    Errors are relative to the size of the derivative (its largest entry at each
    point). ``undecided``: the differences were within the rounding error of the
    finite differences themselves, and that error exceeds the tolerance.
    """
    ok: bool
    max_rel_error: float
    draws: int
    checks: int
    tolerance: float
    notes: tuple = ()      # conditions of differentiability that fail at the points checked
    undecided: bool = False
    noise: float = 0.0     # largest rounding error of the finite differences, relative
    entries: int = 0       # finite differences one per entry would take: more than checks when
                           # random directions stood in for them

    def __bool__(self):
        return self.ok

    def __str__(self):
        counts = f"over {self.draws} draws, {self.checks} finite differences"
        if self.checks < self.entries:
            counts += f" (along random directions; one per entry would take {self.entries})"
        if self.undecided:
            out = (f"undecided: finite differences cannot tell, their rounding error is up to "
                   f"{self.noise:.0e} of the derivative (tolerance {self.tolerance:.0e}); max "
                   f"relative difference {self.max_rel_error:.1e} {counts}")
        else:
            out = (f"{'verified' if self.ok else 'FAILED'}: max relative error "
                   f"{self.max_rel_error:.1e} (tolerance {self.tolerance:.0e}) {counts}")
        return out + "".join(f"\n  not differentiable here: {n}" for n in self.notes)


def differences(pairs):
    """(largest |fd - prediction|, largest rounding error of fd, size of the derivative)."""
    error = rounding = scale = 0.0
    for fd, noise, exact in pairs:
        fd, exact = np.asarray(fd, dtype=float), np.asarray(exact, dtype=float)
        with np.errstate(invalid="ignore"):
            gap = float(np.max(np.abs(fd - exact)))
        error = max(error, gap if np.isfinite(gap) else np.inf)
        rounding = max(rounding, float(np.max(noise)))
        scale = max(scale, float(np.max(np.abs(fd))), float(np.max(np.abs(exact))))
    return error, rounding, scale


def verify(result, draws: int = 3, seed: int = 0, tolerance: float = 1e-5,
           at: Mapping | None = None) -> VerifyReport:
    """Compare result with central differences on random inputs that respect the assumptions.

    ``at`` fixes some or all values (the rest are drawn); the conditions of
    differentiability are checked there too and failures are reported. Errors are
    relative to the size of the derivative; where the finite differences' own rounding
    error could hide a mismatch above the tolerance, the report says undecided.
    """
    draws = arguments.count(draws, "draws", MAX_DRAWS)
    tolerance = arguments.positive(tolerance, "tolerance")
    at = None if at is None else arguments.values(at, "at")
    for name, v in (at or {}).items():
        to_internal(v, name)
    rng = np.random.default_rng(arguments.seed(seed))
    worst, noise, checks, notes, done, failed, entries = 0.0, 0.0, 0, [], 0, False, 0
    for _ in range(draws if at is None or not fixed(result, at) else 1):
        values = {**valid_draw(result, result.symbols(), rng, at), **(at or {})}
        failing = [str(c) for c in result.conditions if not c.holds(values, result.context)]
        notes += failing
        done += 1
        try:
            comparisons, n = result.comparisons(values, rng)
            pairs = list(comparisons)
        except (NotDefinedError, NotDifferentiableError) as err:
            notes += [] if failing else [str(err)]
            continue
        entries += n
        error, rounding, scale = differences(pairs)
        relative = error / scale if scale else 0.0 if error == 0 else np.inf
        worst, checks = max(worst, relative), checks + len(pairs)
        noise = max(noise, rounding / scale if scale else 0.0 if rounding == 0 else np.inf)
        failed = failed or not error <= tolerance * scale + rounding
    unique = tuple(dict.fromkeys(notes))
    ok = bool(worst <= tolerance) and not unique
    return VerifyReport(ok, worst, done, checks, tolerance, unique,
                        undecided=not (ok or failed or unique), noise=noise, entries=entries)


def combined(reports) -> VerifyReport:
    """One report for several (the gradients with respect to several variables)."""
    worst = max(reports, key=lambda r: r.max_rel_error)
    return VerifyReport(all(reports), worst.max_rel_error, worst.draws,
                        sum(r.checks for r in reports), worst.tolerance,
                        tuple(dict.fromkeys(n for r in reports for n in r.notes)),
                        undecided=not all(reports) and all(r.ok or r.undecided for r in reports),
                        noise=max(r.noise for r in reports),
                        entries=sum(r.entries for r in reports))


def along_directions(f, X, predict, symmetric: bool, rng):
    """((finite difference of f at X along V, its rounding error, predict(V)) for each V, the
    number of entries): V along every entry (or symmetric pair) of X, or MAX_DIRECTIONS
    random directions (numeric.directions)."""
    Vs, n = directions(X.shape, symmetric, rng, MAX_DIRECTIONS)
    return ((*central_difference(f, X, V), predict(V)) for V in Vs), n


def fixed(result, at) -> bool:
    """Whether at gives every symbol a value."""
    return all(s.name in at for s in result.symbols() if isinstance(s, E.Symbol))


def valid_draw(result, symbols, rng, at=None) -> dict:
    """A draw where everything is finite and f differentiable (inverses of invertible
    matrices, logs of positive numbers); later tries use positive entries (log, sqrt).
    Failing that, one where everything is finite."""
    if at:
        symbols = {s for s in symbols if not (isinstance(s, E.Symbol) and s.name in at)}
        if fixed(result, at):
            return dict(at)
    finite = None
    for attempt in range(20):
        deadline.check("drawing random values")
        values = {**draw(symbols, result.assume, rng, given_sizes(result, at)), **(at or {})}
        if attempt % 2:
            values = {k: np.abs(v) if np.ndim(v) else abs(v) for k, v in values.items()}
        with np.errstate(all="ignore"):
            try:
                if np.all(np.isfinite(evaluate(result.base, values, result.context))) and \
                        np.all(np.isfinite(result.evaluate(values))):
                    if all(c.holds(values, result.context) for c in result.conditions):
                        return values
                    finite = finite or values
            except (NotDefinedError, NotDifferentiableError):
                pass
    if finite is not None:
        return finite
    raise MatcalcError(f"could not find random inputs where {text(result.base)} is "
                       "defined; pass assumptions (e.g. assume={'X': 'spd'})")


def given_sizes(result, at) -> dict:
    """Dimensions already fixed by the given values."""
    sizes = {}
    for s in result.symbols():
        if isinstance(s, E.Symbol) and at and s.name in at:
            for d, n in zip(s.shape, np.shape(np.atleast_1d(at[s.name]))):
                if isinstance(d, str):
                    sizes[d] = n
    return sizes

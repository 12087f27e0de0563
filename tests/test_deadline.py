"""Time limits (matcalc.deadline): every public call ends by its deadline or raises TimeLimitError.

The reproducers run under a 1 s limit and must end, with a right answer or a
TimeLimitError, before an alarm well past that limit. The other tests drive a fake
clock, so that what they check does not depend on the speed of the machine.
"""
from __future__ import annotations

import collections
import dataclasses
import math
import os
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import assume as hypothesis_assume
from hypothesis import strategies as st

import matcalc as mc
from matcalc.api import verification
from matcalc import deadline
from harness import alarm, profile
from oracle import assert_close, central_gradient, central_jacobian
from strategies import SHAPES, cases

LONG = os.environ.get("MATCALC_LONG") == "1"
LIMIT = 1.0        # seconds, for the reproducers
MARGIN = 4.0       # seconds past it before the alarm fails the test (a loaded machine)
COUNTS = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print("\nproperty checks:\n" + "\n".join(f"{n:>8}  {k}" for k, n in sorted(COUNTS.items())))


@pytest.fixture
def limit():
    """Set matcalc's time limit for one test: limit(seconds)."""
    previous = mc.set_time_limit(None)
    yield mc.set_time_limit
    mc.set_time_limit(previous)


class FakeClock:
    """time.monotonic standing still for ``ticks`` readings, then a day later."""

    def __init__(self, ticks):
        self.ticks = ticks

    def monotonic(self):
        self.ticks -= 1
        return 0.0 if self.ticks >= 0 else 86_400.0


def fake_clock(ticks):
    return mock.patch.object(deadline, "time", FakeClock(ticks))


# ---- the reproducers ---------------------------------------------------------------------

def nest(fn, inner, depth):
    return f"{fn}(" * depth + inner + ")" * depth


def nested(fn, v, depth):
    """fn(fn(... fn(x^T x))), depth times."""
    s = v["x"] @ v["x"]
    for _ in range(depth):
        s = fn(s)
    return s


def power_tower(v):
    s = v["t"]
    for _ in range(19):
        s = v["t"] ** s
    return s


def matrix_power_form(v):
    return v["a"] @ np.linalg.matrix_power(v["X"], 30) @ v["b"]


def trace_chain(v):
    return np.trace(np.linalg.multi_dot([m for i in range(15) for m in (v[f"A_{i}"], v["X"])]))


def rational_derivative(t, order):
    """d^n/dt^n 1/(1 + t^2) = (-1)^n n! sin((n + 1) arccot t) / (1 + t^2)^((n + 1)/2)."""
    return (-1) ** order * math.factorial(order) * math.sin((order + 1) * math.atan2(1, t)) \
        / (1 + t * t) ** ((order + 1) / 2)


def values(seed=0):
    rng = np.random.default_rng(seed)
    out = {"x": 0.5 * rng.standard_normal(3), "a": rng.standard_normal(3),
           "b": rng.standard_normal(3), "t": float(rng.uniform(0.8, 1.2)),
           "X": np.eye(3) + 0.05 * rng.standard_normal((3, 3))}
    out.update({f"A_{i}": np.eye(3) + 0.1 * rng.standard_normal((3, 3)) for i in range(15)})
    return out


TOWER = "t"
for _ in range(19):
    TOWER = f"t^({TOWER})"
TRACE = "tr(" + " ".join(f"A_{i} X" for i in range(15)) + ")"
T = {"t": "scalar"}

REPRODUCERS = {
    "gradient of tanh nested 10 deep":
        (lambda: mc.gradient(nest("tanh", "x^T x", 10), wrt="x"), lambda v: nested(np.tanh, v, 10)),
    "Hessian of log(1 + ...) nested 8":
        (lambda: mc.hessian("log(1 + " * 8 + "x^T x" + ")" * 8, wrt="x"),
         lambda v: nested(np.log1p, v, 8)),
    "gradient of norms nested 12 deep":
        (lambda: mc.gradient("||" * 12 + "x" + "||" * 12, wrt="x"),
         lambda v: np.linalg.norm(v["x"])),
    "Hessian of norms nested 12 deep":
        (lambda: mc.hessian("||" * 12 + "x" + "||" * 12, wrt="x"),
         lambda v: np.linalg.norm(v["x"])),
    "gradient of a power tower of 20":
        (lambda: mc.gradient(TOWER, wrt="t", shapes=T), power_tower),
    "Hessian of a^T X^30 b":
        (lambda: mc.hessian("a^T X^30 b", wrt="X"), matrix_power_form),
    "Hessian of a 15-factor trace chain":
        (lambda: mc.hessian(TRACE, wrt="X"), trace_chain),
    "derivative of order 20 of 1/(1+t^2)":
        (lambda: mc.derivative("1/(1+t^2)", wrt="t", order=20, shapes=T), None),
    "verify() of log det X at 150 x 150":
        (lambda: mc.gradient("log det X", wrt="X").verify(
            at={"X": np.eye(150) + 0.01 * np.random.default_rng(0).standard_normal((150, 150))}),
         None),
}


FRACTIONAL = "(1 + x^T x)^(1/3) (2 + x^T x)^(1/5) (3 + x^T x)^(1/7) (4 + x^T x)^(1/9)"
POWERS = " + ".join(f"(t + {i})^-{i}" for i in range(1, 40))

FOUND = {      # SymPy calls that stalled on these before they were guarded
    "a sum of 39 fractions (t + i)^-i":
        (lambda: mc.simplify(POWERS, shapes=T),
         lambda v: sum((v["t"] + i) ** -i for i in range(1, 40))),
    "Hessian of tanh nested 12 deep":
        (lambda: mc.hessian(nest("tanh", "x^T x", 12), wrt="x"),
         lambda v: nested(np.tanh, v, 12)),
    "Hessian of a product of fractional powers":
        (lambda: mc.hessian(FRACTIONAL, wrt="x"),
         lambda v: np.prod([(k + v["x"] @ v["x"]) ** (1 / p) for k, p in
                            ((1, 3), (2, 5), (3, 7), (4, 9))])),
}


def assert_right(result, f):
    """A result that came back agrees with finite differences of the NumPy oracle f."""
    v = values()
    if isinstance(result, mc.VerifyReport):
        assert result.ok and result.checks == verification.MAX_DIRECTIONS
        assert result.entries == 150 ** 2
    elif isinstance(result, mc.Hessian):
        g = result.gradient
        assert_close(g.evaluate(v), central_gradient(f, v, g.wrt.name), rtol=1e-5, atol=1e-6)
        assert_close(result.evaluate(v), central_jacobian(g.evaluate, v, g.wrt.name),
                     rtol=1e-5, atol=1e-6)
    elif isinstance(result, mc.Expr):
        assert_close(result.evaluate(v), f(v), rtol=1e-10)
    elif result.label.startswith("derivative of order"):
        assert_close(result.evaluate(v), rational_derivative(v["t"], 20), rtol=1e-8)
    else:
        assert_close(result.evaluate(v), central_gradient(f, v, result.wrt.name),
                     rtol=1e-5, atol=1e-6)


def ends_by_its_deadline(call, f, limit):
    """Under a 1 s limit, call() returns a right answer or raises TimeLimitError, in time."""
    limit(LIMIT)
    with alarm(LIMIT + MARGIN):
        try:
            result = call()
        except mc.TimeLimitError as e:
            assert "time limit of 1 s" in str(e) and "set_time_limit" in str(e)
            return
    limit(None)
    assert_right(result, f)


@pytest.mark.parametrize("call, f", REPRODUCERS.values(), ids=REPRODUCERS.keys())
def test_each_reproducer_ends_by_its_deadline(call, f, limit):
    ends_by_its_deadline(call, f, limit)


@pytest.mark.parametrize("call, f", FOUND.values(), ids=FOUND.keys())
def test_sympy_passes_that_blow_up_are_skipped(call, f, limit):
    ends_by_its_deadline(call, f, limit)


@pytest.mark.parametrize("text, wrt, f", [
    ("sqrt(t^2)", None, lambda v: abs(v["t"])),
    ("log(exp(t)) + (t^2)^(1/2)", None, lambda v: v["t"] + abs(v["t"])),
    ("((b^T x)^2)^(1/2)", "x", lambda v: abs(v["b"] @ v["x"])),
    (nest("tanh", "t", 6) + "^2", "t", lambda v: np.tanh(np.tanh(np.tanh(np.tanh(np.tanh(
        np.tanh(v["t"])))))) ** 2),
])
def test_sympy_sees_real_atoms(text, wrt, f):
    """Scalars are real, so SymPy asks no real and imaginary parts of tanh(tanh(...)) (which
    took exponential time in the depth), and what it writes for real atoms (Abs) reads back."""
    v = {**values(), "t": -0.7}
    if wrt is None:
        assert_close(mc.simplify(text, shapes=T).evaluate(v), f(v), rtol=1e-12)
    else:
        g = mc.gradient(text, wrt=wrt, shapes=T)
        assert_close(g.evaluate(v), central_gradient(f, v, wrt), rtol=1e-6, atol=1e-8)


def test_the_reproducers_are_right_without_a_limit(limit):
    """The cheaper reproducers, run to the end: the answer the limit may cut off."""
    limit(None)
    for name in ("gradient of tanh nested 10 deep", "gradient of norms nested 12 deep",
                 "Hessian of log(1 + ...) nested 8"):
        call, f = REPRODUCERS[name]
        assert_right(call(), f)


# ---- the deadline ------------------------------------------------------------------------

def test_past_its_deadline_a_call_says_what_and_how_to_raise_the_limit(limit):
    limit(3)
    with fake_clock(5), pytest.raises(mc.TimeLimitError) as error:
        mc.hessian("log det X", wrt="X")
    message = str(error.value)
    assert message.startswith("hessian() ran past its time limit of 3 s while ")
    for way in ("matcalc.set_time_limit(seconds)", "MATCALC_TIMEOUT=seconds", "--timeout"):
        assert way in message


def test_nested_public_calls_share_the_outer_deadline(limit):
    """check() calls gradient(): the gradient gets no fresh deadline of its own."""
    limit(3)
    with fake_clock(1), pytest.raises(mc.TimeLimitError, match=r"^check\(\) ran past"):
        mc.check("log det X", wrt="X", answer="X^-T")
    gradients = mc.gradient("log det X", wrt=["X"])
    with fake_clock(1), pytest.raises(mc.TimeLimitError, match=r"^verify\(\) ran past"):
        gradients.verify()


@pytest.mark.parametrize("generate", [
    lambda g: mc.compile("log det X + tr(A X)", "X"), lambda g: mc.to_numpy(g),
    lambda g: mc.numpy_source(g)])
def test_code_generation_is_bounded_too(generate, limit):
    """compile() derives and lowers under one deadline; lowering checks it at every node."""
    g = mc.gradient("log det X + tr(A X)", wrt="X")
    limit(3)
    with fake_clock(1), pytest.raises(mc.TimeLimitError, match="ran past its time limit"):
        generate(g)
    X, A = np.eye(3) + 0.1 * np.arange(9).reshape(3, 3), np.ones((3, 3))
    G = mc.to_numpy(g)(A=A, X=X)
    assert_close(G, np.linalg.inv(X).T + A.T)
    f = lambda v: np.log(np.linalg.det(v["X"])) + np.trace(v["A"] @ v["X"])
    assert_close(G, central_gradient(f, {"A": A, "X": X}, "X"), rtol=1e-6, atol=1e-8)


def test_each_public_call_has_a_deadline_of_its_own(limit):
    limit(3)
    g = mc.gradient("log det X", wrt="X")
    with fake_clock(1), pytest.raises(mc.TimeLimitError, match=r"^verify\(\) ran past"):
        g.verify()
    assert g.verify()


def test_no_limit_never_stops(limit):
    limit(None)
    with fake_clock(0):
        assert str(mc.hessian("log det X", wrt="X")) == "H[dX] = -X^-T dX^T X^-T"


def test_set_time_limit_returns_the_previous_limit(limit):
    assert mc.set_time_limit(2) is None
    assert mc.time_limit() == 2.0
    assert mc.set_time_limit(0.5) == 2.0


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan, "5", True, [1]])
def test_a_bad_time_limit_is_refused(bad, limit):
    with pytest.raises(mc.MatcalcError, match="positive number of seconds"):
        mc.set_time_limit(bad)


@pytest.mark.parametrize("setting, seconds", [("2.5", 2.5), (" 7 ", 7.0), ("none", None),
                                              ("None", None), ("", deadline.DEFAULT_LIMIT)])
def test_the_environment_sets_the_limit(setting, seconds, monkeypatch):
    monkeypatch.setattr(deadline, "_limit", deadline._UNSET)
    monkeypatch.setenv("MATCALC_TIMEOUT", setting)
    assert mc.time_limit() == seconds


@pytest.mark.parametrize("setting", ["abc", "0", "-3", "inf"])
def test_a_bad_environment_setting_is_a_clear_error(setting, monkeypatch):
    monkeypatch.setattr(deadline, "_limit", deadline._UNSET)
    monkeypatch.setenv("MATCALC_TIMEOUT", setting)
    with pytest.raises(mc.MatcalcError, match="MATCALC_TIMEOUT"):
        mc.gradient("x^T x", wrt="x")


def test_the_default_is_a_few_seconds(monkeypatch):
    monkeypatch.setattr(deadline, "_limit", deadline._UNSET)
    monkeypatch.delenv("MATCALC_TIMEOUT", raising=False)
    assert mc.time_limit() == deadline.DEFAULT_LIMIT and 1 <= deadline.DEFAULT_LIMIT <= 10


# ---- verify() caps its finite differences ------------------------------------------------

N = 40          # 1600 entries: more than MAX_DIRECTIONS
BIG = {"X": np.eye(N) + 0.02 * np.random.default_rng(1).standard_normal((N, N))}


def test_verify_of_a_large_variable_checks_random_directions_and_says_so(limit):
    limit(None)
    report = mc.gradient("log det X", wrt="X").verify(at=BIG)
    assert report.ok and report.checks == verification.MAX_DIRECTIONS and report.entries == N * N
    assert str(report).endswith("100 finite differences (along random directions; one per "
                                "entry would take 1600)")


def test_verify_of_a_small_variable_checks_every_entry(limit):
    limit(None)
    report = mc.gradient("log det X", wrt="X").verify(at={"X": np.eye(4) + 0.1 * np.ones((4, 4))})
    assert report.ok and report.checks == report.entries == 16
    assert "random" not in str(report)


def test_random_directions_catch_one_wrong_entry(limit):
    limit(None)
    g = mc.gradient("log det X", wrt="X")
    E = np.zeros((N, N))
    E[3, 7] = 0.05
    wrong = dataclasses.replace(g)
    object.__setattr__(wrong, "evaluate", lambda v: g.evaluate(v) + E)
    assert not wrong.verify(at=BIG)


def test_random_directions_of_a_symmetric_variable_are_symmetric(limit):
    limit(None)
    S = BIG["X"] @ BIG["X"].T
    report = mc.gradient("log det X", wrt="X", assume={"X": "spd"}).verify(at={"X": S})
    assert report.ok and report.checks == 100 and report.entries == N * (N + 1) // 2


def test_jacobian_verify_samples_too(limit):
    limit(None)
    report = mc.jacobian("A X", wrt="X").verify(draws=1, at={"X": np.eye(12),
                                                             "A": np.arange(144.).reshape(12, 12)})
    assert report.ok and report.checks == 100 and report.entries == 144


# ---- properties --------------------------------------------------------------------------

def sized(call, *args, **kwargs):
    """call(*args, **kwargs); an I of no fixed size (tr(I)) is no matter of these tests."""
    try:
        return call(*args, **kwargs)
    except mc.MatcalcError as error:
        hypothesis_assume("not fixed by the values" not in str(error))
        raise


def finite_gradient(case, v):
    with np.errstate(all="ignore"):
        try:
            fd = central_gradient(case.f, v, case.var)
        except np.linalg.LinAlgError:
            fd = np.nan
    hypothesis_assume(np.all(np.isfinite(fd)) and np.max(np.abs(fd)) < 1e6)
    return fd


@profile(2000 if LONG else 100)
@given(case=cases(depth=2), ticks=st.integers(0, 200),
       kind=st.sampled_from(["gradient", "hessian"]))
def test_a_call_stopped_anywhere_leaves_nothing_wrong_behind(case, ticks, kind):
    """Stopped after any number of deadline checks, a derivation raises TimeLimitError or
    finishes; either way the same derivation run afterwards agrees with finite differences
    (what a stopped call left in the simplifier's memo or SymPy's caches is right)."""
    def derive():
        try:
            return getattr(mc, kind)(case.text, wrt=case.var, shapes=SHAPES)
        except mc.UnsupportedError:
            hypothesis_assume(False)

    previous = mc.set_time_limit(1000)
    try:
        with fake_clock(ticks):
            try:
                derive()
                COUNTS[f"{kind}: finished before the deadline"] += 1
            except mc.TimeLimitError as e:
                COUNTS[f"{kind}: stopped while {str(e).split(' while ')[1].split(';')[0]}"] += 1
        v = case.values()
        fd = finite_gradient(case, v)
        result = derive()
    finally:
        mc.set_time_limit(previous)
    g = result.gradient if kind == "hessian" else result
    scale = max(1.0, float(np.max(np.abs(fd))))
    assert_close(sized(g.evaluate, v), fd, rtol=0, atol=2e-6 * scale, what=case.text)
    if kind == "hessian":
        H = central_jacobian(g.evaluate, v, case.var)
        scale = max(1.0, float(np.max(np.abs(H))))
        assert_close(result.evaluate(v), H, rtol=0, atol=2e-5 * scale, what=case.text)
    COUNTS[f"{kind}: right afterwards"] += 1


@profile(500 if LONG else 50)
@given(case=cases(var="X", depth=2), most=st.integers(1, 8), entry=st.tuples(
    st.integers(0, 2), st.integers(0, 2)))
def test_verify_along_random_directions_passes_right_and_fails_wrong_gradients(case, most, entry):
    """With fewer directions than entries, a right gradient verifies (or is undecided, where
    the finite differences' rounding exceeds the tolerance) and one wrong in a single entry
    (by a tenth of the gradient's size) does not verify."""
    with mock.patch.object(verification, "MAX_DIRECTIONS", most):
        try:
            g = mc.gradient(case.text, wrt="X", shapes=SHAPES)
        except mc.UnsupportedError:
            hypothesis_assume(False)
        v = case.values()
        fd = finite_gradient(case, v)
        report = sized(g.verify, draws=1, at=v)
        hypothesis_assume(not report.notes)
        assert (report.ok or report.undecided) and report.checks == most, str(report)
        assert report.entries == 9, str(report)
        E = np.zeros((3, 3))
        E[entry] = 0.1 * max(1.0, float(np.max(np.abs(fd))))
        wrong = dataclasses.replace(g)
        object.__setattr__(wrong, "evaluate", lambda values: g.evaluate(values) + E)
        assert not wrong.verify(draws=1, at=v)
    COUNTS["verify along random directions: right passes, wrong fails"] += 1

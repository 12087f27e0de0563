"""The cases as data (matcalc.problems): every entry of the problem set, of the losses and
of the identities solves, passes the finite-difference check and equals its answer."""
from __future__ import annotations

import dataclasses
import functools

import pytest

from matcalc import problems as P
from matcalc.problems import CASES, PROBLEMS, check_answer, solve

IDS = [p.id for p in PROBLEMS]
# Known engine gaps: case id -> reason, xfail(strict=True) so that a fix shows up.
XFAIL = {}
ALL_CASES = [pytest.param(p, id=p.id, marks=[pytest.mark.xfail(strict=True, reason=XFAIL[p.id])]
                          if p.id in XFAIL else []) for p in CASES]


@functools.cache
def solved(case_id):
    return solve(P.case(case_id))


@pytest.mark.parametrize("problem", ALL_CASES)
def test_solves_and_verifies(problem):
    result = solved(problem.id)
    assert str(result), f"{problem.id}: empty result"
    report = result.verify()
    assert report.ok, f"{problem.id}: {P.display(problem, result)}: {report}"


@pytest.mark.parametrize("problem", ALL_CASES)
def test_matches_expected_answer(problem):
    outcome = check_answer(problem, solved(problem.id))
    assert outcome.ok, f"{problem.id}: {outcome.message}"


def test_covers_the_problem_set():
    """Sections A (P1-P31 but P13, an explanation) and B (S1-S6), AD8 and AD9 of C."""
    families = {p.family for p in PROBLEMS}
    wanted = {f"P{i}" for i in range(1, 32) if i != 13} | {f"S{i}" for i in range(1, 7)}
    wanted |= {"AD8", "AD9"}
    assert wanted <= families, f"missing: {sorted(wanted - families)}"
    assert {p.id for p in PROBLEMS if p.family == "P29"} == {
        "P29-tr", "P29-trinv", "P29-det", "P29-lndet"}
    assert {p.id for p in PROBLEMS if p.family == "AD8"} == {"AD8-A", "AD8-b"}


def test_entries_are_well_formed():
    assert len({p.id for p in CASES}) == len(CASES)
    for p in CASES:
        assert p.kind in P.KINDS, p.id
        assert p.section in (("A", "B", "C") if p in PROBLEMS else ("L", "I")), p.id
        assert p.statement and p.text and p.answer and p.wrt, p.id
        if p.kind == "derivative":
            assert p.order >= 1 and p.shapes and p.shapes.get(p.wrt) == "scalar", p.id
        if p.direction:
            assert p.kind in ("hessian", "jacobian"), p.id


def test_losses_cover_losses_md():
    """Every loss of losses.md, a loss of several variables with one row per variable."""
    assert {p.family for p in P.LOSSES} == {
        "L1", "L1H", "L3", "L4m", "L4S", "L5U", "L5V", "L6", "L7", "L7H", "L10", "L10H", "L11",
        "L12", "L13", "L15", "L16", "L18", "L19", "L20"}
    assert {p.wrt for p in P.LOSSES if p.family == "L6"} == {"W_1", "b_1", "W_2", "b_2"}
    assert {p.wrt for p in P.LOSSES if p.family == "L20"} == {"W_1", "W_2", "W_3"}


def test_case_looks_up_every_table():
    assert P.case("S2") is P.by_id("S2")
    assert P.case("L4S").section == "L" and P.case("CB-trAXB").section == "I"
    with pytest.raises(KeyError):
        P.case("s2")        # exact ids


def test_by_id_and_select():
    assert P.by_id("s2").id == "S2"
    with pytest.raises(KeyError):
        P.by_id("P99")
    assert [p.id for p in P.select(["P3"])] == ["P3", "P3-hess", "P3-sym", "P3-sym-hess"]
    assert [p.id for p in P.select(["P3-hess", "S2"])] == ["P3-hess", "S2"]
    assert [p.id for p in P.select(["P30"])] == ["P30", "P30-2"]     # not P3
    with pytest.raises(KeyError):
        P.select(["P3", "nope"])


def test_display_of_a_differential():
    p = P.by_id("P9-diff")
    assert P.display(p, solved(p.id)) == "df = <(A + A^T) x, dx> / (x^T A x)"


@pytest.mark.parametrize("problem_id, wrong", [
    ("S2", "-X^-1 A^T B^T X^-1"),               # matcalc.check
    ("P14-tr", "2 I"),                          # I sized like the variable
    ("P27-hess", "I"),
    ("P23-b", "(sigma(W x + b) - y) .* sigma(W x + b)"),  # the numeric fallback path
    ("P1-x", "A^T A"),                          # Jacobian, numerically
    ("P1-A", "2 V x"),                          # Jacobian as a map on V
    ("P11-hess-general", "-X^-1 V X^-1"),       # Hessian as an action H[V]
    ("P30-2", "det(A - t I) tr((A - t I)^-2)"),  # derivative of order 2
])
def test_a_wrong_answer_is_caught(problem_id, wrong):
    problem = dataclasses.replace(P.by_id(problem_id), answer=wrong)
    outcome = check_answer(problem, solved(problem_id))
    assert not outcome.ok, f"{problem_id}: {wrong!r} accepted: {outcome.message}"


def test_run_reports_a_row():
    outcome = P.run(P.by_id("S2"))
    assert outcome.ok and outcome.result == "-X^-T A^T B^T X^-T" and outcome.ms > 0


def test_run_reports_an_error_without_raising():
    bad = dataclasses.replace(P.by_id("S2"), text="tr(A X^-1 B", id="S2-broken")
    outcome = P.run(bad)
    assert not outcome.ok and outcome.error.startswith("error:")

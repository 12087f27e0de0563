"""The seminar problem set as data (matcalc.problems): every entry solves, passes the
finite-difference check and equals the answer of the problem set."""
from __future__ import annotations

import dataclasses
import functools

import pytest

from matcalc import problems as P
from matcalc.problems import PROBLEMS, check_answer, solve

IDS = [p.id for p in PROBLEMS]


@functools.cache
def solved(problem_id):
    return solve(P.by_id(problem_id))


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
def test_solves_and_verifies(problem):
    result = solved(problem.id)
    assert str(result), f"{problem.id}: empty result"
    report = result.verify()
    assert report.ok, f"{problem.id}: {P.display(problem, result)}: {report}"


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
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
    assert len(set(IDS)) == len(IDS)
    for p in PROBLEMS:
        assert p.kind in P.KINDS, p.id
        assert p.section in ("A", "B", "C"), p.id
        assert p.statement and p.text and p.answer and p.wrt, p.id
        if p.kind == "derivative":
            assert p.order >= 1 and p.shapes and p.shapes.get(p.wrt) == "scalar", p.id
        if p.direction:
            assert p.kind in ("hessian", "jacobian"), p.id


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

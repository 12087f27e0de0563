"""Answers print as short as the problem set's closed forms.

Symbols are counted as tokens (names, numbers, operators, brackets); a norm's
subscript and the prefix of a map (H[dX] =, dX ->) do not count. Two tokens of
slack allow notation that differs but is not longer in substance
(<a, x> for a^T x).
"""
import re

import pytest

from matcalc.problems import PROBLEMS, display, solve

SLACK = 2


def tokens(text: str) -> int:
    text = re.sub(r"^(H\[\w+\] = |d\w+ -> )", "", text)
    text = re.sub(r"\|\|_(2|F)", "||", text)
    return len(re.findall(r"[A-Za-z]+(?:_\w+)?|\d+|\|\||\.\*|\./|[-+*/^()<>,]", text))


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_no_longer_than_the_closed_form(problem):
    result = solve(problem)
    shown = str(result) if problem.kind == "differential" else display(problem, result)
    assert tokens(shown) <= tokens(problem.answer) + SLACK, (shown, problem.answer)

"""Derivations as the seminar writes them: one line per layer of rules.

A derivation is a list of ``Step``s (differential.py): the rules used and the
whole expression after them. It renders as plain text for a terminal and as an
aligned LaTeX block that ends in the boxed result.
"""
from __future__ import annotations

import re

from ..rules.differential import Step
from ..backends.printing import latex, text
from ..catalogue.functions import latex_name, printed_names


def explain(title: str, lhs: str, steps: list[Step], result: str) -> str:
    """Plain text: 'df = ...' then '   = ...  [rule]' lines, then the result."""
    lines = [title] if title else []
    width = max((len(text(s.expr)) for s in steps), default=0)
    for i, s in enumerate(steps):
        if s.lhs or i == 0:
            lhs = s.lhs or lhs
            head = f"{lhs} = "
        else:
            head = " " * len(lhs) + " = "
        rule = f"  [{'; '.join(s.rules)}]" if s.rules else ""
        lines.append(f"{head}{text(s.expr):<{width}}{rule}".rstrip())
    lines.append(result)
    return "\n".join(lines)


def latex_derivation(lhs: str, steps: list[Step], result: str) -> str:
    rows = []
    for i, s in enumerate(steps):
        rule = r" && " + r",\quad ".join(_latex_rule(r) for r in s.rules) if s.rules else ""
        head = _latex_lhs(s.lhs) if s.lhs else lhs if i == 0 else ""
        rows.append(head + " &= " + latex(s.expr) + rule)
    body = r" \\ ".join(rows)
    return rf"\begin{{aligned}} {body} \end{{aligned}} \qquad \boxed{{{result}}}"


RULE_LATEX = [(r"\^-T", r"^{-\\top}"), (r"\^-1", r"^{-1}"), (r"\^T", r"^{\\top}"),
              (r"\^\(([^)]*)\)", r"^{\1}"), (r"<", r"\\langle "), (r">", r"\\rangle "),
              (r"\|\|", r"\\|"), (r"\.\*", r"\\odot "), (r"\bkron\b", r"\\otimes"),
              (rf"\b({'|'.join(printed_names())})\b", lambda m: latex_name(m[1])),
              (r";", r",\\;")]
"""(pattern, replacement) in order; a function's name becomes its LaTeX name in the catalogue."""


def _latex_rule(rule: str) -> str:
    """A rule, written in the input language, as LaTeX math (d(X^-1) -> d(X^{-1}))."""
    if not rule.startswith("d") and "=" not in rule:
        return r"\text{" + rule + "}"
    for pattern, replacement in RULE_LATEX:
        rule = re.sub(pattern, replacement, rule)
    return rule


def _latex_lhs(lhs: str) -> str:
    return {"grad f": r"\nabla f", "d(grad f)": r"d(\nabla f)", "H": r"\nabla^2 f"}.get(
        lhs, lhs.replace("[", r"\left[").replace("]", r"\right]"))

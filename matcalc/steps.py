"""Derivations as the seminar writes them: one line per layer of rules.

A derivation is a list of ``Step``s (differential.py): the rules used and the
whole expression after them. It renders as plain text for a terminal and as an
aligned LaTeX block that ends in the boxed result.
"""
from __future__ import annotations

from .differential import Step
from .printing import latex, text


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
        rule = r" && \text{" + _latex_text("; ".join(s.rules)) + "}" if s.rules else ""
        head = _latex_lhs(s.lhs) if s.lhs else lhs if i == 0 else ""
        rows.append(head + " &= " + latex(s.expr) + rule)
    body = r" \\ ".join(rows)
    return rf"\begin{{aligned}} {body} \end{{aligned}} \qquad \boxed{{{result}}}"


def _latex_text(s: str) -> str:
    for a, b in (("\\", r"\textbackslash "), ("_", r"\_"), ("^", r"\^{}"), ("&", r"\&"),
                 ("%", r"\%"), ("#", r"\#"), ("{", r"\{"), ("}", r"\}")):
        s = s.replace(a, b)
    return s


def _latex_lhs(lhs: str) -> str:
    return {"grad f": r"\nabla f", "d(grad f)": r"d(\nabla f)", "H": r"\nabla^2 f"}.get(
        lhs, lhs.replace("[", r"\left[").replace("]", r"\right]"))

"""Derivations as the seminar writes them: one line per layer of rules.

A derivation is a list of ``Step``s (rules/differential.py): the rules used and the
whole expression after them. It renders as plain text for a terminal and as an
aligned LaTeX block with the boxed result under it (a long derivation leaves no room
beside it).
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from ..rules.differential import Step
from ..backends.printing import latex, text
from ..catalogue.functions import latex_name, printed_names
from ..language.lexer import GREEK


def lines_of(steps: list[Step]) -> list[Step]:
    """The lines a derivation shows: a step that leaves the expression as it was adds its
    rules to the line before (a no-op "simplify" adds nothing) instead of repeating it."""
    shown: list[Step] = []
    for s in steps:
        if shown and s.expr == shown[-1].expr and s.lhs in (None, shown[-1].lhs):
            rules = tuple(r for r in s.rules if r != "simplify")
            shown[-1] = Step(shown[-1].rules + rules, s.expr, shown[-1].lhs)
        else:
            shown.append(s)
    return shown


def explain(title: str, lhs: str, steps: list[Step], result: str) -> str:
    """Plain text: 'df = ...' then '   = ...  [rule]' lines, then the result."""
    steps = lines_of(steps)
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


def latex_derivation(lhs: str, steps: list[Step], result: str,
                     where: Sequence[str] = ()) -> str:
    """An aligned block, one row a line (a long one broken before a + or -), the rules in a
    column; the boxed result below, and under it the rows of the names it uses (where h = ...)."""
    steps = lines_of(steps)
    rows = []
    for i, s in enumerate(steps):
        rule = r" && " + r",\quad ".join(latex_rule(r) for r in s.rules) if s.rules else ""
        head = _latex_lhs(s.lhs) if s.lhs else lhs if i == 0 else ""
        first, *rest = broken(latex(s.expr))
        rows.append(head + " &= " + first + rule)
        rows += [r" &\quad " + part for part in rest]
    body = r" \\ ".join(rows)
    if len(answer := broken(result)) > 1:       # a long answer: its rows boxed together
        result = r"\begin{aligned} &" + r" \\ &\quad ".join(answer) + r" \end{aligned}"
    below = "".join(rf" \\ {w}" for w in where)
    return (rf"\begin{{gathered}} \begin{{aligned}} {body} \end{{aligned}} \\[1ex] "
            rf"\boxed{{{result}}}{below} \end{{gathered}}")


LINE_WIDTH = 70      # visible characters in one row of a derivation, about a printed line


def visible(formula: str) -> int:
    """About how many characters LaTeX shows: a command counts one, braces none."""
    return len(re.sub(r"[{}]", "", re.sub(r"\\(?:left|right)\b|\\[A-Za-z]+\s?", "x", formula)))


def broken(formula: str, width: int = LINE_WIDTH) -> list[str]:
    """A long line's LaTeX cut before its outermost + and - signs into rows of about width
    visible characters; the later rows begin with their sign. Where every sign is inside
    \\left( ... \\right), the rows are cut there and the parentheses closed and reopened
    with \\right. and \\left. . A short line is one row."""
    if visible(formula) <= width:
        return [formula]
    cuts, braces, groups = {}, 0, 0        # position -> depth of \left groups there
    for i, ch in enumerate(formula):
        if formula.startswith(r"\left", i):
            groups += 1
        elif formula.startswith(r"\right", i):
            groups -= 1
        elif ch == "{":
            braces += 1
        elif ch == "}":
            braces -= 1
        elif braces == 0 and i > 0 and formula[i - 1:i + 2] in (" + ", " - "):
            cuts[i] = groups
    if not cuts:
        return [formula]
    depth = min(cuts.values())
    at = [0] + [i for i, d in cuts.items() if d == depth] + [len(formula)]
    pieces = [formula[a:b].strip() for a, b in zip(at, at[1:])]
    rows = [pieces[0]]
    for piece in pieces[1:]:
        if visible(rows[-1]) + visible(piece) > width:
            rows.append(piece)
        else:
            rows[-1] += " " + piece
    close, reopen = r" \right." * depth, r"\left. " * depth
    return [(reopen if k else "") + row + (close if k < len(rows) - 1 else "")
            for k, row in enumerate(rows)]


RULE_LATEX: list[tuple[str, str | Callable[[re.Match[str]], str]]]
RULE_LATEX = [(r"(?<=[\w)])\s+(?=[\w(])", r"\\, "), (r"\bgrad\\, f\b", r"\\nabla{}f"),
              (r"\^-T", r"^{-\\top}"), (r"\^-1", r"^{-1}"), (r"\^T", r"^{\\top}"),
              (r"\.\^\(([^)]*)\)", r"^{\\circ (\1)}"), (r"\^\(([^)]*)\)", r"^{\1}"),
              (r"_inf\b", r"_\\infty"), (r"<", r"\\langle "), (r">", r"\\rangle "),
              (r"\|\|", r"\\|"), (r"\.\*", r"\\odot "),
              (r"(?:\\, )?\bkron\b(?:\\, )?", r" \\otimes "), (r"\bsym\(", r"\\operatorname{sym}("),
              (r"\bsum_(\w)", r"\\textstyle\\sum_{\1}"),
              (rf"\bd({'|'.join(GREEK)})\b", r"d\\\1"),
              (rf"\b({'|'.join(printed_names())})\b", lambda m: latex_name(m[1])),
              (r"\\sqrt\(([^()]*)\)", r"\\sqrt{\1}"),
              (r";", r",\\;")]
"""(pattern, replacement) in order, turning a formula of the input language into LaTeX: a
function's name becomes its LaTeX name in the catalogue, a product's factors stand a thin
space apart (dX Y, not dXY)."""

PROSE = re.compile(rf"(?!d(?:{'|'.join(GREEK)})\b|kron\b)(?:[a-z]{{3,}}|on|of|to|in|at|by)[,:]?\Z")
"""A word of a rule's prose (read off, canonical form): set upright, apart from its math."""


def latex_rule(rule: str) -> str:
    """A rule as LaTeX: runs of prose words in \\text, formulas (d(X^-1) = ...) as math."""
    runs: list[tuple[bool, list[str]]] = []
    for word in rule.split(" "):
        prose = bool(PROSE.match(word)) and word.rstrip(",:") not in printed_names()
        if runs and runs[-1][0] == prose:
            runs[-1][1].append(word)
        else:
            runs.append((prose, [word]))
    out = []
    for prose, words in runs:
        if prose:
            out.append(r"\text{" + " ".join(words) + "}")
        else:
            formula = " ".join(words)
            for pattern, replacement in RULE_LATEX:
                formula = re.sub(pattern, replacement, formula)
            out.append(formula)
    return r"\ ".join(out)


def _latex_lhs(lhs: str) -> str:
    return {"grad f": r"\nabla f", "d(grad f)": r"d(\nabla f)", "H": r"\nabla^2 f"}.get(
        lhs, lhs.replace("[", r"\left[").replace("]", r"\right]"))

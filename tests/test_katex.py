"""Every LaTeX matcalc writes renders in KaTeX in strict mode, and reads like a textbook.

Rendered: each case's result (matcalc.problems.CASES), its derivation as shown in Jupyter,
its differential and Hessian-vector product where it has one, every rule label, and the
LaTeX outputs of the committed notebooks. KaTeX comes from the npm registry (.ci/package.json,
installed by .ci/run); MATCALC_KATEX names its folder. Without it the test is skipped, unless
MATCALC_REQUIRE_KATEX=1 (as in CI), which makes a missing KaTeX a failure. The lints need
no KaTeX: no power ^1, no math inside \\text{}, no word of several letters set in italics.
"""
from __future__ import annotations

import functools
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

import matcalc as mc
from matcalc import problems
from matcalc.api.steps import latex_rule
from matcalc.errors import MatcalcError
from matcalc.rules.differential import NORM_RULES, RULES
from matcalc.catalogue.functions import ELEMENTWISE

ROOT = pathlib.Path(__file__).resolve().parent.parent
RENDER = pathlib.Path(__file__).with_name("katex_render.js")


def katex() -> str:
    path = os.environ.get("MATCALC_KATEX") or str(ROOT / ".ci" / "node_modules" / "katex")
    if shutil.which("node") and pathlib.Path(path, "package.json").exists():
        return path
    if os.environ.get("MATCALC_REQUIRE_KATEX") == "1":
        pytest.fail(f"KaTeX is not installed at {path} (run: npm install --prefix .ci)")
    pytest.skip("KaTeX is not installed (npm install --prefix .ci)")


def math(displayed: str) -> str:
    """The math inside $\\displaystyle ...$ as a result shows it in Jupyter."""
    return displayed.strip().removeprefix("$").removesuffix("$").strip()


@functools.cache
def every_output() -> tuple:
    return tuple(outputs())


def outputs():
    """(where, LaTeX) for everything matcalc writes as LaTeX on the cases."""
    for p in problems.CASES:
        try:
            r = problems.solve(p)
        except MatcalcError:
            continue
        yield f"{p.id} result", r.latex
        yield f"{p.id} derivation", math(r._repr_latex_())
        if p.kind in ("gradient", "differential"):
            yield f"{p.id} differential", r.differential.latex
            try:
                yield f"{p.id} hvp", mc.hvp(p.text, wrt=p.wrt, shapes=p.shapes,
                                            assume=p.assume).latex
            except MatcalcError:
                pass
    for node, rule in RULES.items():
        if not callable(rule.label):
            yield f"rule of {node.__name__}", latex_rule(rule.label)
    for kind, rule in NORM_RULES.items():
        yield f"rule of the {kind} norm", latex_rule(rule.label_of(None))
    for name in ELEMENTWISE:
        e = mc.parse(f"{name}(u)")
        yield f"chain rule of {name}", latex_rule(RULES[type(e)].label_of(e))
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(notebook.read_text("utf-8"))["cells"]):
            for out in cell.get("outputs", []):
                tex = out.get("data", {}).get("text/latex")
                if tex:
                    yield f"{notebook.name} cell {i}", math("".join(tex))


def test_every_latex_output_renders_in_katex_strict_mode():
    path = katex()
    cases = list(every_output())
    assert len(cases) > 200
    done = subprocess.run(["node", str(RENDER)], input=json.dumps([t for _, t in cases]),
                          capture_output=True, text=True, env={**os.environ, "MATCALC_KATEX": path},
                          timeout=300, check=True)
    failures = [f"{cases[i][0]}: {message}\n    {cases[i][1][:300]}"
                for i, message in json.loads(done.stdout)]
    assert not failures, \
        f"{len(failures)} of {len(cases)} do not render:\n" + "\n".join(failures[:40])


GROUPS = re.compile(r"\\(?:text|operatorname|mathrm|mathbf|begin|end)\{[^{}]*\}|\\\\\[[^]]*\]")
COMMAND = re.compile(r"\\[A-Za-z]+")


def italic_words(tex: str) -> list[str]:
    """Runs of letters set in math italics that read as a word: not a differential (dX, du),
    not a product of capitals (XY in d(XY)); commands and upright groups are not math text."""
    bare = COMMAND.sub(" ", GROUPS.sub(" ", tex))
    return [w for w in re.findall(r"(?<![A-Za-z])[A-Za-z]{2,}", bare)
            if not re.fullmatch(r"d[A-Za-z]|[A-Z]+", w)]


def test_latex_lints():
    powers_of_one, math_in_text, italic = [], [], []
    for where, tex in every_output():
        if re.search(r"\^\{?1\}?(?![0-9.])", tex):
            powers_of_one.append(where)
        math_in_text += [f"{where}: {t}" for t in re.findall(r"\\text\{([^{}]*)\}", tex)
                         if re.search(r"[\\^_=<>]", t)]
        italic += [f"{where}: {w}" for w in italic_words(tex)]
    assert powers_of_one == [] and math_in_text == [] and italic == [], \
        (powers_of_one[:10], math_in_text[:10], italic[:20])

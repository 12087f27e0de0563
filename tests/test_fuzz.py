"""Parser fuzzing: random and mutated text never gets anything but an Expr or a MatcalcError.

Inputs are valid expressions (the problem sets, the README, the whole
language) mutated by inserting, deleting and replacing characters and
fragments of the language's alphabet (unicode and LaTeX included), plus
random strings over that alphabet. For each input:

- ``mc.parse`` returns an Expr or raises a MatcalcError;
- what parses prints (text and LaTeX), and the text parses again;
- ``mc.gradient`` on it returns a result or raises a MatcalcError, and the
  result prints and parses again; a gradient still running ``PAST_DEADLINE``
  seconds after its time limit is a failure (a TimeLimitError is counted apart).

The run is deterministic (fixed seeds). The default run checks a few
thousand inputs; ``MATCALC_LONG=1`` checks ``LONG_INPUTS`` (>= 100,000).
Counts are printed (``pytest -s``) and written to ``.fuzz-counts.json``
beside this file when ``MATCALC_FUZZ_RECORD`` names a path; the gradients refused are
counted by reason too (``refusal_reason``: the error's type and its first clause, the
expression left out), and the summary lists the commonest.

Failures that are known bugs outside the parser are matched by ``KNOWN`` and
counted apart; each has a minimal reproducer marked xfail(strict=True) at the
end of this file, so that fixing the bug flips the test.

Run by hand to explore: ``python tests/test_fuzz.py 20000 [seed]``.
"""
from __future__ import annotations

import collections
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import matcalc as mc
from matcalc.ir.traverse import free_symbols
from matcalc.problems import CASES
from harness import alarm

LONG = os.environ.get("MATCALC_LONG") == "1"
DEFAULT_INPUTS = 3_000
LONG_INPUTS = 100_000
PAST_DEADLINE = 5            # seconds past the time limit at which a gradient counts as a hang

HERE = Path(__file__).parent

# ---- seeds: valid expressions over the whole language -----------------------------------

LANGUAGE = [
    "x", "A x", "x^T A x", "1/2 x^T A x + b^T x + c", "tr(A X^-1 B)", "ln <x, Ax>",
    "1/2 ||A x - b||_2^2", "<x, x>^<x, x>", "log det X", "tr AX", "det(A - t I)",
    "X^-T", "X^{-1}", "X^2 - X^-2", "u^3 + u^v", "x.^2", "A .* B", "A ⊙ B", "x ./ (1 + x.^2)",
    "A kron B", "A ⊗ B", "x'", "Xᵀ X", "X⁻¹", "⟨a, b⟩", "‖x‖", "||X||_F", "||X||_2", "||x||_1",
    "||W||_*", "|t|", "1^T exp(x)", "sum(exp(x))", "logsumexp(A x + b)", "softmax(z)",
    "sigma(W x + b)", "softplus(x)", "relu(A x)", "abs(x)", "sign(x)", "step(x)", "sqrt(x^T x)",
    "sin(X) + cos(X) + tan(X) + tanh(X)", "inv(X) + logdet X", "diag(x) + diag(diag(X))",
    "lambda_max(X)", "eig(X)", "prod(eig(X))", "polar(X)", "svtop(X)", "eigtop(X)",
    "alpha x + beta y", "θ^T x", "mu/2 ||x||^2", "a_i^T x_1 + W_2 x", "x_{12} + y_{ab}",
    "1/m x", "x / y^T y", "-exp(-x^T x)", "-1 / (1 + x^T x)", "(A + A^T)^-1 x",
    r"\frac{1}{2} \|Ax - b\|_2^2", r"\ln \langle x, Ax \rangle", r"\operatorname{tr}(A X)",
    r"\text{tr}(X)", r"x^\top A x", r"X^{-\top}", r"\mathbf{x}^\top \mathbf{A} \mathbf{x}",
    r"2 \cdot x", r"\left( A + B \right) x", r"\lambda_{\max}(X)", r"x \odot y",
    r"A \otimes B", r"\sqrt{x^T x}", r"\exp(-\|x\|^2)", r"\det X", r"\sigma(z)",
    "x^T x\n + 1", "tr(X)\t+ det(X)", "0.5 x^T x", "2x", "xx^T", "AXB", "tr(X) I",
    "(b^T x) a", "<a, x> A",
]


def seeds() -> list[str]:
    texts = list(LANGUAGE)
    texts += [p.text for p in CASES] + [p.answer for p in CASES]
    readme = (HERE.parent / "README.md")
    if readme.exists():
        texts += re.findall(r'mc\.(?:gradient|parse|hessian|differential)\("([^"]+)"',
                            readme.read_text("utf-8"))
    return sorted(set(texts))


# ---- the alphabet ------------------------------------------------------------------------

CHARACTERS = list("xyzabAXBSWtIuv 0123456789+-*/^'.,<>|(){}_\\ \n\t;:=!@#$%&~`\"?[]") + \
    list("⟨⟩‖ᵀ⁻¹⊙∘⊗αβθλμσΣΘ∑√∞−·×٣３²₁१") + ["\x00", "\u200b", "\u2028", "é", "𝐱"]
FRAGMENTS = [
    r"\frac", r"\frac{1}{2}", r"\langle", r"\rangle", r"\|", r"\left(", r"\right)", r"\left",
    r"\right", r"\top", r"^\top", r"\operatorname{tr}", r"\operatorname{", r"\text{", r"\mathbf{",
    r"\mathrm{", r"\cdot", r"\times", r"\odot", r"\circ", r"\otimes", r"\ln", r"\log", r"\det",
    r"\exp", r"\sqrt", r"\sum", r"\lambda_{\max}", r"\alpha", r"\sigma", r"\intercal", r"\,",
    r"\;", r"\!", r"\ ", r"\\", "^{-1}", "^{-T}", "^{T}", "^-1", "^-T", "^T", "^2", "^{-2}", ".^",
    ".*", "./", "||", "_2", "_F", "_1", "_*", "_{", "kron", "tr", "det", "log", "ln", "exp",
    "sigma", "softmax", "logsumexp", "diag", "sum", "inv", "logdet", "sqrt", "relu", "abs",
    "lambda_max", "eig", "polar", "alpha", "theta", "mu", "1/2", "0.5", "1/0", "I", "1^T",
    "<x, x>", "x^T", "A x", "(", ")", "{", "}", " + ", " - ", " * ", " / ", "e5", "1e-3",
    "tr(", "det(", "||x||", "|t|", "x_1", "a_i", "W_2", "1/", "/0", "^-", "^^", "''", "--",
    "2.", ".*2", "2.*", "^-1.*", ".^2.^", "1e308", "1e309", "2E5", "1.5e-3", "_2}", "^2_2",
    "_{2}", "x^T x^T", "٣",
]
ALPHABET = CHARACTERS + FRAGMENTS


def mutate(text: str, rng: random.Random, seeds: list[str]) -> str:
    """One to four edits: insert, delete, replace, duplicate, swap, truncate, splice."""
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        i = rng.randrange(len(text) + 1)
        j = min(len(text), i + rng.choice((1, 1, 2, 3, 5, 8)))
        op = rng.randrange(9)
        if op <= 1:
            text = text[:i] + rng.choice(ALPHABET) + text[i:]
        elif op == 2:
            text = text[:i] + text[j:]
        elif op <= 4:
            text = text[:i] + rng.choice(ALPHABET) + text[j:]
        elif op == 5:
            text = text[:i] + text[i:j] + text[i:]
        elif op == 6 and len(text) > 1:
            k = rng.randrange(len(text))
            chars = list(text)
            chars[i % len(text)], chars[k] = chars[k], chars[i % len(text)]
            text = "".join(chars)
        elif op == 7:
            text = text[:i] if rng.random() < 0.5 else text[i:]
        else:
            other = rng.choice(seeds)
            k = rng.randrange(len(other) + 1)
            text = text[:i] + rng.choice(("", " ", " + ", " * ", ", ")) + other[k:] \
                if rng.random() < 0.5 else text[:i] + other[:k] + text[i:]
    return text


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 25)))


def inputs(count: int, seed: int = 0):
    """count deterministic inputs: the seeds themselves, then 80% mutants, 20% random."""
    rng = random.Random(seed)
    pool = seeds()
    yield from pool[:count]
    for _ in range(count - min(count, len(pool))):
        yield random_text(rng) if rng.random() < 0.2 else mutate(rng.choice(pool), rng, pool)


# ---- known bugs outside the parser (each has an xfail reproducer below; none open) --------

KNOWN = [
    # (stage, predicate on the expression and the error, reproducer test)
]


@dataclass
class Report:
    counts: collections.Counter = field(default_factory=collections.Counter)
    failures: list = field(default_factory=list)      # (stage, text, wrt, type, message)
    known: collections.Counter = field(default_factory=collections.Counter)
    refusals: collections.Counter = field(default_factory=collections.Counter)   # by reason
    seconds: float = 0.0

    def fail(self, stage, text, wrt, err, expr=None):
        kind, message = type(err).__name__, str(err)
        for stages, known, test in KNOWN:
            if stage in stages and known(expr, err):
                self.known[test] += 1
                return
        self.failures.append((stage, text, wrt, kind, message[:300]))

    def summary(self) -> str:
        lines = [f"{n:>8}  {what}" for what, n in sorted(self.counts.items())]
        lines += [f"{n:>8}  known bug: {test}" for test, n in sorted(self.known.items())]
        lines.append(f"{len(self.failures):>8}  unexpected failures ({self.seconds:.1f} s)")
        lines += [f"{n:>8}  refused: {why}" for why, n in self.refusals.most_common(12)]
        return "\n".join(lines)


def refusal_reason(err: mc.MatcalcError) -> str:
    """The kind of a refusal: the error's type and the first clause of its message, without
    the expression it names, its shape or numbers."""
    first = re.split(r"[;:\n]", str(err), maxsplit=1)[0]
    if first.endswith("not a scalar"):
        first = "f is not a scalar (a vector or matrix)"
    first = re.sub(r"the differential of (\w*).*? is not supported",
                   lambda m: f"the differential of {m[1] or '...'}(...) is not supported", first)
    return f"{type(err).__name__}: {re.sub(r'[0-9]+', 'N', first)[:90]}"


def shapes_of(e: mc.Expr) -> dict:
    """The shapes of e's symbols, to parse printed text back the same way."""
    from matcalc.ir import expr as E
    return {s.name: tuple(s.dims) for s in free_symbols(e) if isinstance(s, E.Symbol)}


def reparse(e: mc.Expr, printed: str, of: mc.Expr | None = None):
    """Parse printed text with the shapes of e's symbols and of those of ``of``, the function
    e is a derivative of (a dimension it carries may be printed by its name)."""
    shapes = {**shapes_of(of), **shapes_of(e)} if of is not None else shapes_of(e)
    try:
        return mc.parse(printed, shapes=shapes, shape=e.shape)
    except mc.MatcalcError as err:
        raise AssertionError(f"printed {printed!r} does not parse: {err}") from None


def check(text: str, report: Report, differentiate: bool = True):
    """One input through parse, print, re-parse, gradient, print, re-parse."""
    from matcalc.ir import expr as E
    report.counts["inputs"] += 1
    try:
        e = mc.parse(text)
    except mc.MatcalcError:
        report.counts["parse: MatcalcError"] += 1
        return
    except Exception as err:    # noqa: BLE001
        report.fail("parse", text, None, err)
        return
    report.counts["parse: Expr"] += 1
    try:
        printed = str(e)
        e.latex
        reparse(e, printed)
    except Exception as err:    # noqa: BLE001
        report.fail("print", text, None, err, e)
        return
    names = sorted(s.name for s in free_symbols(e) if isinstance(s, E.Symbol))
    if not differentiate or not names:
        return
    wrt = names[len(text) % len(names)]
    limit = (mc.time_limit() or 10.0) + PAST_DEADLINE
    try:
        report.counts["gradient: tried"] += 1
        with alarm(limit):
            g = mc.gradient(e, wrt=wrt)
        report.counts["gradient: result"] += 1
    except mc.TimeLimitError:
        report.counts["gradient: time limit"] += 1
        return
    except mc.MatcalcError as err:
        report.counts["gradient: MatcalcError"] += 1
        report.refusals[refusal_reason(err)] += 1
        return
    except TimeoutError:
        report.fail("gradient", text, wrt,
                    TimeoutError(f"more than {limit} s: past the time limit"))
        return
    except Exception as err:    # noqa: BLE001
        report.fail("gradient", text, wrt, err, e)
        return
    try:
        printed = str(g)
        g.latex
        if g.expr is not None:
            reparse(g.expr, printed, of=e)
    except Exception as err:    # noqa: BLE001
        report.fail("gradient print", text, wrt, err, g.expr)


def run(count: int, seed: int = 0, differentiate: bool = True) -> Report:
    report = Report()
    start = time.time()
    for text in inputs(count, seed):
        check(text, report, differentiate)
    report.seconds = time.time() - start
    return report


def _record(name, report):
    path = os.environ.get("MATCALC_FUZZ_RECORD")
    if path:
        data = json.loads(Path(path).read_text()) if Path(path).exists() else {}
        data[name] = {**report.counts, "unexpected failures": len(report.failures),
                      **{f"known: {k}": v for k, v in report.known.items()},
                      **{f"refused: {k}": v for k, v in report.refusals.items()},
                      "seconds": round(report.seconds, 1)}
        Path(path).write_text(json.dumps(data, indent=2, sort_keys=True))


def _failures(report) -> str:
    return "\n".join(f"[{stage}] {text!r} wrt={wrt}: {kind}: {message}"
                     for stage, text, wrt, kind, message in report.failures[:20])


# ---- the tests ------------------------------------------------------------------------------

def test_parser_fuzz():
    """Parse (and print) only: the full count, fast."""
    count = LONG_INPUTS if LONG else DEFAULT_INPUTS
    report = run(count, seed=1, differentiate=False)
    print(f"\nparser fuzz, {count} inputs:\n{report.summary()}")
    _record("parser", report)
    assert report.counts["inputs"] >= count
    assert not report.failures, _failures(report)


def test_gradient_fuzz():
    """Parse, print, differentiate, print: whatever parses."""
    count = LONG_INPUTS // 5 if LONG else DEFAULT_INPUTS // 3
    report = run(count, seed=2, differentiate=True)
    print(f"\ngradient fuzz, {count} inputs:\n{report.summary()}")
    _record("gradient", report)
    assert report.counts["gradient: tried"] > count // 10
    assert not report.failures, _failures(report)


def test_inputs_are_deterministic():
    assert list(inputs(200, seed=5)) == list(inputs(200, seed=5))
    assert len(set(inputs(500, seed=1))) > 400


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    report = run(n, seed)
    print(report.summary())
    for stage, text, wrt, kind, message in report.failures:
        print(f"[{stage}] {text!r} wrt={wrt}: {kind}: {message[:200]}")


# ---- minimal reproducers of the known bugs (outside the parser) -----------------------------

def reparses_to_the_same_value(result_or_expr, values, shapes=None):
    from matcalc.backends import numeric
    e = getattr(result_or_expr, "expr", result_or_expr)
    printed = str(result_or_expr)
    again = mc.parse(printed, shapes=shapes, shape=e.shape)
    context = (result_or_expr.base, result_or_expr.wrt) if hasattr(result_or_expr, "base") else ()
    np.testing.assert_allclose(numeric.evaluate(again, values, context=context),
                               numeric.evaluate(e, values, context=context), rtol=1e-9)


# fixed (printing.py, 1542240): regressions now

def test_printer_multiletter_subscripts():
    for text in ("x_{ab} + y", "y_{aXb}^T x"):
        e = mc.parse(text)
        assert mc.parse(str(e), shapes=shapes_of(e)) == e


def test_printer_transposed_ones_row():
    g = mc.gradient("x^T tanh(x)", wrt="x")
    reparses_to_the_same_value(g, {"x": np.array([0.3, -0.2, 0.5])})


def test_printer_sigma_symbol():
    """The scalar sigma goes after a parenthesis, (1 - x) sigma, not sigma (1 - x) (a call)."""
    e = mc.parse("(1 - x) sigma")
    reparses_to_the_same_value(e, {"x": np.array([0.3, -0.2]), "sigma": 0.7}, shapes_of(e))


def test_printer_norm_in_norm():
    """A norm inside a norm is in parentheses: 'x ||2||_2^2 / ||x (||2||_2)||_2' (it printed
    ||x ||2||_2||_2, which does not parse). x is a scalar here: x x^T ^{-T} is x x^-1 (a
    transposed x is otherwise a vector, and x^T has no inverse)."""
    g = mc.gradient("|||| I + x x^T ^{-T} ||x||", wrt="x", shapes={"x": "scalar"})
    reparses_to_the_same_value(g, {"x": 0.3}, {"x": "scalar"})


def test_printer_reciprocal_of_scaled_ones():
    """(s 1).^-1 reads s^-1 1: '-2 (x .* (<c, c ./ (2 + x.^2)> 1 / (1 + <x, x>) + ...' (it
    printed '... (1 ./ (1 + <x, x>) 1) + ...', where 1 ./ (s 1) is a scalar)."""
    g = mc.gradient("<(c / (1 + <x, x>)) ./ (2 + x.^2), c>", wrt="x")
    reparses_to_the_same_value(g, {"x": np.array([0.3, -0.2, 0.5]), "c": np.ones(3)})


def test_printer_zero_vector_argument():
    """b .* softmax(0) parses back: softmax(0) is of the zero vector, sized by context (it was
    the softmax of a scalar); an elementwise function of a zero vector is folded to the
    ones vector by simplify, and reads exp(0) 1 where it is printed as it stands."""
    g = mc.gradient("b^T (x .* softmax(x - x))", wrt="x")
    reparses_to_the_same_value(g, {"x": np.array([0.3, -0.2, 0.5]), "b": np.ones(3)})
    e = mc.simplify("A exp(x - x) + y")
    assert str(e) == "A 1 + y"
    Ax, y = mc.parse("A x + y").terms
    x = Ax.factors[1]
    exp0 = mc.ir.expr.Func("exp", mc.ir.expr.Zero(x.shape))
    assert str(mc.ir.traverse.substitute(Ax + y, x, exp0)) == "exp(0) A 1 + y"
    reparses_to_the_same_value(e, {"A": np.eye(3) + 1, "x": np.ones(3), "y": np.ones(3)},
                               shapes_of(e))


def test_parser_negated_ones():
    """-1 / (1^T m)^2, the gradient of 1 / sum(m), is minus the ones vector over a scalar:
    the parser kept -(1 / s) as -1 times the literal 1 (it folded it into the number -1 over
    s, a scalar)."""
    g = mc.gradient("1 / sum(m)", wrt="m")
    assert str(g) == "-1 / (1^T m)^2"
    reparses_to_the_same_value(g, {"m": np.array([0.3, 0.2, 0.5])})


def test_shapes_kron_of_identity():
    """A kron I with A n x k is m*n x k*m: the size of I unifies with the factor of m*n that
    A does not account for, whatever the order of the named factors (it unified n with m,
    factor by factor, and failed)."""
    e = mc.parse("A kron I")
    again = mc.parse(str(e), shapes=shapes_of(e), shape=e.shape)
    assert again.shape == e.shape
    assert again == e          # I of size m again (no value sizes it: no numeric comparison)


@pytest.mark.parametrize("text, wrt", [
    ("<x, eig(X - X)>", "x"), ("tr(diag(x - x) A)", "A"), ("tr(((X - X) kron B) A)", "A"),
    ("tr((X - X)^2 A)", "A"),
])
def test_structure_of_a_zero_is_zero(text, wrt):
    """diag(0), eig(0), 0 kron B and 0^k are 0 (they printed eig(0), the eigenvalues of a
    scalar)."""
    g = mc.gradient(text, wrt=wrt)
    assert str(g) == "0" and g.verify()


@pytest.mark.parametrize("text", ["tr(polar(X - X) A)", "tr(svtop(X - X) A)",
                                  "tr(eigtop(X - X) A)", "tr((X - X)^-1 A)"])
def test_what_a_zero_matrix_lacks_is_an_error(text):
    with pytest.raises(mc.NotDifferentiableError, match="zero matrix"):
        mc.gradient(text, wrt="A")


def test_simplify_shape_assertion():
    """x ./ (t x) is 1/t in every entry: the elementwise form keeps its shape (it raised
    "simplification changed the shape")."""
    g = mc.gradient("<x, log(t x)>", wrt="t", shapes={"t": "scalar"})
    assert str(g) == "1^T x / t" and g.verify()
    x, t = np.array([0.3, 0.2, 0.5]), 0.7
    np.testing.assert_allclose(g.evaluate({"x": x, "t": t}), np.sum(x) / t)

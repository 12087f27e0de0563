"""The catalogue is complete: every row passes every pass, every node has every rule.

Each elementwise row goes through parse, the differential, simplify, text printing and
re-parsing, LaTeX (KaTeX's commands only), conditions, evaluation against the row's
NumPy function, central differences of the gradient and Hessian of sum(f(x)) at the
samples of the row's domain, and every code backend. Adding a function is its row in
matcalc/catalogue/functions.py and its derivative in DERIVATIVES below.

Every node class of the tree has an entry in each pass's table (differential,
evaluation, printing, conditions), or is listed here with the reason the pass does not
handle it; the simplifier's and the code lowering's tables are checked beside them, in
tests/test_simplify_rules.py and tests/test_code_backends.py.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import pathlib
import re

import numpy as np
import pytest

import matcalc as mc
from matcalc.ir import expr as E
from matcalc.catalogue.domains import EVERYWHERE
from matcalc.catalogue.functions import ELEMENTWISE, latex_name
from matcalc.catalogue.structural import STRUCTURAL, structural_of
from matcalc.backends.numeric import ev
from matcalc.backends.printing import Printer, latex, text
from matcalc.rules import conditions as conditions_pass
from matcalc.rules.differential import RULES as DIFFERENTIAL_RULES
from matcalc.api.steps import latex_rule
from oracle import assert_close, central_gradient, central_jacobian

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"

# The test row of each function: the right-hand side of d f(u), as a derivation labels it.
DERIVATIVES = {
    "log": "du / u",
    "log1p": "du / (1 + u)",
    "exp": "exp(u) du",
    "sqrt": "du / (2 sqrt(u))",
    "sin": "cos(u) du",
    "cos": "-sin(u) du",
    "tan": "(1 + tan(u)^2) du",
    "tanh": "(1 - tanh(u)^2) du",
    "cosh": "cosh(u) tanh(u) du",
    "sigma": "sigma(u) (1 - sigma(u)) du",
    "softplus": "sigma(u) du",
    "relu": "step(u) du",
    "step": "0 du",
    "abs": "sign(u) du",
    "sign": "0 du",
}

# Commands KaTeX defines that matcalc's LaTeX uses; any other name must be \operatorname{...}.
KATEX = {
    "log", "ln", "lg", "exp", "sqrt", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "coth", "det", "max", "min", "sigma", "lambda",
    "operatorname", "left", "right", "odot", "oslash", "otimes", "mathbf", "frac", "top",
    "langle", "rangle", "nabla", "begin", "end", "boxed", "quad", "qquad", "text",
    "displaystyle", "circ", "cdot",
}

NAMES = sorted(ELEMENTWISE)


def katex_only(tex: str):
    unknown = set(re.findall(r"\\([A-Za-z]+)", tex)) - KATEX
    assert not unknown, f"not KaTeX: {sorted(unknown)} in {tex}"


def samples(name) -> np.ndarray:
    return np.array(ELEMENTWISE[name].domain.samples, dtype=float)


def test_every_row_has_a_test_row():
    assert set(DERIVATIVES) == set(ELEMENTWISE)


@pytest.mark.parametrize("name", NAMES)
def test_parse_and_print(name):
    row = ELEMENTWISE[name]
    e = mc.parse(f"{name}(x)")
    assert e == E.Func(name, e.arg)
    for alias in row.aliases:
        assert mc.parse(f"{alias}(x)") == e
    assert text(e) == f"{name}(x)"
    assert mc.parse(text(e)) == e
    assert latex(e).startswith(row.latex)          # \log\left(x\right); \sqrt{x}, a radical
    assert mc.parse(latex(e)) == e
    katex_only(row.latex)
    t = mc.parse(f"{name}(t)", shapes={"t": "scalar"})
    assert mc.parse(latex(t), shapes={"t": "scalar"}) == t


@pytest.mark.parametrize("name", NAMES)
def test_rule_label(name):
    """The chain rule as the derivation of the gradient of sum(f(x)) labels it."""
    steps = mc.gradient(f"sum({name}(x))", wrt="x").steps
    head = f"d {name}(u) = "
    label = next(r for s in steps for r in s.rules if r.startswith(head))
    assert label == head + DERIVATIVES[name]
    tex = latex_rule(label)
    assert tex.startswith(r"d\, \sqrt{u} = " if name == "sqrt"
                          else rf"d\, {latex_name(name)}(u) = ")
    katex_only(tex)


@pytest.mark.parametrize("name", NAMES)
def test_evaluation(name):
    x = samples(name)
    assert_close(mc.parse(f"{name}(x)").evaluate({"x": x}), ELEMENTWISE[name].numpy(x))
    for t in x:
        value = mc.parse(f"{name}(t)", shapes={"t": "scalar"}).evaluate({"t": t})
        assert_close(value, ELEMENTWISE[name].numpy(t))


@pytest.mark.parametrize("name", NAMES)
def test_conditions(name):
    domain = ELEMENTWISE[name].domain
    found = mc.conditions(f"{name}(x)")
    if domain is EVERYWHERE:
        assert found == []
        return
    assert [str(c) for c in found] == [f"{name}(x): " + domain.text.format("x")]
    values = {"x": samples(name)}
    assert all(c.holds(values) and c.defined(values) for c in found)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_and_hessian_match_finite_differences(name):
    f = lambda v: float(np.sum(ELEMENTWISE[name].numpy(v["x"])))
    values = {"x": samples(name)}
    g = mc.gradient(f"sum({name}(x))", wrt="x")
    expected = central_gradient(f, values, "x")
    assert_close(g.evaluate(values), expected, rtol=1e-6, atol=1e-6)
    n = len(values["x"])
    shapes = {"x": n}
    for written in (str(g), g.latex):                     # printed results read back
        assert_close(mc.parse(written, shapes=shapes, shape=(n, 1)).evaluate(values), expected,
                     rtol=1e-6, atol=1e-6)
    katex_only(g._repr_latex_())
    h = mc.hessian(f"sum({name}(x))", wrt="x")
    assert_close(h.evaluate(values), central_jacobian(g.evaluate, values, "x"),
                 rtol=1e-5, atol=1e-5)
    for t in values["x"]:
        scalar = mc.gradient(f"{name}(t)", wrt="t", shapes={"t": "scalar"})
        assert_close(scalar.evaluate({"t": t}), central_gradient(f, {"x": np.array([t])}, "x")[0],
                     rtol=1e-6, atol=1e-6)


def call(fn, values):
    return np.asarray(fn(**{n: values[n] for n in fn.args}))


@pytest.mark.parametrize("name", NAMES)
def test_generated_code(name):
    values = {"x": samples(name)}
    f, g = mc.parse(f"sum({name}(x))"), mc.gradient(f"sum({name}(x))", wrt="x")
    backends = [mc.to_numpy]
    if importlib.util.find_spec("jax") is not None:
        import jax
        jax.config.update("jax_enable_x64", True)
        backends.append(mc.to_jax)
    for backend in backends:
        for result in (f, g):
            assert_close(call(backend(result), values), result.evaluate(values),
                         rtol=1e-12, atol=1e-12, what=f"{backend.__name__} of {result}")
    if importlib.util.find_spec("torch") is not None:
        import torch
        for result in (f, g):
            fn = mc.to_torch(result)
            out = fn(**{n: torch.as_tensor(values[n], dtype=torch.float64) for n in fn.args})
            assert out.dtype == torch.float64
            assert_close(out.numpy(), result.evaluate(values), rtol=1e-12, atol=1e-12,
                         what=f"to_torch of {result}")


def test_the_readme_lists_every_function():
    table = README.read_text("utf-8")
    for row in ELEMENTWISE.values():
        for name in (row.name, *row.aliases):
            assert f"`{name}`" in table, f"README's language table lacks {name}"


# ---- structural functions ------------------------------------------------------------

def built(row):
    """The row's node of a square matrix, or else of a vector (softmax); a partial trace of a
    6 x 6 matrix in 2 x 2 blocks."""
    if row.node is E.PartialTrace:
        return E.PartialTrace(E.Symbol("X", (6, 6)), E.Symbol("C", (2, 2)), row.which)
    for shape in ((3, 3), (3, 1)):
        try:
            return row.build(E.Symbol("X" if shape[1] > 1 else "x", shape))
        except mc.ShapeError:
            continue
    raise AssertionError(f"{row.name} builds of neither a matrix nor a vector")


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_rows_print_by_their_names(name):
    row = STRUCTURAL[name]
    e = built(row)
    assert structural_of(e) is row
    arg = e.product if isinstance(e, E.PartialTrace) else e.arg    # the product sizes its blocks
    assert text(e) == f"{name}({text(arg)})"
    assert latex(e) == rf"{row.latex}\left({latex(arg)}\right)"
    katex_only(row.latex)
    if row.parsed:
        shapes = {e.arg.name: e.arg.shape}
        assert mc.parse(text(e), shapes=shapes) == e
        assert mc.parse(latex(e), shapes=shapes) == e
        for alias in row.aliases:
            assert mc.parse(f"{alias}({text(e.arg)})", shapes=shapes) == e


# ---- every node in every pass ---------------------------------------------------------

NODES = [c for c in vars(E).values() if inspect.isclass(c) and issubclass(c, E.Expr)
         and c is not E.Expr and c.__module__.startswith("matcalc.ir.")]

CONSTANT = "a constant: its differential is 0, no rule is asked for"
NOT_DIFFERENTIATED = "only in derivatives (gradients of norms and lambda_max), never differentiated"
NO_DIFFERENTIAL = {
    E.Symbol: "d(X) is dX, d(Y) 0 for another symbol: read off directly",
    E.Differential: "dX1 in a second differential is a constant: d(dX1) = 0",
    E.D: "the pending differential itself",
    E.Number: CONSTANT, E.Identity: CONSTANT, E.Zero: CONSTANT, E.Ones: CONSTANT,
    E.Commutation: CONSTANT,
    E.Eig: "read in sum(eig(X)) = tr(X) and prod(eig(X)) = det(X) only",
    E.SingularFactor: NOT_DIFFERENTIATED, E.TopEigvec: NOT_DIFFERENTIATED,
}
NOT_EVALUATED = {E.D: "a pending differential exists inside the differential's expansion only"}

EVERYWHERE_DIFFERENTIABLE = "polynomial or linear in its parts: differentiable everywhere"
NO_CONDITION = {
    **{c: EVERYWHERE_DIFFERENTIABLE for c in (
        E.Add, E.Mul, E.Hadamard, E.Transpose, E.Trace, E.Det, E.Inner, E.Diag, E.Kron, E.Vec,
        E.PartialTrace)},
    E.Softmax: "smooth everywhere", E.LogSumExp: "smooth everywhere",
    **{c: NO_DIFFERENTIAL[c] for c in NO_DIFFERENTIAL},
}


def test_the_node_list_is_the_tree():
    assert E.Func in NODES and E.Trace in NODES and len(NODES) == len(set(NODES))


@pytest.mark.parametrize("node", NODES, ids=lambda c: c.__name__)
def test_every_node_has_a_differential_rule(node):
    assert (node in DIFFERENTIAL_RULES) != (node in NO_DIFFERENTIAL), node.__name__


@pytest.mark.parametrize("node", NODES, ids=lambda c: c.__name__)
def test_every_node_is_evaluated(node):
    assert (node in ev.registry) != (node in NOT_EVALUATED), node.__name__


@pytest.mark.parametrize("node", NODES, ids=lambda c: c.__name__)
def test_every_node_is_printed(node):
    assert node in Printer.__dict__["node"].dispatcher.registry, node.__name__


@pytest.mark.parametrize("node", NODES, ids=lambda c: c.__name__)
def test_every_node_has_its_conditions_or_needs_none(node):
    assert (node in conditions_pass.RULES) != (node in NO_CONDITION), node.__name__


"""The code generator's structure: a rule for every node class, backend-neutral passes, and
a backend that is one object.

- every node class of matcalc/ir/expr.py has a lowering rule (lowering.RULES), so renaming
  a class cannot silently leave it without one;
- the lowering, products, graph and emission modules name no library: everything that
  differs between NumPy and JAX is in backends.py;
- a new backend is one Backend object: a small one (NumPy's API under another name, with
  its own solve helper) generates working code without touching any other module.
"""
from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

import matcalc as mc
import matcalc.ir.expr as E
from matcalc.backends import code
from matcalc.backends.code import backends, lowering

CODE = pathlib.Path(code.__file__).parent
NEUTRAL_MODULES = ["graph.py", "terms.py", "products.py", "lowering.py", "program.py"]
NO_CODE = {E.D: "d(U), a step of a derivation, is never a result"}


def node_classes():
    return [c for c in vars(E).values() if isinstance(c, type) and issubclass(c, E.Expr)
            and c is not E.Expr and c.__module__.startswith("matcalc.ir.")]


def test_every_node_class_has_a_lowering_rule():
    missing = [c.__name__ for c in node_classes() if c not in lowering.RULES and c not in NO_CODE]
    assert missing == []
    assert set(lowering.RULES) <= set(node_classes())


def test_a_node_class_without_code_is_refused_clearly():
    X = E.Symbol("X", ("n", "n"))
    with pytest.raises(mc.UnsupportedError, match="no code generation for D"):
        code.numpy_source(E.D(X))


@pytest.mark.parametrize("module", NEUTRAL_MODULES)
def test_the_passes_name_no_library(module):
    source = (CODE / module).read_text("utf-8")
    named = re.findall(r"\b(?:np|jnp|numpy|jax|torch)\.\w+", source)
    assert named == [], f"{module} spells backend operations: {named}"


def test_numpy_and_jax_spell_the_same_operations():
    assert set(backends.NUMPY.spellings) == set(backends.JAX.spellings)
    assert set(backends.NUMPY.helpers) == set(backends.JAX.helpers)


XP = backends.Backend(
    name="xp",
    prelude="import numpy as xp\n",
    reserved=frozenset({"xp"}),
    spellings={**backends.array_module_spellings("xp"), "solve": "_solve({0}, {1})"},
    helpers={**backends.array_module_helpers("xp"), "_solve": '''
def _solve(A, b):
    return xp.linalg.solve(A, b)
'''},
    scalar_result="float({0})",
)
"""A backend of NumPy's API imported as xp, whose solves go through a helper of its own."""


def test_a_new_backend_is_one_object():
    rng = np.random.default_rng(0)
    values = {"A": rng.standard_normal((3, 3)) + 3 * np.eye(3), "b": rng.standard_normal(3),
              "x": rng.standard_normal(3), "X": np.eye(3) + 0.1 * rng.standard_normal((3, 3))}
    results = [mc.gradient("1/2 ||A x - b||_2^2", wrt="x"), mc.hessian("x^T A x", wrt="x"),
               mc.parse("b^T A^-1 x"), mc.gradient("log(det(X))", wrt="X"),
               mc.parse("tr(X) + x^T x"), mc.hessian("1/2 ||A - x x^T||_F^2", wrt="x")]
    for r in results:
        src = code.source(r, XP)
        assert src.startswith("import numpy as xp\n") and not re.search(r"\bnp\.", src), src
        fn = code.function(r, XP)
        assert fn.args == code.to_numpy(r).args
        expected = code.to_numpy(r)(**{n: values[n] for n in fn.args})
        np.testing.assert_allclose(fn(**{n: values[n] for n in fn.args}), expected,
                                   rtol=1e-12, err_msg=src)
    src = code.source(mc.parse("b^T A^-1 x"), XP)
    assert "def _solve(A, b):" in src and "_solve(A.T, b) @ x" in src, src


def test_a_backend_refuses_its_names_and_what_it_cannot_spell():
    with pytest.raises(mc.MatcalcError, match="reserved"):
        code.source(E.Symbol("xp", (1, 1)), XP)
    with pytest.raises(mc.UnsupportedError, match="exp has no spelling in xp code"):
        code.source(mc.parse("exp(x^T x)"), XP)

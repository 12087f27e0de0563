"""SymPy interop: ``to_sympy`` and ``from_sympy`` (matcalc/backends/sympy_interop.py).

Every expression of the problem set and of the losses (matcalc.problems), and every
gradient the engine derives for them, goes to SymPy; the SymPy expression, evaluated by
SymPy itself with explicit matrices (``xreplace`` of the symbols, ``doit``,
``as_explicit``), has the value ``evaluate()`` gives, and ``from_sympy(to_sympy(e))``
has e's value. SymPy's own ``.diff`` of small matrix expressions, read back, equals
matcalc's gradient and central differences of NumPy f. What has no counterpart on
either side is a clear UnsupportedError naming it.
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

import matcalc as mc
import matcalc.ir.expr as E
from matcalc import problems
from matcalc.backends.numeric import evaluate
from matcalc.catalogue.functions import ELEMENTWISE, own_functions
from matcalc.ir.traverse import walk
from harness import case, engine, first_order
from oracle import assert_close, central_gradient, rng_values

DIMS = {"n": 3, "m": 4, "k": 2}          # the sizes of the values drawn
RTOL, ATOL = 1e-9, 1e-10
TABLES = problems.PROBLEMS + problems.IDENTITIES + problems.LOSSES
CASES = [case(p.id) for p in TABLES if (first_order(p) or p.kind == "hessian") and
         p.id != "L18"]       # L18: softmax of each column, not in the language
NUMERIC = {f.sympy.function(): f.numpy for f in ELEMENTWISE.values()
           if f.sympy.name in own_functions()}
"""matcalc's own SymPy functions (sigma, relu, ...), which SymPy cannot evaluate, by value."""


def draw(c, seed=0):
    values = rng_values(np.random.default_rng(seed), c.spec, DIMS)
    if c.derived is not None:
        values = {**values, **c.derived(**values)}
    return values


def numeric(entry):
    """A SymPy number, its own functions evaluated by the catalogue's NumPy functions."""
    entry = entry.replace(lambda a: type(a) in NUMERIC and a.args[0].is_number,
                          lambda a: sympy.Float(NUMERIC[type(a)](float(a.args[0]))))
    return complex(entry.evalf())


def explicit(a):
    """An entrywise function or power of an explicit matrix, worked out (doit() leaves it)."""
    if isinstance(a, sympy.HadamardPower):
        return a.base.as_explicit().applyfunc(lambda v: v ** a.exp)
    return a.expr.as_explicit().applyfunc(a.function)


def sympy_value(s, values, shape, context=()):
    """SymPy's value of s at the values: the dimensions (the sizes of the values of the
    symbols of s and of the context, and of the result, of the given shape) and symbols
    replaced by numbers, I, 0 and 1 by their explicit matrices, applyfunc and entrywise
    powers worked out; then doit()."""
    s = sympy.sympify(s)
    sizes = {}
    for m in s.atoms(sympy.MatrixSymbol) | {c for c in context if c.is_Matrix}:
        sizes.update(zip(m.shape, np.shape(values[m.name]) + (1,) * (2 - np.ndim(values[m.name]))))
    if isinstance(s, sympy.MatrixExpr):
        sizes.update(zip(s.shape, tuple(shape) + (1,) * (2 - len(shape))))
    sizes.update((sympy.Symbol(d, integer=True, positive=True), v) for d, v in DIMS.items()
                 if sympy.Symbol(d, integer=True, positive=True) not in sizes)
    s = s.xreplace({d: sympy.Integer(v) for d, v in sizes.items() if d.is_Symbol})
    arrays = {m: sympy.ImmutableMatrix(np.reshape(values[m.name], m.shape))
              for m in s.atoms(sympy.MatrixSymbol)}
    arrays.update({m: m.as_explicit() for m in s.atoms(sympy.Identity, sympy.OneMatrix,
                                                       sympy.ZeroMatrix)})
    for t in s.free_symbols - set(arrays):
        if isinstance(t, sympy.Symbol):
            arrays[t] = sympy.Float(values[t.name])
    value = s.xreplace(arrays)
    value = value.replace(lambda a: isinstance(a, (ElementwiseApplyFunction,
                                                   sympy.HadamardPower)), explicit).doit()
    if isinstance(value, (sympy.MatrixExpr, sympy.MatrixBase)):
        entries = np.array([[numeric(v) for v in row] for row in value.as_explicit().tolist()])
    else:
        entries = np.array(numeric(value))
    assert np.allclose(entries.imag, 0), f"complex value {entries}"
    return entries.real


def same(got, expected, what):
    expected = np.asarray(expected, dtype=float)
    assert_close(np.reshape(got, np.shape(expected)), expected, rtol=RTOL,
                 atol=ATOL * max(1.0, float(np.max(np.abs(expected)))), what=what)


@functools.cache
def function_of(case_id):
    c = case(case_id)
    return mc.parse(c.text, shapes=c.shapes)


def convertible(obj):
    try:
        return mc.to_sympy(obj)
    except mc.UnsupportedError as error:
        assert "no counterpart" in str(error), error
        return None


NO_COUNTERPART = (E.Eig, E.SingularFactor, E.LambdaMax, E.TopEigvec, E.Vec, E.Commutation)


def has_no_counterpart(e):
    """A spectral function, vec, K or a matrix norm other than Frobenius's: SymPy's matrix
    expressions have no class for it."""
    return any(isinstance(a, NO_COUNTERPART) or isinstance(a, E.Norm) and
               a.kind in ("spectral", "nuclear", "matrix-l1") for a in walk(e))


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_the_function_to_sympy_and_back(c):
    e = function_of(c.id)
    s = convertible(e)
    if s is None:
        assert has_no_counterpart(e), f"{c.id}: {c.text} does not convert"
        return
    values = draw(c)
    expected = e.evaluate(values)
    same(sympy_value(s, values, np.shape(expected)), expected, f"{c.id}: SymPy's value of {s}")
    back = mc.from_sympy(s)
    same(back.evaluate(values), expected, f"{c.id}: from_sympy(to_sympy(e)) = {back}")
    shapes = {a.name: a.shape for a in walk(back) if isinstance(a, E.Symbol)}
    same(mc.parse(str(back), shapes=shapes).evaluate(values), expected,
         f"{c.id}: the printed {back} read back")


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_the_derivative_to_sympy_and_back(c):
    """The engine's gradient (a Hessian for the Hessian cases) in SymPy has the value of
    the closed form, and comes back with it."""
    r = engine("hessian" if c.kind == "hessian" else "gradient", c.id)
    s = convertible(r)
    if s is None:
        assert has_no_counterpart(r.expr), f"{c.id}: {r} does not convert"
        return
    values = draw(c)
    expected = r.evaluate(values)
    closed = c.hess if c.kind == "hessian" else c.grad
    if closed is not None:
        same(closed(**values), expected, f"{c.id}: closed form vs evaluate()")
    same(sympy_value(s, values, np.shape(expected), [mc.to_sympy(r.wrt)]), expected,
         f"{c.id}: SymPy's value of {s}")
    same(evaluate(mc.from_sympy(s), values, context=r.context), expected, f"{c.id}: read back")


def test_most_of_the_problem_set_converts():
    converted = [c.id for c in CASES if convertible(function_of(c.id)) is not None]
    assert len(converted) >= 0.8 * len(CASES), sorted(set(c.id for c in CASES) - set(converted))


# ---- the classes ---------------------------------------------------------------------------

n = sympy.Symbol("n", integer=True, positive=True)
A, B, X = (sympy.MatrixSymbol(name, n, n) for name in "ABX")
x, b = sympy.MatrixSymbol("x", n, 1), sympy.MatrixSymbol("b", n, 1)


def test_the_sympy_classes():
    e = mc.to_sympy("tr(A X^-1) + det(X) + <x, (A .* X) x> + tr(A kron X)")
    names = {type(a).__name__ for a in sympy.preorder_traversal(e)}
    assert {"Trace", "Inverse", "Determinant", "HadamardProduct", "KroneckerProduct",
            "MatrixSymbol", "MatMul", "Transpose"} <= names, names
    assert mc.to_sympy("A^T + X^2") == A.T + X**2
    assert mc.to_sympy("exp(x)").function.expr.func is sympy.exp        # applyfunc
    assert str(mc.from_sympy(sympy.Trace(A * X.I) + sympy.log(sympy.Determinant(X)))) == \
        "tr(A X^-1) + log(det(X))"
    assert str(mc.from_sympy(x.applyfunc(lambda z: 1 + z ** 2))) == "1 + x.^2"
    assert str(mc.from_sympy(sympy.HadamardProduct(A, X).T * x)) == "(A^T .* X^T) x"


def test_a_result_converts_its_expression():
    g = mc.gradient("tr(A X^-1 B)", wrt="X")
    assert mc.to_sympy(g) == mc.to_sympy(g.expr)
    assert str(mc.from_sympy(mc.to_sympy(g))) == str(g)


def test_what_has_no_counterpart_is_named():
    with pytest.raises(mc.UnsupportedError, match="Eig"):
        mc.to_sympy("eig(X)")
    with pytest.raises(mc.UnsupportedError, match="norm"):
        mc.to_sympy("||X||_2")
    with pytest.raises(mc.UnsupportedError, match="SymPy's Max"):
        mc.from_sympy(sympy.Max(sympy.Symbol("t"), 1))
    with pytest.raises(mc.UnsupportedError, match="entries"):
        mc.from_sympy(A[0, 1])
    with pytest.raises(mc.UnsupportedError, match="entry by entry"):
        mc.from_sympy(x.applyfunc(lambda z: sympy.Max(z, 1)))
    with pytest.raises(mc.MatcalcError, match="SymPy expression"):
        mc.from_sympy([1, 2])


# ---- SymPy's own derivatives, read back ---------------------------------------------------

SYMPY_DIFF = [
    # (matcalc text, wrt, SymPy f, NumPy f): where SymPy's MatrixSymbol.diff is right
    ("x^T A x", "x", (x.T * A * x), lambda v: v["x"] @ v["A"] @ v["x"]),
    ("(A x - b)^T (A x - b)", "x", (A * x - b).T * (A * x - b),
     lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2)),
    ("tr(A X)", "X", sympy.Trace(A * X), lambda v: np.trace(v["A"] @ v["X"])),
    ("tr(A X^-1 B)", "X", sympy.Trace(A * X.I * B),
     lambda v: np.trace(v["A"] @ np.linalg.inv(v["X"]) @ v["B"])),
    ("tr(X^T X)", "X", sympy.Trace(X.T * X), lambda v: np.sum(v["X"] ** 2)),
    ("tr(A X) tr(X)", "X", sympy.Trace(A * X) * sympy.Trace(X),
     lambda v: np.trace(v["A"] @ v["X"]) * np.trace(v["X"])),
]


@pytest.mark.parametrize("text, wrt, f, numpy_f", SYMPY_DIFF, ids=[r[0] for r in SYMPY_DIFF])
def test_sympys_derivative_read_back(text, wrt, f, numpy_f):
    sympy_gradient = f.diff(x if wrt == "x" else X)
    read = mc.from_sympy(sympy_gradient)
    g = mc.gradient(text, wrt=wrt)
    rng = np.random.default_rng(0)
    values = {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3)),
              "X": np.eye(3) + 0.3 * rng.standard_normal((3, 3)),
              "x": rng.standard_normal(3), "b": rng.standard_normal(3)}
    expected = g.evaluate(values)
    same(read.evaluate(values), expected, f"{text}: SymPy's {sympy_gradient} read as {read}")
    same(central_gradient(numpy_f, values, wrt), expected, f"{text}: central differences")

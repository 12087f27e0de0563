"""matcalc.rules.canonical: reading G, J off a differential linear in dX.

Each row is a form linear in dX, written with a symbol ``V`` where dX goes,
and the same linear map in NumPy. For random V the engine's answer satisfies
the defining identity, checked against the NumPy map:

- gradient_from_differential: <G, V> = L(V) for a scalar form L;
- adjoint(e, W, dX): <adjoint, V> = <W, e(V)> for a matrix-valued form e;
- jacobian_from_differential: J V = e(V) for a vector form of a vector dx;
- vec_jacobian: J vec(V) = vec(e(V)).

And for differentials of functions (rules.differential), <G, V> equals the
evaluated differential at dX = V.
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from matcalc.backends.numeric import evaluate
from matcalc.ir import expr as E
from matcalc.ir.traverse import free_symbols, replace_all
from matcalc.rules.canonical import (adjoint, gradient_from_differential,
                                     jacobian_from_differential, vec_jacobian)
from matcalc.rules.differential import differential_of
from oracle import assert_close, vec

RTOL, ATOL = 1e-9, 1e-10


def linear_form(text, shapes):
    """(the form with V replaced by dX, dX): V has the shape of X."""
    form = mc.parse(text, shapes)
    V = next(s for s in free_symbols(form) if isinstance(s, E.Symbol) and s.name == "V")
    dX = E.Differential(E.Symbol("X", V.shape))
    return replace_all(form, {V: dX}), dX


def inputs(values_for, rng, form, dX):
    """Values of the form's symbols and of X (which fixes the dimensions of dX), and a
    random direction V shaped like X."""
    values = values_for(form, dX.var)
    X = values[dX.var.name]
    return values, float(rng.standard_normal()) if np.ndim(X) == 0 else \
        rng.standard_normal(np.shape(X))


def value(e, values, form, dX):
    """e's value, with the dimensions fixed by the values of the form's symbols and X."""
    return evaluate(e, values, (form, dX.var))


def inner(A, B):
    return float(np.sum(np.asarray(A) * np.asarray(B)))


SCALAR_FORMS = [
    ("trace-of-product", "tr(A V B)", {"A": ("p", "m"), "V": ("m", "n"), "B": ("n", "p")},
     lambda v, V: np.trace(v["A"] @ V @ v["B"])),
    ("bilinear", "a^T V b", {"a": "m", "V": ("m", "n"), "b": "n"},
     lambda v, V: v["a"] @ V @ v["b"]),
    ("inner", "<A, V>", {"A": ("m", "n"), "V": ("m", "n")}, lambda v, V: inner(v["A"], V)),
    ("transpose", "<W, V^T>", {"W": ("n", "m"), "V": ("m", "n")},
     lambda v, V: inner(v["W"], V.T)),
    ("scaled-trace", "s tr(V)", {"s": "scalar", "V": ("n", "n")},
     lambda v, V: v["s"] * np.trace(V)),
    ("scalar-factor", "(a^T c) tr(A V)", {"a": "m", "c": "m", "A": ("n", "m"), "V": ("m", "n")},
     lambda v, V: (v["a"] @ v["c"]) * np.trace(v["A"] @ V)),
    ("hadamard", "sum(A .* V)", {"A": ("m", "n"), "V": ("m", "n")},
     lambda v, V: np.sum(v["A"] * V)),
    ("diag", "a^T diag(V)", {"a": "n", "V": ("n", "n")}, lambda v, V: v["a"] @ np.diag(V)),
    ("sum-of-terms", "tr(V) + a^T V^T b - 2 <A, V>",
     {"a": "n", "b": "n", "A": ("n", "n"), "V": ("n", "n")},
     lambda v, V: np.trace(V) + v["a"] @ V.T @ v["b"] - 2 * inner(v["A"], V)),
    ("scalar-variable", "a^T b V", {"a": "n", "b": "n", "V": "scalar"},
     lambda v, V: (v["a"] @ v["b"]) * V),
]

MATRIX_FORMS = [
    ("product", "A V B", {"A": ("p", "m"), "V": ("m", "n"), "B": ("n", "k")},
     lambda v, V: v["A"] @ V @ v["B"]),
    ("transpose", "V^T", {"V": ("m", "n")}, lambda v, V: V.T),
    ("hadamard", "A .* V", {"A": ("m", "n"), "V": ("m", "n")}, lambda v, V: v["A"] * V),
    ("scaled", "(a^T b) V", {"a": "k", "b": "k", "V": ("m", "n")},
     lambda v, V: (v["a"] @ v["b"]) * V),
    ("sum", "A V + V^T B", {"A": ("n", "n"), "B": ("n", "n"), "V": ("n", "n")},
     lambda v, V: v["A"] @ V + V.T @ v["B"]),
]

VECTOR_FORMS = [
    ("matrix-times", "A V", {"A": ("m", "n"), "V": "n"}, lambda v, V: v["A"] @ V),
    ("hadamard", "a .* V", {"a": "n", "V": "n"}, lambda v, V: v["a"] * V),
    ("outer", "a (b^T V)", {"a": "m", "b": "n", "V": "n"}, lambda v, V: v["a"] * (v["b"] @ V)),
    ("scaled", "(c^T c) A V + V", {"c": "k", "A": ("n", "n"), "V": "n"},
     lambda v, V: (v["c"] @ v["c"]) * v["A"] @ V + V),
]


@pytest.mark.parametrize("row", SCALAR_FORMS, ids=[r[0] for r in SCALAR_FORMS])
def test_gradient_of_a_linear_form(row, values_for, rng):
    _, text, shapes, L = row
    form, dX = linear_form(text, shapes)
    G = gradient_from_differential(form, dX)
    assert G.shape == dX.shape
    values, V = inputs(values_for, rng, form, dX)
    assert_close(inner(value(G, values, form, dX), V), L(values, V), rtol=RTOL, atol=ATOL,
                 what=f"<G, V> for {text}, G = {G}")


@pytest.mark.parametrize("row", MATRIX_FORMS, ids=[r[0] for r in MATRIX_FORMS])
def test_adjoint_of_a_linear_map(row, values_for, rng):
    _, text, shapes, L = row
    form, dX = linear_form(text, shapes)
    W = E.Symbol("W", form.shape)
    values, V = inputs(values_for, rng, E.add(form, W), dX)
    form = E.add(form, W)       # W's value fixes its dimensions too
    G = adjoint(form, W, dX)
    assert G.shape == dX.shape
    assert_close(inner(value(G, values, form, dX), V), inner(values["W"], L(values, V)),
                 rtol=RTOL, atol=ATOL, what=f"<adjoint, V> vs <W, e(V)> for {text}, {G}")


@pytest.mark.parametrize("row", VECTOR_FORMS, ids=[r[0] for r in VECTOR_FORMS])
def test_jacobian_of_a_linear_map(row, values_for, rng):
    _, text, shapes, L = row
    form, dx = linear_form(text, shapes)
    J = jacobian_from_differential(form, dx)
    values, V = inputs(values_for, rng, form, dx)
    got = np.atleast_2d(value(J, values, form, dx)) @ V
    assert_close(np.ravel(got), L(values, V), rtol=RTOL, atol=ATOL, what=f"J V for {text}, {J}")


@pytest.mark.parametrize("row", MATRIX_FORMS + VECTOR_FORMS,
                         ids=[r[0] for r in MATRIX_FORMS + VECTOR_FORMS])
def test_vec_jacobian_of_a_linear_map(row, values_for, rng):
    _, text, shapes, L = row
    form, dX = linear_form(text, shapes)
    J = vec_jacobian(form, dX)
    values, V = inputs(values_for, rng, form, dX)
    got = np.atleast_2d(value(J, values, form, dX)) @ vec(V)
    assert_close(got, vec(L(values, V)), rtol=RTOL, atol=ATOL,
                 what=f"J vec(V) for {text}, J = {J}")


def test_no_differential_gives_a_zero_gradient():
    dX = E.Differential(E.Symbol("X", ("m", "n")))
    assert gradient_from_differential(None, dX) == E.Zero(("m", "n"))


FUNCTIONS = [("tr(A X^-1 B)", "X"), ("log det X", "X"), ("1/2 ||A x - b||_2^2", "x"),
             ("sum(sigma(W x + b))", "W"), ("<x, x>^<x, x>", "x"), ("tr(A X^2 B X^-T)", "X"),
             ("||X||_*", "X"), ("a^T (x ./ (1 + x.^2))", "x")]


@pytest.mark.parametrize("text, name", FUNCTIONS)
def test_gradient_of_a_differential(text, name, values_for, rng):
    """<G, V> equals df evaluated at dX = V."""
    f = mc.parse(text)
    X = next(s for s in free_symbols(f) if isinstance(s, E.Symbol) and s.name == name)
    df = differential_of(f, X)
    G = gradient_from_differential(df, E.Differential(X))
    values = values_for(f)
    V = rng.standard_normal(np.shape(values[name]))
    assert_close(inner(evaluate(G, values), V), evaluate(df, {**values, "d" + name: V}),
                 rtol=1e-9, atol=1e-10, what=f"<G, V> vs df(V) for {text}, G = {G}")

"""matcalc.ir.shapes: unification of dimensions, products of dimensions, and the messages
of ShapeError, which name both shapes."""
from __future__ import annotations

import pytest

import matcalc as mc
from matcalc.errors import ShapeError
from matcalc.ir import expr as E
from matcalc.ir import shapes as S


# ---- unification ----------------------------------------------------------------------

def test_an_unknown_takes_the_value_it_is_unified_with():
    u, a = S.Unifier(), S.DimVar()
    assert u.unify(a, "n") and u.find(a) == "n"
    assert u.unify(a, "n")              # again: nothing changes
    assert not u.unify(a, "m")          # a class holds one known value


def test_unknowns_unified_with_each_other_share_a_value():
    u, a, b, c = S.Unifier(), S.DimVar(), S.DimVar(), S.DimVar()
    assert u.unify(a, b) and u.unify(b, c)
    assert u.unify(c, 4)
    assert u.find(a) == u.find(b) == 4


def test_known_dimensions_unify_when_equal():
    u = S.Unifier()
    assert u.unify("n", "n") and u.unify(3, 3)
    assert not u.unify("n", "m") and not u.unify(2, 3) and not u.unify("n", 3)


def test_a_dimension_that_cannot_be_one():
    u, a, b = S.Unifier(), S.DimVar(), S.DimVar(may_be_one=False)
    assert u.unify(a, 1)                # a vector's length may turn out to be 1
    assert not u.unify(b, 1)            # a matrix's dimension may not
    c = S.DimVar()
    u.exclude_one(c)
    assert not u.unify(c, 1) and u.unify(c, "n")


def test_cannot_be_one_survives_unification():
    u, a, b = S.Unifier(), S.DimVar(), S.DimVar(may_be_one=False)
    assert u.unify(a, b)
    assert not u.unify(a, 1)


def test_a_product_with_an_unknown_factor_resolves_when_the_factor_does():
    u, a = S.Unifier(), S.DimVar()
    product = S.DimProduct(["m", a])
    assert isinstance(u.find(product), S.DimProduct)
    assert u.unify(a, "n")
    assert u.find(product) == "m*n"


def test_a_product_unifies_with_a_named_product_factor_by_factor():
    u, a = S.Unifier(), S.DimVar()
    assert u.unify(S.DimProduct(["m", a]), "m*n")
    assert u.find(a) == "n"


def test_an_unknown_unified_with_a_product_is_the_product():
    u, a, b = S.Unifier(), S.DimVar(), S.DimVar()
    product = S.DimProduct([b, "k"])
    assert u.unify(a, product)
    assert u.unify(b, 2)
    assert u.find(a) == u.find(product)


def test_products_are_equal_when_their_factors_are():
    a, b = S.DimVar(), S.DimVar()
    assert S.DimProduct([a, "n"]) == S.DimProduct([a, "n"])
    assert hash(S.DimProduct([a, "n"])) == hash(S.DimProduct([a, "n"]))
    assert S.DimProduct([a, "n"]) != S.DimProduct([b, "n"])


def test_outside_parsing_dimensions_must_simply_agree():
    assert S.same_dim("n", "n") and not S.same_dim("n", "m")
    with S.unifying(S.Unifier()):
        a = S.DimVar()
        assert S.same_dim(a, "m") and S.resolve(a) == "m"
    assert S.resolve(a) is a            # the unifier is gone with the block


# ---- products of dimensions -------------------------------------------------------------

@pytest.mark.parametrize("dims, product", [
    (("m", "n"), "m*n"),
    (("n", "m"), "m*n"),                # named factors in sorted order
    ((2, "n", 3), "6*n"),               # numbers merged in front
    (("n", 1), "n"),
    ((1, 1), 1),
    ((4, 5), 20),
    (("m*n", "k"), "k*m*n"),            # a product of products is flat
    (("n", 0), 0),
])
def test_dim_product(dims, product):
    assert S.dim_product(*dims) == product


def test_the_shape_of_a_kronecker_product_and_of_vec():
    A, B = E.Symbol("A", ("m", "n")), E.Symbol("B", ("k", "p"))
    assert E.Kron(A, B).shape == ("k*m", "n*p")
    assert E.Vec(A).shape == ("m*n", 1)


# ---- predicates and descriptions -------------------------------------------------------

@pytest.mark.parametrize("shape, scalar, vector, square, text", [
    ((1, 1), True, False, True, "scalar"),
    (("n", 1), False, True, False, "vector of length n"),
    ((1, "n"), False, False, False, "row vector of length n"),
    (("m", "n"), False, False, False, "matrix m x n"),
    (("n", "n"), False, False, True, "matrix n x n"),
    (("m*n", "k"), False, False, False, "matrix m*n x k"),
])
def test_predicates_and_descriptions(shape, scalar, vector, square, text):
    assert S.is_scalar(shape) == scalar
    assert S.is_vector(shape) == vector
    assert S.is_square(shape) == square
    assert S.describe(shape) == text


def test_unknown_dimensions_get_readable_names_in_order():
    a, b = S.DimVar(), S.DimVar()
    assert S.describe((a, b)) == "matrix n x m"
    assert S.describe((b, b)) == "matrix n x n"
    assert S.name_dims([a, b], taken=("n",)) == {a: "m", b: "k"}


# ---- ShapeError names both shapes ------------------------------------------------------

def test_require_names_every_shape_in_its_message():
    with pytest.raises(ShapeError, match="^cannot add a matrix m x n and a vector of length k$"):
        S.require(False, "cannot add a {} and a {}", ("m", "n"), ("k", 1))
    S.require(True, "not raised {}", ("m", "n"))


@pytest.mark.parametrize("build, message", [
    (lambda: E.Mul((E.Symbol("A", ("m", "n")), E.Symbol("B", ("k", "p")))),
     "cannot multiply a matrix m x n by a matrix k x p"),
    (lambda: E.Add((E.Symbol("A", ("m", "n")), E.Symbol("B", ("n", "m")))),
     "cannot add a matrix m x n and a matrix n x m"),
    (lambda: E.Trace(E.Symbol("A", ("m", "n"))), "the trace needs a square matrix, "
                                                  "not a matrix m x n"),
    (lambda: E.Inverse(E.Symbol("A", ("m", "n"))), "only a square matrix has an inverse, "
                                                    "not a matrix m x n"),
])
def test_a_node_with_mismatched_shapes_raises(build, message):
    with pytest.raises(ShapeError) as caught:
        build()
    assert str(caught.value) == message


@pytest.mark.parametrize("text, shapes, both", [
    ("A B", {"A": ("m", "n"), "B": ("k", "p")}, ("matrix m x n", "matrix k x p")),
    ("x + y", {"x": "n", "y": "m"}, ("vector of length n", "vector of length m")),
    ("x^T A", {"x": "m", "A": ("n", "n")}, ("row vector of length m", "matrix n x n")),
    ("x + A", None, ("vector of length n", "matrix n x m")),
])
def test_the_parser_reports_both_shapes(text, shapes, both):
    with pytest.raises(ShapeError) as caught:
        mc.parse(text, shapes)
    first_line = str(caught.value).splitlines()[0]
    assert all(shape in first_line for shape in both), first_line

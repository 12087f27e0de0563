"""Text -> Expr: parse() runs the lexer (lexer.py), the Lark parser and the builder
(builder.py); unknown dimensions are unified while the tree is built (shapes.Unifier), then
named (n, m, k, ...) and the tree is rebuilt with them.

Limits: the tree is built without Python recursion. Parentheses and long sums or products
cost no depth: ``((((x))))`` is ``x``. Input longer than MAX_LENGTH characters or with more
than MAX_NODES operations is refused before any work is done on it.
"""
from __future__ import annotations

from lark import Tree
from lark.exceptions import UnexpectedInput, VisitError

from .. import arguments
from ..errors import MatcalcError, ParseError
from ..ir import expr as E
from ..ir.numbers import in_float_range
from ..ir.traverse import replace_all
from ..ir.shapes import DimProduct, Unifier, dim_product, name_dims, require, unifying
from .builder import Builder, is_dimension, is_shape_dimension, ones_for
from ..lazy import sympy
from .lexer import check_digits, check_unknown_functions, lark_parser, parse_error, symbol_name


MAX_LENGTH = 20_000       # characters
MAX_NODES = 2_000         # operations and symbols in the whole expression
MAX_EXPANDED = 200_000    # operations of the expression with its where lines substituted
def parse(text: str, shapes: dict | None = None, shape: tuple | None = None) -> E.Expr:
    """Parse text in the input language into an expression with resolved shapes.

    ``shape``, if given, is the shape the whole expression must have (it sizes an
    ``I`` or ``1`` that nothing else sizes, as in an answer ``I`` to be checked; a
    lone number such as ``0`` is then that number in every entry).
    """
    if not isinstance(text, str):
        raise MatcalcError(f"expected the expression as a string, got {type(text).__name__}")
    shapes = arguments.shapes(shapes)
    if shape is not None and not (isinstance(shape, (tuple, list)) and len(shape) == 2
                                  and all(map(is_shape_dimension, shape))):
        raise MatcalcError(f"shape must be a pair of dimensions such as ('n', 1), not {shape!r}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is too long ({len(text)} characters; at most "
                         f"{MAX_LENGTH})")
    check_digits(text)
    check_unknown_functions(text)
    try:
        tree = lark_parser().parse(text)
    except UnexpectedInput as err:
        raise parse_error(err, text) from None
    if _size(tree) > MAX_NODES:
        raise ParseError(f"the expression is too large (more than {MAX_NODES} operations "
                         "and symbols)")
    unifier = Unifier()
    dimensions = _dimension_names([*shapes.values(), shape or ()])
    builder = Builder(shapes, text, _transposed_symbols(tree), dimensions)
    try:
        with unifying(unifier):
            raw = _named(builder, tree) if tree.data == "named" else builder.transform(tree)
            if shape is not None:
                if raw.is_scalar and tuple(shape) != E.SCALAR:
                    raw = E.Zero(tuple(shape)) if raw == E.Number(0) else \
                        ones_for(raw, E.Zero(tuple(shape)))
                require(all(unifier.unify(a, b) for a, b in zip(raw.shape, shape)),
                        "the expression is a {} where a {} is expected", raw.shape, shape)
            raw = _name_dimensions(raw, unifier, dimensions | set(builder.symbols) | builder.sizes)
    except VisitError as err:
        raise err.orig_exc from None
    return raw


def _named(builder, tree) -> E.Expr:
    """The main expression of 'main where h = ... where r = ...' with every name replaced by
    its value: the definitions are built first, in order, each over the names before it, and
    a name has the shape of its value."""
    main, *definitions = tree.children
    mapping: dict[E.Expr, E.Expr] = {}
    for definition in definitions:
        _, token, value = definition.children
        name = symbol_name(str(token))
        if name in builder.symbols or name in builder.overrides:
            raise ParseError(f"{name} is defined by a where line but is also a symbol given a "
                             "shape or used before its definition", builder.text, token.line,
                             token.column)
        value = builder.transform(value)
        builder.symbols[name] = symbol = E.Symbol(name, value.shape)
        mapping[symbol] = replace_all(value, mapping)
    out = replace_all(builder.transform(main), mapping)
    if E.size(out) > MAX_EXPANDED:
        raise ParseError(f"the where lines expand to more than {MAX_EXPANDED} operations")
    builder.check_depth(out)
    return out


SAME_SHAPE = {"add", "sub", "neg", "hadamard", "elementwise_div"}    # as their operands


def _transposed_symbols(tree) -> frozenset:
    """Names of the symbols that have the shape of a transposed operand (x in x^T, (x)',
    (x + y)^T, (2 x)^T, (x / t)^T): vectors, wherever they stand (x x x^T as well as x^T x x)."""
    names, stack = set(), [t.children[0] for t in tree.iter_subtrees() if t.data == "transpose"]
    while stack:
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        if node.data == "symbol":
            names.add(symbol_name(str(node.children[0])))
        elif node.data in SAME_SHAPE or node.data == "mul" and any(
                isinstance(c, Tree) and c.data == "number" for c in node.children):
            stack.extend(node.children)
        elif node.data == "div":
            stack.append(node.children[0])
    return frozenset(names)


def _size(tree) -> int:
    """Number of rule nodes (operations, symbols, numbers) of a Lark tree, without recursion."""
    count, stack = 0, [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            count += 1
            stack.extend(node.children)
    return count


def _dimension_names(specs) -> frozenset:
    """The names of the dimensions in shape specs: 'n', ('m', 'n'), 'm*n'."""
    return frozenset(part for spec in specs if isinstance(spec, (tuple, list, str))
                     for d in ((spec,) if isinstance(spec, str) else spec) if isinstance(d, str)
                     for part in d.split("*") if is_dimension(part))


def _name_dimensions(e, unifier, taken):
    """Replace unresolved dimensions by readable names other than those taken (the
    dimensions of the shapes given and the symbols' names: a printed dimension must not
    read as a symbol), then rebuild strictly."""
    dims = [unifier.find(d) for node in _preorder(e) for d in node.shape]
    names = name_dims(dims, taken)

    def final(d):
        d = unifier.find(d)
        if isinstance(d, DimProduct):       # m*n, once its factors have names
            return dim_product(*(names.get(f, f) for f in d.factors))
        return names.get(d, d)
    return _rebuild(e, final)


def _preorder(e):
    """Every node of e, parents first (as traverse.walk, without recursion)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _rebuild(e, final):
    with unifying(None):
        return _rebuild_strict(e, final, {})


def _rebuild_strict(e, final, memo):
    """e with final dimensions, children first (without recursion)."""
    stack = [e]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        todo = [c for c in node.children if c not in memo]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        match node:
            case E.Symbol(name, dims):
                out = E.Symbol(name, tuple(final(d) for d in dims))
            case E.Identity(n):         # I of size 1 (as in x^T I) is the number 1
                out = E.Number(1) if final(n) == 1 else E.Identity(final(n))
            case E.Ones(dims) if all(final(d) == 1 for d in dims):
                out = E.Number(1)
            case E.Zero(dims) | E.Ones(dims):
                out = type(node)(tuple(final(d) for d in dims))
            case E.Transpose(arg) if memo[arg].is_scalar:     # 1^T of a scalar: the scalar
                out = memo[arg]
            case E.MatPower(base, k) if memo[base].is_scalar:  # t^3 of a t found scalar
                out = E.Power(memo[base], E.Number(k))
            case E.Mul(factors) if all(isinstance(memo[f], E.Number) for f in factors) and \
                    in_float_range(product := sympy.Mul(*(memo[f].value for f in factors))):
                out = E.Number(product)
            case E.Mul(factors) if any(memo[f] == E.Number(1) for f in factors):
                out = E.mul(*(memo[f] for f in factors if memo[f] != E.Number(1)))
            case _:
                out = node.with_children([memo[c] for c in node.children])
        memo[node] = out
    return memo[e]

"""The DAG of operations that generated code is written from.

A Node is an operation (``op``, static ``params``) on argument nodes; a Graph makes
each node once (hash-consing: asking twice for the same operation gives the same
node, commutative operations keyed without order). The operations are
backend-neutral: the Python operators (``+ - * / @ **``), numbers and names are
written by ``python_spelling``; every other operation (a call, method, attribute
or subscript) is spelled by the backend when the source is emitted.

A graph with ``joint`` set (one program of a value and several gradients) also
keeps one node per value up to transposition: an entrywise operation whose matrix
arguments are transposes (or outer products) is the transpose of that operation on
the untransposed arguments (``tanh(M.T)`` is ``tanh(M).T``), and ``A.T @ B.T`` is
``(B @ A).T``; so a subexpression that the simplifier wrote transposed in one
output is the node another output computed. In its sums, a rank-one term with
all-ones factors is a broadcast: ``b 1^T`` is ``b[:, None]``, ``1 1^T`` is 1.
"""
from __future__ import annotations

import itertools
from typing import Any

from ...errors import UnsupportedError

# Python precedence levels of generated text: a child is parenthesized when its
# level is below the level its slot in the parent requires.
SUM, PROD, MATMUL, UNARY, POWER, ATOM = 1, 2, 2.5, 3, 4, 5   # MATMUL: (a * b) @ c

# The Python operators: op -> (template, precedence, the level each argument's slot needs).
OPERATORS = {
    "*": ("{0} * {1}", PROD, (PROD, UNARY)),
    "/": ("{0} / {1}", PROD, (PROD, UNARY)),
    "@": ("{0} @ {1}", MATMUL, (MATMUL, UNARY)),
    "neg": ("-{0}", UNARY, (UNARY,)),
    "**": ("{0} ** {k}", POWER, (ATOM,)),              # by a number k
    "**node": ("{0} ** {1}", POWER, (ATOM, UNARY)),    # by a computed exponent
}

ENTRYWISE = frozenset({"+", "*", "/", "neg", "**", "**node", "power", "power_node",
                       "elementwise"})
"""Operations applied entry by entry: op(A^T, B^T) = op(A, B)^T."""


class Node:
    """One operation of the generated code. ``kind``: "S" scalar, "V" vector, "M" matrix;
    ``cheap``: written inline however often it is used; ``nonneg``: its values are >= 0;
    ``integral``: a Python int (a number or a dimension)."""
    __slots__ = ("id", "op", "params", "args", "kind", "cheap", "nonneg", "integral")
    id: int
    op: str
    params: tuple[tuple[str, Any], ...]
    args: tuple[Node, ...]
    kind: str
    cheap: bool
    nonneg: bool
    integral: bool

    def param(self, name: str) -> Any:
        return dict(self.params)[name]

    def __repr__(self):
        return f"<node {self.id}: {self.op}{dict(self.params) or ''}>"


def python_spelling(node: Node):
    """(template, precedence, slots) of a node that Python's syntax writes, else None."""
    if node.op in OPERATORS:
        return OPERATORS[node.op]
    if node.op == "number":
        return "{value}", UNARY if node.param("value").startswith("-") else ATOM, ()
    if node.op == "name":
        return "{name}", ATOM, ()
    if node.op == "+":
        template, slots = "", list[float]()
        for k, sign in enumerate(node.param("signs")):
            if k == 0:
                template, slots = ("{0}", [SUM]) if sign > 0 else ("-{0}", [UNARY])
            else:
                template += (" + " if sign > 0 else " - ") + "{%d}" % k
                slots.append(PROD)
        return template, SUM, tuple(slots)
    return None


class Graph:
    """Hash-consed nodes and the backend-neutral operations that make them."""

    def __init__(self):
        self.nodes: dict = {}
        self.counter = itertools.count()
        self.joint = False      # share nodes up to transposition (the module docstring)
        self.one = self.number(1.0)

    def make(self, op, args=(), kind="M", *, params=(), key=None, commutative=False,
             cheap=False, nonneg=False, integral=False) -> Node:
        args = tuple(args)
        params = tuple(params)
        if self.joint:
            untransposed = self._untransposed(op, args)
            if untransposed is not None:
                return self.T(self.make(op, untransposed, kind, params=params,
                                        commutative=commutative, cheap=cheap,
                                        nonneg=nonneg, integral=integral))
            if op == "+":
                args = self._broadcast(args)
                key = ("sum", tuple(sorted((a.id, s) for a, s in
                                           zip(args, dict(params)["signs"]))))
        if key is None:
            ids = tuple(a.id for a in args)
            key = (op, params, tuple(sorted(ids)) if commutative else ids)
        node = self.nodes.get(key)
        if node is None:
            node = Node()
            node.id, node.op, node.params, node.args = next(self.counter), op, params, args
            node.kind, node.cheap, node.nonneg, node.integral = kind, cheap, nonneg, integral
            self.nodes[key] = node
        return node

    def _untransposed(self, op, args):
        """The arguments whose operation this one is the transpose of, or None: for ``A.T @
        B.T`` and for an entrywise operation on matrices that are transposes (one at least)
        or outer products (scalars aside)."""
        matrices = [a for a in args if a.kind == "M"]
        if not any(a.op == "transpose" for a in matrices):
            return None
        if op == "@" and all(a.op == "transpose" for a in args):
            return (args[1].args[0], args[0].args[0])
        if op in ENTRYWISE and all(a.kind == "S" or a.op in ("transpose", "outer")
                                   for a in args):
            return tuple(a if a.kind == "S" else a.args[0] if a.op == "transpose" else
                         self.make("outer", a.args[::-1], "M") for a in args)
        return None

    def _broadcast(self, args):
        """The terms of a sum, with ``outer(u, 1)`` as ``u[:, None]``, ``outer(1, v)`` as
        ``v`` and an all-ones matrix as the number 1, where another term is a matrix that
        gives the shape."""
        def ones(a):
            return a.op == "ones_vector"

        def broadcast(a):
            if a.op == "ones_matrix" or (a.op == "outer" and all(map(ones, a.args))):
                return self.one
            if a.op == "outer" and ones(a.args[1]):
                return self.make("column", (a.args[0],), "M", cheap=True)
            if a.op == "outer" and ones(a.args[0]):
                return a.args[1]
            return a
        out = tuple(map(broadcast, args))
        if not any(a.kind == "M" and b is a for a, b in zip(args, out)):
            return args         # no term left to give the shape
        return out

    def name(self, pyname: str, kind: str) -> Node:
        """An argument of the generated function."""
        return self.make("name", (), kind, params=(("name", pyname),), cheap=True,
                         key=("name", pyname))

    def number(self, value: float) -> Node:
        text = format_number(value)
        return self.make("number", (), "S", params=(("value", text),), cheap=True,
                         nonneg=value >= 0, integral=float(value).is_integer(),
                         key=("number", text))

    def mul(self, a: Node, b: Node, kind=None) -> Node:
        """a * b (elementwise or by a scalar); 1 * b is b."""
        if a is self.one:
            return b
        if b is self.one:
            return a
        kind = kind or widest(a.kind, b.kind)
        return self.make("*", (a, b), kind, commutative=True, nonneg=a.nonneg and b.nonneg,
                         integral=a.integral and b.integral)

    def div(self, a: Node, b: Node) -> Node:
        return self.make("/", (a, b), widest(a.kind, b.kind), nonneg=a.nonneg and b.nonneg)

    def matmul(self, a: Node, b: Node, kind) -> Node:
        return self.make("@", (a, b), kind, nonneg=a is b and kind == "S")

    def neg(self, a: Node) -> Node:
        if a.op == "neg":
            return a.args[0]
        return self.make("neg", (a,), a.kind)

    def T(self, a: Node) -> Node:
        """The transpose of a matrix (a vector is its own: both are 1-D)."""
        if a.kind != "M":
            return a
        if a.op == "transpose":
            return a.args[0]
        return self.make("transpose", (a,), "M", cheap=a.cheap)

    def pow(self, a: Node, k: float) -> Node:
        """a ** k; the sqrt function for k = 1/2; the backend's power function where k is
        not an integer and a may be negative, so that a Python float gives nan as NumPy
        does, not a complex number."""
        if k == 1:
            return a
        if k == 0.5:
            return self.make("elementwise", (a,), a.kind, params=(("name", "sqrt"),),
                             nonneg=True)
        exponent = (("k", format_number(k)),)
        if not (a.nonneg or float(k).is_integer()):
            return self.make("power", (a,), a.kind, params=exponent)
        return self.make("**", (a,), a.kind, params=exponent,
                         nonneg=a.nonneg or float(k / 2).is_integer())


def widest(*kinds) -> str:
    """The kind of an elementwise result: a matrix over a vector over a scalar."""
    return max(kinds, key="SVM".index)


def kind_of(dims) -> str:
    rows, cols = dims
    if rows == 1 and cols == 1:
        return "S"
    return "V" if rows == 1 or cols == 1 else "M"


def is_scalar(dims):
    return dims[0] == 1 and dims[1] == 1


def is_col(dims):
    return dims[1] == 1 and dims[0] != 1


def is_row(dims):
    return dims[0] == 1 and dims[1] != 1


def is_matrix(dims):
    return dims[0] != 1 and dims[1] != 1


def format_number(value: float) -> str:
    """A numeric literal: an integer's digits, else repr(float)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise UnsupportedError(f"cannot generate code for the number {value}")
    if float(value).is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(float(value))

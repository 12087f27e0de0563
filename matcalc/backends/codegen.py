"""Generated code: NumPy (or jax.numpy) source for expressions and their derivatives.

    numpy_source(g)             readable source of ``def f(<sorted names>): ...``
    to_numpy(g)                 that function, compiled (positional or keyword arguments)
    to_jax(g)                   the same code against jax.numpy (jittable; JAX is optional)
    compile(f, wrt, order=2)    one function returning (value, gradient, Hessian), sharing
                                every common subexpression between the three

Values follow numeric.evaluate: a vector is a 1-D array, a matrix 2-D, a scalar a
float (inside the code row and column vectors are both 1-D; a row vector that is
the result is returned (1, n), as evaluate returns it). The arguments are the symbols of the
expression, sorted by name (``sorted``: capitals first). A derivative always takes its
variable (and a Hessian-vector product its direction), whether or not the result still
contains them: the Hessian ``A^T A`` of ``1/2 ||A x - b||^2`` is ``f(A, x)``, and
``compile`` takes every symbol of f. A dimension that no argument fixes (the ``n`` of
``2 I`` for an expression) is taken from the other symbols of the function that was
differentiated. A Jacobian is returned 2-D, as by
``Jacobian.evaluate``; a Hessian with respect to a matrix is its Kronecker form.

How the code is made, in three passes:

1. Lowering: every expression becomes a sum of terms ``c F1 F2 ... Fk``, with
   ``c`` a scalar coefficient (a number times powers of scalar values) and the
   ``Fi`` factors kept symbolic: dense arrays, diagonal matrices ``diag(u)``
   (kept as the vector ``u``), all-ones arrays and inverses ``X^-1`` (kept as X).
   A product with a matrix sum of cheap terms (diagonals, rank one) is
   multiplied out: ``A^T (diag(p) - p p^T) A`` becomes ``(A.T * p) @ A -
   np.outer(A.T @ p, A.T @ p)``.
2. Products: a chain is associated by a cost model (dynamic programming, every
   unknown dimension taken as large), so ``A^T A x`` is ``A.T @ (A @ x)``; a
   diagonal factor is a broadcast (``u[:, None] * A``, ``A * u``), an inverse
   that occurs once and multiplies something is ``np.linalg.solve`` (``X.T``
   for ``X^-T``), a scalar coefficient goes to the smallest operand
   (``np.outer(c * u, u)``, ``(A.T * (w / m)) @ A``), a vector outer product is
   ``np.outer``, squared norms are ``x @ x``.
3. Emission: every operation is a node of a hash-consed DAG (commutative
   operations keyed without order), so a node used twice is computed once into
   a local ``_tN``; the rest is written inline.

Safety: the source is made only of identifiers that match
``[A-Za-z][A-Za-z0-9_]*`` (a Python keyword gets a trailing ``_``, as ``lambda_``;
builtins and ``np`` are refused), numeric literals written by ``repr(float)``,
and the fixed templates of this module. It is compiled with ``compile()`` and
run with ``exec`` in a fresh namespace; no user text is ever evaluated.
"""
from __future__ import annotations

import builtins
import importlib.util
import itertools
import keyword
import linecache
import re
from collections import Counter
from dataclasses import dataclass, replace

from .. import arguments
from .. import deadline
from ..ir import expr as E
from ..errors import MatcalcError, UnsupportedError
from .printing import text
from ..catalogue.functions import ELEMENTWISE
from ..language.parser import parse
from ..rules.simplify import ASSUMPTIONS

__all__ = ["numpy_source", "jax_source", "to_numpy", "to_jax"]

# Python precedence levels of generated text: a child is parenthesized when its
# level is below the level its slot in the parent requires.
SUM, PROD, MATMUL, UNARY, POWER, ATOM = 1, 2, 2.5, 3, 4, 5   # MATMUL: (a * b) @ c
BIG = 1000          # the size assumed for a dimension with a name, in the cost model
MAX_TERMS = 16      # multiplying out a product stops beyond this many terms

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
RESERVED = {"np", "jnp", "jax", "numpy"} | set(dir(builtins))

# Helpers the generated code may call; each is written out in the source when used.
HELPERS = {
    "numpy": {
        "_sigmoid": '''
def _sigmoid(z):
    """1 / (1 + exp(-z)), without overflow."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)
''',
        "_logdet": '''
def _logdet(X):
    """log det X (nan where det X <= 0, as log would give)."""
    sign, value = np.linalg.slogdet(X)
    return value if sign > 0 else np.nan
''',
        "_logdet_spd": '''
def _logdet_spd(X):
    """log det X of a symmetric positive definite X, by Cholesky."""
    return 2.0 * np.log(np.linalg.cholesky(X).diagonal()).sum()
''',
        "_softmax": '''
def _softmax(u):
    w = np.exp(u - u.max())
    return w / w.sum()
''',
        "_logsumexp": '''
def _logsumexp(u):
    m = u.max()
    return m + np.log(np.exp(u - m).sum())
''',
        "_commutation": '''
def _commutation(m, n):
    """K with K vec(X) = vec(X^T) for X of shape (m, n)."""
    K = np.zeros((m * n, m * n))
    i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    K[(i * n + j).ravel(), (j * m + i).ravel()] = 1.0
    return K
''',
        "_eig": '''
def _eig(X):
    return np.sort(np.real(np.linalg.eigvals(X)))[::-1]
''',
        "_polar": '''
def _polar(X):
    U, _, Vt = np.linalg.svd(X, full_matrices=False)
    return U @ Vt
''',
        "_svtop": '''
def _svtop(X):
    U, _, Vt = np.linalg.svd(X, full_matrices=False)
    return np.outer(U[:, 0], Vt[0])
''',
        "_eigtop": '''
def _eigtop(X):
    v = np.linalg.eigh(X)[1][:, -1]
    return np.outer(v, v)
''',
    },
}
HELPERS["jax"] = {name: source.replace("np.", "jnp.") for name, source in HELPERS["numpy"].items()}
HELPERS["jax"]["_logdet"] = '''
def _logdet(X):
    """log det X (nan where det X <= 0, as log would give)."""
    sign, value = jnp.linalg.slogdet(X)
    return jnp.where(sign > 0, value, jnp.nan)
'''
HELPERS["jax"]["_commutation"] = '''
def _commutation(m, n):
    """K with K vec(X) = vec(X^T) for X of shape (m, n) (built by NumPy: m, n are static)."""
    K = np.zeros((m * n, m * n))
    i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    K[(i * n + j).ravel(), (j * m + i).ravel()] = 1.0
    return jnp.asarray(K)
'''

PRELUDE = {"numpy": "import numpy as np\n",
           "jax": "import numpy as np\nimport jax.numpy as jnp\n"}


# ---- names -----------------------------------------------------------------------------

def python_name(name: str) -> str:
    """The identifier for a symbol in generated code; MatcalcError unless it is a plain name."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise MatcalcError(f"cannot generate code for a symbol named {name!r}: a name must "
                           "be a letter followed by letters, digits or _ (such as x, x_1, alpha)")
    if name in RESERVED:
        raise MatcalcError(f"cannot generate code for a symbol named {name!r}: the name is "
                           "reserved in generated code")
    return name + "_" if keyword.iskeyword(name) else name


def symbol_name(s) -> str:
    """The user's name of a Symbol or Differential (dX, dX1)."""
    if isinstance(s, E.Symbol):
        return s.name
    if isinstance(s, E.Differential) and isinstance(s.var, E.Symbol):
        return f"d{s.var.name}" + (str(s.index) if s.index else "")
    raise MatcalcError(f"cannot generate code for {type(s).__name__}")


# ---- the DAG of operations ---------------------------------------------------------------

class Node:
    """One operation of the generated code: a template over argument nodes."""
    __slots__ = ("id", "template", "args", "prec", "slots", "kind", "cheap", "nonneg",
                 "integral", "helper", "__weakref__")

    def __repr__(self):
        return f"<node {self.id}: {self.template}>"


class Graph:
    """Hash-consed nodes: asking twice for the same operation gives the same node."""

    def __init__(self):
        self.nodes: dict = {}
        self.counter = itertools.count()

    def make(self, template, args=(), kind="M", prec=ATOM, slots=None, *, key=None,
             commutative=False, cheap=False, nonneg=False, integral=False, helper=None):
        args = tuple(args)
        if key is None:
            ids = tuple(a.id for a in args)
            key = (template, tuple(sorted(ids)) if commutative else ids)
        node = self.nodes.get(key)
        if node is None:
            node = Node()
            node.id, node.template, node.args, node.prec = next(self.counter), template, args, prec
            node.slots = tuple(slots) if slots is not None else (0,) * len(args)
            node.kind, node.cheap, node.nonneg, node.integral = kind, cheap, nonneg, integral
            node.helper = helper
            self.nodes[key] = node
        return node


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


def size_of(d):
    return d if isinstance(d, int) else BIG


def format_number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise UnsupportedError(f"cannot generate code for the number {value}")
    if float(value).is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(float(value))


# ---- symbolic values during lowering --------------------------------------------------------

@dataclass(frozen=True)
class Val:
    """A factor: ``dense`` (node is the array), ``diag`` (node is the diagonal, a vector,
    or a scalar s for s I), ``ones`` (the all-ones array), ``inv`` (node is X, t: X^-T;
    once: X^-1 occurs once, so it may become a solve)."""
    rep: str
    node: Node | None
    dims: tuple
    t: bool = False
    once: bool = False


@dataclass(frozen=True)
class Coef:
    """number * prod(node ** exponent): the scalar factor of a term."""
    number: float = 1.0
    powers: tuple = ()

    def __mul__(self, other: Coef) -> Coef:
        powers = dict(self.powers)
        for node, e in other.powers:
            powers[node] = powers.get(node, 0) + e
        return Coef(self.number * other.number, _sorted_powers(powers))

    def power(self, k: float) -> Coef | None:
        """self ** k, or None where that would not be exact for real values."""
        if not float(k).is_integer() and (self.number < 0 or
                                         any(not n.nonneg for n, _ in self.powers)):
            return None
        if self.number == 0 and k < 0:
            return None
        return Coef(self.number ** k, _sorted_powers({n: e * k for n, e in self.powers}))

    def abs(self) -> Coef:
        return Coef(abs(self.number), self.powers)


def _sorted_powers(powers: dict) -> tuple:
    return tuple(sorted(((n, e) for n, e in powers.items() if e != 0), key=lambda p: p[0].id))


ONE = Coef()


@dataclass(frozen=True)
class Lin:
    """A sum of terms (coef, factors); a product of no factors is a scalar."""
    terms: tuple
    dims: tuple

    def scaled(self, c: Coef) -> Lin:
        return Lin(tuple((c * tc, fs) for tc, fs in self.terms), self.dims)


def merge_terms(terms) -> tuple:
    """Like terms collected: c1 F + c2 F = (c1 + c2) F."""
    out: dict = {}
    for coef, factors in terms:
        key = (coef.powers, factors)
        out[key] = out.get(key, 0.0) + coef.number
    return tuple((Coef(number, powers), factors) for (powers, factors), number in out.items()
                 if number != 0)


class MissingDimension(Exception):
    def __init__(self, dim):
        self.dim = dim


# ---- lowering: expressions to sums of products ----------------------------------------------

class Lowering:
    """Expr -> Lin -> nodes. One instance per generated function (the DAG is shared)."""

    def __init__(self, arguments: dict, assume: dict, inverse_counts: Counter):
        self.g = Graph()
        self.assume = assume or {}
        self.inverse_counts = inverse_counts
        self.memo: dict = {}
        self.node_memo: dict = {}
        self.args: dict = {}         # user name -> arg node
        self.dims: dict = {}         # dimension name -> node of its size
        self.one = self.number(1.0)
        for name, (pyname, dims) in arguments.items():
            node = self.g.make(pyname, (), kind_of(dims), cheap=True, key=("arg", pyname))
            self.args[name] = node
            rows, cols = dims
            axes = [(rows, 0), (cols, 1)] if is_matrix(dims) else \
                [(rows, 0)] if rows != 1 else [(cols, 0)] if cols != 1 else []
            for d, axis in axes:
                if isinstance(d, str) and "*" not in d and d not in self.dims:
                    self.dims[d] = self.g.make(f"{{0}}.shape[{axis}]", (node,), "S",
                                               slots=(ATOM,), cheap=True, integral=True)

    # -- small node builders --
    def number(self, value: float) -> Node:
        text = format_number(value)
        return self.g.make(text, (), "S", ATOM if value >= 0 else UNARY, cheap=True,
                           nonneg=value >= 0, integral=float(value).is_integer(),
                           key=("number", text))

    def call(self, template, args, kind, **kw) -> Node:
        return self.g.make(template, args, kind, ATOM, **kw)

    def method(self, template, arg, kind) -> Node:
        """arg.method(...): NumPy's methods cost less than its functions on small arrays."""
        return self.g.make(template, (arg,), kind, ATOM, (ATOM,))

    def mul(self, a: Node, b: Node, kind=None) -> Node:
        """a * b (elementwise or by a scalar)."""
        if a is self.one:
            return b
        if b is self.one:
            return a
        kind = kind or max(a.kind, b.kind, key="SVM".index)
        return self.g.make("{0} * {1}", (a, b), kind, PROD, (PROD, UNARY), commutative=True,
                           nonneg=a.nonneg and b.nonneg, integral=a.integral and b.integral)

    def div(self, a: Node, b: Node) -> Node:
        kind = max(a.kind, b.kind, key="SVM".index)
        return self.g.make("{0} / {1}", (a, b), kind, PROD, (PROD, UNARY),
                           nonneg=a.nonneg and b.nonneg)

    def matmul(self, a: Node, b: Node, kind) -> Node:
        return self.g.make("{0} @ {1}", (a, b), kind, MATMUL, (MATMUL, UNARY),
                           nonneg=a is b and kind == "S")

    def neg(self, a: Node) -> Node:
        if a.template == "-{0}":
            return a.args[0]
        return self.g.make("-{0}", (a,), a.kind, UNARY, (UNARY,))

    def T(self, a: Node) -> Node:
        if a.kind != "M":
            return a
        if a.template == "{0}.T":
            return a.args[0]
        return self.g.make("{0}.T", (a,), "M", ATOM, (ATOM,), cheap=a.cheap)

    def pow(self, a: Node, k: float) -> Node:
        """a ** k; np.power where k is not an integer and a may be negative, so that a
        Python float gives nan as NumPy does, not a complex number."""
        if k == 1:
            return a
        if k == 0.5:
            return self.call("np.sqrt({0})", (a,), a.kind, nonneg=True)
        if not (a.nonneg or float(k).is_integer()):
            return self.call(f"np.power({{0}}, {format_number(k)})", (a,), a.kind)
        return self.g.make(f"{{0}} ** {format_number(k)}", (a,), a.kind, POWER, (ATOM,),
                           nonneg=a.nonneg or float(k / 2).is_integer())

    def dim(self, d) -> Node:
        if isinstance(d, int):
            return self.number(d)
        if isinstance(d, str) and "*" in d:
            node = None
            for part in d.split("*"):
                part_node = self.dim(int(part) if part.isdigit() else part)
                node = part_node if node is None else self.mul(node, part_node)
            return node
        if d in self.dims:
            return self.dims[d]
        raise MissingDimension(d)

    def shape_text_nodes(self, dims):
        """(template, nodes) for the shape argument of np.ones / np.zeros."""
        if kind_of(dims) == "V":
            return "{0}", (self.dim(dims[0] if dims[0] != 1 else dims[1]),)
        return "({0}, {1})", (self.dim(dims[0]), self.dim(dims[1]))

    def filled(self, what: str, dims) -> Node:
        """np.ones / np.zeros of the shape dims (a float for a scalar)."""
        if is_scalar(dims):
            return self.number(1.0 if what == "ones" else 0.0)
        shape, nodes = self.shape_text_nodes(dims)
        return self.call(f"np.{what}({shape})", nodes, kind_of(dims))

    def eye(self, n) -> Node:
        return self.call("np.eye({0})", (self.dim(n),), "M")

    def sum_node(self, pieces, dims) -> Node:
        """sign1 node1 + sign2 node2 + ..., with equal nodes collected."""
        counts: dict = {}
        for sign, node in pieces:
            counts[node] = counts.get(node, 0) + sign
        items = []
        for node, count in counts.items():
            if count == 0:
                continue
            if abs(count) != 1:
                node = self.mul(self.number(abs(count)), node)
            items.append((1 if count > 0 else -1, node))
        if not items:
            return self.filled("zeros", dims)
        items.sort(key=lambda p: p[0] < 0)      # a positive term first (stable otherwise)
        if len(items) == 1:
            sign, node = items[0]
            return node if sign > 0 else self.neg(node)
        template, slots = "", []
        for k, (sign, _) in enumerate(items):
            if k == 0:
                template, slots = ("{0}", [SUM]) if sign > 0 else ("-{0}", [UNARY])
            else:
                template += (" + " if sign > 0 else " - ") + "{%d}" % k
                slots.append(PROD)
        key = ("sum", tuple(sorted((n.id, s) for s, n in items)))
        kind = max((n.kind for _, n in items), key="SVM".index)
        return self.g.make(template, [n for _, n in items], kind, SUM, slots, key=key)

    # -- materializing --
    def transpose(self, v: Val) -> Val:
        dims = (v.dims[1], v.dims[0])
        if v.rep == "inv":
            return replace(v, dims=dims, t=not v.t)
        if v.rep == "dense":
            return replace(v, dims=dims, node=self.T(v.node))
        return replace(v, dims=dims)

    def dense(self, v: Val) -> Node:
        """The array a factor stands for."""
        if v.rep == "dense":
            return v.node
        if v.rep == "diag":
            if v.node.kind == "S":
                return self.mul(v.node, self.eye(v.dims[0]))
            return self.call("np.diag({0})", (v.node,), "M")
        if v.rep == "ones":
            return self.filled("ones", v.dims)
        if v.rep == "inv":
            return self.T(self.call("np.linalg.inv({0})", (v.node,), "M")) if v.t else \
                self.call("np.linalg.inv({0})", (v.node,), "M")
        raise AssertionError(v.rep)

    def coef_node(self, c: Coef) -> Node | None:
        """The node of a coefficient (None for 1); -1 negates its first factor."""
        num, den = [], []
        if abs(c.number) != 1:
            num.append(self.number(c.number))
        for node, e in c.powers:
            (num if e > 0 else den).append(self.pow(node, abs(e)))
        if c.number == -1:
            num = [self.neg(num[0])] + num[1:] if num else [self.number(-1.0)]
        numerator = None
        for n in num:
            numerator = n if numerator is None else self.mul(numerator, n, "S")
        if not den:
            return numerator
        denominator = None
        for n in den:
            denominator = n if denominator is None else self.mul(denominator, n, "S")
        return self.div(numerator if numerator is not None else self.one, denominator)

    def node(self, lin: Lin) -> Node:
        """The array (or scalar) a Lin stands for."""
        key = lin
        if key in self.node_memo:
            return self.node_memo[key]
        dims, terms = lin.dims, lin.terms
        if not terms:
            out = self.filled("zeros", dims)
        elif len(terms) == 1:
            sign, out = self.term(*terms[0], dims, signed=True)
            out = out if sign > 0 else self.neg(out)
        else:
            diag = [t for t in terms if len(t[1]) == 1 and t[1][0].rep == "diag"] \
                if is_matrix(dims) else []
            ones = [t for t in terms if len(t[1]) == 1 and t[1][0].rep == "ones"]
            rest = [t for t in terms if t not in diag and t not in ones]
            pieces = []
            if diag:
                pieces.append(self.term(*self.diag_sum(diag, dims), dims))
            if ones and not (pieces or rest):       # only constants: an array of them
                total = self.node(Lin(tuple((c, ()) for c, _ in ones), (1, 1)))
                pieces.append((1, self.mul(total, self.filled("ones", dims))))
            else:                                    # broadcast the scalar
                pieces += [self.term(c, (), (1, 1)) for c, _ in ones]
            pieces += [self.term(c, fs, dims) for c, fs in rest]
            out = self.sum_node(pieces, dims)
        self.node_memo[key] = out
        return out

    def diag_sum(self, terms, dims):
        """sum of c_i diag(u_i) as one term c diag(w)."""
        if len(terms) == 1:
            return terms[0]
        if all(fs[0].node.kind == "S" for _, fs in terms):
            scalars = Lin(merge_terms((c * self.as_power(fs[0].node), ()) for c, fs in terms),
                          (1, 1))
            return ONE, (Val("diag", self.node(scalars), dims),)
        vec = (dims[0], 1)
        parts = []
        for c, fs in terms:
            u = fs[0].node
            if u.kind == "S":
                parts.append((c * self.as_power(u), (Val("ones", None, vec),)))
            else:
                parts.append((c, (Val("dense", u, vec),)))
        return ONE, (Val("diag", self.node(Lin(merge_terms(parts), vec)), dims),)

    def as_power(self, node: Node) -> Coef:
        return ONE if node is self.one else Coef(1.0, ((node, 1),))

    def as_coef(self, lin: Lin) -> Coef:
        """A scalar Lin as a coefficient."""
        if not lin.terms:
            return Coef(0.0)
        if len(lin.terms) == 1:
            c, fs = lin.terms[0]
            if not fs:
                return c
            return c * self.as_power(self.term(ONE, fs, (1, 1))[1])
        return self.as_power(self.node(lin))

    # -- one term: a product chain --
    def term(self, coef: Coef, factors: tuple, dims, signed=False) -> tuple:
        """(sign, node) of coef * F1 ... Fk; signed: a negative coefficient other than -1
        stays in the node (-2 * x rather than -(2 * x))."""
        key = ("term", coef, factors, dims, signed)
        if key in self.node_memo:
            return self.node_memo[key]
        sign = -1 if coef.number < 0 else 1
        if not (signed and sign < 0 and (coef.number != -1 or coef.powers)):
            coef = coef.abs()
        else:
            sign = 1
        factors = list(factors)
        if factors and is_row(dims):               # a row vector: as the column it is
            factors = [self.transpose(f) for f in reversed(factors)]
            dims = (dims[1], dims[0])
        coef, factors = self.reduce_chain(coef, factors)
        cnode = self.coef_node(coef)
        if not factors:
            out = cnode if cnode is not None else self.one
        elif len(factors) == 1:
            out = self.dense(self.scale(factors[0], cnode))
        else:
            factors = [Val("dense", self.dense(f), f.dims) if f.rep == "ones" else f
                       for f in factors]
            tree = associate(factors)
            target = scale_target(tree, factors) if cnode is not None else None
            out = self.dense(self.build(tree, factors, cnode, target))
        self.node_memo[key] = (sign, out)
        return sign, out

    def scale(self, v: Val, c: Node | None) -> Val:
        if c is None:
            return v
        if v.rep == "diag":
            return replace(v, node=self.mul(c, v.node))
        return Val("dense", self.mul(c, self.dense(v)), v.dims)

    def reduce_chain(self, coef, factors):
        """Identities dropped, diagonals merged, products with all-ones vectors as sums."""
        changed = True
        while changed and len(factors) > 1:
            changed = False
            for i, f in enumerate(factors):
                if f.rep == "diag" and f.node.kind == "S":           # s I
                    coef = coef * self.as_power(f.node)
                    del factors[i]
                    changed = True
                    break
                if i and f.rep == "diag" and factors[i - 1].rep == "diag":
                    factors[i - 1:i + 1] = [Val("diag", self.mul(factors[i - 1].node, f.node),
                                                f.dims)]
                    changed = True
                    break
                if f.rep == "ones" and is_col(f.dims) and i:           # L 1
                    left = factors[i - 1]
                    done = self.times_ones(left, axis=1)
                    if done is not None:
                        coef, new = (coef * done[0], done[1])
                        factors[i - 1:i + 1] = new
                        changed = True
                        break
                if f.rep == "ones" and is_row(f.dims) and i + 1 < len(factors):   # 1^T R
                    right = factors[i + 1]
                    done = self.times_ones(right, axis=0)
                    if done is not None:
                        coef, new = (coef * done[0], done[1])
                        factors[i:i + 2] = new
                        changed = True
                        break
        return coef, factors

    def times_ones(self, v: Val, axis: int):
        """(coef, factors) for v 1 (axis 1) or 1^T v (axis 0), or None."""
        out_dims = (v.dims[0], 1) if axis == 1 else (1, v.dims[1])
        if v.rep == "ones":
            return self.as_power(self.dim(v.dims[axis])), \
                ([Val("ones", None, out_dims)] if not is_scalar(out_dims) else [])
        if v.rep == "diag" and v.node.kind == "V":
            return ONE, [Val("dense", v.node, out_dims)]
        if v.rep == "dense":
            if v.node.kind == "V" and is_scalar(out_dims):
                return self.as_power(self.method("{0}.sum()", v.node, "S")), []
            if v.node.kind == "M":
                return ONE, [Val("dense", self.method(f"{{0}}.sum(axis={axis})", v.node, "V"),
                                 out_dims)]
        return None

    def build(self, tree, factors, cnode, target) -> Val:
        if isinstance(tree, int):
            out = factors[tree]
        else:
            left, right, (i, j) = tree
            dims = (factors[i].dims[0], factors[j].dims[1])
            if is_row(dims):        # canonical: the column vector it is the transpose of
                chain = tuple(self.transpose(f) for f in reversed(factors[i:j + 1]))
                out = Val("dense", self.term(ONE, chain, (dims[1], dims[0]))[1], dims)
                if target is not None and _inside(target, tree):
                    return self.scale(out, cnode)
                return out
            out = self.combine(self.build(left, factors, cnode, target),
                               self.build(right, factors, cnode, target))
        if target is not None and tree == target:
            out = self.scale(out, cnode)
        return out

    def combine(self, L: Val, R: Val) -> Val:
        """The product L R."""
        dims = (L.dims[0], R.dims[1])
        kind = kind_of(dims)
        if is_scalar(L.dims) or is_scalar(R.dims):
            return Val("dense", self.mul(self.dense(L), self.dense(R), kind), dims)
        if L.rep == "diag" and R.rep == "diag":
            return Val("diag", self.mul(L.node, R.node), dims)
        if L.rep == "diag":
            r = self.dense(R)
            if r.kind == "M":
                u = self.g.make("{0}[:, None]", (L.node,), "M", ATOM, (ATOM,), cheap=True)
                return Val("dense", self.g.make("{0} * {1}", (u, r), "M", PROD, (PROD, UNARY)),
                           dims)
            return Val("dense", self.mul(L.node, r, kind), dims)
        if R.rep == "diag":
            return Val("dense", self.mul(self.dense(L), R.node, kind), dims)
        if L.rep == "inv" and L.once and not (R.rep == "inv" and R.node is L.node):
            X = self.T(L.node) if L.t else L.node
            return Val("dense", self.call("np.linalg.solve({0}, {1})", (X, self.dense(R)),
                                          kind), dims)
        if R.rep == "inv" and R.once:
            X = R.node if R.t else self.T(R.node)          # l X^-1 = (X^-T l^T)^T
            left = self.dense(L)
            if left.kind == "V":
                return Val("dense", self.call("np.linalg.solve({0}, {1})", (X, left), "V"),
                           dims)
            solved = self.call("np.linalg.solve({0}, {1})", (X, self.T(left)), "M")
            return Val("dense", self.T(solved), dims)
        left, right = self.dense(L), self.dense(R)
        if is_col(L.dims) and is_row(R.dims):
            return Val("dense", self.call("np.outer({0}, {1})", (left, right), "M"), dims)
        return Val("dense", self.matmul(left, right, kind), dims)

    # -- products of Lins --
    def product(self, coef: Coef, lins, dims) -> Lin:
        if coef.number == 0:
            return Lin((), dims)
        acc = [(coef, ())]
        for L in lins:
            if not L.terms:
                return Lin((), dims)
            if len(L.terms) == 1:
                c, fs = L.terms[0]
                acc = [(a * c, afs + fs) for a, afs in acc]
                continue
            parts = self.distributable(L)
            if parts is None or len(acc) * len(parts) > MAX_TERMS:
                v = Val("dense", self.node(L), L.dims)
                acc = [(a, afs + (v,)) for a, afs in acc]
            else:
                acc = [(a * c, afs + fs) for a, afs in acc for c, fs in parts]
                if len(acc) > 1:       # an inverse in several terms is computed once
                    acc = [(a, tuple(replace(f, once=False) if f.rep == "inv" else f
                                     for f in fs)) for a, fs in acc]
        reduced = []
        for a, fs in acc:
            a, fs = self.reduce_chain(a, list(fs))
            reduced.append((a, tuple(fs)))
        return Lin(merge_terms(reduced), dims)

    def distributable(self, L: Lin):
        """The terms to multiply out, if L is a matrix sum of diagonals and rank-one terms."""
        if not is_matrix(L.dims):
            return None
        diag = [t for t in L.terms if len(t[1]) == 1 and t[1][0].rep == "diag"]
        rest = [t for t in L.terms if t not in diag]
        if not all(any(not is_matrix(f.dims) for f in fs) for _, fs in rest):
            return None
        return ([self.diag_sum(diag, L.dims)] if diag else []) + rest

    # -- expressions --
    def lower(self, e: E.Expr) -> Lin:
        if e in self.memo:
            return self.memo[e]
        deadline.check("generating code")
        rule = getattr(self, "lower_" + type(e).__name__, None)
        if rule is None:
            raise UnsupportedError(f"no code generation for {type(e).__name__} nodes "
                                   f"(in {e})")
        out = rule(e)
        self.memo[e] = out
        return out

    def single(self, v: Val) -> Lin:
        return Lin(((ONE, (v,)),), v.dims)

    def scalar(self, c: Coef) -> Lin:
        return Lin(((c, ()),), (1, 1)) if c.number != 0 else Lin((), (1, 1))

    def argument(self, e) -> Lin:
        node = self.args[symbol_name(e)]
        if is_scalar(e.shape):
            return self.scalar(self.as_power(node))
        return self.single(Val("dense", node, e.shape))

    lower_Symbol = lower_Differential = argument

    def lower_Number(self, e):
        return self.scalar(Coef(float(e.value)))

    def lower_Identity(self, e):
        if is_scalar(e.shape):
            return self.scalar(ONE)
        return self.single(Val("diag", self.one, e.shape))

    def lower_Zero(self, e):
        return Lin((), e.shape)

    def lower_Ones(self, e):
        if is_scalar(e.shape):
            return self.scalar(ONE)
        return self.single(Val("ones", None, e.shape))

    def lower_Add(self, e):
        terms = [t for term in e.terms for t in self.lower(term).terms]
        return Lin(merge_terms(terms), e.shape)

    def lower_Mul(self, e):
        coef, chain = ONE, []
        for f in self.sums_times_vectors(e.factors):
            L = self.lower(f)
            if f.is_scalar:
                coef = coef * self.as_coef(L)
            else:
                chain.append(L)
        return self.product(coef, chain, e.shape)

    def sums_times_vectors(self, factors):
        """(A + B) x as A x + B x, x^T (A + B) as x^T A + x^T B: matrix-vector products
        read each matrix once; forming A + B first costs a pass more."""
        factors = list(factors)
        for i, f in enumerate(factors):
            if not (isinstance(f, E.Add) and is_matrix(f.shape)) or \
                    self.distributable(self.lower(f)) is not None:
                continue
            if i + 1 < len(factors) and is_col(factors[i + 1].shape):
                v = factors[i + 1]
                factors[i:i + 2] = [E.Add(tuple(E.mul(t, v) for t in f.terms))]
                return self.sums_times_vectors(factors)
            if i and is_row(factors[i - 1].shape):
                v = factors[i - 1]
                factors[i - 1:i + 1] = [E.Add(tuple(E.mul(v, t) for t in f.terms))]
                return self.sums_times_vectors(factors)
        return factors

    def lower_Transpose(self, e):
        L = self.lower(e.arg)
        terms = tuple((c, tuple(self.transpose(f) for f in reversed(fs))) for c, fs in L.terms)
        return Lin(terms, e.shape)

    def lower_Hadamard(self, e):
        A, B = self.lower(e.left), self.lower(e.right)
        if is_scalar(e.shape):
            return self.scalar(self.as_coef(A) * self.as_coef(B))
        for P, Q in ((A, B), (B, A)):
            if len(P.terms) == 1 and P.terms[0][1] and len(P.terms[0][1]) == 1:
                c, (f,) = P.terms[0]
                if f.rep == "ones":                     # (c 1) .* Q = c Q
                    return Q.scaled(c)
                if f.rep == "diag":                     # diag(u) .* Q = diag(u .* diag(Q))
                    q = self.node(self.diagonal(Q))
                    return self.single(Val("diag", self.mul(f.node, q), e.shape)).scaled(c)
        ca, na = self.factored(A)
        cb, nb = self.factored(B)
        node = self.mul(na, nb, kind_of(e.shape))
        return Lin(((ca * cb, (Val("dense", node, e.shape),)),), e.shape)

    def factored(self, L: Lin):
        """(coefficient, node) with the coefficient of a single term pulled out."""
        if len(L.terms) == 1:
            c, fs = L.terms[0]
            return c, self.term(ONE, fs, L.dims)[1]
        return ONE, self.node(L)

    def lower_Inverse(self, e):
        L = self.lower(e.arg)
        if is_scalar(e.shape):
            c = self.as_coef(L).power(-1)
            return self.scalar(c if c is not None else self.as_power(
                self.div(self.one, self.node(L))))
        coef = ONE
        if len(L.terms) == 1:
            c, fs = L.terms[0]
            if len(fs) == 1 and fs[0].rep == "diag":
                u = fs[0].node
                inv_u = self.div(self.one, u)
                return self.single(Val("diag", inv_u, e.shape)).scaled(c.power(-1))
            if len(fs) == 1 and fs[0].rep == "inv":             # (X^-1)^-1 = X
                X = self.T(fs[0].node) if fs[0].t else fs[0].node
                return self.single(Val("dense", X, e.shape)).scaled(c.power(-1))
            coef, X = c.power(-1), self.term(ONE, fs, e.shape)[1]
        else:
            X = self.node(L)
        once = self.inverse_counts.get(e.arg, 0) <= 1
        if X.template == "{0}.T":
            v = Val("inv", X.args[0], e.shape, t=True, once=once)
        else:
            v = Val("inv", X, e.shape, once=once)
        return self.single(v).scaled(coef)

    def lower_MatPower(self, e):
        k = e.k
        if k == 0:
            return self.single(Val("diag", self.one, e.shape))
        if abs(k) > 8:
            X = self.node(self.lower(e.base))
            node = self.call(f"np.linalg.matrix_power({{0}}, {int(k)})", (X,), "M")
            return self.single(Val("dense", node, e.shape))
        base = self.lower(E.Inverse(e.base) if k < 0 else e.base)
        if k < -1:              # X^-1 several times: computed once, not solved for
            base = Lin(tuple((c, tuple(replace(f, once=False) if f.rep == "inv" else f
                                       for f in fs)) for c, fs in base.terms), base.dims)
        return self.product(ONE, [base] * abs(k), e.shape)

    def lower_Power(self, e):
        base = self.lower(e.base)
        if isinstance(e.exponent, E.Number):
            k = float(e.exponent.value)
            if is_scalar(e.shape):
                return self.scalar(self.coef_power(self.as_coef(base), k))
            if k == 1:
                return base
            if len(base.terms) == 1 and all_ones(base.terms[0][1]):    # (c 1).^k = c^k 1
                c, ones = base.terms[0]
                return Lin(((self.coef_power(c, k), ones),), e.shape)
            c, node = self.factored(base)
            scaled = c.power(k)
            if scaled is None:
                scaled, node = ONE, self.node(base)
            if k == -1:
                out = self.div(self.one, node)
            else:
                out = self.pow(node, k)
            return Lin(((scaled, (Val("dense", out, e.shape),)),), e.shape)
        t = self.node(self.lower(e.exponent))
        b = self.node(base)
        node = self.g.make("{0} ** {1}", (b, t), b.kind, POWER, (ATOM, UNARY)) if b.nonneg \
            else self.call("np.power({0}, {1})", (b, t), b.kind)
        if is_scalar(e.shape):
            return self.scalar(self.as_power(node))
        return self.single(Val("dense", node, e.shape))

    def coef_power(self, c: Coef, k: float) -> Coef:
        """c^k: exact where it can be, else the power of c's value (as evaluate takes it)."""
        powered = c.power(k)
        return powered if powered is not None else self.as_power(self.pow(self.coef_value(c), k))

    def coef_value(self, c: Coef) -> Node:
        """The node of a coefficient, sign included."""
        return self.coef_node(c) or self.one

    def lower_Trace(self, e):
        L = self.lower(e.arg)
        terms = []
        for c, fs in L.terms:
            coef, node = self.trace_term(list(fs), e.arg.shape)
            terms.append((c * coef * (self.as_power(node) if node is not None else ONE), ()))
        return Lin(merge_terms(terms), (1, 1))

    def trace_term(self, fs, dims):
        """(coef, node) with tr(F1 ... Fk) = coef * node (node None for 1)."""
        if len(fs) == 1:
            v = fs[0]
            if v.rep == "diag":
                if v.node.kind == "S":
                    return self.as_power(v.node) * self.as_power(self.dim(v.dims[0])), None
                return ONE, self.method("{0}.sum()", v.node, "S")
            if v.rep == "ones":
                return self.as_power(self.dim(v.dims[0])), None
            return ONE, self.method("{0}.trace()", self.dense(v), "S")
        for i, f in enumerate(fs):      # a vector in the chain: tr(A x y^T) = y^T A x
            if is_col(f.dims) or is_scalar(f.dims):
                return ONE, self.term(ONE, tuple(fs[i + 1:] + fs[:i + 1]), (1, 1))[1]
            if is_row(f.dims):
                return ONE, self.term(ONE, tuple(fs[i:] + fs[:i]), (1, 1))[1]
        coef, fs = self.reduce_chain(ONE, list(fs))
        if len(fs) == 1:
            c, node = self.trace_term(fs, dims)
            return coef * c, node
        for i, f in enumerate(fs):      # tr(L diag(u)) = diag(L) . u
            if f.rep == "diag":
                rest = tuple(fs[i + 1:] + fs[:i])
                L = self.term(ONE, rest, (f.dims[0], f.dims[0]))[1]
                d = self.method("{0}.diagonal()", L, "V")
                return coef, self.matmul(d, f.node, "S")
        L = self.term(ONE, tuple(fs[:-1]), (fs[0].dims[0], fs[-2].dims[1]))[1]
        R = self.dense(fs[-1])
        if L.template == "{0}.T":                       # tr(Y^T R) = <Y, R>
            return coef, self.call("np.vdot({0}, {1})", (L.args[0], R), "S")
        return coef, self.call("np.vdot({0}, {1})", (L, self.T(R)), "S")

    def lower_Det(self, e):
        X = self.node(self.lower(e.arg))
        return self.scalar(self.as_power(self.call("np.linalg.det({0})", (X,), "S")))

    def lower_Inner(self, e):
        A, B = self.lower(e.left), self.lower(e.right)
        dims = e.left.shape
        if is_scalar(dims):
            return self.scalar(self.as_coef(A) * self.as_coef(B))
        if is_col(dims):
            return self.product(ONE, [self.lower(E.Transpose(e.left)), B], (1, 1))
        if is_row(dims):
            return self.product(ONE, [A, self.lower(E.Transpose(e.right))], (1, 1))
        return self.lower(E.Trace(E.Mul((E.Transpose(e.left), e.right))))

    def lower_Norm(self, e):
        kind = e.kind
        if kind == "euclid":
            sq = self.node(self.lower(E.Inner(e.arg, e.arg)))
            sq.nonneg = True
            return self.scalar(Coef(1.0, ((sq, 0.5),)))
        a = self.node(self.lower(e.arg))
        templates = {"l1": "np.abs({0}).sum()", "spectral": "np.linalg.norm({0}, 2)",
                     "nuclear": 'np.linalg.norm({0}, "nuc")'}
        if kind not in templates:
            raise UnsupportedError(f"no code generation for the norm {e}")
        node = self.call(templates[kind], (a,), "S", nonneg=True)
        return self.scalar(self.as_power(node))

    def lower_Diag(self, e):
        L = self.lower(e.arg)
        if e.builds_matrix:
            if is_scalar(e.arg.shape):
                return L
            if len(L.terms) == 1:
                c, fs = L.terms[0]
                if len(fs) == 1 and fs[0].rep == "ones":
                    return self.single(Val("diag", self.one, e.shape)).scaled(c)
                u = self.term(ONE, fs, e.arg.shape)[1]
                return self.single(Val("diag", u, e.shape)).scaled(c)
            return self.single(Val("diag", self.node(L), e.shape))
        return self.diagonal(L)

    def diagonal(self, L: Lin) -> Lin:
        """diag(M) of a matrix Lin, as a vector Lin."""
        dims = (L.dims[0], 1)
        terms = []
        for c, fs in L.terms:
            if len(fs) == 1 and fs[0].rep == "diag":
                u = fs[0].node
                terms.append((c * self.as_power(u), (Val("ones", None, dims),)) if u.kind == "S"
                              else (c, (Val("dense", u, dims),)))
            elif all_ones(fs):
                terms.append((c, (Val("ones", None, dims),)))
            else:
                M = self.term(ONE, fs, L.dims)[1]
                terms.append((c, (Val("dense", self.method("{0}.diagonal()", M, "V"),
                                      dims),)))
        return Lin(merge_terms(terms), dims)

    def unary(self, template, e, helper=None, nonneg=False):
        a = self.node(self.lower(e.arg))
        node = self.call(template, (a,), kind_of(e.shape), helper=helper, nonneg=nonneg)
        if is_scalar(e.shape):
            return self.scalar(self.as_power(node))
        return self.single(Val("dense", node, e.shape))

    def lower_Softmax(self, e):
        return self.unary("_softmax({0})", e, "_softmax", nonneg=True)

    def lower_LogSumExp(self, e):
        return self.unary("_logsumexp({0})", e, "_logsumexp")

    def lower_Eig(self, e):
        return self.unary("_eig({0})", e, "_eig")

    def lower_SingularFactor(self, e):
        name = "_polar" if e.which == "polar" else "_svtop"
        return self.unary(name + "({0})", e, name)

    def lower_LambdaMax(self, e):
        return self.unary("np.linalg.eigvalsh({0})[-1]", e)

    def lower_TopEigvec(self, e):
        return self.unary("_eigtop({0})", e, "_eigtop")

    def lower_Func(self, e):
        if e.name == "log" and isinstance(e.arg, E.Det):
            X = e.arg.arg
            spd = isinstance(X, E.Symbol) and self.assume.get(X.name) == "spd"
            name = "_logdet_spd" if spd else "_logdet"
            node = self.call(name + "({0})", (self.node(self.lower(X)),), "S", helper=name)
            return self.scalar(self.as_power(node))
        template = ELEMENTWISE[e.name].code["numpy"]
        helper = template.split("(")[0] if template.startswith("_") else None
        return self.unary(template, e, helper, nonneg=ELEMENTWISE[e.name].nonnegative)

    def lower_Kron(self, e):
        def two_d(x):
            node = self.node(self.lower(x))
            if is_col(x.shape):
                return self.g.make("{0}[:, None]", (node,), "M", ATOM, (ATOM,), cheap=True)
            if is_row(x.shape):
                return self.g.make("{0}[None, :]", (node,), "M", ATOM, (ATOM,), cheap=True)
            return node
        if is_scalar(e.left.shape) or is_scalar(e.right.shape):
            return self.lower(E.Mul((e.left, e.right)))
        same = (is_col(e.left.shape) and is_col(e.right.shape)) or \
            (is_row(e.left.shape) and is_row(e.right.shape))
        if same:
            a, b = self.node(self.lower(e.left)), self.node(self.lower(e.right))
            node = self.call("np.kron({0}, {1})", (a, b), "V")
        else:
            node = self.call("np.kron({0}, {1})", (two_d(e.left), two_d(e.right)), "M")
            if kind_of(e.shape) == "V":
                node = self.call("np.ravel({0})", (node,), "V")
        return self.single(Val("dense", node, e.shape))

    def lower_Vec(self, e):
        if is_row(e.arg.shape):
            return Lin(self.lower(E.Transpose(e.arg)).terms, e.shape)
        if not is_matrix(e.arg.shape):
            return Lin(self.lower(e.arg).terms, e.shape)
        M = self.node(self.lower(e.arg))
        if M.template == "{0}.T":
            node = self.call("np.ravel({0})", (M.args[0],), "V")
        else:
            node = self.call('np.ravel({0}, order="F")', (M,), "V")
        return self.single(Val("dense", node, e.shape))

    def lower_Commutation(self, e):
        node = self.call("_commutation({0}, {1})", (self.dim(e.m), self.dim(e.n)), "M",
                         helper="_commutation")
        return self.single(Val("dense", node, e.shape))


def all_ones(factors) -> bool:
    """Whether a product of factors is the all-ones array: ones factors joined by inner
    dimensions 1 (1 1^T is, but 1_(n x k) 1_(k x n) is k times it)."""
    return bool(factors) and all(f.rep == "ones" for f in factors) and \
        all(f.dims[1] == 1 for f in factors[:-1])


def _inside(target, tree) -> bool:
    if target == tree:
        return True
    if isinstance(tree, int):
        return False
    return _inside(target, tree[0]) or _inside(target, tree[1])


def associate(factors):
    """The cheapest parenthesization of a chain (ties: left to right), as a tree of
    (left, right, (i, j)) with leaves the factor indices."""
    k = len(factors)
    sizes = [(size_of(f.dims[0]), size_of(f.dims[1])) for f in factors]
    best = {(i, i): (0, None, factors[i].rep == "diag") for i in range(k)}
    for length in range(2, k + 1):
        for i in range(k - length + 1):
            j = i + length - 1
            choice = None
            for s in range(j - 1, i - 1, -1):
                cost_l, _, diag_l = best[i, s]
                cost_r, _, diag_r = best[s + 1, j]
                p, q, r = sizes[i][0], sizes[s][1], sizes[j][1]
                step = q if diag_l and diag_r else q * r if diag_l else p * q if diag_r \
                    else p * q * r
                total = cost_l + cost_r + step
                if choice is None or total < choice[0]:
                    choice = (total, s, diag_l and diag_r)
            best[i, j] = choice

    def tree(i, j):
        if i == j:
            return i
        s = best[i, j][1]
        return (tree(i, s), tree(s + 1, j), (i, j))
    return tree(0, k - 1)


def scale_target(tree, factors):
    """The sub-product where a scalar coefficient costs least: the smallest, then the
    outermost, then the leftmost; never an inverse (it would stop a solve), never
    inside a row-vector segment (those are rebuilt as columns)."""
    best = None

    def visit(t, depth):
        nonlocal best
        if isinstance(t, int):
            f = factors[t]
            if f.rep == "inv":
                return
            size = size_of(f.dims[0]) if f.rep == "diag" else \
                size_of(f.dims[0]) * size_of(f.dims[1])
        else:
            i, j = t[2]
            size = size_of(factors[i].dims[0]) * size_of(factors[j].dims[1])
        candidate = (size, depth)
        if best is None or candidate < best[0]:
            best = (candidate, t)
        if not isinstance(t, int) and not is_row((factors[t[2][0]].dims[0],
                                                   factors[t[2][1]].dims[1])):
            visit(t[0], depth + 1)
            visit(t[1], depth + 1)
    visit(tree, 0)
    return best[1] if best else tree


# ---- from outputs to source --------------------------------------------------------------

def inverse_counts(exprs) -> Counter:
    """How often X^-1 (or X^-T) occurs for each X, counting a repeated sub-expression once."""
    counts, seen = Counter(), set()

    def visit(e):
        if e in seen:
            return
        seen.add(e)
        for c in e.children:
            if isinstance(c, E.Transpose) and isinstance(c.arg, E.Inverse):
                counts[c.arg.arg] += 1
                if c not in seen:
                    seen.add(c)
                    visit(c.arg)
                continue
            if isinstance(c, E.Inverse):
                counts[c.arg] += 1
            elif isinstance(c, E.MatPower) and c.k < 0:
                counts[c.base] += 2
            visit(c)
    for e in exprs:
        if isinstance(e, E.Inverse):
            counts[e.arg] += 1
        elif isinstance(e, E.Transpose) and isinstance(e.arg, E.Inverse):
            counts[e.arg.arg] += 1
        visit(e)
    return counts


@dataclass
class Output:
    label: str            # a local name for it (value, gradient, ...)
    expr: E.Expr
    reshape: tuple | None = None      # 2-D shape for a Jacobian
    inner: bool = False   # computed inside the nested hvp function


def _symbols(exprs):
    out = set()
    for e in exprs:
        out |= {s for s in E.free_symbols(e) if isinstance(s, (E.Symbol, E.Differential))}
    return out


class Program:
    """One generated function: arguments, outputs, optional nested HVP function."""

    def __init__(self, outputs, context=(), args=None, assume=None, name="f", backend="numpy",
                 doc="", direction=None, required=()):
        """``required``: expressions whose symbols are arguments whether or not the outputs
        still contain them (the variable of a derivative, the f of compile)."""
        if not isinstance(name, str) or not IDENTIFIER.match(name) or keyword.iskeyword(name) \
                or name in RESERVED:
            raise MatcalcError(f"the function name must be a plain identifier, not {name!r}")
        self.outputs, self.assume, self.name, self.backend = outputs, assume or {}, name, backend
        self.doc, self.direction = doc, direction
        needed = _symbols(o.expr for o in outputs) | _symbols(required)
        available = needed | _symbols(context)
        by_name = {}
        for s in available:
            by_name.setdefault(symbol_name(s), s)
        for s in available:
            if by_name[symbol_name(s)] != s:
                raise MatcalcError(f"two different symbols are named {symbol_name(s)!r}")
        if direction is not None:
            by_name[direction.name] = direction
        if args is not None:
            if not isinstance(args, (list, tuple)) or not all(isinstance(a, str) for a in args):
                raise MatcalcError("args must list symbol names, such as ['A', 'x'], "
                                   f"not {args!r:.60}")
            args = list(args)
            repeated = sorted(a for a, k in Counter(args).items() if k > 1)
            if repeated:
                raise MatcalcError(f"args names {repeated} more than once; each symbol is "
                                   "one argument")
            unknown = [a for a in args if a not in by_name]
            if unknown:
                raise MatcalcError(f"unknown argument(s) {unknown}; the symbols are "
                                   f"{sorted(by_name)}")
            missing = sorted(symbol_name(s) for s in needed if symbol_name(s) not in args)
            if missing:
                raise MatcalcError(f"the arguments must include {missing}")
            chosen = args
        else:
            chosen = sorted(symbol_name(s) for s in needed)
        if direction is not None and direction.name in chosen:
            chosen.remove(direction.name)
        self.by_name = by_name
        pynames = {}
        for n in set(chosen) | ({direction.name} if direction is not None else set()):
            pynames[n] = python_name(n)
        if len(set(pynames.values())) != len(pynames):
            raise MatcalcError(f"the symbols {sorted(pynames)} clash as Python names")
        self.pynames = pynames
        self.context_order = self._context_order(context)
        self.arg_names = self._lower_all(chosen, fixed=args is not None)

    def _context_order(self, context):
        names = []
        for e in context:
            if isinstance(e, (E.Symbol, E.Differential)):
                names.append(symbol_name(e))
        for s in sorted(_symbols(context), key=symbol_name):
            if symbol_name(s) not in names:
                names.append(symbol_name(s))
        return names

    def _lower_all(self, chosen, fixed=False):
        """Lower every output; add arguments from the context for unfixed dimensions."""
        counts = inverse_counts([o.expr for o in self.outputs])
        while True:
            arguments = {n: (self.pynames.setdefault(n, python_name(n)), self.by_name[n].shape)
                         for n in sorted(set(chosen))}
            if self.direction is not None:
                arguments[self.direction.name] = (self.pynames[self.direction.name],
                                                  self.direction.shape)
            self.low = Lowering(arguments, self.assume, counts)
            try:
                self.nodes = []
                for o in self.outputs:
                    node = self.low.node(self.low.lower(o.expr))
                    reshape = o.reshape or ("(1, -1)" if is_row(o.expr.shape) else None)
                    if reshape is not None:         # 2-D, as numeric.evaluate gives
                        node = self.low.call(f"np.reshape({{0}}, {reshape})", (node,), "M")
                    self.nodes.append(node)
                return list(chosen) if fixed else sorted(set(chosen))
            except MissingDimension as missing:
                source = None if fixed else self._source_of(missing.dim, chosen)
                if source is None:
                    raise MatcalcError(f"the dimension {missing.dim} is not fixed by any "
                                       "argument; pass args= with a symbol that has it") from None
                chosen = list(chosen) + [source]

    def _source_of(self, d, chosen):
        for n in self.context_order:
            if n in chosen or n not in self.by_name:
                continue
            dims = self.by_name[n].shape
            if d in dims:
                return n
        return None

    # -- emission --
    def source(self) -> str:
        low = self.low
        direction = low.args.get(self.direction.name) if self.direction is not None else None
        uses = Counter()
        reachable = {}

        def visit(n):
            for a in n.args:
                uses[a] += 1
                if a.id not in reachable:
                    reachable[a.id] = a
                    visit(a)
        for n in self.nodes:
            uses[n] += 1
            if n.id not in reachable:
                reachable[n.id] = n
                visit(n)
        order = [reachable[i] for i in sorted(reachable)]
        dep = set()
        for n in order:
            if n is direction or any(a in dep for a in n.args):
                dep.add(n)
        used_inside = set()
        for n in order:
            if n in dep:
                used_inside.update(a for a in n.args if a not in dep)
        names, lines_outer, lines_inner = {}, [], []
        counter = itertools.count()
        helpers = set()

        def text(n):
            if n in names:
                return names[n]
            template = n.template
            if self.backend == "jax":
                template = template.replace("np.", "jnp.")
            parts = []
            for a, slot in zip(n.args, n.slots):
                t = text(a)
                level = ATOM if a in names else a.prec
                mixed = {level, n.prec} == {PROD, MATMUL}      # (a @ b) * c, for the reader
                parts.append(f"({t})" if level < slot or mixed else t)
            return template.format(*parts)

        def result(n):
            """An output: a scalar as a Python float, as numeric.evaluate gives it (JAX
            values stay arrays, so that the code can be traced)."""
            if n.integral and not n.args and n not in names:
                return repr(float(n.template))
            if n.kind == "S" and (self.backend == "numpy" or n.integral):
                return f"float({text(n)})"
            return text(n)

        for n in order:
            if n.helper:
                helpers.add(n.helper)
            if n.cheap:
                continue
            inner = n in dep
            local = uses[n] >= 2 or (not inner and n in used_inside and direction is not None)
            if not local:
                continue
            line = text(n)
            names[n] = f"_t{next(counter)}"
            (lines_inner if inner else lines_outer).append(f"{names[n]} = {line}")
        outer = [(o, n) for o, n in zip(self.outputs, self.nodes) if not o.inner]
        inner = [(o, n) for o, n in zip(self.outputs, self.nodes) if o.inner]
        body = ["    " + line for line in lines_outer]
        results = [result(n) for _, n in outer]
        if inner:
            body.append("")
            body.append(f"    def _hvp({self.pynames[self.direction.name]}):")
            direction_name = self.direction.name
            body.append(f"        {repr(f'the Hessian applied to {direction_name}')}")
            body += ["        " + line for line in lines_inner]
            body.append(f"        return {result(inner[0][1])}")
            body.append("")
            results.append("_hvp")
        body.append(f"    return {', '.join(results)}")
        signature = ", ".join(self.pynames[n] for n in self.arg_names)
        head = [f"def {self.name}({signature}):", f"    {repr(self.doc)}" if self.doc else None]
        code = "\n".join(line for line in head if line is not None) + "\n" + \
            "\n".join(body) + "\n"
        prelude = PRELUDE[self.backend]
        extra = []
        for h in sorted(helpers):
            extra.append(HELPERS[self.backend][h].strip("\n") + "\n")
        return prelude + "\n\n" + "".join(x + "\n\n" for x in extra) + code


# ---- public functions ---------------------------------------------------------------------

def _is_result(obj) -> bool:
    return hasattr(obj, "expr") and hasattr(obj, "wrt") and hasattr(obj, "base")


def _program(obj, name, args, backend, assume=None) -> Program:
    assume = arguments.assumptions(assume, ASSUMPTIONS)
    if isinstance(obj, E.Expr):
        return Program([Output("value", obj)], (), args, assume, name, backend,
                       doc=text(obj))
    if isinstance(obj, str):
        e = parse(obj)
        return Program([Output("value", e)], (), args, assume, name, backend, doc=text(e))
    if _is_result(obj):
        if obj.expr is None:
            raise MatcalcError("this result has no closed form to generate code for (a "
                               "Hessian with respect to a matrix without a Kronecker form): "
                               "use mc.hvp(...) or compile(f, wrt) for its Hessian-vector "
                               "product")
        reshape = None
        if hasattr(obj, "map") and not is_matrix(obj.expr.shape):     # a Jacobian is 2-D
            reshape = "(1, -1)" if is_row(obj.expr.shape) else \
                "(-1, 1)" if is_col(obj.expr.shape) else "(1, 1)"
        label = getattr(obj, "label", "result")
        doc = f"{label} of {text(obj.source if getattr(obj, 'source', None) is not None else obj.base)}" \
              f" wrt {obj.wrt.name}: {text(obj.expr)}"
        variables = [v for v in (obj.wrt, getattr(obj, "direction", None)) if v is not None]
        context = variables + [c for c in (obj.base, getattr(obj, "source", None))
                               if c is not None]
        return Program([Output("value", obj.expr, reshape)], context, args,
                       {**(obj.assume or {}), **(assume or {})}, name, backend, doc=doc,
                       required=variables)
    if hasattr(obj, "by_name"):
        raise MatcalcError("generate code for one gradient at a time, e.g. g['x']")
    raise MatcalcError(f"cannot generate code for {type(obj).__name__}: pass an expression "
                       "or a result of gradient(), hessian(), jacobian(), hvp() or derivative()")


@deadline.bounded
def numpy_source(result_or_expr, name: str = "f", args=None, assume=None) -> str:
    """Readable NumPy source of ``def name(<sorted symbol names>): ...``.

    ``args`` lists the arguments explicitly (a superset of the symbols, in that
    order), e.g. to give a Hessian the same signature as f.
    """
    return _program(result_or_expr, name, args, "numpy", assume).source()


@deadline.bounded
def jax_source(result_or_expr, name: str = "f", args=None, assume=None) -> str:
    """The same code as numpy_source, against jax.numpy."""
    return _program(result_or_expr, name, args, "jax", assume).source()


def load(source: str, name: str, arg_names, pynames, namespace=None):
    filename = f"<matcalc-generated-{abs(hash(source)):x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(namespace or {})
    exec(builtins.compile(source, filename, "exec"), namespace)    # generated source only
    fn = namespace[name]
    fn.source = source
    fn.args = tuple(arg_names)
    fn.python_args = tuple(pynames[n] for n in arg_names)
    return fn


@deadline.bounded
def to_numpy(result_or_expr, name: str = "f", args=None, assume=None):
    """The generated NumPy function (arguments by sorted name, positional or keyword).

    Its ``.source`` is the code, ``.args`` the symbol names in argument order.

    >>> import numpy as np, matcalc as mc
    >>> f = to_numpy(mc.gradient("1/2 ||A x - b||_2^2", wrt="x"))
    >>> f.args
    ('A', 'b', 'x')
    >>> f(np.eye(2), np.ones(2), np.zeros(2))
    array([-1., -1.])
    """
    program = _program(result_or_expr, name, args, "numpy", assume)
    return load(program.source(), name, program.arg_names, program.pynames)


@deadline.bounded
def to_jax(result_or_expr, name: str = "f", args=None, assume=None):
    """The generated function against jax.numpy (wrap it in jax.jit as you like).

    JAX computes in float32 unless ``jax.config.update("jax_enable_x64", True)``.
    """
    if importlib.util.find_spec("jax") is None:
        raise MatcalcError("to_jax needs JAX, which is not installed: pip install "
                           "'matcalc[jax]' (or pip install jax)")
    program = _program(result_or_expr, name, args, "jax", assume)
    return load(program.source(), name, program.arg_names, program.pynames)

"""Lowering: every expression becomes a sum of terms ``c F1 F2 ... Fk`` (a Lin).

``c`` is a scalar coefficient (a number times powers of scalar values) and the ``Fi`` factors
are kept symbolic: dense arrays, diagonal matrices ``diag(u)`` (kept as the vector ``u``),
all-ones arrays and inverses ``X^-1`` (kept as X); the products pass (products.py) turns them
into nodes. Each node class of the tree has one rule in RULES, registered by ``@lowers``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from functools import lru_cache

from ... import deadline
from ...catalogue.functions import ELEMENTWISE
from ...errors import MatcalcError, UnsupportedError
from ...backends.numeric import determinant_powers
from ...ir import expr as E
from ...ir.traverse import walk
from .graph import Node, is_col, is_matrix, is_row, is_scalar, kind_of
from .products import MIN_SHIFTS, Products, cyclic_pattern, shifted_products
from .terms import ONE, Coef, Lin, Val, all_ones, merge_terms

MAX_CHAINS = 256    # chains a sum is multiplied out to when looking for cyclic shifts
RULES: dict = {}    # node class of the expression tree -> its rule, rule(lowering, e) -> Lin


def lowers(*classes):
    """Register the decorated function as the rule of these node classes."""
    def register(rule):
        for cls in classes:
            assert cls not in RULES, f"two lowering rules for {cls.__name__}"
            RULES[cls] = rule
        return rule
    return register


def symbol_name(s) -> str:
    """The user's name of a Symbol or Differential (dX, dX1)."""
    if isinstance(s, E.Symbol):
        return s.name
    if isinstance(s, E.Differential) and isinstance(s.var, E.Symbol):
        return f"d{s.var.name}" + (str(s.index) if s.index else "")
    raise MatcalcError(f"cannot generate code for {type(s).__name__}")


class Lowering(Products):
    """Expr -> Lin by RULES, Lin -> nodes by Products. One instance per generated function
    (the DAG is shared between its outputs)."""

    def __init__(self, arguments: dict, assume: dict, inverse_counts: Counter):
        """``arguments``: user name -> (Python name, dims); ``inverse_counts``: how often
        each X^-1 occurs (one that occurs once may become a solve)."""
        super().__init__()
        self.assume = assume or {}
        self.inverse_counts = inverse_counts
        self.memo: dict = {}
        self.args: dict = {}         # user name -> arg node
        for name, (pyname, dims) in arguments.items():
            node = self.g.name(pyname, kind_of(dims))
            self.args[name] = node
            rows, cols = dims
            axes = [(rows, 0), (cols, 1)] if is_matrix(dims) else \
                [(rows, 0)] if rows != 1 else [(cols, 0)] if cols != 1 else []
            for d, axis in axes:
                if isinstance(d, str) and "*" not in d and d not in self.dims:
                    self.dims[d] = self.g.make("shape", (node,), "S", cheap=True, integral=True,
                                               params=(("axis", str(axis)),))

    def lower(self, e: E.Expr) -> Lin:
        if e in self.memo:
            return self.memo[e]
        deadline.check("generating code")
        rule = RULES.get(type(e))
        if rule is None:
            raise UnsupportedError(f"no code generation for {type(e).__name__} nodes "
                                   f"(in {e})")
        out = rule(self, e)
        self.memo[e] = out
        return out

    def single(self, v: Val) -> Lin:
        return Lin(((ONE, (v,)),), v.dims)

    def cyclic_shifts(self, e: E.Expr) -> Lin | None:
        """A matrix sum that multiplies out to the cyclic shifts of one chain of matrices,
        or to their derivative along a direction (products.cyclic_pattern), as one node of
        shared prefix and suffix products, when that takes fewer matrix products."""
        chains = expanded_chains(e) if is_matrix(e.shape) else None
        if chains is None or len(chains) < MIN_SHIFTS or len(set(chains.values())) != 1 \
                or 0.0 in chains.values():
            return None
        found = cyclic_pattern(list(chains))
        if found is None or shifted_products(*found) >= written_products(e):
            return None
        chain, left_out, direction = found
        node = lambda f: None if f is None else self.node(self.lower(f))
        shifted = self.shifted_node(tuple(node(f) for f in chain), left_out, node(direction),
                                    e.shape)
        coef = Coef(next(iter(chains.values())))
        return Lin(((coef, (Val("dense", shifted, e.shape),)),), e.shape)

    def scalar(self, c: Coef) -> Lin:
        return Lin(((c, ()),), (1, 1)) if c.number != 0 else Lin((), (1, 1))

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

    def factored(self, L: Lin):
        """(coefficient, node) with the coefficient of a single term pulled out."""
        if len(L.terms) == 1:
            c, fs = L.terms[0]
            return c, self.term(ONE, fs, L.dims)[1]
        return ONE, self.node(L)

    def coef_power(self, c: Coef, k: float) -> Coef:
        """c^k: exact where it can be, else the power of c's value (as evaluate takes it)."""
        powered = c.power(k)
        return powered if powered is not None else self.as_power(self.g.pow(self.coef_value(c), k))

    def coef_value(self, c: Coef) -> Node:
        """The node of a coefficient, sign included."""
        return self.coef_node(c) or self.one

    def trace_term(self, fs):
        """(coef, node) with tr(F1 ... Fk) = coef * node (node None for 1)."""
        if len(fs) == 1:
            v = fs[0]
            if v.rep == "diag":
                if v.node.kind == "S":
                    return self.as_power(v.node) * self.as_power(self.dim(v.dims[0])), None
                return ONE, self.g.make("sum", (v.node,), "S")
            if v.rep == "ones":
                return self.as_power(self.dim(v.dims[0])), None
            return ONE, self.g.make("trace", (self.dense(v),), "S")
        for i, f in enumerate(fs):      # a vector in the chain: tr(A x y^T) = y^T A x
            if is_col(f.dims) or is_scalar(f.dims):
                return ONE, self.term(ONE, tuple(fs[i + 1:] + fs[:i + 1]), (1, 1))[1]
            if is_row(f.dims):
                return ONE, self.term(ONE, tuple(fs[i:] + fs[:i]), (1, 1))[1]
        coef, fs = self.reduce_chain(ONE, list(fs))
        if len(fs) == 1:
            c, node = self.trace_term(fs)
            return coef * c, node
        for i, f in enumerate(fs):      # tr(L diag(u)) = diag(L) . u
            if f.rep == "diag":
                rest = tuple(fs[i + 1:] + fs[:i])
                L = self.term(ONE, rest, (f.dims[0], f.dims[0]))[1]
                d = self.g.make("diagonal", (L,), "V")
                return coef, self.g.matmul(d, f.node, "S")
        L = self.term(ONE, tuple(fs[:-1]), (fs[0].dims[0], fs[-2].dims[1]))[1]
        R = self.dense(fs[-1])
        if L.op == "transpose":                         # tr(Y^T R) = <Y, R>
            return coef, self.g.make("vdot", (L.args[0], R), "S")
        return coef, self.g.make("vdot", (L, self.g.T(R)), "S")

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
                terms.append((c, (Val("dense", self.g.make("diagonal", (M,), "V"), dims),)))
        return Lin(merge_terms(terms), dims)

    def unary(self, op, e, params=(), nonneg=False):
        """The operation op of the one argument of e."""
        a = self.node(self.lower(e.arg))
        node = self.g.make(op, (a,), kind_of(e.shape), params=params, nonneg=nonneg)
        if is_scalar(e.shape):
            return self.scalar(self.as_power(node))
        return self.single(Val("dense", node, e.shape))


@lowers(E.Symbol, E.Differential)
def lower_argument(low, e):
    node = low.args[symbol_name(e)]
    if is_scalar(e.shape):
        return low.scalar(low.as_power(node))
    return low.single(Val("dense", node, e.shape))


@lowers(E.Number)
def lower_number(low, e):
    return low.scalar(Coef(float(e.value)))


@lowers(E.Identity)
def lower_identity(low, e):
    if is_scalar(e.shape):
        return low.scalar(ONE)
    return low.single(Val("diag", low.one, e.shape))


@lowers(E.Zero)
def lower_zero(low, e):
    return Lin((), e.shape)


@lowers(E.Ones)
def lower_ones(low, e):
    if is_scalar(e.shape):
        return low.scalar(ONE)
    return low.single(Val("ones", None, e.shape))


@lowers(E.Add)
def lower_add(low, e):
    if (shifts := low.cyclic_shifts(e)) is not None:
        return shifts
    terms = [t for term in e.terms for t in low.lower(term).terms]
    return Lin(merge_terms(terms), e.shape)


@lowers(E.Mul)
def lower_mul(low, e):
    coef, chain = ONE, []
    for f in low.sums_times_vectors(e.factors):
        L = low.lower(f)
        if f.is_scalar:
            coef = coef * low.as_coef(L)
        else:
            chain.append(L)
    return low.product(coef, chain, e.shape)


@lowers(E.Transpose)
def lower_transpose(low, e):
    L = low.lower(e.arg)
    terms = tuple((c, tuple(low.transpose(f) for f in reversed(fs))) for c, fs in L.terms)
    return Lin(terms, e.shape)


@lowers(E.Hadamard)
def lower_hadamard(low, e):
    A, B = low.lower(e.left), low.lower(e.right)
    if is_scalar(e.shape):
        return low.scalar(low.as_coef(A) * low.as_coef(B))
    for P, Q in ((A, B), (B, A)):
        if len(P.terms) == 1 and P.terms[0][1] and len(P.terms[0][1]) == 1:
            c, (f,) = P.terms[0]
            if f.rep == "ones":                     # (c 1) .* Q = c Q
                return Q.scaled(c)
            if f.rep == "diag":                     # diag(u) .* Q = diag(u .* diag(Q))
                q = low.node(low.diagonal(Q))
                return low.single(Val("diag", low.g.mul(f.node, q), e.shape)).scaled(c)
    ca, na = low.factored(A)
    cb, nb = low.factored(B)
    node = low.g.mul(na, nb, kind_of(e.shape))
    return Lin(((ca * cb, (Val("dense", node, e.shape),)),), e.shape)


@lowers(E.Inverse)
def lower_inverse(low, e):
    L = low.lower(e.arg)
    if is_scalar(e.shape):
        c = low.as_coef(L).power(-1)
        return low.scalar(c if c is not None else low.as_power(
            low.g.div(low.one, low.node(L))))
    coef = ONE
    if len(L.terms) == 1:
        c, fs = L.terms[0]
        if len(fs) == 1 and fs[0].rep == "diag":
            u = fs[0].node
            inv_u = low.g.div(low.one, u)
            return low.single(Val("diag", inv_u, e.shape)).scaled(c.power(-1))
        if len(fs) == 1 and fs[0].rep == "inv":             # (X^-1)^-1 = X
            X = low.g.T(fs[0].node) if fs[0].t else fs[0].node
            return low.single(Val("dense", X, e.shape)).scaled(c.power(-1))
        coef, X = c.power(-1), low.term(ONE, fs, e.shape)[1]
    else:
        X = low.node(L)
    once = low.inverse_counts.get(e.arg, 0) <= 1
    if X.op == "transpose":
        v = Val("inv", X.args[0], e.shape, t=True, once=once)
    else:
        v = Val("inv", X, e.shape, once=once)
    return low.single(v).scaled(coef)


@lowers(E.MatPower)
def lower_mat_power(low, e):
    k = e.k
    if k == 0:
        return low.single(Val("diag", low.one, e.shape))
    if abs(k) > 8:
        X = low.node(low.lower(e.base))
        node = low.g.make("matrix_power", (X,), "M", params=(("k", str(int(k))),))
        return low.single(Val("dense", node, e.shape))
    base = low.lower(E.Inverse(e.base) if k < 0 else e.base)
    if k < -1:              # X^-1 several times: computed once, not solved for
        base = Lin(tuple((c, tuple(replace(f, once=False) if f.rep == "inv" else f
                                   for f in fs)) for c, fs in base.terms), base.dims)
    return low.product(ONE, [base] * abs(k), e.shape)


@lowers(E.SymbolicPower)
def lower_symbolic_power(low, e):
    args = (low.node(low.lower(e.base)), low.node(low.lower(e.exponent)))
    return low.single(Val("dense", low.g.make("integer_power", args, "M"), e.shape))


@lowers(E.MatFunc)
def lower_matrix_function(low, e):
    """f(X), or Df(X)[E] (the op d + f of X and E)."""
    args = (low.node(low.lower(e.arg)), *(low.node(low.lower(E)) for E in e.direction))
    op = ("d" if e.direction else "") + e.which
    return low.single(Val("dense", low.g.make(op, args, "M"), e.shape))


@lowers(E.Power)
def lower_power(low, e):
    base = low.lower(e.base)
    if isinstance(e.exponent, E.Number):
        k = float(e.exponent.value)
        if is_scalar(e.shape):
            return low.scalar(low.coef_power(low.as_coef(base), k))
        if k == 1:
            return base
        if len(base.terms) == 1 and all_ones(base.terms[0][1]):    # (c 1).^k = c^k 1
            c, ones = base.terms[0]
            return Lin(((low.coef_power(c, k), ones),), e.shape)
        c, node = low.factored(base)
        scaled = c.power(k)
        if scaled is None:
            scaled, node = ONE, low.node(base)
        if k == -1:
            out = low.g.div(low.one, node)
        else:
            out = low.g.pow(node, k)
        return Lin(((scaled, (Val("dense", out, e.shape),)),), e.shape)
    t = low.node(low.lower(e.exponent))
    b = low.node(base)
    node = low.g.make("**node" if b.nonneg else "power_node", (b, t), b.kind)
    if is_scalar(e.shape):
        return low.scalar(low.as_power(node))
    return low.single(Val("dense", node, e.shape))


@lowers(E.Trace)
def lower_trace(low, e):
    L = low.lower(e.arg)
    terms = []
    for c, fs in L.terms:
        coef, node = low.trace_term(list(fs))
        terms.append((c * coef * (low.as_power(node) if node is not None else ONE), ()))
    return Lin(merge_terms(terms), (1, 1))


@lowers(E.Det)
def lower_det(low, e):
    X = low.node(low.lower(e.arg))
    return low.scalar(low.as_power(low.g.make("det", (X,), "S")))


@lowers(E.Inner)
def lower_inner(low, e):
    A, B = low.lower(e.left), low.lower(e.right)
    dims = e.left.shape
    if is_scalar(dims):
        return low.scalar(low.as_coef(A) * low.as_coef(B))
    if is_col(dims):
        return low.product(ONE, [low.lower(E.Transpose(e.left)), B], (1, 1))
    if is_row(dims):
        return low.product(ONE, [A, low.lower(E.Transpose(e.right))], (1, 1))
    return low.lower(E.Trace(E.Mul((E.Transpose(e.left), e.right))))


@lowers(E.Norm)
def lower_norm(low, e):
    kind = e.kind
    if kind == "euclid":
        sq = low.node(low.lower(E.Inner(e.arg, e.arg)))
        sq.nonneg = True
        return low.scalar(Coef(1.0, ((sq, 0.5),)))
    a = low.node(low.lower(e.arg))
    if kind not in ("l1", "max", "lp", "spectral", "nuclear"):
        raise UnsupportedError(f"no code generation for the norm {e}")
    p = (low.node(low.lower(e.order[0])),) if e.order else ()
    node = low.g.make("norm_" + kind, (a, *p), "S", nonneg=True)
    return low.scalar(low.as_power(node))


@lowers(E.Diag)
def lower_diag(low, e):
    L = low.lower(e.arg)
    if e.builds_matrix:
        if is_scalar(e.arg.shape):
            return L
        if len(L.terms) == 1:
            c, fs = L.terms[0]
            if len(fs) == 1 and fs[0].rep == "ones":
                return low.single(Val("diag", low.one, e.shape)).scaled(c)
            u = low.term(ONE, fs, e.arg.shape)[1]
            return low.single(Val("diag", u, e.shape)).scaled(c)
        return low.single(Val("diag", low.node(L), e.shape))
    return low.diagonal(L)


@lowers(E.Softmax)
def lower_softmax(low, e):
    return low.unary("softmax_columns" if is_matrix(e.arg.shape) else "softmax", e, nonneg=True)


@lowers(E.LogSumExp)
def lower_log_sum_exp(low, e):
    return low.unary("logsumexp_columns" if is_matrix(e.arg.shape) else "logsumexp", e)


@lowers(E.Eig)
def lower_eig(low, e):
    return low.unary("eig", e)


@lowers(E.SingularFactor)
def lower_singular_factor(low, e):
    return low.unary("polar" if e.which == "polar" else "svtop", e)


@lowers(E.LambdaMax)
def lower_lambda_max(low, e):
    return low.unary("lambda_" + e.which, e)


@lowers(E.TopEigvec)
def lower_top_eigvec(low, e):
    return low.unary("eig" + e.which, e)


@lowers(E.Extremum)
def lower_extremum(low, e):
    return low.unary(e.which, e)


@lowers(E.Func)
def lower_func(low, e):
    if e.name == "log" and isinstance(e.arg, E.Det):
        X = e.arg.arg
        spd = isinstance(X, E.Symbol) and low.assume.get(X.name) == "spd"
        node = low.g.make("logdet_spd" if spd else "logdet", (low.node(low.lower(X)),), "S")
        return low.scalar(low.as_power(node))
    if e.name == "log" and (product := determinant_powers(e.arg)) is not None:
        c, powers = product            # log(c det(X_1)^k_1 ...) by slogdet: no overflow
        slog = low.g.make("slog", (low.g.number(c),), "S")
        for X, k in powers:
            slog = low.g.make("slog_det", (slog, low.node(low.lower(X))), "S", params=(("k", k),))
        return low.scalar(low.as_power(low.g.make("from_slog", (slog,), "S")))
    return low.unary("elementwise", e, (("name", e.name),),
                     nonneg=ELEMENTWISE[e.name].nonnegative)


def two_d(low, x):
    """The node of x as a 2-D array (a vector as a column or a row)."""
    node = low.node(low.lower(x))
    if is_col(x.shape):
        return low.g.make("column", (node,), "M", cheap=True)
    if is_row(x.shape):
        return low.g.make("row", (node,), "M", cheap=True)
    return node


@lowers(E.Kron)
def lower_kron(low, e):
    if is_scalar(e.left.shape) or is_scalar(e.right.shape):
        return low.lower(E.Mul((e.left, e.right)))
    same = (is_col(e.left.shape) and is_col(e.right.shape)) or \
        (is_row(e.left.shape) and is_row(e.right.shape))
    if same:
        a, b = low.node(low.lower(e.left)), low.node(low.lower(e.right))
        node = low.g.make("kron", (a, b), "V")
    else:
        node = low.g.make("kron", (two_d(low, e.left), two_d(low, e.right)), "M")
        if kind_of(e.shape) == "V":
            node = low.g.make("ravel", (node,), "V")
    return low.single(Val("dense", node, e.shape))


@lowers(E.Vec)
def lower_vec(low, e):
    if is_row(e.arg.shape):
        return Lin(low.lower(E.Transpose(e.arg)).terms, e.shape)
    if not is_matrix(e.arg.shape):
        return Lin(low.lower(e.arg).terms, e.shape)
    M = low.node(low.lower(e.arg))
    if M.op == "transpose":                  # vec(Y^T) is Y's rows stacked
        node = low.g.make("ravel", (M.args[0],), "V")
    else:
        node = low.g.make("vec", (M,), "V")
    return low.single(Val("dense", node, e.shape))


@lowers(E.PartialTrace)
def lower_partial_trace(low, e):
    W, C = two_d(low, e.arg), two_d(low, e.factor)
    node = low.g.make("partial_trace", (W, C), "M", params=(("which", e.which),))
    if kind_of(e.shape) == "V":
        node = low.g.make("ravel", (node,), "V")
    return low.single(Val("dense", node, e.shape))


@lowers(E.Commutation)
def lower_commutation(low, e):
    node = low.g.make("commutation", (low.dim(e.m), low.dim(e.n)), "M")
    return low.single(Val("dense", node, e.shape))


@lru_cache(maxsize=4096)
def expanded_chains(e: E.Expr) -> dict | None:
    """A sum of products of numbers and matrix symbols (or their transposes) multiplied
    out: {chain of factors: coefficient}; None for any other expression, or one of more than
    MAX_CHAINS chains. Cached: its readers leave the dict as it is."""
    if isinstance(e, E.Symbol) or isinstance(e, E.Transpose) and isinstance(e.arg, E.Symbol):
        return {(e,): 1.0} if is_matrix(e.shape) else None
    if isinstance(e, E.Number):
        return {(): float(e.value)}
    if not isinstance(e, (E.Add, E.Mul)):
        return None
    parts = [expanded_chains(c) for c in (e.terms if isinstance(e, E.Add) else e.factors)]
    if any(p is None for p in parts):
        return None
    out: dict[tuple, float] = {}
    for chains in (parts if isinstance(e, E.Add) else [_product_of(parts)]):
        if chains is None:
            return None
        for chain, c in chains.items():
            out[chain] = out.get(chain, 0.0) + c
    return out if len(out) <= MAX_CHAINS else None


def _product_of(parts) -> dict | None:
    """The chains of a product of multiplied-out factors."""
    acc = {(): 1.0}
    for part in parts:
        new: dict[tuple, float] = {}
        for a, u in acc.items():
            for b, v in part.items():
                new[a + b] = new.get(a + b, 0.0) + u * v
        if len(new) > MAX_CHAINS:
            return None
        acc = new
    return acc


def written_products(e: E.Expr) -> int:
    """Matrix products of e's chains as they are written, each distinct chain once."""
    chains = {m for m in walk(e) if isinstance(m, E.Mul)}
    return sum(sum(1 for f in m.factors if not f.is_scalar) - 1 for m in chains)


def inverse_counts(exprs) -> Counter:
    """How often X^-1 (or X^-T) occurs for each X, counting a repeated sub-expression once."""
    counts, seen = Counter[E.Expr](), set[E.Expr]()

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


"""Products: a sum of terms (a Lin) becomes nodes of the graph.

A chain ``F1 ... Fk`` is associated by a cost model (dynamic programming, every
unknown dimension taken as large), so ``A^T A x`` is ``A.T @ (A @ x)``; a
diagonal factor is a broadcast (``u[:, None] * A``, ``A * u``), an inverse that
occurs once and multiplies something is a solve (of ``X.T`` for ``X^-T``), a
scalar coefficient goes to the smallest operand (``outer(c * u, u)``,
``(A.T * (w / m)) @ A``), a vector outer product is ``outer``, squared norms are
``x @ x``. A product with a matrix sum of cheap terms (diagonals, rank one) is
multiplied out: ``A^T (diag(p) - p p^T) A`` becomes ``(A.T * p) @ A -
outer(A.T @ p, A.T @ p)``. A sum of the cyclic shifts of one chain (the gradient of
``tr(A1 X A2 X ... Ak X)``), or of their derivatives along a direction (its
Hessian-vector product), is built from shared prefix and suffix products: O(k)
matrix products instead of O(k^2).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ...ir.shapes import factors_of
from .graph import Graph, Node, is_col, is_matrix, is_row, is_scalar, kind_of, widest
from .terms import ONE, Coef, Lin, Val, merge_terms

BIG = 1000          # the size assumed for a dimension with a name, in the cost model
SMALL = 100         # the size assumed for a batch dimension (Products.batch)
MAX_TERMS = 16      # multiplying out a product stops beyond this many terms
MIN_SHIFTS = 3      # cyclic shifts of one chain worth sharing its prefixes and suffixes


class MissingDimension(Exception):
    """A dimension that no argument of the function fixes."""
    def __init__(self, dim):
        self.dim = dim


class Products:
    """Lins to nodes of one graph; ``dims`` maps a dimension's name to the node of its size."""

    def __init__(self):
        self.g = Graph()
        self.one = self.g.one
        self.dims: dict = {}
        self.node_memo: dict = {}
        self.batch = frozenset()     # names of dimensions taken as smaller than the others

    def dim(self, d) -> Node:
        if isinstance(d, int):
            return self.g.number(d)
        if isinstance(d, str) and "*" in d:
            first, *rest = factors_of(d)
            node = self.dim(first)
            for part in rest:
                node = self.g.mul(node, self.dim(part))
            return node
        if d in self.dims:
            return self.dims[d]
        raise MissingDimension(d)

    def filled(self, what: str, dims) -> Node:
        """The array of ones or zeros (``what``) of the shape dims (a float for a scalar)."""
        if is_scalar(dims):
            return self.g.number(1.0 if what == "ones" else 0.0)
        if kind_of(dims) == "V":
            length = self.dim(dims[0] if dims[0] != 1 else dims[1])
            return self.g.make(f"{what}_vector", (length,), "V")
        return self.g.make(f"{what}_matrix", (self.dim(dims[0]), self.dim(dims[1])), "M")

    def eye(self, n) -> Node:
        return self.g.make("eye", (self.dim(n),), "M")

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
                node = self.g.mul(self.g.number(abs(count)), node)
            items.append((1 if count > 0 else -1, node))
        if not items:
            return self.filled("zeros", dims)
        items.sort(key=lambda p: p[0] < 0)      # a positive term first (stable otherwise)
        if len(items) == 1:
            sign, node = items[0]
            return node if sign > 0 else self.g.neg(node)
        key = ("sum", tuple(sorted((n.id, s) for s, n in items)))
        return self.g.make("+", [n for _, n in items], widest(*(n.kind for _, n in items)),
                           params=(("signs", tuple(s for s, _ in items)),), key=key)

    # -- materializing --
    def transpose(self, v: Val) -> Val:
        dims = (v.dims[1], v.dims[0])
        if v.rep == "inv":
            return replace(v, dims=dims, t=not v.t)
        if v.rep == "dense":
            return replace(v, dims=dims, node=self.g.T(v.node))
        return replace(v, dims=dims)

    def dense(self, v: Val) -> Node:
        """The array a factor stands for."""
        if v.rep == "ones":
            return self.filled("ones", v.dims)
        node = v.node
        assert node is not None, v          # every factor but the ones has its node
        if v.rep == "dense":
            return node
        if v.rep == "diag":
            if node.kind == "S":
                return self.g.mul(node, self.eye(v.dims[0]))
            return self.g.make("diag", (node,), "M")
        if v.rep == "inv":
            inverse = self.g.make("inv", (node,), "M")
            return self.g.T(inverse) if v.t else inverse
        raise AssertionError(v.rep)

    def coef_node(self, c: Coef) -> Node | None:
        """The node of a coefficient (None for 1); -1 negates its first factor."""
        num: list[Node] = []
        den: list[Node] = []
        if abs(c.number) != 1:
            num.append(self.g.number(c.number))
        for node, e in c.powers:
            (num if e > 0 else den).append(self.g.pow(node, abs(e)))
        if c.number == -1:
            num = [self.g.neg(num[0])] + num[1:] if num else [self.g.number(-1.0)]
        numerator = None
        for n in num:
            numerator = n if numerator is None else self.g.mul(numerator, n, "S")
        if not den:
            return numerator
        denominator = None
        for n in den:
            denominator = n if denominator is None else self.g.mul(denominator, n, "S")
        return self.g.div(numerator if numerator is not None else self.one, denominator)

    def node(self, lin: Lin) -> Node:
        """The array (or scalar) a Lin stands for."""
        key = lin
        if key in self.node_memo:
            return self.node_memo[key]
        dims, terms = lin.dims, lin.terms
        if not terms:
            out = self.filled("zeros", dims)
        elif len(terms) == 1:
            (c, fs), = terms
            sign, out = self.term(c, fs, dims, signed=True)
            out = out if sign > 0 else self.g.neg(out)
        else:
            diag = [t for t in terms if len(t[1]) == 1 and t[1][0].rep == "diag"] \
                if is_matrix(dims) else []
            ones = [t for t in terms if len(t[1]) == 1 and t[1][0].rep == "ones"]
            rest = [t for t in terms if t not in diag and t not in ones]
            pieces = []
            if diag:
                c, fs = self.diag_sum(diag, dims)
                pieces.append(self.term(c, fs, dims))
            if ones and not (pieces or rest):       # only constants: an array of them
                total = self.node(Lin(tuple((c, ()) for c, _ in ones), (1, 1)))
                pieces.append((1, self.g.mul(total, self.filled("ones", dims))))
            else:                                    # broadcast the scalar
                pieces += [self.term(c, (), (1, 1)) for c, _ in ones]
            pieces += [self.term(c, fs, dims) for c, fs in rest]
            out = self.sum_node(pieces, dims)
        self.node_memo[key] = out
        return out

    def shifted_node(self, chain, left_out, direction, dims) -> Node:
        """The node of shifted_sum over nodes: matrix products and one sum node."""
        return shifted_sum(chain, left_out, direction,
                           lambda a, b: self.g.matmul(a, b, "M"),
                           lambda terms: self.sum_node([(1, t) for t in terms], dims))

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
    def term(self, coef: Coef, factors: Sequence[Val], dims, signed=False) -> tuple:
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
            tree = associate(factors, self.batch)
            target = scale_target(tree, factors) if cnode is not None else None
            out = self.dense(self.build(tree, factors, cnode, target))
        self.node_memo[key] = (sign, out)
        return sign, out

    def scale(self, v: Val, c: Node | None) -> Val:
        if c is None:
            return v
        if v.rep == "diag":
            return replace(v, node=self.g.mul(c, v.node))
        return Val("dense", self.g.mul(c, self.dense(v)), v.dims)

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
                    factors[i - 1:i + 1] = [Val("diag", self.g.mul(factors[i - 1].node, f.node),
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
        assert v.node is not None, v        # every factor but the ones has its node
        if v.rep == "diag" and v.node.kind == "V":
            return ONE, [Val("dense", v.node, out_dims)]
        if v.rep == "dense":
            if v.node.kind == "V" and is_scalar(out_dims):
                return self.as_power(self.g.make("sum", (v.node,), "S")), []
            if v.node.kind == "M":
                total = self.g.make("sum_axis", (v.node,), "V", params=(("axis", str(axis)),))
                return ONE, [Val("dense", total, out_dims)]
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
            return Val("dense", self.g.mul(self.dense(L), self.dense(R), kind), dims)
        if L.rep == "diag" and R.rep == "diag":
            return Val("diag", self.g.mul(L.node, R.node), dims)
        if L.rep == "diag":
            r = self.dense(R)
            if r.kind == "M":
                u = self.g.make("column", (L.node,), "M", cheap=True)
                return Val("dense", self.g.make("*", (u, r), "M"), dims)
            return Val("dense", self.g.mul(L.node, r, kind), dims)
        if R.rep == "diag":
            return Val("dense", self.g.mul(self.dense(L), R.node, kind), dims)
        if L.rep == "inv" and L.once and not (R.rep == "inv" and R.node is L.node):
            X = self.g.T(L.node) if L.t else L.node
            return Val("dense", self.g.make("solve", (X, self.dense(R)), kind), dims)
        if R.rep == "inv" and R.once:
            X = R.node if R.t else self.g.T(R.node)          # l X^-1 = (X^-T l^T)^T
            left = self.dense(L)
            if left.kind == "V":
                return Val("dense", self.g.make("solve", (X, left), "V"), dims)
            solved = self.g.make("solve", (X, self.g.T(left)), "M")
            return Val("dense", self.g.T(solved), dims)
        left, right = self.dense(L), self.dense(R)
        if is_col(L.dims) and is_row(R.dims):
            return Val("dense", self.g.make("outer", (left, right), "M"), dims)
        return Val("dense", self.g.matmul(left, right, kind), dims)

    # -- products of Lins --
    def product(self, coef: Coef, lins, dims) -> Lin:
        if coef.number == 0:
            return Lin((), dims)
        acc: list[tuple[Coef, tuple[Val, ...]]] = [(coef, ())]
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



def cyclic_pattern(chains):
    """(D, J, y) when the chains (tuples of factors, each once) are the cyclic shifts
    W_j = D_(j+1) ... D_(m-1) D_0 ... D_(j-1) of one chain D_0 ... D_(m-1), j running
    over the positions J of one factor x (the gradient of tr(A1 X A2 X ... Ak X)), y
    None; or the terms of their derivative along dD_l = y for l in J: every W_j with one
    other D_l, l in J, replaced by y (its Hessian-vector product). At least MIN_SHIFTS
    shifts; else None."""
    given = set(chains)
    first = chains[0]
    if len(given) != len(chains) or any(len(c) != len(first) for c in chains):
        return None
    for x in dict.fromkeys(first):
        candidates = [(first + (x,), None)] + [
            (first[:p] + (x,) + first[p + 1:] + (x,), y) for p, y in enumerate(first) if y != x]
        for chain, y in candidates:
            left_out = tuple(j for j, f in enumerate(chain) if f == x)
            shifts = len(left_out)
            if shifts < MIN_SHIFTS or len(given) != (shifts if y is None else
                                                     shifts * (shifts - 1)):
                continue
            if y is None:
                expected = {_window(chain, j) for j in left_out}
            else:
                expected = {_window(chain[:l] + (y,) + chain[l + 1:], j)
                            for j in left_out for l in left_out if l != j}
            if expected == given:
                return chain, left_out, y
    return None


def _window(chain, j):
    return chain[j + 1:] + chain[:j]


def shifted_sum(chain, left_out, direction, times, plus):
    """sum over j in left_out of W_j = D_(j+1) ... D_(m-1) D_0 ... D_(j-1); with a
    direction y, the sum of the derivatives of the W_j along dD_l = y (l in left_out).
    W_j = S_(j+1) P_j from the prefixes P_i = D_0 ... D_(i-1) and the suffixes
    S_i = D_i ... D_(m-1), and dW_j = dS_(j+1) P_j + S_(j+1) dP_j, each prefix, suffix
    and derivative one or two products from the last: O(m) products in all, where
    multiplying each W_j apart takes m - 2. ``times(a, b)`` multiplies, ``plus(terms)``
    adds."""
    def product(a, b):                  # None: the identity
        return b if a is None else a if b is None else times(a, b)

    def derivative(da, b, a, db):       # d(a b) = da b + a db; None: zero
        parts = ([product(da, b)] if da is not None else []) + \
            ([product(a, db)] if db is not None else [])
        return plus(parts) if len(parts) > 1 else parts[0] if parts else None

    m = len(chain)
    step = {l: direction for l in left_out} if direction is not None else {}
    P, dP = [None], [None]
    for i in range(max(left_out)):
        P.append(product(P[i], chain[i]))
        dP.append(derivative(dP[i], chain[i], P[i], step.get(i)) if step else None)
    S, dS = {m: None}, {m: None}
    for i in range(m - 1, min(left_out), -1):
        S[i] = product(chain[i], S[i + 1])
        dS[i] = derivative(step.get(i), S[i + 1], chain[i], dS[i + 1]) if step else None
    terms = [product(S[j + 1], P[j]) if not step else
             derivative(dS[j + 1], P[j], S[j + 1], dP[j]) for j in left_out]
    terms = [t for t in terms if t is not None]
    return plus(terms) if len(terms) > 1 else terms[0]


def shifted_products(chain, left_out, direction) -> int:
    """The matrix products shifted_sum takes."""
    products = []

    def product(a, b):
        products.append(a)
        return a
    shifted_sum(chain, left_out, direction, product, lambda terms: terms[0])
    return len(products)


def _inside(target, tree) -> bool:
    if target == tree:
        return True
    if isinstance(tree, int):
        return False
    return _inside(target, tree[0]) or _inside(target, tree[1])


def size_of(d, batch=frozenset()):
    return d if isinstance(d, int) else SMALL if d in batch else BIG


def associate(factors, batch=frozenset()):
    """The cheapest parenthesization of a chain (ties: left to right), as a tree of
    (left, right, (i, j)) with leaves the factor indices; the dimensions named in batch
    are taken as smaller than the others."""
    k = len(factors)
    sizes = [(size_of(f.dims[0], batch), size_of(f.dims[1], batch)) for f in factors]
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



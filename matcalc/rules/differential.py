"""The rules of differentials, one per node type, each registered with its statement as the
seminar writes it (``@rule(E.Trace, "d tr(X) = tr(dX)")``), which derivations show.

``differential_of(f, X)`` returns df, an expression linear in ``dX``; None stands
for zero (f does not depend on X). A ``Differential`` met on the way (the dX1
of a first differential) is a constant: d(dX1) = 0, which gives second
differentials. The work goes as on a blackboard: d(f) is expanded one layer
at a time, every pending d(U) of a layer by its rule, and each layer can be
recorded as a step. Sources: Magnus & Neudecker, "Matrix Differential Calculus";
Petersen & Pedersen, "The Matrix Cookbook" (numbers in brackets).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .. import deadline
from ..ir import expr as E
from ..ir.traverse import free_symbols, replace_all
from ..backends.printing import text
from ..errors import UnsupportedError
from ..ir.expr import Hadamard, Inverse, Number, Trace, Transpose, add, mul
from ..catalogue.functions import derivative, variable
from .scalar import apply_elementwise

MAX_SIZE = 20_000      # operations in a differential; larger ones are refused


@dataclass(frozen=True)
class Rule:
    """``apply(e, d)`` is d(e), written with d of e's parts; ``label`` is the rule as the
    seminar states it, shown in derivations: a text, or a function of e for the rules whose
    statement depends on e (a function's derivative, the kind of a norm)."""
    apply: Callable
    label: str | Callable

    def label_of(self, e) -> str:
        return self.label(e) if callable(self.label) else self.label


RULES: dict[type, Rule] = {}       # node type -> its rule
NORM_RULES: dict[str, Rule] = {}   # Norm.kind -> its rule


def rule(node_type, label):
    """Register the decorated ``fn(e, d)`` as the differential of node_type, stated as label."""
    def register(fn):
        RULES[node_type] = Rule(fn, label)
        return fn
    return register


def norm_rule_of(kind, label):
    """Register the decorated ``fn(e, d)`` as the differential of the norms of that kind."""
    def register(fn):
        NORM_RULES[kind] = Rule(fn, label)
        return fn
    return register


@dataclass(frozen=True)
class Step:
    """One line of a derivation: the rules used and the whole expression after them.

    ``lhs`` starts a new equation ("grad f", "H"); otherwise the line continues the last.
    """
    rules: tuple[str, ...]
    expr: E.Expr
    lhs: str | None = None


def differential_of(f: E.Expr, var: E.Symbol, index: int = 0,
                 steps: list | None = None) -> E.Expr | None:
    """df with respect to var; ``index`` names the differential (dX, dX1, dX2).

    With a list as ``steps``, every layer of the expansion is appended to it. A layer
    depends on var only through which arguments of its d(U) hold var or are var, so the
    layers are remembered by that (``_expansions``): the differentials of one f with respect
    to each of its variables share every layer they have in common.
    """
    dX = E.Differential(var, index)
    made = {}    # e -> d(e): one node for each, so that equal pending differentials are one object

    def pending(e):
        if var not in free_symbols(e):
            return None
        if e == var:
            return dX
        if e not in made:
            made[e] = E.D(e)
        return made[e]
    if len(_expansions) > MEMO_LIMIT:
        _expansions.clear()
        _layers.clear()
    state = pending(f)
    if steps is not None and state is not None:
        steps.append(Step((), state))
    expanded: dict = {}    # replace_all's memo: the expansion of a d(U) is the same in every layer
    while state is not None:
        if E.size(state) > MAX_SIZE:
            raise UnsupportedError(f"the differential has grown past {MAX_SIZE} operations "
                                   f"({E.size(state)}); too large to derive")
        if state not in _layers:
            _layers[state] = _pending(state)
        layer = _layers[state]
        if not layer:
            break
        deadline.check("differentiating")
        key = (state, index, tuple(tuple(c if c == var else var in free_symbols(c)
                                         for c in p.arg.children) for p in layer))
        if key not in _expansions:
            _expansions[key] = _expand(state, layer, pending, expanded)
        state, used = _expansions[key]
        if steps is not None and state is not None:
            steps.append(Step(used, state))
    return state


class Memo(dict):
    """A dict that empties on ``cache_clear()``, as the functools caches do."""

    def __init__(self):
        super().__init__()
        self.cache_clear = self.clear


MEMO_LIMIT = 20_000     # remembered layers; the memo starts afresh beyond
_layers = Memo()         # state -> its pending d(U) (_pending)
_expansions = Memo()     # (state, index, how var occurs in each d(U)'s arguments) -> _expand's


def _expand(state, layer, pending, expanded):
    """(the next state, the rules used): every pending d(U) of the layer by its rule."""
    mapping, used = {}, []
    for p in layer:
        deadline.check("differentiating")
        node_rule = RULES.get(type(p.arg))
        if node_rule is None:
            raise UnsupportedError(no_rule(p.arg))
        mapping[p] = node_rule.apply(p.arg, pending)
        used.append(node_rule.label_of(p.arg))
    state = _drop_zeros(replace_all(state, {k: v for k, v in mapping.items()
                                              if v is not None}, expanded), mapping)
    return state, tuple(dict.fromkeys(used))


SPECTRAL_VECTORS = ("it needs the {} of {{X}} as functions of {{X}}, which matcalc does not "
                    "represent")
NO_RULE = {    # node type -> (what is missing, how to write it otherwise) for its differential
    E.Eig: (SPECTRAL_VECTORS.format("eigenvectors"),
            "write sum(eig({X})) = tr({X}), prod(eig({X})) = det({X}) or lambda_max({X})"),
    E.TopEigvec: (SPECTRAL_VECTORS.format("eigenvectors"),
                  "eigtop({X}) = v1 v1^T is the gradient of lambda_max({X}), which has no "
                  "Hessian in matcalc"),
    E.SingularFactor: (SPECTRAL_VECTORS.format("singular vectors"),
                       "{e} is the gradient of {norm}, which has no Hessian in matcalc"),
}


def no_rule(e) -> str:
    """Why d(e) is refused: what is missing and, where there is one, what to write instead."""
    if type(e) not in NO_RULE:
        return f"no rule for the differential of {text(e):.60} ({type(e).__name__})"
    missing, instead = NO_RULE[type(e)]
    norm = "||X||_2" if getattr(e, "which", None) == "top" else "||X||_*"
    fill = lambda t: t.format(X=text(e.arg), e=text(e), norm=norm.replace("X", text(e.arg)))
    return f"the differential of {text(e):.60} is not supported: {fill(missing)}; {fill(instead)}"


def _pending(state) -> list:
    """The distinct d(U) of state, in the order a walk (parents first) meets them, found
    without entering the subtrees free of them."""
    seen, out = set(), []

    def visit(e):
        if e not in seen and E.has(e, E.D):
            seen.add(e)
            if isinstance(e, E.D):
                out.append(e)
            for c in e.children:
                visit(c)
    visit(state)
    return out


def _drop_zeros(state, mapping):
    """Pending differentials that turned out zero vanish from sums and products."""
    zeros = {k for k, v in mapping.items() if v is None}
    if not zeros:
        return state
    memo = {}   # node -> its result: each distinct subtree pruned once

    def prune(e):
        if e in zeros:
            return None
        if e in memo:
            return memo[e]
        if isinstance(e, E.Add):
            out = add(*(prune(t) for t in e.terms))
        elif isinstance(e, E.Mul):
            out = mul(*(prune(f) for f in e.factors))
        else:
            kids = [prune(c) for c in e.children]
            out = None if any(k is None for k in kids) else e.with_children(kids) if kids else e
        memo[e] = e if out == e else out
        return memo[e]
    return prune(state)


def hadamard(a, b):
    return None if a is None or b is None else Hadamard(a, b)


def scale(coefficient, du):
    """coefficient * du, elementwise when du is a vector or matrix."""
    if du is None:
        return None
    return mul(coefficient, du) if coefficient.is_scalar else Hadamard(coefficient, du)


@rule(E.Add, "d(X + Y) = dX + dY")
def sum_rule(e, d):
    return add(*(d(t) for t in e.terms))


@rule(E.Mul, lambda e: "d(c X) = c dX" if sum(not isinstance(f, Number) for f in e.factors) == 1
      else "d(XY) = dX Y + X dY")
def product_rule(e, d):
    """So d(AXB) = A dX B."""
    fs = e.factors
    return add(*(mul(*fs[:i], d(f), *fs[i + 1:]) for i, f in enumerate(fs)))


@rule(E.Hadamard, "d(X .* Y) = dX .* Y + X .* dY")
def hadamard_rule(e, d):
    return add(hadamard(d(e.left), e.right), hadamard(e.left, d(e.right)))


@rule(E.Transpose, "d(X^T) = (dX)^T")
def transpose_rule(e, d):
    return Transpose(d(e.arg))


@rule(E.Inverse, "d(X^-1) = -X^-1 dX X^-1")
def inverse_rule(e, d):
    """[Cookbook (59)]"""
    return mul(Number(-1), e, d(e.arg), e)


@rule(E.MatPower, "d(X^k) = sum_j X^j dX X^(k-1-j)")
def matrix_power_rule(e, d):
    """A negative power by X^-k = (X^-1)^k."""
    if e.k < 0:
        return d(E.MatPower(Inverse(e.base), -e.k)) if e.k < -1 else d(Inverse(e.base))
    power = lambda j: None if j == 0 else e.base if j == 1 else E.MatPower(e.base, j)
    dX = d(e.base)
    return add(*(mul(*filter(None, (power(j), dX, power(e.k - 1 - j)))) for j in range(e.k)))


def squared_norm(e) -> bool:
    """||X||^2 (the Euclidean or Frobenius norm, squared): <X, X>, smooth everywhere."""
    return isinstance(e, E.Power) and isinstance(e.base, E.Norm) and e.base.kind == "euclid" \
        and e.exponent == Number(2)


def power_label(e) -> str:
    """A number as exponent: c u^(c-1) du; any other exponent may hold the variable."""
    if squared_norm(e):
        return "d(||X||^2) = 2 <X, dX>"
    return "d(u^c) = c u^(c-1) du" if isinstance(e.exponent, Number) else \
        "d(u^v) = u^v (log(u) dv + v du / u)"


@rule(E.Power, power_label)
def power_rule(e, d):
    """d(u^v) = u^v (ln(u) dv + v du / u) when the exponent depends on the variable too (entry
    by entry for a vector or matrix u, for u > 0)."""
    u, v = e.base, e.exponent
    if squared_norm(e):
        return mul(Number(2), E.Inner(u.arg, d(u.arg)))
    du, dv = d(u), d(v)
    one = Number(1) if v.is_scalar else E.Ones(v.shape)
    lowered = Number(v.value - 1) if isinstance(v, Number) else add(v, mul(Number(-1), one))
    power = u if lowered == Number(1) else E.Power(u, lowered)     # 2 u du, not 2 u^1 du
    by_u = scale(mul(v, power) if v.is_scalar else Hadamard(v, power), du)
    if dv is None:
        return by_u
    if u.is_scalar:
        return mul(e, add(mul(E.Func("log", u), dv), mul(v, du, E.Power(u, Number(-1)))))
    log_u = E.Func("log", u)                                                  # u.^v: entrywise
    if u == v:                                            # d(u.^u) = u.^u .* (log(u) + 1) .* du
        return Hadamard(Hadamard(e, add(log_u, one)), du)
    return add(mul(Hadamard(e, log_u), dv) if dv.is_scalar else Hadamard(e, Hadamard(log_u, dv)),
               by_u)


@rule(E.SymbolicPower, "d(X^k) = sum_j X^j dX X^(k-1-j)")
def symbolic_power_rule(e, d):
    """No closed form for a symbolic k outside a trace (see trace_rule) or a determinant."""
    raise UnsupportedError(f"d({text(e)}) = sum_j X^j dX X^(k-1-j) has no closed form for a "
                           "symbolic k; tr(X^k), det(X^k) and log det(X^k) are supported, or "
                           "give k a value")


def _power_exponent(e, d):
    """k of X^k, which must not depend on the variable."""
    if d(e.exponent) is not None:
        raise UnsupportedError(f"{text(e)}: a matrix power whose exponent depends on the "
                               "variable (d X^k = X^k log(X) dk)")
    return e.exponent


@rule(E.Trace, lambda e: "d tr(X^k) = k tr(X^(k-1) dX)" if isinstance(e.arg, E.SymbolicPower)
      else "d tr(X) = tr(dX)")
def trace_rule(e, d):
    """tr(X^k) by the cyclic trace: k tr(X^(k-1) dX) [Cookbook (110)]."""
    if isinstance(e.arg, E.SymbolicPower):
        X, k = e.arg.base, _power_exponent(e.arg, d)
        dX = d(X)
        return dX and mul(k, Trace(mul(E.SymbolicPower(X, add(k, Number(-1))), dX)))
    return Trace(d(e.arg))


@rule(E.Det, lambda e: "d det(X^k) = k det(X^k) tr(X^-1 dX)"
      if isinstance(e.arg, E.SymbolicPower) else "d det(X) = det(X) tr(X^-1 dX)")
def determinant_rule(e, d):
    """[Cookbook (49)]; det(X^k) = det(X)^k."""
    if isinstance(e.arg, E.SymbolicPower):
        X, k = e.arg.base, _power_exponent(e.arg, d)
        dX = d(X)
        return dX and mul(k, e, Trace(mul(Inverse(X), dX)))
    return mul(e, Trace(mul(Inverse(e.arg), d(e.arg))))


@rule(E.MatFunc, lambda e: f"d d{e.which}(X)[E] = d{e.which}(X)[dE] (X constant)" if e.direction
      else f"d {e.which}(X) = d{e.which}(X)[dX]")
def matrix_function_rule(e, d):
    """d f(X) = Df(X)[dX], the Frechet derivative (Higham, Functions of Matrices, 3.1); it
    is linear in its direction, and its own derivative in X is not supported."""
    if not e.direction:
        dX = d(e.arg)
        return dX and E.MatFunc(e.arg, e.which, (dX,))
    if d(e.arg) is not None:
        raise UnsupportedError(f"the second derivative of {e.which} is not supported: "
                               f"{text(e)} depends on the variable through its point "
                               f"{text(e.arg)}")
    dE = d(e.direction[0])
    return dE and E.MatFunc(e.arg, e.which, (dE,))


@rule(E.Inner, "d<X, Y> = <dX, Y> + <X, dY>")
def inner_rule(e, d):
    da, db = d(e.left), d(e.right)
    return add(da and E.Inner(da, e.right), db and E.Inner(e.left, db))


@norm_rule_of("euclid", "d||X|| = <X, dX> / ||X||")
def euclidean_norm_rule(e, d):
    """The 2-norm of a vector, the Frobenius norm of a matrix."""
    return mul(E.Inner(e.arg, d(e.arg)), E.Power(e, Number(-1)))


@norm_rule_of("l1", "d||x||_1 = <sign(x), dx>")
def l1_norm_rule(e, d):
    """For x without zero entries."""
    return E.Inner(E.Func("sign", e.arg), d(e.arg))


@norm_rule_of("spectral", "d||X||_2 = <u1 v1^T, dX>")
def spectral_norm_rule(e, d):
    """u1, v1 the top singular pair; for a simple sigma_1."""
    return E.Inner(E.SingularFactor(e.arg, "top"), d(e.arg))


@norm_rule_of("nuclear", "d||X||_* = <U V^T, dX>")
def nuclear_norm_rule(e, d):
    """For X = U S V^T of full rank."""
    return E.Inner(E.SingularFactor(e.arg, "polar"), d(e.arg))


@rule(E.Norm, lambda e: NORM_RULES[e.kind].label)
def norm_rule(e, d):
    """The rule of the norm's kind."""
    if e.kind not in NORM_RULES:
        raise UnsupportedError(f"the differential of {text(e):.60} is not supported: the 1-norm "
                               "of a matrix has none here; for the sum of |X_ij| write "
                               f"sum(abs({text(e.arg)}))")
    return NORM_RULES[e.kind].apply(e, d)


@norm_rule_of("max", "d||x||_inf = <sign(x) .* ismax(abs(x)), dx>")
def max_norm_rule(e, d):
    """For x whose largest |x_i| is unique and not 0: the gradient is sign(x_i) e_i there."""
    x = e.arg
    return E.Inner(Hadamard(E.Func("sign", x), E.Extremum(E.Func("abs", x), "ismax")), d(x))


@norm_rule_of("lp", "d||x||_p = <sign(x) .* abs(x).^(p-1), dx> / ||x||_p^(p-1)")
def lp_norm_rule(e, d):
    """For x without zero entries (for a number p > 1, x != 0). Of a varying p, from
    log ||x||_p = log(sum |x_i|^p) / p: d||x||_p = (<abs(x).^p, log(abs(x))> ||x||_p^(1-p)
    - ||x||_p log ||x||_p) dp / p."""
    x, p = e.arg, e.order[0]
    a = E.Func("abs", x)
    dx, dp = d(x), d(p)
    below = lambda k: Number(p.value - k) if isinstance(p, Number) else add(p, Number(-k))
    rest = E.Power(e, mul(Number(-1), below(1)))              # ||x||_p^(1-p)
    return add(dx and mul(E.Inner(Hadamard(E.Func("sign", x), E.Power(a, below(1))), dx), rest),
               dp and mul(add(mul(E.Inner(E.Power(a, p), E.Func("log", a)), rest),
                              mul(Number(-1), e, E.Func("log", e))), E.Power(p, Number(-1)), dp))


def _of_columns(e) -> bool:
    return e.arg.shape[1] != 1


@rule(E.Softmax, lambda e: "d softmax(Z) = S .* dZ - S .* (1 1^T (S .* dZ)), S = softmax(Z)"
      if _of_columns(e) else "d softmax(u) = (diag(s) - s s^T) du = s .* du - s (s^T du)")
def softmax_rule(e, d):
    """s = softmax(u); of a matrix, the rule of each column: 1^T (S .* dZ) is the row of
    the columns' s^T du."""
    du = d(e.arg)
    if _of_columns(e):
        ones = E.Ones((e.shape[0], 1))
        weighted = Hadamard(e, du)
        return add(weighted, mul(Number(-1), Hadamard(e, mul(ones, Transpose(ones), weighted))))
    return add(Hadamard(e, du), mul(Number(-1), e, mul(Transpose(e), du)))


@rule(E.LogSumExp, lambda e: "d logsumexp(Z) = 1^T (softmax(Z) .* dZ)" if _of_columns(e)
      else "d logsumexp(u) = <softmax(u), du>")
def logsumexp_rule(e, d):
    if _of_columns(e):
        return mul(Transpose(E.Ones((e.arg.shape[0], 1))), Hadamard(E.Softmax(e.arg), d(e.arg)))
    return E.Inner(E.Softmax(e.arg), d(e.arg))


@rule(E.LambdaMax, lambda e: f"d lambda_{e.which}(X) = v^T dX v = <v v^T, dX>, v its unit "
      "eigenvector")
def lambda_max_rule(e, d):
    """For a symmetric X whose lambda_max (lambda_min) is simple."""
    return E.Inner(E.TopEigvec(e.arg, "top" if e.which == "max" else "bottom"), d(e.arg))


@rule(E.Extremum, lambda e: f"d {e.which}(x) = <is{e.which}(x), dx>" if len(e.which) == 3
      else f"d {e.which}(x) = 0")
def extremum_rule(e, d):
    """At a unique largest (smallest) entry x_i: the gradient is e_i, the indicator ismax(x)
    (ismin(x)); the indicator itself is constant near such a point."""
    if len(e.which) != 3:
        return None
    return E.Inner(E.Extremum(e.arg, "is" + e.which), d(e.arg))


@rule(E.Diag, "d diag(X) = diag(dX)")
def diag_rule(e, d):
    return E.Diag(d(e.arg))


@rule(E.Kron, "d(X kron Y) = dX kron Y + X kron dY")
def kronecker_rule(e, d):
    da, db = d(e.left), d(e.right)
    return add(da and E.Kron(da, e.right), db and E.Kron(e.left, db))


@rule(E.PartialTrace, "d tr_2(X (I kron Y)) = tr_2(dX (I kron Y)) + tr_2(X (I kron dY))")
def partial_trace_rule(e, d):
    """The partial trace is linear in each of its two parts (tr_1 likewise)."""
    da, db = d(e.arg), d(e.factor)
    return add(da and E.PartialTrace(da, e.factor, e.which),
               db and E.PartialTrace(e.arg, db, e.which))


@rule(E.Vec, "d vec(X) = vec(dX)")
def vec_rule(e, d):
    return E.Vec(d(e.arg))


def chain_rule_label(e) -> str:
    """d f(u) = f'(u) du, with f' from the catalogue: d exp(u) = exp(u) du."""
    return _chain_rule_statement(e.name)


@lru_cache(maxsize=None)
def _chain_rule_statement(name: str) -> str:
    u = E.Symbol("u")
    return f"d {name}(u) = {text(chain_rule(E.Func(name, u), lambda _: E.Differential(u)))}"


@rule(E.Func, chain_rule_label)
def chain_rule(e, d):
    """d f(U) = f'(U) .* dU (f'(u) du for a scalar u)."""
    return scale(apply_elementwise(derivative(e.name), variable(), e.arg), d(e.arg))

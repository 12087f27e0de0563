"""Simplification to a normal form a textbook would print.

One bottom-up pass, a rule per node type, repeated to a fixed point (core.py); every rule
is one-directional and makes the expression smaller or more canonical. The rules, by
family:

- structure.py: transposes pushed to the leaves: (A B)^T -> B^T A^T, (X^-1)^T -> X^-T,
  A^T -> A for symmetric A, but kept outside a column sum and an elementwise operation
  ((x - m)^T, tanh(W x)^T); inverses and powers; the 1 x 1 identity is 1; diag(c 1) = c I,
  diag(A diag(x)) = diag(A) .* x;
- products.py: scalars gathered (SymPy cancels det X / det X and combines powers, and
  u sign(u) / |u|), identities dropped, X X^-1 -> I, X X -> X^2, x^T y stays a scalar,
  1^T 1 = n, 1^T softmax(u) = 1, 1^T (u .* v) = u^T v; -S^-1 (x - m) -> S^-1 (m - x);
- sums.py: like terms collected (2 x + 3 x -> 5 x, a difference meeting its negation),
  common factors pulled out (A x + A^T x -> (A + A^T) x, A^T A x - A^T b -> A^T (A x - b))
  unless that hides a symmetric sum; c 1 + d 1 = (c + d) 1;
- elementwise.py: .*, f(U) and u^c, scalar sub-expressions handed to SymPy (scalar.py),
  exp(0 1) = 1, f(c I) = f(0) 1 1^T + (f(c) - f(0)) I, I .* M = diag(diag(M));
- kronecker.py: Kronecker products, vec, K and partial traces reduced to matrix forms:
  I kron I = I, a kron b^T = a b^T, vec(v) = v, K of a vector is I, tr_2(P kron Q ...) = ...;
- reductions.py: tr, det, <.,.> and norms: tr(A^T) = tr(A), tr(x y^T) = y^T x,
  <I, M> = tr(M), <c 1, V> = c 1^T V 1, <p, y ./ p> = 1^T y, det(X^-1) = 1 / det(X),
  det(s M) = s^n det(M), ||c 1||_2 = sqrt(c^2) sqrt(n), tr(I) of a number is that number.

Constants are folded so that they print with their shape: (b - b).^2 = 0, a matrix of
ones is 1 1^T, a dimension as a scalar is tr(I_n) (ir/constants.py).
"""
# the families' modules register their rules when imported
from . import elementwise, kronecker, products, reductions, structure, sums  # noqa: F401
# MAX_EXPANSION is read in core: a change of it goes to matcalc.rules.simplify.core.
from .core import ASSUMPTIONS, MAX_EXPANSION, SYMMETRIC_KINDS, expand, simplify

__all__ = ["ASSUMPTIONS", "MAX_EXPANSION", "SYMMETRIC_KINDS", "expand", "simplify"]

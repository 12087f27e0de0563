# %% [markdown]
# # Seminar: the differential method (section B)
#
# The seminar's way: never differentiate entry by entry. Write the
# differential $df$ with the rules
# $d(XY) = dX\,Y + X\,dY$, $d(X^{-1}) = -X^{-1}dX\,X^{-1}$, $d\operatorname{tr}X = \operatorname{tr}dX$,
# $d\det X = \det X\,\langle X^{-\top}, dX\rangle$, $d\ln u = du/u$, ...;
# rearrange it into the form $df = \langle \nabla f, dx\rangle$; read off the gradient.
# For the Hessian, do it once more: $d(\nabla f) = \nabla^2 f\, dx$.
#
# Each problem: the solution as written at the blackboard, then matcalc's
# derivation line by line (its rule on the right), then a numeric check.

# %%
import numpy as np
from numpy.linalg import inv, norm

import matcalc as mc
from matcalc.problems import by_id, solve
from helpers import PRINT_OPTIONS, Draws, derive, numeric_check

np.set_printoptions(**PRINT_OPTIONS)
draw = Draws(seed=7)
SEMINAR = "the seminar's answer"

# %% [markdown]
# ## S1
#
# $f(x) = \frac12 x^\top A x + b^\top x + c$. Find $\nabla f$.
#
# $$
# \begin{aligned}
# df &= \tfrac12\, d(x^\top A x) + d(b^\top x) + dc
#     = \tfrac12 \left(dx^\top A x + x^\top A\, dx\right) + b^\top dx \\
#    &= \tfrac12 \left(x^\top A^\top dx + x^\top A\, dx\right) + b^\top dx
#     = \left\langle \tfrac12 (A + A^\top) x + b,\ dx \right\rangle
# \end{aligned}
# \qquad\Longrightarrow\qquad \nabla f = \tfrac12 (A + A^\top) x + b.
# $$
#
# ($dx^\top A x$ is a scalar, equal to its transpose $x^\top A^\top dx$.)

# %%
g = solve(by_id("S1"))
derive(g)
A, x, b = draw.matrix(4, 4), draw.vector(4), draw.vector(4)
numeric_check(g, (A + A.T) @ x / 2 + b, {"A": A, "x": x, "b": b, "c": 1.5}, SEMINAR)

# %% [markdown]
# ## S2
#
# $f(X) = \operatorname{tr}(A X^{-1} B)$. Find $\nabla f$.
#
# $$
# \begin{aligned}
# df &= \operatorname{tr}\left(A\, d(X^{-1})\, B\right) = -\operatorname{tr}\left(A X^{-1}\, dX\, X^{-1} B\right) \\
#    &= -\operatorname{tr}\left(X^{-1} B A X^{-1}\, dX\right)
#     = \left\langle -\left(X^{-1} B A X^{-1}\right)^\top,\ dX \right\rangle
# \end{aligned}
# \qquad\Longrightarrow\qquad \nabla f = -X^{-\top} A^\top B^\top X^{-\top}.
# $$

# %%
g = solve(by_id("S2"))
derive(g)
A, B = draw.matrix(2, 3), draw.matrix(3, 2)
X = draw.invertible(3)
Xi = inv(X)
numeric_check(g, -Xi.T @ A.T @ B.T @ Xi.T, {"A": A, "X": X, "B": B}, SEMINAR)

# %% [markdown]
# ## S3
#
# $f(x) = \frac13 \|x\|_2^3$. Find the gradient and the Hessian.
#
# $$
# df = \tfrac13 \cdot 3 \|x\|_2^2\, d\|x\|_2 = \|x\|_2^2 \frac{\langle x, dx\rangle}{\|x\|_2}
#    = \left\langle \|x\|_2\, x,\ dx \right\rangle
# \qquad\Longrightarrow\qquad \nabla f = \|x\|_2\, x,
# $$
#
# $$
# d(\nabla f) = d\|x\|_2\; x + \|x\|_2\, dx = \frac{x\, x^\top dx}{\|x\|_2} + \|x\|_2\, dx
# \qquad\Longrightarrow\qquad \nabla^2 f = \|x\|_2 I + \frac{x x^\top}{\|x\|_2}\quad (x \ne 0).
# $$

# %%
h = solve(by_id("S3-hess"))
derive(h)
x = draw.vector(4)
numeric_check(h.gradient, norm(x) * x, {"x": x}, SEMINAR)
numeric_check(h, norm(x) * np.eye(4) + np.outer(x, x) / norm(x), {"x": x}, SEMINAR)

# %% [markdown]
# ## S4
#
# $f(x) = \ln\langle x, Ax\rangle$, $A \in \mathbb{S}^n_{++}$. Find the differential and the gradient.
#
# $$
# df = \frac{d\langle x, Ax\rangle}{\langle x, Ax\rangle}
#    = \frac{\langle dx, Ax\rangle + \langle x, A\,dx\rangle}{\langle x, Ax\rangle}
#    = \frac{\langle (A + A^\top)x,\ dx\rangle}{\langle x, Ax\rangle}
# \qquad\Longrightarrow\qquad \nabla f = \frac{(A + A^\top) x}{\langle x, Ax\rangle} = \frac{2Ax}{\langle x, Ax\rangle}\ \ (A = A^\top).
# $$

# %%
print(mc.differential("ln <x, A x>", wrt="x"))
g = solve(by_id("S4"))
derive(g)
print(g.differential)
A, x = draw.spd(4), draw.vector(4)
numeric_check(g, (A + A.T) @ x / (x @ A @ x), {"A": A, "x": x}, SEMINAR)

# %% [markdown]
# ## S5
#
# $f(X) = \operatorname{tr} X$. Find $\nabla f$.
#
# $$
# df = \operatorname{tr} dX = \operatorname{tr}(I^\top dX) = \langle I, dX\rangle
# \qquad\Longrightarrow\qquad \nabla f = I.
# $$

# %%
g = solve(by_id("S5"))
derive(g)
numeric_check(g, np.eye(3), {"X": draw.matrix(3, 3)}, SEMINAR)

# %% [markdown]
# ## S6
#
# $f(X) = \langle S, X\rangle - \ln\det X$. Find $\nabla f$.
#
# $$
# df = \langle S, dX\rangle - \frac{d\det X}{\det X}
#    = \langle S, dX\rangle - \frac{\det X\, \langle X^{-\top}, dX\rangle}{\det X}
#    = \left\langle S - X^{-\top},\ dX\right\rangle
# \qquad\Longrightarrow\qquad \nabla f = S - X^{-\top}.
# $$
#
# Setting it to zero gives the maximum-likelihood covariance estimate of a
# Gaussian: $X^{-1} = S$ when $S$ is a sample covariance and $X$ the precision matrix.

# %%
g = solve(by_id("S6"))
derive(g)
S, X = draw.matrix(3, 3), draw.invertible(3)
numeric_check(g, S - inv(X).T, {"S": S, "X": X}, SEMINAR)

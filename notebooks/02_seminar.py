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
from numpy.linalg import det, inv, norm
from IPython.display import display

import matcalc as mc

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(7)


def numeric_check(result, closed_form, values):
    """verify() (finite differences) and the seminar's answer, in NumPy."""
    report = result.verify()
    got = np.asarray(result.evaluate(values), dtype=float)
    want = np.asarray(closed_form, dtype=float)
    error = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
    print(report)
    print(f"matcalc vs the seminar's answer: max relative difference {error:.1e}")
    assert report and got.shape == want.shape and error < 1e-9


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
g = mc.gradient("1/2 x^T A x + b^T x + c", wrt="x")
display(g)
print(g.explain())
A, x, b = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
numeric_check(g, (A + A.T) @ x / 2 + b, {"A": A, "x": x, "b": b, "c": 1.5})

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
g = mc.gradient("tr(A X^-1 B)", wrt="X")
display(g)
print(g.explain())
A, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
X = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
Xi = inv(X)
numeric_check(g, -Xi.T @ A.T @ B.T @ Xi.T, {"A": A, "X": X, "B": B})

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
h = mc.hessian("1/3 ||x||_2^3", wrt="x")
display(h)
print(h.explain())
x = rng.standard_normal(4)
numeric_check(h.gradient, norm(x) * x, {"x": x})
numeric_check(h, norm(x) * np.eye(4) + np.outer(x, x) / norm(x), {"x": x})

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
g = mc.gradient("ln <x, A x>", wrt="x", assume={"A": "spd"})
display(g)
print(g.explain())
print(g.differential)
B = rng.standard_normal((4, 4))
A, x = B @ B.T + 4 * np.eye(4), rng.standard_normal(4)
numeric_check(g, (A + A.T) @ x / (x @ A @ x), {"A": A, "x": x})

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
g = mc.gradient("tr X", wrt="X")
display(g)
print(g.explain())
numeric_check(g, np.eye(3), {"X": rng.standard_normal((3, 3))})

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
g = mc.gradient("<S, X> - ln det X", wrt="X")
display(g)
print(g.explain())
S, X = rng.standard_normal((3, 3)), np.eye(3) + 0.3 * rng.standard_normal((3, 3))
numeric_check(g, S - inv(X).T, {"S": S, "X": X})

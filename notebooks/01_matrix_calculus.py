# %% [markdown]
# # The matrix calculus problem set (section A)
#
# Every problem of section A of the seminar's problem set, solved by matcalc
# by the differential method. For each: the statement, matcalc's derivation
# (rendered in LaTeX, and as plain text), the answer, and two numeric checks:
# `verify()` (central finite differences of $f$ at random points) and the
# closed-form answer of the problem set written in NumPy, evaluated at random
# values and compared with matcalc's result.
#
# Notation: $x, a, b, c, y$ are column vectors; $A, B, C, S, W, Z$ constant
# matrices; $X$ a matrix variable; $t$ a scalar. $A \in \mathbb{S}^n$: symmetric,
# $\mathbb{S}^n_{++}$: symmetric positive definite.
# $\sigma(z) = 1/(1 + e^{-z})$ (elementwise), $\operatorname{softmax}(z) = e^z / \mathbf 1^\top e^z$.
# Gradients have the shape of the variable; vec stacks columns.

# %%
import numpy as np
from numpy.linalg import det, inv, norm
from IPython.display import display

import matcalc as mc

np.set_printoptions(precision=4, suppress=True, linewidth=100)
rng = np.random.default_rng(2024)


def vector(n):
    return rng.standard_normal(n)


def matrix(m, n):
    return rng.standard_normal((m, n))


def invertible(n):
    """A square matrix with det > 0, far from singular."""
    return np.eye(n) + 0.3 * rng.standard_normal((n, n))


def spd(n):
    B = rng.standard_normal((n, n))
    return B @ B.T + n * np.eye(n)


def symmetric(n):
    B = rng.standard_normal((n, n))
    return (B + B.T) / 2


def sigma(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def vec(M):
    return np.ravel(M, order="F")


def commutation(n):
    """K with K vec(A) = vec(A^T) for n x n matrices A."""
    K = np.zeros((n * n, n * n))
    for i in range(n):
        for j in range(n):
            K[j + i * n, i + j * n] = 1.0
    return K


def derive(result):
    """matcalc's derivation: rendered LaTeX in Jupyter, and the same lines as text."""
    display(result)
    print(result.explain())


def numeric_check(result, closed_form, values):
    """Finite differences (verify) and the closed form of problems.md, in NumPy."""
    report = result.verify()
    print(report)
    got = np.asarray(result.evaluate(values), dtype=float)
    want = np.asarray(closed_form, dtype=float)
    error = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
    print(f"matcalc vs the closed form of problems.md: max relative difference {error:.1e}")
    assert report, "verify() failed"
    assert got.shape == want.shape, (got.shape, want.shape)
    assert error < 1e-9, error


# %% [markdown]
# ## P1
#
# $f(x) = Ax$, $A \in \mathbb{R}^{m \times n}$. Find the Jacobian with respect to $x$ and the derivative with respect to $A$.
#
# *Answer (problems.md):* $J_x = A$; $d_A f[dA] = dA\, x$, i.e. $J_A = x^\top \otimes I_m$ ($m \times mn$).

# %%
J = mc.jacobian("A x", wrt="x")
derive(J)
A, x = matrix(3, 4), vector(4)
numeric_check(J, A, {"A": A, "x": x})

# %%
JA = mc.jacobian("A x", wrt="A")
derive(JA)
print("Kronecker form:", JA.kron)
numeric_check(JA, np.kron(x[None, :], np.eye(3)), {"A": A, "x": x})

# %% [markdown]
# ## P2
#
# $f(x) = c^\top x$. Find $\nabla f$.
#
# *Answer:* $c$.

# %%
g = mc.gradient("c^T x", wrt="x")
derive(g)
c, x = vector(4), vector(4)
numeric_check(g, c, {"c": c, "x": x})

# %% [markdown]
# ## P3
#
# $f(x) = \frac12 x^\top A x + b^\top x + c$. Find the gradient and the Hessian.
#
# *Answer:* $\frac12 (A + A^\top) x + b$ and $\frac12 (A + A^\top)$; with $A \in \mathbb{S}^n$: $Ax + b$ and $A$.

# %%
f = "1/2 x^T A x + b^T x + c"
g = mc.gradient(f, wrt="x")
derive(g)
A, x, b, c = matrix(4, 4), vector(4), vector(4), 0.7
values = {"A": A, "x": x, "b": b, "c": c}
numeric_check(g, (A + A.T) @ x / 2 + b, values)

# %%
h = mc.hessian(f, wrt="x")
print(h.explain())
numeric_check(h, (A + A.T) / 2, values)

# %%
gs = mc.gradient(f, wrt="x", assume={"A": "symmetric"})
hs = mc.hessian(f, wrt="x", assume={"A": "symmetric"})
print("A symmetric:  gradient", gs, "   Hessian", hs)
S = symmetric(4)
numeric_check(gs, S @ x + b, {**values, "A": S})
numeric_check(hs, S, {**values, "A": S})

# %% [markdown]
# ## P4
#
# $f(x) = -\exp(-x^\top x)$. Find the gradient and the Hessian.
#
# *Answer:* $2 e^{-x^\top x} x$ and $2 e^{-x^\top x}(I - 2 x x^\top)$.

# %%
h = mc.hessian("-exp(-x^T x)", wrt="x")
derive(h)
x = 0.5 * vector(4)
numeric_check(h.gradient, 2 * np.exp(-x @ x) * x, {"x": x})
numeric_check(h, 2 * np.exp(-x @ x) * (np.eye(4) - 2 * np.outer(x, x)), {"x": x})

# %% [markdown]
# ## P5
#
# $f(x) = \frac12 \|Ax - b\|_2^2$. Find the gradient and the Hessian.
#
# *Answer:* $A^\top(Ax - b)$ and $A^\top A$.

# %%
h = mc.hessian("1/2 ||A x - b||_2^2", wrt="x")
derive(h)
A, x, b = matrix(5, 3), vector(3), vector(5)
values = {"A": A, "x": x, "b": b}
numeric_check(h.gradient, A.T @ (A @ x - b), values)
numeric_check(h, A.T @ A, values)

# %% [markdown]
# ## P6
#
# $f(x) = \|x\|_2$, $x \ne 0$. Find $\nabla f$.
#
# *Answer:* $x / \|x\|_2$.

# %%
g = mc.gradient("||x||_2", wrt="x")
derive(g)
print("holds where:", *g.conditions)
x = vector(4)
numeric_check(g, x / norm(x), {"x": x})

# %% [markdown]
# ## P7
#
# $f(x) = \|Ax\|_2$. Find $\nabla f$.
#
# *Answer:* $A^\top A x / \|Ax\|_2$.

# %%
g = mc.gradient("||A x||_2", wrt="x")
derive(g)
A, x = matrix(5, 3), vector(3)
numeric_check(g, A.T @ A @ x / norm(A @ x), {"A": A, "x": x})

# %% [markdown]
# ## P8
#
# $f(x) = -1 / (1 + x^\top x)$. Find the gradient and the Hessian.
#
# *Answer:* $2x / (1 + x^\top x)^2$ and $2I / (1 + x^\top x)^2 - 8 x x^\top / (1 + x^\top x)^3$.

# %%
h = mc.hessian("-1 / (1 + x^T x)", wrt="x")
derive(h)
x = vector(4)
s = 1 + x @ x
numeric_check(h.gradient, 2 * x / s**2, {"x": x})
numeric_check(h, 2 * np.eye(4) / s**2 - 8 * np.outer(x, x) / s**3, {"x": x})

# %% [markdown]
# ## P9
#
# $f(x) = \log(x^\top A x)$. Find the differential and the gradient.
#
# *Answer:* $df = \langle (A + A^\top)x, dx\rangle / (x^\top A x)$, $\nabla f = (A + A^\top) x / (x^\top A x)$.

# %%
g = mc.gradient("log(x^T A x)", wrt="x")
derive(g)
print(g.differential)
A, x = spd(4) + 0.5 * matrix(4, 4), vector(4)     # a general A with x^T A x > 0
numeric_check(g, (A + A.T) @ x / (x @ A @ x), {"A": A, "x": x})

# %% [markdown]
# ## P10
#
# $f(X) = \det X$. Find $\nabla f$.
#
# *Answer:* $\det(X) X^{-\top}$.

# %%
g = mc.gradient("det X", wrt="X")
derive(g)
X = invertible(4)
numeric_check(g, det(X) * inv(X).T, {"X": X})

# %% [markdown]
# ## P11
#
# $f(X) = \log\det X$, $X \in \mathbb{S}^n_{++}$. Find the gradient and the Hessian.
#
# *Answer:* $X^{-\top}$; $d^2 f = -\operatorname{tr}(X^{-1} dX X^{-1} dX)$, i.e.
# $H[dX] = -X^{-\top} dX^\top X^{-\top}$, in vec form $-(X^{-1} \otimes X^{-\top}) K$ ($K$ the commutation matrix).
#
# Without assumptions on $X$ (any $X$ with $\det X > 0$) matcalc finds exactly
# these. Declaring $X$ symmetric positive definite, the gradient is taken on
# the space of symmetric matrices, $X^{-1}$ ($= X^{-\top}$ there), and the
# Hessian is $H[dX] = -X^{-1} dX X^{-1}$; on symmetric directions $dX$ both
# give the same $d^2 f$.

# %%
h = mc.hessian("log det X", wrt="X")
derive(h)
print("H[dX] =", h.map, "   vec form:", h.kron)
X = invertible(3)
numeric_check(h.gradient, inv(X).T, {"X": X})
numeric_check(h, -np.kron(inv(X), inv(X).T) @ commutation(3), {"X": X})

# %%
hs = mc.hessian("log det X", wrt="X", assume={"X": "spd"})
print("X spd: gradient", hs.gradient, "   H[dX] =", hs.map, "   vec form:", hs.kron)
print(hs.gradient.verify(), hs.verify(), sep="\n")
X, dX = spd(3), symmetric(3)
H = hs.evaluate({"X": X})
print("d^2 f = -tr(X^-1 dX X^-1 dX) on a symmetric dX:",
      np.isclose(vec(dX) @ H @ vec(dX), -np.trace(inv(X) @ dX @ inv(X) @ dX)))
assert np.isclose(vec(dX) @ H @ vec(dX), -np.trace(inv(X) @ dX @ inv(X) @ dX))
assert np.allclose(hs.gradient.evaluate({"X": X}), inv(X))

# %% [markdown]
# ## P12
#
# $f(x) = \log \sum_i \exp(a_i^\top x + b_i) = \log(\mathbf 1^\top \exp(Ax + b))$ (the rows of $A$ are $a_i^\top$).
# Find the gradient and the Hessian.
#
# *Answer:* $A^\top p$ and $A^\top(\operatorname{diag}(p) - p p^\top) A$ with $p = \operatorname{softmax}(Ax + b)$.

# %%
h = mc.hessian("log(sum(exp(A x + b)))", wrt="x")
derive(h)
A, x, b = matrix(5, 3), vector(3), vector(5)
p = softmax(A @ x + b)
values = {"A": A, "x": x, "b": b}
numeric_check(h.gradient, A.T @ p, values)
numeric_check(h, A.T @ (np.diag(p) - np.outer(p, p)) @ A, values)

# %% [markdown]
# ## P13
#
# How are the gradient, the Jacobian and the Hessian related?
#
# *Answer.* For a scalar $f: \mathbb{R}^n \to \mathbb{R}$ the Jacobian is the
# $1 \times n$ row $J_f = (\nabla f)^\top$: the gradient is the transposed
# Jacobian, the column with $df = \langle \nabla f, dx\rangle = J_f\, dx$. For a
# vector function $F: \mathbb{R}^n \to \mathbb{R}^m$ the Jacobian is the
# $m \times n$ matrix with $dF = J\, dx$; its rows are the transposed gradients
# of the components $F_i$. The Hessian of $f$ is the Jacobian of the gradient
# (transposed, which changes nothing when $f$ is twice continuously
# differentiable, since $H$ is then symmetric):
# $d(\nabla f) = H\, dx$, $H = J_{\nabla f}$, $H_{ij} = \partial^2 f / \partial x_i \partial x_j$.
# For a matrix variable the same holds in vec layout.
#
# *With matcalc:* the Jacobian of the scalar $f$ is the transposed gradient, and
# the Jacobian of the gradient is the Hessian.

# %%
f = "ln(1 + exp(<a, x>))"
g = mc.gradient(f, wrt="x")
J = mc.jacobian(f, wrt="x")
H = mc.hessian(f, wrt="x")
JG = mc.jacobian(g.expr, wrt="x")        # the Jacobian of the gradient
print("gradient:              ", g)
print("Jacobian of f:         ", J)
print("Jacobian of the gradient:", JG)
print("Hessian:               ", H)
a, x = vector(4), vector(4)
values = {"a": a, "x": x}
assert np.allclose(J.evaluate(values), g.evaluate(values)[None, :])
assert np.allclose(JG.evaluate(values), H.evaluate(values))
s = sigma(a @ x)
numeric_check(H, s * (1 - s) * np.outer(a, a), values)
print(JG.verify())

# %% [markdown]
# ## P14
#
# Find the gradients of $\sum_i \lambda_i(X) = \operatorname{tr} X$, $\prod_i \lambda_i(X) = \det X$, $\operatorname{tr} X$, $\det X$.
#
# *Answer:* $I$, $\det(X) X^{-\top}$, $I$, $\det(X) X^{-\top}$.

# %%
X = invertible(4)
for f, closed in [("sum(eig(X))", np.eye(4)), ("prod(eig(X))", det(X) * inv(X).T),
                  ("tr X", np.eye(4)), ("det X", det(X) * inv(X).T)]:
    g = mc.gradient(f, wrt="X")
    print(f"{f:14} ->  {g}")
    numeric_check(g, closed, {"X": X})

# %%
derive(mc.gradient("prod(eig(X))", wrt="X"))

# %% [markdown]
# ## P15
#
# $f(X) = \|X\|_F^2$. Find $\nabla f$.
#
# *Answer:* $2X$.

# %%
g = mc.gradient("||X||_F^2", wrt="X")
derive(g)
X = matrix(3, 4)
numeric_check(g, 2 * X, {"X": X})

# %% [markdown]
# ## P16
#
# Binary logistic regression:
# $L(\theta) = -\sum_i \left[y_i \log \sigma(\theta^\top x_i) + (1 - y_i) \log(1 - \sigma(\theta^\top x_i))\right]$,
# data matrix $Z$ with rows $x_i^\top$, labels $y \in \{0, 1\}^m$. Find $\nabla L$.
#
# *Answer:* $Z^\top(\sigma(Z\theta) - y)$.
#
# Below, the loss typed as stated; then the same loss in the numerically
# stable form used in practice: since $\log\sigma(z) = -\operatorname{softplus}(-z)$ and
# $\log(1 - \sigma(z)) = -\operatorname{softplus}(z)$, with $\operatorname{softplus}(z) = \log(1 + e^z)$,
# $L = \mathbf 1^\top \operatorname{softplus}(Z\theta) - y^\top Z\theta$.

# %%
shapes = {"theta": "vector"}
Z, theta = matrix(6, 3), vector(3)
y = (rng.random(6) < 0.5).astype(float)
values = {"Z": Z, "theta": theta, "y": y}
closed = Z.T @ (sigma(Z @ theta) - y)
g = mc.gradient("-sum(y .* log(sigma(Z theta)) + (1 - y) .* log(1 - sigma(Z theta)))",
                wrt="theta", shapes=shapes)
derive(g)
numeric_check(g, closed, values)

# %%
g = mc.gradient("sum(softplus(Z theta)) - y^T Z theta", wrt="theta", shapes=shapes)
print(g.explain())
numeric_check(g, closed, values)

# %% [markdown]
# ## P17
#
# $f(X) = \operatorname{tr}(AX)$. Find $\nabla f$.
#
# *Answer:* $A^\top$.

# %%
g = mc.gradient("tr(A X)", wrt="X")
derive(g)
A, X = matrix(3, 4), matrix(4, 3)
numeric_check(g, A.T, {"A": A, "X": X})

# %% [markdown]
# ## P18
#
# $f(X) = \langle S, X\rangle - \log\det X$. Find $\nabla f$.
#
# *Answer:* $S - X^{-\top}$.

# %%
g = mc.gradient("<S, X> - log det X", wrt="X")
derive(g)
S, X = matrix(4, 4), spd(4)
numeric_check(g, S - inv(X).T, {"S": S, "X": X})

# %% [markdown]
# ## P19
#
# $f(x) = \ln \langle Ax, x\rangle$, $A \in \mathbb{S}^n_{++}$. Find $\nabla f$.
#
# *Answer:* $2Ax / \langle Ax, x\rangle$ (general $A$: $(A + A^\top)x / \langle Ax, x\rangle$).

# %%
g = mc.gradient("ln <A x, x>", wrt="x", assume={"A": "spd"})
derive(g)
A, x = spd(4), vector(4)
numeric_check(g, 2 * A @ x / (A @ x @ x), {"A": A, "x": x})

# %%
g = mc.gradient("ln <A x, x>", wrt="x")
print("general A:", g)
A = spd(4) + 0.5 * matrix(4, 4)
numeric_check(g, (A + A.T) @ x / (A @ x @ x), {"A": A, "x": x})

# %% [markdown]
# ## P20
#
# $f(x) = \ln(1 + \exp\langle a, x\rangle)$. Find the gradient and the Hessian.
#
# *Answer:* $\sigma(a^\top x)\, a$ and $\sigma(a^\top x)(1 - \sigma(a^\top x))\, a a^\top$.

# %%
h = mc.hessian("ln(1 + exp(<a, x>))", wrt="x")
derive(h)
a, x = vector(4), vector(4)
s = sigma(a @ x)
numeric_check(h.gradient, s * a, {"a": a, "x": x})
numeric_check(h, s * (1 - s) * np.outer(a, a), {"a": a, "x": x})

# %% [markdown]
# ## P21
#
# $f(x) = \frac13 \|x\|_2^3$. Find the gradient and the Hessian.
#
# *Answer:* $\|x\|_2\, x$ and $\|x\|_2 I + x x^\top / \|x\|_2$.

# %%
h = mc.hessian("1/3 ||x||_2^3", wrt="x")
derive(h)
x = vector(4)
numeric_check(h.gradient, norm(x) * x, {"x": x})
numeric_check(h, norm(x) * np.eye(4) + np.outer(x, x) / norm(x), {"x": x})

# %% [markdown]
# ## P22
#
# $f(X) = \|AX - B\|_F$ with $X \in \mathbb{R}^{k \times n}$, $A \in \mathbb{R}^{m \times k}$, $B \in \mathbb{R}^{m \times n}$. Find $\nabla f$.
#
# *Answer:* $A^\top(AX - B) / \|AX - B\|_F$.

# %%
g = mc.gradient("||A X - B||_F", wrt="X", shapes={"X": ("k", "n"), "A": ("m", "k"), "B": ("m", "n")})
derive(g)
A, X, B = matrix(4, 2), matrix(2, 3), matrix(4, 3)
numeric_check(g, A.T @ (A @ X - B) / norm(A @ X - B), {"A": A, "X": X, "B": B})

# %% [markdown]
# ## P23
#
# One-layer network: $L(W, b) = \frac12 \|\sigma(Wx + b) - y\|_2^2$. Find the gradients with respect to $W$ and $b$.
#
# *Answer:* with $s = \sigma(Wx + b)$ and $\delta = (s - y) \odot s \odot (1 - s)$:
# $\partial L / \partial W = \delta x^\top$, $\partial L / \partial b = \delta$.

# %%
grads = mc.gradient("1/2 ||sigma(W x + b) - y||_2^2", wrt=["W", "b"])
display(grads)
print(grads["W"].explain())
W, x, b, y = matrix(3, 4), vector(4), vector(3), vector(3)
values = {"W": W, "x": x, "b": b, "y": y}
s = sigma(W @ x + b)
delta = (s - y) * s * (1 - s)
numeric_check(grads["W"], np.outer(delta, x), values)
numeric_check(grads["b"], delta, values)

# %% [markdown]
# ## P24
#
# $f(x) = \langle x, x\rangle^{\langle x, x\rangle}$, $x \ne 0$. Find the gradient and the Hessian.
#
# *Answer:* with $u = x^\top x$: $2 u^u (1 + \ln u)\, x$ and
# $2 u^u (1 + \ln u) I + 4 u^u\left((1 + \ln u)^2 + 1/u\right) x x^\top$.

# %%
h = mc.hessian("<x, x>^<x, x>", wrt="x")
derive(h)
x = 0.6 * vector(3)
u, L = x @ x, 1 + np.log(x @ x)
numeric_check(h.gradient, 2 * u**u * L * x, {"x": x})
numeric_check(h, 2 * u**u * L * np.eye(3) + 4 * u**u * (L**2 + 1 / u) * np.outer(x, x), {"x": x})

# %% [markdown]
# ## P25
#
# The Rayleigh quotient $f(x) = \langle Ax, x\rangle / \|x\|_2^2$, $A \in \mathbb{S}^n$. Find the gradient and the Hessian.
#
# *Answer:* with $s = x^\top x$ and $f$ the value: $2(Ax - f x)/s$ and
# $2(A - fI)/s - 4\left(x (Ax - fx)^\top + (Ax - fx) x^\top\right)/s^2$.

# %%
h = mc.hessian("<A x, x> / ||x||_2^2", wrt="x", assume={"A": "symmetric"})
derive(h)
A, x = symmetric(4), vector(4)
s = x @ x
fx = A @ x @ x / s
r = A @ x - fx * x
numeric_check(h.gradient, 2 * r / s, {"A": A, "x": x})
numeric_check(h, 2 * (A - fx * np.eye(4)) / s - 4 * (np.outer(x, r) + np.outer(r, x)) / s**2,
              {"A": A, "x": x})

# %% [markdown]
# ## P26
#
# $f(x) = \frac12 \|A - x x^\top\|_F^2$, $A \in \mathbb{S}^n$. Find the gradient and the Hessian.
#
# *Answer:* $2 (x^\top x) x - 2Ax$ and $2 (x^\top x) I + 4 x x^\top - 2A$.

# %%
h = mc.hessian("1/2 ||A - x x^T||_F^2", wrt="x", assume={"A": "symmetric"})
derive(h)
A, x = symmetric(4), vector(4)
numeric_check(h.gradient, 2 * (x @ x) * x - 2 * A @ x, {"A": A, "x": x})
numeric_check(h, 2 * (x @ x) * np.eye(4) + 4 * np.outer(x, x) - 2 * A, {"A": A, "x": x})

# %% [markdown]
# ## P27
#
# $f(x) = \|x x^\top\|_2$ (spectral norm). Find the gradient and the Hessian.
#
# *Answer:* $f = x^\top x$, so $2x$ and $2I$.

# %%
h = mc.hessian("||x x^T||_2", wrt="x")
derive(h)
x = vector(4)
numeric_check(h.gradient, 2 * x, {"x": x})
numeric_check(h, 2 * np.eye(4), {"x": x})

# %% [markdown]
# ## P28
#
# $\ell_2$-regularized logistic loss $f(x) = \frac1m \sum_i \log(1 + \exp(a_i^\top x)) + \frac\mu2 \|x\|_2^2$. Find the gradient and the Hessian.
#
# *Answer:* $\frac1m A^\top \sigma(Ax) + \mu x$ and $\frac1m A^\top \operatorname{diag}(\sigma(Ax) \odot (1 - \sigma(Ax))) A + \mu I$.

# %%
h = mc.hessian("1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2", wrt="x", shapes={"m": "scalar"})
derive(h)
A, x, mu = matrix(6, 3), vector(3), 0.1
values = {"A": A, "x": x, "m": 6.0, "mu": mu}
s = sigma(A @ x)
numeric_check(h.gradient, A.T @ s / 6 + mu * x, values)
numeric_check(h, A.T @ np.diag(s * (1 - s)) @ A / 6 + mu * np.eye(3), values)

# %% [markdown]
# ## P29
#
# Match $\operatorname{tr} X$, $\operatorname{tr} X^{-1}$, $\det X$, $\ln\det X$ to their gradients.
#
# *Answer:* $I$, $-(X^{-2})^\top$, $\det(X) X^{-\top}$, $X^{-\top}$.
#
# *In words.* $d\operatorname{tr} X = \operatorname{tr} dX = \langle I, dX\rangle$, so the
# trace has the identity as gradient. $d\operatorname{tr}X^{-1} = -\operatorname{tr}(X^{-1} dX X^{-1})
# = -\operatorname{tr}(X^{-2} dX) = \langle -(X^{-2})^\top, dX\rangle$. The determinant:
# $d \det X = \det X \operatorname{tr}(X^{-1} dX)$ (Jacobi's formula), gradient
# $\det(X) X^{-\top}$; dividing by $\det X$, $d\ln\det X = \langle X^{-\top}, dX\rangle$.
# The transposes matter unless $X$ is symmetric.

# %%
X = invertible(4)
Xi = inv(X)
for f, closed in [("tr X", np.eye(4)), ("tr X^-1", -(Xi @ Xi).T),
                  ("det X", det(X) * Xi.T), ("ln det X", Xi.T)]:
    g = mc.gradient(f, wrt="X")
    print(f"{f:9} -> {g}")
    numeric_check(g, closed, {"X": X})

# %%
derive(mc.gradient("tr X^-1", wrt="X"))

# %%
# a student's matching, checked: which answers are right?
student = {"tr X": "I", "tr X^-1": "-X^-2", "det X": "det(X) X^-T", "ln det X": "X^-1"}
verdicts = {}
for f, answer in student.items():
    verdicts[f] = mc.check(f, wrt="X", answer=answer)
    print(f"{f:9} <- {answer:12}  {verdicts[f]}")
assert [bool(v) for v in verdicts.values()] == [True, False, True, False]

# %% [markdown]
# ## P30
#
# $f(t) = \det(A - tI)$. Find $f'$ and $f''$.
#
# *Answer:* $f'(t) = -\det(A - tI) \operatorname{tr}((A - tI)^{-1})$,
# $f''(t) = \det(A - tI)\left(\operatorname{tr}((A - tI)^{-1})^2 - \operatorname{tr}((A - tI)^{-2})\right)$.

# %%
T = {"t": "scalar"}
d1 = mc.derivative("det(A - t I)", wrt="t", shapes=T)
d2 = mc.derivative("det(A - t I)", wrt="t", order=2, shapes=T)
print("f'  =", d1)
print("f'' =", d2)
display(d2)
A, t = invertible(4), 0.3
M = inv(A - t * np.eye(4))
D = det(A - t * np.eye(4))
numeric_check(d1, -D * np.trace(M), {"A": A, "t": t})
numeric_check(d2, D * (np.trace(M) ** 2 - np.trace(M @ M)), {"A": A, "t": t})

# %% [markdown]
# ## P31
#
# $f(X) = \operatorname{tr}(A X^2 B X^{-\top})$. Find $\nabla f$.
#
# *Answer:* $A^\top X^{-1} B^\top X^\top + X^\top A^\top X^{-1} B^\top - X^{-\top} A X^2 B X^{-\top}$.

# %%
g = mc.gradient("tr(A X^2 B X^-T)", wrt="X")
derive(g)
A, B, X = matrix(3, 3), matrix(3, 3), invertible(3)
Xi = inv(X)
numeric_check(g, A.T @ Xi @ B.T @ X.T + X.T @ A.T @ Xi @ B.T - Xi.T @ A @ X @ X @ B @ Xi.T,
              {"A": A, "B": B, "X": X})

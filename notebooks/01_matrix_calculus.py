# %% [markdown]
# # The matrix calculus problem set (section A)
#
# Every problem of section A of the seminar's problem set, solved by matcalc
# by the differential method. For each: the statement, matcalc's derivation
# (rendered in LaTeX, and as plain text), the answer, and two numeric checks:
# `verify()` (central finite differences of $f$ at random points) and the
# closed-form answer of the problem set written in NumPy, evaluated at random
# values and compared with matcalc's result. The functions come from
# `matcalc.problems`, the problem set as data (`by_id`, `select`, `solve`).
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
from matcalc.problems import PROBLEMS, by_id, check_answer, select, solve
from helpers import PRINT_OPTIONS, Draws, commutation, derive, numeric_check, sigma, softmax, vec

np.set_printoptions(**PRINT_OPTIONS)
draw = Draws(seed=2024)

# %% [markdown]
# ## P1
#
# $f(x) = Ax$, $A \in \mathbb{R}^{m \times n}$. Find the Jacobian with respect to $x$ and the derivative with respect to $A$.
#
# *Answer (problems.md):* $J_x = A$; $d_A f[dA] = dA\, x$, i.e. $J_A = x^\top \otimes I_m$ ($m \times mn$).

# %%
J = solve(by_id("P1-x"))
derive(J)
A, x = draw.matrix(3, 4), draw.vector(4)
numeric_check(J, A, {"A": A, "x": x})

# %%
JA = solve(by_id("P1-A"))
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
g = solve(by_id("P2"))
derive(g)
c, x = draw.vector(4), draw.vector(4)
numeric_check(g, c, {"c": c, "x": x})

# %% [markdown]
# ## P3
#
# $f(x) = \frac12 x^\top A x + b^\top x + c$. Find the gradient and the Hessian.
#
# *Answer:* $\frac12 (A + A^\top) x + b$ and $\frac12 (A + A^\top)$; with $A \in \mathbb{S}^n$: $Ax + b$ and $A$.

# %%
g = solve(by_id("P3"))
derive(g)
A, x, b, c = draw.matrix(4, 4), draw.vector(4), draw.vector(4), 0.7
values = {"A": A, "x": x, "b": b, "c": c}
numeric_check(g, (A + A.T) @ x / 2 + b, values)

# %%
h = solve(by_id("P3-hess"))
print(h.explain())
numeric_check(h, (A + A.T) / 2, values)

# %%
gs, hs = solve(by_id("P3-sym")), solve(by_id("P3-sym-hess"))
print("A symmetric:  gradient", gs, "   Hessian", hs)
S = draw.symmetric(4)
numeric_check(gs, S @ x + b, {**values, "A": S})
numeric_check(hs, S, {**values, "A": S})

# %% [markdown]
# ## P4
#
# $f(x) = -\exp(-x^\top x)$. Find the gradient and the Hessian.
#
# *Answer:* $2 e^{-x^\top x} x$ and $2 e^{-x^\top x}(I - 2 x x^\top)$.

# %%
h = solve(by_id("P4-hess"))
derive(h)
x = 0.5 * draw.vector(4)
numeric_check(h.gradient, 2 * np.exp(-x @ x) * x, {"x": x})
numeric_check(h, 2 * np.exp(-x @ x) * (np.eye(4) - 2 * np.outer(x, x)), {"x": x})

# %% [markdown]
# ## P5
#
# $f(x) = \frac12 \|Ax - b\|_2^2$. Find the gradient and the Hessian.
#
# *Answer:* $A^\top(Ax - b)$ and $A^\top A$.

# %%
h = solve(by_id("P5-hess"))
derive(h)
A, x, b = draw.matrix(5, 3), draw.vector(3), draw.vector(5)
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
g = solve(by_id("P6"))
derive(g)
print("holds where:", *g.conditions)
x = draw.vector(4)
numeric_check(g, x / norm(x), {"x": x})

# %% [markdown]
# ## P7
#
# $f(x) = \|Ax\|_2$. Find $\nabla f$.
#
# *Answer:* $A^\top A x / \|Ax\|_2$.

# %%
g = solve(by_id("P7"))
derive(g)
A, x = draw.matrix(5, 3), draw.vector(3)
numeric_check(g, A.T @ A @ x / norm(A @ x), {"A": A, "x": x})

# %% [markdown]
# ## P8
#
# $f(x) = -1 / (1 + x^\top x)$. Find the gradient and the Hessian.
#
# *Answer:* $2x / (1 + x^\top x)^2$ and $2I / (1 + x^\top x)^2 - 8 x x^\top / (1 + x^\top x)^3$.

# %%
h = solve(by_id("P8-hess"))
derive(h)
x = draw.vector(4)
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
g = solve(by_id("P9"))
derive(g)
print(g.differential)
A, x = draw.spd(4) + 0.5 * draw.matrix(4, 4), draw.vector(4)     # a general A with x^T A x > 0
numeric_check(g, (A + A.T) @ x / (x @ A @ x), {"A": A, "x": x})

# %% [markdown]
# ## P10
#
# $f(X) = \det X$. Find $\nabla f$.
#
# *Answer:* $\det(X) X^{-\top}$.

# %%
g = solve(by_id("P10"))
derive(g)
X = draw.invertible(4)
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
h = solve(by_id("P11-hess-general"))
derive(h)
print("H[dX] =", h.map, "   vec form:", h.kron)
X = draw.invertible(3)
numeric_check(h.gradient, inv(X).T, {"X": X})
numeric_check(h, -np.kron(inv(X), inv(X).T) @ commutation(3), {"X": X})

# %%
hs = solve(by_id("P11-hess"))
print("X spd: gradient", hs.gradient, "   H[dX] =", hs.map, "   vec form:", hs.kron)
print(hs.gradient.verify(), hs.verify(), sep="\n")
X, dX = draw.spd(3), draw.symmetric(3)
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
h = solve(by_id("P12-hess"))
derive(h)
A, x, b = draw.matrix(5, 3), draw.vector(3), draw.vector(5)
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
f = by_id("P20").text                   # ln(1 + exp(<a, x>))
g = solve(by_id("P20"))
J = mc.jacobian(f, wrt="x")
H = solve(by_id("P20-hess"))
JG = mc.jacobian(g.expr, wrt="x")        # the Jacobian of the gradient
print("gradient:              ", g)
print("Jacobian of f:         ", J)
print("Jacobian of the gradient:", JG)
print("Hessian:               ", H)
a, x = draw.vector(4), draw.vector(4)
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
X = draw.invertible(4)
closed_forms = [np.eye(4), det(X) * inv(X).T, np.eye(4), det(X) * inv(X).T]
for problem, closed in zip(select(["P14"]), closed_forms):   # sum(eig(X)), prod(eig(X)), tr X, det X
    g = solve(problem)
    print(f"{problem.text:14} ->  {g}")
    numeric_check(g, closed, {"X": X})

# %%
derive(solve(by_id("P14-prod-eig")))

# %% [markdown]
# ## P15
#
# $f(X) = \|X\|_F^2$. Find $\nabla f$.
#
# *Answer:* $2X$.

# %%
g = solve(by_id("P15"))
derive(g)
X = draw.matrix(3, 4)
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
Z, theta = draw.matrix(6, 3), draw.vector(3)
y = (draw.rng.random(6) < 0.5).astype(float)
values = {"Z": Z, "theta": theta, "y": y}
closed = Z.T @ (sigma(Z @ theta) - y)
g = solve(by_id("P16"))
derive(g)
numeric_check(g, closed, values)

# %%
g = mc.gradient("sum(softplus(Z theta)) - y^T Z theta", wrt="theta", shapes=by_id("P16").shapes)
print(g.explain())
numeric_check(g, closed, values)

# %% [markdown]
# ## P17
#
# $f(X) = \operatorname{tr}(AX)$. Find $\nabla f$.
#
# *Answer:* $A^\top$.

# %%
g = solve(by_id("P17"))
derive(g)
A, X = draw.matrix(3, 4), draw.matrix(4, 3)
numeric_check(g, A.T, {"A": A, "X": X})

# %% [markdown]
# ## P18
#
# $f(X) = \langle S, X\rangle - \log\det X$. Find $\nabla f$.
#
# *Answer:* $S - X^{-\top}$.

# %%
g = solve(by_id("P18"))
derive(g)
S, X = draw.matrix(4, 4), draw.spd(4)
numeric_check(g, S - inv(X).T, {"S": S, "X": X})

# %% [markdown]
# ## P19
#
# $f(x) = \ln \langle Ax, x\rangle$, $A \in \mathbb{S}^n_{++}$. Find $\nabla f$.
#
# *Answer:* $2Ax / \langle Ax, x\rangle$ (general $A$: $(A + A^\top)x / \langle Ax, x\rangle$).

# %%
g = solve(by_id("P19"))
derive(g)
A, x = draw.spd(4), draw.vector(4)
numeric_check(g, 2 * A @ x / (A @ x @ x), {"A": A, "x": x})

# %%
g = solve(by_id("P19-general"))
print("general A:", g)
A = draw.spd(4) + 0.5 * draw.matrix(4, 4)
numeric_check(g, (A + A.T) @ x / (A @ x @ x), {"A": A, "x": x})

# %% [markdown]
# ## P20
#
# $f(x) = \ln(1 + \exp\langle a, x\rangle)$. Find the gradient and the Hessian.
#
# *Answer:* $\sigma(a^\top x)\, a$ and $\sigma(a^\top x)(1 - \sigma(a^\top x))\, a a^\top$.

# %%
h = solve(by_id("P20-hess"))
derive(h)
a, x = draw.vector(4), draw.vector(4)
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
h = solve(by_id("P21-hess"))
derive(h)
x = draw.vector(4)
numeric_check(h.gradient, norm(x) * x, {"x": x})
numeric_check(h, norm(x) * np.eye(4) + np.outer(x, x) / norm(x), {"x": x})

# %% [markdown]
# ## P22
#
# $f(X) = \|AX - B\|_F$ with $X \in \mathbb{R}^{k \times n}$, $A \in \mathbb{R}^{m \times k}$, $B \in \mathbb{R}^{m \times n}$. Find $\nabla f$.
#
# *Answer:* $A^\top(AX - B) / \|AX - B\|_F$.

# %%
g = solve(by_id("P22"))
derive(g)
A, X, B = draw.matrix(4, 2), draw.matrix(2, 3), draw.matrix(4, 3)
numeric_check(g, A.T @ (A @ X - B) / norm(A @ X - B), {"A": A, "X": X, "B": B})

# %% [markdown]
# ## P23
#
# One-layer network: $L(W, b) = \frac12 \|\sigma(Wx + b) - y\|_2^2$. Find the gradients with respect to $W$ and $b$.
#
# *Answer:* with $s = \sigma(Wx + b)$ and $\delta = (s - y) \odot s \odot (1 - s)$:
# $\partial L / \partial W = \delta x^\top$, $\partial L / \partial b = \delta$.

# %%
grads = mc.gradient(by_id("P23-W").text, wrt=["W", "b"])   # P23-W and P23-b at once
display(grads)
print(grads["W"].explain())
W, x, b, y = draw.matrix(3, 4), draw.vector(4), draw.vector(3), draw.vector(3)
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
h = solve(by_id("P24-hess"))
derive(h)
x = 0.6 * draw.vector(3)
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
h = solve(by_id("P25-hess"))
derive(h)
A, x = draw.symmetric(4), draw.vector(4)
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
h = solve(by_id("P26-hess"))
derive(h)
A, x = draw.symmetric(4), draw.vector(4)
numeric_check(h.gradient, 2 * (x @ x) * x - 2 * A @ x, {"A": A, "x": x})
numeric_check(h, 2 * (x @ x) * np.eye(4) + 4 * np.outer(x, x) - 2 * A, {"A": A, "x": x})

# %% [markdown]
# ## P27
#
# $f(x) = \|x x^\top\|_2$ (spectral norm). Find the gradient and the Hessian.
#
# *Answer:* $f = x^\top x$, so $2x$ and $2I$.

# %%
h = solve(by_id("P27-hess"))
derive(h)
x = draw.vector(4)
numeric_check(h.gradient, 2 * x, {"x": x})
numeric_check(h, 2 * np.eye(4), {"x": x})

# %% [markdown]
# ## P28
#
# $\ell_2$-regularized logistic loss $f(x) = \frac1m \sum_i \log(1 + \exp(a_i^\top x)) + \frac\mu2 \|x\|_2^2$. Find the gradient and the Hessian.
#
# *Answer:* $\frac1m A^\top \sigma(Ax) + \mu x$ and $\frac1m A^\top \operatorname{diag}(\sigma(Ax) \odot (1 - \sigma(Ax))) A + \mu I$.

# %%
h = solve(by_id("P28-hess"))
derive(h)
A, x, mu = draw.matrix(6, 3), draw.vector(3), 0.1
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
X = draw.invertible(4)
Xi = inv(X)
P29 = select(["P29"])                   # tr X, tr(X^-1), det X, ln det X
for problem, closed in zip(P29, [np.eye(4), -(Xi @ Xi).T, det(X) * Xi.T, Xi.T]):
    g = solve(problem)
    print(f"{problem.text:9} -> {g}")
    numeric_check(g, closed, {"X": X})

# %%
derive(solve(by_id("P29-trinv")))

# %%
# a student's matching, checked: which answers are right?
student = dict(zip([problem.text for problem in P29], ["I", "-X^-2", "det(X) X^-T", "X^-1"]))
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
d1, d2 = solve(by_id("P30")), solve(by_id("P30-2"))
print("f'  =", d1)
print("f'' =", d2)
display(d2)
A, t = draw.invertible(4), 0.3
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
g = solve(by_id("P31"))
derive(g)
A, B, X = draw.matrix(3, 3), draw.matrix(3, 3), draw.invertible(3)
Xi = inv(X)
numeric_check(g, A.T @ Xi @ B.T @ X.T + X.T @ A.T @ Xi @ B.T - Xi.T @ A @ X @ X @ B @ Xi.T,
              {"A": A, "B": B, "X": X})

# %% [markdown]
# ## Section A at once
#
# `matcalc.problems` holds the problem set as data: for every problem and
# sub-question the function, the variable, what to find and the answer of the
# problem set in matcalc's input language. `check_answer` compares matcalc's
# result with that answer (symbolically where the simplifier can tell, else
# numerically at random inputs).

# %%
for problem in PROBLEMS:
    if problem.section == "A":
        result = solve(problem)
        verdict = check_answer(problem, result)
        print(f"{problem.id:17} {'right' if verdict else 'WRONG':6} {result}")
        assert verdict, verdict

# %% [markdown]
# # A tour of matcalc: matrix calculus by the differential method
#
# matcalc differentiates expressions of vectors and matrices the way a seminar
# on matrix calculus does it: it applies the **rules of differentials**, brings
# the result to the **canonical form** $df = \langle G, dX \rangle$ and reads
# off the gradient $G$. Every result shows its derivation, prints as text and
# LaTeX, evaluates with NumPy and checks itself against finite differences.
#
# Notation: $x, a, b$ are column vectors, $A, B, X$ matrices, $t$ a scalar;
# $\langle A, B \rangle = \operatorname{tr}(A^\top B) = \sum_{ij} A_{ij} B_{ij}$.

# %%
import numpy as np
from IPython.display import Math, display

import matcalc as mc
from helpers import PRINT_OPTIONS, Draws, vec

np.set_printoptions(**PRINT_OPTIONS)
draw = Draws(seed=0)

# %% [markdown]
# ## 1. The differential method
#
# The differential of $f$ at $X$ is the part of $f(X + dX) - f(X)$ that is
# linear in the increment $dX$:
#
# $$f(X + dX) = f(X) + df(X)[dX] + o(\|dX\|).$$
#
# For a scalar $f$ the linear map $dX \mapsto df$ is an inner product with a
# fixed matrix $G$ of the shape of $X$:
# $df = \langle G, dX \rangle = \operatorname{tr}(G^\top dX)$, and that $G$ is the
# gradient $\nabla f(X)$. One never differentiates entry by entry: one applies
# a few rules to the expression as a whole, then rearranges $df$ until it
# reads $\langle G, dX \rangle$.
#
# The second differential is the differential of the gradient:
# $d(\nabla f) = H[dX]$ with $H$ the Hessian (a matrix for a vector $x$, a
# linear map of matrices for a matrix $X$), and
# $d^2 f = \langle H[dX_1], dX_2 \rangle$.

# %% [markdown]
# ## 2. The rules
#
# | rule | differential |
# |---|---|
# | constant | $dA = 0$ |
# | linearity | $d(\alpha X + \beta Y) = \alpha\, dX + \beta\, dY$ |
# | product | $d(XY) = dX\, Y + X\, dY$ |
# | transpose | $d(X^\top) = (dX)^\top$ |
# | inner product | $d\langle X, Y\rangle = \langle dX, Y\rangle + \langle X, dY\rangle$ |
# | inverse | $d(X^{-1}) = -X^{-1}\, dX\, X^{-1}$ |
# | trace | $d \operatorname{tr} X = \operatorname{tr} dX$ |
# | determinant | $d \det X = \det X \operatorname{tr}(X^{-1} dX) = \det X \langle X^{-\top}, dX\rangle$ |
# | logarithm | $d \log u = du / u$, so $d \log\det X = \langle X^{-\top}, dX\rangle$ |
# | power | $d(u^c) = c\, u^{c-1}\, du$ |
# | 2-norm | $d\|x\|_2 = \langle x, dx\rangle / \|x\|_2$ $(x \ne 0)$ |
# | elementwise $\varphi$ | $d\,\varphi(X) = \varphi'(X) \odot dX$ (e.g. $d \exp(u) = \exp(u) \odot du$) |
# | chain rule | $d\, f(g(X)) = df(g(X))[\,dg(X)\,]$: apply the rules from the outside in |
#
# matcalc applies them layer by layer and names the rule of every line. The
# elementwise chain rule, for example:

# %%
g = mc.gradient("1^T exp(A x)", wrt="x")   # 1 is the vector of ones
print(g.explain())

# %%
print(mc.gradient("det X", wrt="X").explain())
print()
print(mc.gradient("a^T tanh(X) b", wrt="X").explain())

# %% [markdown]
# ## 3. The canonical form $df = \langle G, dX \rangle$
#
# To read off $G$, move $dX$ to the right of an inner product with
#
# * $\operatorname{tr}(ABC) = \operatorname{tr}(CAB)$ (cyclic trace),
# * $\langle A, BC \rangle = \langle B^\top A, C\rangle = \langle A C^\top, B\rangle$,
# * $\operatorname{tr}(A^\top B) = \langle A, B\rangle$, and $u^\top v = \langle u, v\rangle$ for vectors.
#
# For $f(X) = \operatorname{tr}(A X^{-1} B)$:
# $df = \operatorname{tr}(A\, d(X^{-1})\, B) = -\operatorname{tr}(A X^{-1} dX X^{-1} B)
# = -\operatorname{tr}(X^{-1} B A X^{-1} dX) = \langle -X^{-\top} A^\top B^\top X^{-\top}, dX\rangle$.
#
# Displaying a result in Jupyter renders this derivation in LaTeX, ending in
# the boxed gradient; `explain()` gives the same lines as plain text.

# %%
g = mc.gradient("tr(A X^-1 B)", wrt="X")
g

# %%
print(g.explain())
print()
print(mc.differential("tr(A X^-1 B)", wrt="X"))
print(mc.differential("ln <x, A x>", wrt="x"))

# %% [markdown]
# ## 4. Gradients
#
# Text goes in as you would write it on paper: juxtaposition is a product,
# `^T` a transpose, `^-1` an inverse, `<a, b>` an inner product, `||x||_2` a
# norm, `tr`, `det`, `log`, ... Shapes are inferred (lowercase letters are
# vectors, uppercase ones matrices) and can be given with `shapes=`.

# %%
f = mc.parse("1/2 ||A x - b||_2^2")
print(f, "   shape:", f.shape)
g = mc.gradient(f, wrt="x")
print("gradient:", g)
print("Hessian: ", mc.hessian(f, wrt="x"))

# %%
# a gradient has the shape of its variable; evaluate() takes NumPy values
A, X, B = draw.matrix(2, 3), draw.invertible(3), draw.matrix(3, 2)
G = mc.gradient("tr(A X^-1 B)", wrt="X").evaluate({"A": A, "X": X, "B": B})
print(G)
Xi = np.linalg.inv(X)
print("equals -X^-T A^T B^T X^-T:", np.allclose(G, -Xi.T @ A.T @ B.T @ Xi.T))

# %%
# several variables at once
grads = mc.gradient("1/2 ||sigma(W x + b) - y||_2^2", wrt=["W", "b"])
print(grads)

# %% [markdown]
# ## 5. Hessians
#
# **Vector variable.** The Hessian is the matrix with $d(\nabla f) = H\, dx$.
# The derivation continues past the gradient: differentiate $\nabla f$ and
# read off $H$.

# %%
h = mc.hessian("1/3 ||x||_2^3", wrt="x")
h

# %%
print(h.explain())

# %% [markdown]
# **Matrix variable.** For $f(X) = \log\det X$, $\nabla f = X^{-\top}$ and
# $d(\nabla f) = -X^{-\top} dX^\top X^{-\top}$: the Hessian is the linear map
# $H[dX] = -X^{-\top} dX^\top X^{-\top}$, i.e.
# $d^2 f = -\operatorname{tr}(X^{-1} dX\, X^{-1} dX)$. In vec form
# ($\operatorname{vec}$ stacks columns, $\operatorname{vec}(AXB) = (B^\top \otimes A)\operatorname{vec} X$)
# it is the $n^2 \times n^2$ matrix $-(X^{-1} \otimes X^{-\top}) K$, with $K$ the
# commutation matrix ($K \operatorname{vec} X = \operatorname{vec} X^\top$).

# %%
h = mc.hessian("log det X", wrt="X")
print("the map:          ", h)
print("Kronecker form:   ", h.kron)
display(Math(r"H = " + h.latex))

# %%
n = 3
X = draw.invertible(n)
H = h.evaluate({"X": X})                     # n^2 x n^2, vec layout
dX = draw.matrix(n, n)
Xi = np.linalg.inv(X)
print("H shape:", H.shape)
print("H vec(dX) == vec(-X^-T dX^T X^-T):", np.allclose(H @ vec(dX), vec(-Xi.T @ dX.T @ Xi.T)))
print("vec(dX)^T H vec(dX) == -tr(X^-1 dX X^-1 dX):",
      np.isclose(vec(dX) @ H @ vec(dX), -np.trace(Xi @ dX @ Xi @ dX)))

# %% [markdown]
# With $X$ symmetric positive definite (`assume={"X": "spd"}`) the gradient is
# taken on the space of symmetric matrices and the Hessian is the familiar
# $H[dX] = -X^{-1} dX X^{-1}$. A Hessian-vector product never forms $H$:

# %%
print(mc.hessian("log det X", wrt="X", assume={"X": "spd"}))
print(mc.hvp("log det X", wrt="X", assume={"X": "spd"}))
print(mc.hvp("1/2 ||A x - b||_2^2", wrt="x"))

# %% [markdown]
# ## 6. Jacobians
#
# For a vector or matrix function $F$, $dF = J[dX]$; in vec layout
# $\operatorname{vec}(dF) = J \operatorname{vec}(dX)$ with $J$ of size
# $\operatorname{size}(F) \times \operatorname{size}(X)$.

# %%
for F, wrt in [("A x", "x"), ("A x", "A"), ("A X B", "X"), ("X^-1", "X")]:
    J = mc.jacobian(F, wrt=wrt)
    print(f"{F:6} wrt {wrt}:  dF = {J.map}   J = {J.kron}")

# %%
jac = mc.jacobian("A X B", wrt="X")
A, X, B = draw.matrix(2, 3), draw.matrix(3, 4), draw.matrix(4, 2)
J = jac.evaluate({"A": A, "X": X, "B": B})
print(J.shape, "equals B^T kron A:", np.allclose(J, np.kron(B.T, A)))
jac

# %% [markdown]
# Scalar variables have derivatives of any order:

# %%
T = {"t": "scalar"}
print(mc.derivative("det(A - t I)", wrt="t", shapes=T))
print(mc.derivative("tanh(t)", wrt="t", order=3, shapes=T))

# %% [markdown]
# ## 7. Verification
#
# `verify()` draws random inputs (respecting the assumptions), and compares the
# derivative with central differences of $f$ along every entry of the
# variable (for a Hessian: of the gradient). It returns a report that is
# true when the check passed.

# %%
print(mc.gradient("tr(A X^-1 B)", wrt="X").verify())
print(mc.hessian("log det X", wrt="X").verify())
print(mc.jacobian("X^-1", wrt="X").verify())

# %% [markdown]
# ## 8. Checking a student's answer
#
# `mc.check` says whether an answer is the gradient (or the Hessian), and if
# not, how it is wrong: transposed, off by a factor, right only for
# symmetric matrices, ...

# %%
for f, answer in [("log det X", "X^-1"), ("log det X", "X^-T"), ("tr(A X)", "A"),
                  ("1/2 ||A x - b||_2^2", "2 A^T (A x - b)"), ("tr X^-1", "-X^-2"),
                  ("x^T A x", "2 A x")]:
    wrt = "X" if "X" in f else "x"
    verdict = mc.check(f, wrt=wrt, answer=answer)
    print(f"{f:20} answer {answer:16} -> {verdict}")
    assert bool(verdict) == (answer == "X^-T")
print(mc.check("1/2 x^T A x", wrt="x", answer="A", kind="hessian"))

# %% [markdown]
# ## 9. LaTeX
#
# Every result has `.latex` (the formula) and renders its derivation in
# Jupyter (`_repr_latex_`), as above.

# %%
g = mc.gradient("ln <x, A x>", wrt="x", assume={"A": "spd"})
print(g.latex)
print(mc.differential("ln <x, A x>", wrt="x").latex)
display(Math(r"\nabla f = " + g.latex))

# %%
g

# %% [markdown]
# ## 10. Where a derivative holds
#
# $\|x\|_2$ is not differentiable at $0$, $\log$ needs a positive argument,
# $\|W\|_*$ a matrix of full rank... `conditions` lists what must hold, and
# `verify(at=...)` reports a point where it fails.

# %%
for c in mc.gradient("||x||_2 + log det X + ||W||_*", wrt="x").conditions:
    print(c)
print()
print(mc.gradient("||x||_2", wrt="x").verify(at={"x": np.array([1.0, 2.0])}))
print(mc.gradient("||x||_2", wrt="x").verify(at={"x": np.zeros(2)}))

# %% [markdown]
# ## 11. Assumptions
#
# `assume={"A": "symmetric" | "spd" | "diagonal" | "orthogonal"}` simplifies
# results and makes `verify()` draw values that satisfy them. When the
# *variable* is symmetric, the gradient is the symmetric $G$ with
# $df = \langle G, dX\rangle$ for every symmetric $dX$, i.e.
# $\operatorname{sym}(G) = (G + G^\top)/2$ of the unconstrained one.

# %%
print(mc.gradient("1/2 x^T A x", wrt="x"))
print(mc.gradient("1/2 x^T A x", wrt="x", assume={"A": "symmetric"}))
print(mc.gradient("log det X", wrt="X"))
print(mc.gradient("log det X", wrt="X", assume={"X": "spd"}))
print(mc.gradient("x^T Q^T Q x", wrt="x", assume={"Q": "orthogonal"}))

# %% [markdown]
# Next: [the problem set](01_matrix_calculus.ipynb), [the seminar](02_seminar.ipynb),
# [automatic differentiation](03_autodiff.ipynb).

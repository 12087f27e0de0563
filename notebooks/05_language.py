# %% [markdown]
# # The language beyond the seminar
#
# Constructs that other matrix-calculus tools offer (matrixcalculus.org, SymPy's matrix
# expressions, tensorgrad, DiffMatic.jl, the Matrix Cookbook) and some that none of them
# does, each with its derivative, checked numerically against central finite
# differences at random inputs (`verify`), and its generated code.

# %%
import matcalc as mc

# %% [markdown]
# ## LaTeX as the lecture notes write it
#
# `\Vert x \Vert`, `e^{...}` (Euler's number), `I_n`, `\mathrm{tr}` and
# `\operatorname{diag}` read as they do in the notes; matrixcalculus.org's `norm2(x)`
# and `norm1(x)` too.

# %%
for text in [r"e^{-x^\top x}", r"\Vert A x - b \Vert_2^2", r"\mathrm{tr}(X^\top I_n X)",
             r"x^\top \operatorname{diag}(a) x", "norm2(x) + norm1(x)"]:
    wrt = "X" if "X" in text else "x"
    g = mc.gradient(text, wrt=wrt)
    print(f"{text:45}  grad = {g}   verified: {g.verify().ok}")

# %% [markdown]
# ## Kronecker products, diag compositions and exponents that depend on the variable
#
# d(A kron B) = dA kron B + A kron dB. The gradient is read off with the partial traces,
# the adjoints of M -> M kron I and M -> I kron M: <W, dX kron B> = <tr_2(W (I kron B^T)), dX>
# and <W, A kron dX> = <tr_1((A^T kron I) W), dX>. Where a matrix form exists the result is
# written in it: tr(A kron X) = tr(A) tr(X) has the gradient tr(A) I. The Jacobian of a
# Kronecker product in vec layout uses vec(A kron B) = (I kron K kron I)(vec A kron vec B).

# %%
for text in ["tr(A kron X)", "tr(X kron X)", "||X kron B||_F^2", "<A, X kron B>"]:
    g = mc.gradient(text, wrt="X")
    print(f"{text:18}  grad = {g}   verified: {g.verify().ok}")
J = mc.jacobian("X kron B", wrt="X")
print(f"{'X kron B':18}  J = {J.kron}   verified: {J.verify().ok}")

# %% [markdown]
# Jacobians and Hessians through `diag`, and Jacobians in vec layout that are plain
# matrices (a row-vector function of a vector): no `kron`, `vec` or `K` is left.

# %%
for text in ["diag(A x) x", "diag(diag(A x))", "diag(A diag(x))", "x^T .* x^T", "x^T A"]:
    J = mc.jacobian(text, wrt="x")
    print(f"{text:18}  J = {J.kron}   verified: {J.verify().ok}")
h = mc.hessian("||diag(x) x||_2^2", wrt="x")
print(f"{'||diag(x) x||_2^2':18}  H = {h}   verified: {h.verify().ok}")

# %% [markdown]
# An exponent may depend on the variable: it is a scalar or has the shape of the base, and
# the base must be positive.

# %%
d = mc.derivative("sum(x.^t)", wrt="t", shapes={"t": "scalar"})
print(f"d/dt sum(x.^t) = {d}   where {', '.join(map(str, d.conditions))}   verified: {d.verify().ok}")
g = mc.gradient("1^T x.^x", wrt="x")
print(f"grad 1^T x.^x = {g}   verified: {g.verify().ok}")

# ## Batches, norms and order statistics
#
# `softmax(Z)` and `logsumexp(Z)` of a matrix act on each column (a batch of examples as
# columns; rows by transposing), `mean` averages, and the ones vector before a row builds
# the outer product that broadcasts a bias (`X W + 1 b^T`). One attention head
# `softmax(K^T q / sqrt(d))` has the gradient `K (diag(p) - p p^T) v / sqrt(d)` of
# `v^T p` with respect to q.

# %%
batch = {"W": ("k", "n"), "X": ("n", "m"), "Y": ("k", "m"), "b": "k"}
head = {"K": ("n", "m"), "q": "n", "v": "m", "d": "scalar"}
for text, wrt, shapes in [
        ("-sum(Y .* log(softmax(W X)))", "W", batch),
        ("sum(logsumexp(W X + b 1^T))", "b", batch),
        ("mean((X^T w - y).^2)", "w", {"X": ("n", "m"), "w": "n", "y": "m"}),
        ("v^T softmax(K^T q / sqrt(d))", "q", head),
        ("v^T softmax(K^T q / sqrt(d))", "K", head)]:
    g = mc.gradient(text, wrt=wrt, shapes=shapes)
    print(f"{text:32} wrt {wrt}:  {g}   verified: {g.verify().ok}")

# %% [markdown]
# The max norm, p-norms (p a number or a scalar symbol), `lambda_min`, `max` and `min` are
# differentiable where their extremum is unique; `conditions` says so, `verify()` draws
# points where it holds, and `evaluate` refuses a point where it fails. The gradient of
# `max(x)` is the indicator `ismax(x)` of the largest entry.

# %%
for text, wrt in [("||A x - b||_inf", "x"), ("||x||_3", "x"), ("||x||_p", "x"),
                  ("||x||_p", "p"), ("lambda_min(X)", "X"), ("max(A x)", "x"),
                  ("min(X)", "X"), ("||vec(X)||_inf", "X")]:
    g = mc.gradient(text, wrt=wrt, shapes={"p": "scalar"},
                    assume={"X": "symmetric"} if "lambda" in text else None)
    print(f"{text:16} wrt {wrt}:  {g}   verified: {g.verify().ok}")
print([str(c) for c in mc.conditions("max(x) + ||x||_inf")])
try:
    mc.gradient("max(x)", wrt="x").evaluate({"x": [1.0, 3.0, 3.0]})
except mc.NotDifferentiableError as err:
    print(err)
print(mc.gradient("||x||_inf", wrt="x").numpy_source())

# ## Mixed second derivatives and Jacobians with respect to several variables
#
# `hessian(f, wrt=["x", "y"])` gives the block Hessian: `H["x", "y"]` is the Jacobian of
# grad_x f with respect to y, size(x) x size(y) in vec layout, so `H["y", "x"]` is its
# transpose and `H["x", "x"]` the Hessian with respect to x. A block of matrix variables
# is the linear map `H[dY]` (and its Kronecker form, `.kron`). `full(values)` stacks the
# blocks into the Hessian with respect to (vec x; vec y); `verify()` checks every block
# against central differences of its gradient.

# %%
import numpy as np

H = mc.hessian("1/2 ||A x + B y - c||_2^2", wrt=["x", "y"])
print(H)
print(H.verify())
rng = np.random.default_rng(0)
values = {"A": rng.standard_normal((4, 3)), "B": rng.standard_normal((4, 2)),
          "c": rng.standard_normal(4), "x": rng.standard_normal(3), "y": rng.standard_normal(2)}
M = np.hstack([values["A"], values["B"]])
print("full Hessian = [A B]^T [A B]:", np.allclose(H.full(values), M.T @ M))

# %%
H = mc.hessian("x^T X y", wrt=["x", "X"])
print(H)
print("vec form of H[x, X]:", H["x", "X"].kron, "  of H[X, x]:", H["X", "x"].kron)
print(H.verify())
H

# %%
J = mc.jacobian("sigma(W x + b)", wrt=["W", "b"])
print(J)
print("vec form of J[W]:", J["W"].kron)
print(J.verify())

# ## Matrix functions and symbolic matrix powers
#
# `expm(X)`, `logm(X)` and `sqrtm(X)`: `tr f(X)` has the gradient `f'(X)^T`. Otherwise
# the gradient is written with the Frechet derivative `df(X)[E]`, the part of
# `f(X + E) - f(X)` linear in E: `<A, f(X)>` has the gradient `df(X^T)[A]`. For a
# symmetric X = Q diag(l) Q^T it is `Q (F .* (Q^T E Q)) Q^T`, F the divided differences
# `(f(l_i) - f(l_j)) / (l_i - l_j)` (Daleckii-Krein), and for `expm` of any X the upper
# right block of `expm([[X, E], [0, X]])`. Powers `X^k` with a scalar symbol k are
# differentiated in `tr`, `det` and `log det`.

# %%
for text, assume in [("tr(expm(X))", {}), ("tr(sqrtm(X))", {}), ("<A, expm(X)>", {}),
                     ("a^T logm(X) b", {"X": "spd"}), ("<A, sqrtm(X)>", {"X": "spd"})]:
    g = mc.gradient(text, wrt="X", assume=assume)
    print(f"{text:16} {str(assume):16} grad = {str(g):32} verified: {g.verify().ok}")

# %%
for text in ["tr(X^k)", "det(X^k)", "log det(X^k)"]:
    g = mc.gradient(text, wrt="X", shapes={"k": "scalar"})
    print(f"{text:14} grad = {str(g):20} verified: {g.verify(at={'k': 3}).ok}")

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

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

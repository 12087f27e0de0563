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

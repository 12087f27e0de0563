# %% [markdown]
# # Losses as papers print them
#
# The losses people write in machine-learning and statistics papers, each with the
# form of its gradient or Hessian that a paper prints (`../shared/losses.md`, held as
# data in `matcalc.problems.LOSSES`). For each: matcalc's answer, the paper's form,
# whether they agree (`check_answer`: symbolically where the simplifier can tell,
# else numerically at random inputs that respect the assumptions), and how long each
# prints, in tokens. A loss matcalc cannot derive yet says why.

# %%
import re

import matcalc as mc
from matcalc.problems import LOSSES, check_answer, solve


def tokens(text: str) -> int:
    """Symbols, numbers, operators and brackets: how long a formula reads."""
    return len(re.findall(r"[A-Za-z_][A-Za-z_0-9]*|\d+(?:\.\d+)?|\S", text))


# %% [markdown]
# ## One loss, step by step
#
# The Gaussian negative log-likelihood in the covariance $S \succ 0$:
# $f(S) = \tfrac12 \log\det S + \tfrac12 (x - m)^\top S^{-1} (x - m)$, whose gradient the
# papers print as $\tfrac12 \left(S^{-1} - S^{-1} (x - m)(x - m)^\top S^{-1}\right)$.

# %%
L4S = next(p for p in LOSSES if p.id == "L4S")
g = solve(L4S)
print(g.explain())
print(check_answer(L4S, g))

# %% [markdown]
# ## A network's gradients, with names
#
# A paper writes the gradients of a network with names for the activations $h_k$, the
# residual $r$ and the back-propagated errors $\delta_k$ (losses.md, L20). matcalc names the
# subexpressions that repeat, across the gradients of all the weights; `g[name].expr` is the
# expanded expression, and the printed form, `where` lines and all, reads back (`check`).

# %%
L20 = "1/2 ||W_3 tanh(W_2 tanh(W_1 x)) - y||_2^2"
g = mc.gradient(L20, wrt=["W_1", "W_2", "W_3"])
print(g)
for name in g:
    print(name, mc.check(L20, wrt=name, answer=str(g[name])).correct)

# %% [markdown]
# ## Every loss
#
# The columns: the loss, what is derived, whether matcalc agrees with the paper, and the
# length of each answer in tokens (matcalc's, the paper's).

# %%
rows = []
for loss in LOSSES:
    try:
        result = solve(loss)
    except mc.MatcalcError as err:
        print(f"{loss.id:8} {loss.statement}\n         not yet: {err}\n")
        continue
    verdict = check_answer(loss, result)
    rows.append((loss.id, loss.kind, bool(verdict), tokens(str(result)), tokens(loss.answer)))
    print(f"{loss.id:8} {loss.statement}\n         f = {loss.text}\n"
          f"         matcalc: {str(result).replace(chr(10), chr(10) + ' ' * 18)}\n"
          f"         paper:   {loss.answer}\n"
          f"         {'agree' if verdict else 'DISAGREE: ' + str(verdict)}\n")
    assert verdict, verdict

# %%
print(f"{'loss':8} {'kind':9} {'agree':6} {'matcalc':>8} {'paper':>6}")
for id, kind, agree, ours, paper in rows:
    print(f"{id:8} {kind:9} {'yes' if agree else 'NO':6} {ours:8} {paper:6}"
          + ("   longer than the paper's" if ours > paper else ""))

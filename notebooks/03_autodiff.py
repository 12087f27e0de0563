# %% [markdown]
# # Automatic differentiation and matcalc (section C)
#
# Automatic differentiation (AD) computes exact derivatives of *programs* by
# the chain rule, operation by operation; matcalc derives *formulas*. This
# notebook uses `autograd`, JAX and PyTorch (the `notebooks` extra:
# `pip install -e ".[notebooks]"`), all in float64 on the CPU, and compares
# them with matcalc's closed forms: the values agree, and the closed forms
# are usually faster.
#
# Timings are wall-clock on the machine that executed the notebook (2 CPU
# cores when committed), with one thread for each library (set in the first
# cell), so that the thread pools of NumPy, JAX and PyTorch, which share this
# process, do not compete. Each timing is the best of 5 runs (of 2 for a call
# over 0.25 s) after a warm-up call, so JAX's compilation time is excluded.

# %%
import os

# One thread for each library: NumPy (OpenBLAS), JAX (XLA) and PyTorch share this process,
# and their thread pools would otherwise compete for the same cores and blur the timings.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import time
import warnings
from math import factorial

import numpy as np
import matplotlib.pyplot as plt

import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import torch

import matcalc as mc
from matcalc.problems import by_id, solve
from helpers import PLOT_STYLE, PRINT_OPTIONS, arguments, best_time, max_rel_diff

warnings.filterwarnings("ignore", category=UserWarning)
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
np.set_printoptions(**PRINT_OPTIONS)
plt.rcParams.update(PLOT_STYLE)
print(f"jax {jax.__version__}, torch {torch.__version__}, numpy {np.__version__}")

# %% [markdown]
# ## AD1
#
# The gradient of a Taylor polynomial of $\cos x$ with the `autograd` library,
# compared with $-\sin x$.
#
# $T_N(x) = \sum_{k=0}^{N} (-1)^k \dfrac{x^{2k}}{(2k)!}$; its derivative
# $T_N'(x) = \sum_{k=1}^{N} (-1)^k \dfrac{x^{2k-1}}{(2k-1)!}$ is the Taylor
# polynomial of $-\sin x$, so the error on $[-\pi, \pi]$ falls like $\pi^{2N+1}/(2N+1)!$.

# %%
from autograd import elementwise_grad


def cos_taylor(x, N):
    return sum((-1) ** k * x ** (2 * k) / factorial(2 * k) for k in range(N + 1))


xs = np.linspace(-np.pi, np.pi, 201)
for N in (2, 4, 6, 8, 10):
    d = elementwise_grad(cos_taylor)(xs, N)
    print(f"N = {N:2d}:  max |T_N'(x) + sin x| on [-pi, pi] = {np.max(np.abs(d + np.sin(xs))):.1e}")
d10 = elementwise_grad(cos_taylor)(xs, 10)
assert np.max(np.abs(d10 + np.sin(xs))) < 1e-8

# %%
fig, ax = plt.subplots(figsize=(6, 2.8))
ax.plot(xs, -np.sin(xs), "k", lw=3, alpha=0.3, label="$-\\sin x$")
for N in (1, 2, 3):
    ax.plot(xs, elementwise_grad(cos_taylor)(xs, N), label=f"autograd: $T_{N}'(x)$")
ax.set_ylim(-2, 2); ax.set_xlabel("x"); ax.legend(fontsize=8); ax.set_title("AD1")
plt.show()

# %% [markdown]
# matcalc differentiates the polynomial symbolically (a scalar variable $t$):

# %%
T4 = "1" + "".join(f" {'+-'[k % 2]} 1/{factorial(2 * k)} t^{2 * k}" for k in range(1, 5))
d = mc.derivative(T4, wrt="t", shapes={"t": "scalar"})
print("f  =", d.base)
print("f' =", d)
t = 0.7
print("at t = 0.7:", d.evaluate({"t": t}), " autograd:", elementwise_grad(cos_taylor)(t, 4),
      " -sin:", -np.sin(t))
assert np.isclose(d.evaluate({"t": t}), elementwise_grad(cos_taylor)(t, 4))

# %% [markdown]
# ## AD2
#
# Gradient descent for linear regression,
# $f(w) = \frac{1}{2m}\|Aw - y\|_2^2$ with $A \in \mathbb{R}^{m \times d}$:
# the manual gradient (derived by matcalc) versus autodiff (PyTorch and JAX).
# The data: $m = n$ observations, $d = n/10$ features, $A$ Gaussian and
# $y = A w_\star$, so that $\min f = 0$; the step is $1/L$ with
# $L = \lambda_{\max}(A^\top A)/m$ (by power iteration). We time gradient descent
# from $w = 0$ until $f(w) \le 10^{-9}$, for $n$ in `np.logspace(1, 4, 6)`, 5 runs
# (5 data sets) each.

# %%
LOSS, SHAPES = "1/2 ||A w - y||_2^2 / m", {"m": "scalar"}
g = mc.gradient(LOSS, wrt="w", shapes=SHAPES)
print(g.explain())
# value and gradient from one generated function, sharing A w - y
value_and_grad_matcalc = mc.compile(LOSS, "w", order=1, shapes=SHAPES)
print(mc.compile(LOSS, "w", order=1, shapes=SHAPES, source=True))

# %%
TOL, MAX_ITER = 1e-9, 10_000


def problem(n, seed):
    rng = np.random.default_rng(seed)
    d = max(2, n // 10)
    A = rng.standard_normal((n, d))
    y = A @ rng.standard_normal(d)
    v = rng.standard_normal(d)
    for _ in range(30):                      # power iteration for lambda_max(A^T A)
        v = A.T @ (A @ v)
        v /= np.linalg.norm(v)
    L = np.linalg.norm(A @ v) ** 2 / n
    return A, y, 1.0 / L


def gd_matcalc(A, y, step):
    m = float(len(y))
    w = np.zeros(A.shape[1])
    for k in range(MAX_ITER):
        value, grad = value_and_grad_matcalc(A=A, m=m, w=w, y=y)
        if value <= TOL:
            return w, k
        w = w - step * grad
    raise RuntimeError("no convergence")


def gd_numpy(A, y, step):
    """The same value and gradient A^T (A w - y) / m, typed in by hand."""
    m = len(y)
    w = np.zeros(A.shape[1])
    for k in range(MAX_ITER):
        r = A @ w - y
        if 0.5 * (r @ r) / m <= TOL:
            return w, k
        w = w - step * (A.T @ r) / m
    raise RuntimeError("no convergence")


def gd_torch(A, y, step):
    A, y = torch.from_numpy(A), torch.from_numpy(y)
    w = torch.zeros(A.shape[1], requires_grad=True)
    for k in range(MAX_ITER):
        loss = 0.5 * torch.sum((A @ w - y) ** 2) / len(y)
        if loss.item() <= TOL:
            return w.detach().numpy(), k
        loss.backward()
        with torch.no_grad():
            w -= step * w.grad
        w.grad.zero_()
    raise RuntimeError("no convergence")


@jax.jit
def jax_step(w, A, y, step):
    loss, grad = jax.value_and_grad(lambda w: 0.5 * jnp.sum((A @ w - y) ** 2) / y.shape[0])(w)
    return loss, w - step * grad


def gd_jax(A, y, step):
    A, y = jnp.asarray(A), jnp.asarray(y)
    w = jnp.zeros(A.shape[1])
    for k in range(MAX_ITER):
        loss, w_next = jax_step(w, A, y, step)
        if float(loss) <= TOL:
            return np.asarray(w), k
        w = w_next
    raise RuntimeError("no convergence")


METHODS = {"matcalc": gd_matcalc, "NumPy by hand": gd_numpy,
           "PyTorch autograd": gd_torch, "JAX grad (jit)": gd_jax}

# %%
for gd in METHODS.values():                             # warm-up: imports, first calls
    gd(*problem(10, seed=99))

ns = np.logspace(1, 4, 6).astype(int)
RUNS = 5
times = {name: np.zeros((len(ns), RUNS)) for name in METHODS}
iterations = np.zeros((len(ns), RUNS), dtype=int)
for i, n in enumerate(ns):
    for run in range(RUNS):
        A, y, step = problem(n, seed=run)
        solutions = {}
        A @ (A.T @ y)                                   # touch the data before timing
        order = list(METHODS)[run % 4:] + list(METHODS)[:run % 4]   # rotate who goes first
        for name in order:
            gd = METHODS[name]
            if name == "JAX grad (jit)":               # compile for these shapes first
                jax_step(jnp.zeros(A.shape[1]), jnp.asarray(A), jnp.asarray(y), step)
            start = time.perf_counter()
            solutions[name], k = gd(A, y, step)
            times[name][i, run] = time.perf_counter() - start
        iterations[i, run] = k
        w0 = solutions["NumPy by hand"]
        for name, w in solutions.items():       # all four reach the tolerance, at the same point
            assert 0.5 * np.sum((A @ w - y) ** 2) / n <= 1.001 * TOL, name
            assert np.allclose(w, w0, atol=1e-3), name

print(f"{'n':>6} {'d':>5} {'iters':>6} " + " ".join(f"{name:>17}" for name in METHODS))
for i, n in enumerate(ns):
    print(f"{n:6d} {max(2, n // 10):5d} {int(np.median(iterations[i])):6d} "
          + " ".join(f"{1e3 * np.median(times[name][i]):14.2f} ms" for name in METHODS))
print("(median of", RUNS, "runs; time to reach f <= 1e-9)")

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for name, marker in zip(METHODS, "osd^"):
    med = np.median(times[name], axis=1)
    err = [med - times[name].min(axis=1), times[name].max(axis=1) - med]
    ax.errorbar(ns, med, yerr=err, marker=marker, capsize=3, label=name)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("n (observations; d = n/10 features)")
ax.set_ylabel("time to f(w) <= 1e-9 [s]")
ax.set_title(f"AD2: gradient descent for least squares (median, min-max of {RUNS} runs)")
ax.legend(fontsize=8); ax.grid(True, which="both", alpha=0.3)
plt.show()

# %% [markdown]
# All four run the same iterations (same data, step and start), so the
# differences are the cost of one value and gradient. matcalc's column runs
# the function generated by `mc.compile(f, "w", order=1)` (printed above),
# which computes the residual $Aw - y$ once for both, as the hand-written loop
# does. For small $n$ the fixed overhead per call dominates (Python dispatch, autograd's tape, JAX's dispatch); for
# large $n$ the two matrix-vector products $A w$ and $A^\top r$ dominate and
# the methods converge. The manual gradient needs no tape and no
# recomputation; reverse-mode AD costs a small constant multiple of $f$.

# %% [markdown]
# ## AD3
#
# The 4th derivative of $\tanh$ with JAX, compared with the closed form.
# With $u = \tanh x$: $u' = 1 - u^2$, $u'' = -2u(1 - u^2)$, $u''' = -2 + 8u^2 - 6u^4$ and
# $$u^{(4)} = 16u - 40u^3 + 24u^5 = 8u\,(2 - 5u^2 + 3u^4).$$

# %%
d4 = jax.vmap(jax.grad(jax.grad(jax.grad(jax.grad(jnp.tanh)))))
xs = np.linspace(-4, 4, 401)
u = np.tanh(xs)
closed = 8 * u * (2 - 5 * u**2 + 3 * u**4)
print("max |JAX - closed form| =", f"{np.max(np.abs(np.asarray(d4(xs)) - closed)):.1e}")
assert np.allclose(d4(xs), closed, atol=1e-12)

d = mc.derivative("tanh(t)", wrt="t", order=4, shapes={"t": "scalar"})
print("matcalc:", d)
print(d.verify())
matcalc_values = np.array([d.evaluate({"t": x}) for x in xs[::20]])
print("max |matcalc - closed form| =", f"{np.max(np.abs(matcalc_values - closed[::20])):.1e}")
assert np.allclose(matcalc_values, closed[::20], atol=1e-12)

# %%
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.plot(xs, closed, "k", lw=3, alpha=0.3, label="closed form $8u(2 - 5u^2 + 3u^4)$")
ax.plot(xs, d4(xs), "--", label="JAX: grad(grad(grad(grad(tanh))))")
ax.set_xlabel("x"); ax.legend(fontsize=8); ax.set_title("AD3: $\\tanh^{(4)}$")
plt.show()

# %% [markdown]
# ## AD4-AD7: matcalc's closed forms versus autodiff
#
# | id | f | derivative | matcalc |
# |---|---|---|---|
# | AD4 | $\frac12 x^\top A x + b^\top x + c$ | Hessian | $\frac12(A + A^\top)$ |
# | AD5 | $\operatorname{tr}(AXB)$ | gradient wrt $X$ | $A^\top B^\top$ |
# | AD6 | $\frac12\|Ax - b\|_2^2$ | gradient, Hessian | $A^\top(Ax - b)$, $A^\top A$ |
# | AD7 | $\ln(1 + \exp\langle a, x\rangle)$ | gradient, Hessian | $\sigma(a^\top x)\,a$, $\sigma(1 - \sigma)\,a a^\top$ |
#
# First the derivations, then for each the values of matcalc, JAX
# (`jax.grad` / `jax.hessian`, jitted) and PyTorch (`torch.func.grad` /
# `torch.func.hessian`) at the same random inputs, then the timings for
# growing $n$ ($A$ is $n \times n$, $X$ is $n \times n$).

# %%
TASKS = {}   # name -> (matcalc result, jax function, torch function, variable, inputs)


def inputs(n, seed=0):
    rng = np.random.default_rng(seed)
    return {"A": rng.standard_normal((n, n)) / np.sqrt(n), "B": rng.standard_normal((n, n)) / np.sqrt(n),
            "X": rng.standard_normal((n, n)), "x": rng.standard_normal(n), "a": rng.standard_normal(n) / np.sqrt(n),
            "b": rng.standard_normal(n), "c": 0.5}


def task(name, result, f_jax, f_torch, kind, wrt, names):
    derivative_jax = jax.jit((jax.hessian if kind == "hessian" else jax.grad)(f_jax, argnums=0))
    derivative_torch = (torch.func.hessian if kind == "hessian" else torch.func.grad)(f_torch, argnums=0)
    TASKS[name] = (result, derivative_jax, derivative_torch, wrt, names)
    print(f"{name}: {kind} of {result.source if result.source is not None else result.base}:  {result}")
    print(result.numpy_source())


# %% [markdown]
# ## AD4
#
# The Hessian of $\frac12 x^\top A x + b^\top x + c$.

# %%
h = mc.hessian("1/2 x^T A x + b^T x + c", wrt="x")
print(h.explain())
task("AD4 Hessian", h,
     lambda x, A, b, c: 0.5 * x @ A @ x + b @ x + c,
     lambda x, A, b, c: 0.5 * x @ A @ x + b @ x + c, "hessian", "x", ("A", "b", "c"))

# %% [markdown]
# ## AD5
#
# The gradient of $\operatorname{tr}(AXB)$ with respect to $X$.

# %%
g = mc.gradient("tr(A X B)", wrt="X")
print(g.explain())
task("AD5 gradient", g,
     lambda X, A, B: jnp.trace(A @ X @ B),
     lambda X, A, B: torch.trace(A @ X @ B), "gradient", "X", ("A", "B"))

# %% [markdown]
# ## AD6
#
# The gradient and the Hessian of $\frac12\|Ax - b\|_2^2$.

# %%
h = mc.hessian("1/2 ||A x - b||_2^2", wrt="x")
print(h.explain())
f6_jax = lambda x, A, b: 0.5 * jnp.sum((A @ x - b) ** 2)
f6_torch = lambda x, A, b: 0.5 * torch.sum((A @ x - b) ** 2)
task("AD6 gradient", h.gradient, f6_jax, f6_torch, "gradient", "x", ("A", "b"))
task("AD6 Hessian", h, f6_jax, f6_torch, "hessian", "x", ("A", "b"))

# %% [markdown]
# ## AD7
#
# The gradient and the Hessian of $\ln(1 + \exp\langle a, x\rangle)$.

# %%
h = mc.hessian("ln(1 + exp(<a, x>))", wrt="x")
print(h.explain())
f7_jax = lambda x, a: jnp.log1p(jnp.exp(a @ x))
f7_torch = lambda x, a: torch.log1p(torch.exp(a @ x))
task("AD7 gradient", h.gradient, f7_jax, f7_torch, "gradient", "x", ("a",))
task("AD7 Hessian", h, f7_jax, f7_torch, "hessian", "x", ("a",))

# %% [markdown]
# ### AD4-AD7: the values agree

# %%
values = inputs(50, seed=1)
print(f"{'task':14} {'shape':>10} {'matcalc vs JAX':>15} {'matcalc vs torch':>17}")
for name, (result, d_jax, d_torch, wrt, names) in TASKS.items():
    args = [values[wrt]] + [values[k] for k in names]
    fn = result.to_numpy()
    ours = np.asarray(fn(**arguments(fn, values)), dtype=float)
    theirs_jax = np.asarray(d_jax(*args))
    theirs_torch = d_torch(*[torch.as_tensor(v) for v in args]).numpy()
    e_jax, e_torch = max_rel_diff(ours, theirs_jax), max_rel_diff(ours, theirs_torch)
    print(f"{name:14} {str(ours.shape):>10} {e_jax:15.1e} {e_torch:17.1e}")
    assert ours.shape == theirs_jax.shape == theirs_torch.shape
    assert e_jax < 1e-12 and e_torch < 1e-12

# %% [markdown]
# matcalc's closed forms also come as PyTorch code: `result.to_torch()` takes float64
# tensors, agrees with `torch.func` to rounding, and runs on a batch of points under
# `torch.func.vmap` (here 8 points at once, each checked against its own `torch.func` call).

# %%
batch = [inputs(50, seed=s) for s in range(8)]
print(f"{'task':14} {'to_torch vs torch.func':>23} {'vmap, 8 points':>15}")
for name, (result, d_jax, d_torch, wrt, names) in TASKS.items():
    fn = result.to_torch()
    stacked = [torch.stack([torch.as_tensor(v[k]) for v in batch]) for k in fn.args]
    batched = torch.func.vmap(fn)(*stacked)
    theirs = [d_torch(*[torch.as_tensor(v[k]) for k in (wrt, *names)]) for v in batch]
    e_one = max_rel_diff(fn(*[s[0] for s in stacked]).numpy(), theirs[0].numpy())
    e_batch = max(max_rel_diff(b.numpy(), t.numpy()) for b, t in zip(batched, theirs))
    print(f"{name:14} {e_one:23.1e} {e_batch:15.1e}")
    assert e_one < 1e-12 and e_batch < 1e-12

# %% [markdown]
# ### AD4-AD7: timings for growing $n$

# %%
sizes = [10, 30, 100, 300, 1000]
columns = ["matcalc", "NumPy by hand", "JAX (jit)", "PyTorch"]
BY_HAND = {   # the closed forms typed in NumPy: the floor for generated code
    "AD4 Hessian": lambda x, A, b, c: 0.5 * (A + A.T),
    "AD5 gradient": lambda X, A, B: A.T @ B.T,
    "AD6 gradient": lambda x, A, b: A.T @ (A @ x - b),
    "AD6 Hessian": lambda x, A, b: A.T @ A,
    "AD7 gradient": lambda x, a: a / (1 + np.exp(-(a @ x))),
    "AD7 Hessian": lambda x, a: (lambda s: s * (1 - s) * np.outer(a, a))(1 / (1 + np.exp(-(a @ x)))),
}
timings = {name: np.zeros((len(sizes), len(columns))) for name in TASKS}
for j, n in enumerate(sizes):
    values = inputs(n)
    for name, (result, d_jax, d_torch, wrt, names) in TASKS.items():
        keys = (wrt, *names)
        args = [values[k] for k in keys]
        jax_args = [jnp.asarray(v) for v in args]
        torch_args = [torch.as_tensor(v) for v in args]
        ours = result.to_numpy()
        kwargs = arguments(ours, values)
        timings[name][j] = [
            best_time(lambda: ours(**kwargs)),
            best_time(lambda: BY_HAND[name](*args)),
            best_time(lambda: d_jax(*jax_args).block_until_ready()),
            best_time(lambda: d_torch(*torch_args)),
        ]

for name, table in timings.items():
    print(f"{name}  (time of one call; ratio = JAX / matcalc, PyTorch / matcalc)")
    print(f"{'n':>6}" + "".join(f"{c:>15}" for c in columns) + f"{'JAX/mc':>9}{'torch/mc':>9}")
    for n, row in zip(sizes, table):
        print(f"{n:6d}" + "".join(f"{1e6 * t:12.1f} us" for t in row)
              + f"{row[2] / row[0]:9.2f}{row[3] / row[0]:9.2f}")
    print()

# %%
fig, axes = plt.subplots(2, 3, figsize=(10, 6), sharex=True)
for ax, (name, table) in zip(axes.ravel(), timings.items()):
    for k, (column, marker) in enumerate(zip(columns, "osd^")):
        ax.plot(sizes, table[:, k], marker=marker, label=column)
    ax.set_xscale("log"); ax.set_yscale("log"); ax.set_title(name)
    ax.grid(True, which="both", alpha=0.3)
for ax in axes[1]:
    ax.set_xlabel("n")
for ax in axes[:, 0]:
    ax.set_ylabel("seconds per call")
axes[0, 0].legend(fontsize=8)
fig.suptitle("AD4-AD7: closed forms (matcalc) vs autodiff, best of 5 runs (2 over 0.25 s)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The closed forms do less work than autodiff: the Hessian of a quadratic is
# $\frac12(A + A^\top)$, with no differentiation at run time, whereas
# `jax.hessian` and `torch.func.hessian` run $n$ Hessian-vector products
# (forward-over-reverse, vectorized). For the gradients both are a few
# matrix products and the difference is mostly the fixed overhead per call.
# Where the work is elementwise (the rank-one Hessian of AD7 at large $n$),
# jitted JAX can match or beat NumPy: XLA fuses the operations into one pass,
# while NumPy writes a temporary array for each.

# %% [markdown]
# ## AD8
#
# $x = A^{-1} b$ inside a loss $L(x)$: given $g = \partial L/\partial x$, find
# $\partial L/\partial A = -A^{-\top} g x^\top$ and $\partial L/\partial b = A^{-\top} g$.
#
# With the differential method: $dx = d(A^{-1}) b + A^{-1} db = -A^{-1} dA\, x + A^{-1} db$, so
# $dL = \langle g, dx\rangle = \langle -A^{-\top} g x^\top, dA\rangle + \langle A^{-\top} g, db\rangle$.
# As matcalc problems: the gradients of $\langle g, A^{-1} b\rangle$ with respect to $A$ and $b$
# ($-A^{-\top} g b^\top A^{-\top} = -A^{-\top} g x^\top$). This is the adjoint rule a
# reverse-mode AD system uses for `solve`: one extra solve with $A^\top$ (the
# same LU factorization), never an inverse.

# %%
grads = mc.gradient(by_id("AD8-A").text, wrt=["A", "b"])   # AD8-A and AD8-b at once
print(grads)
print(grads["A"].explain())
print(grads.verify())

rng = np.random.default_rng(8)
n = 5
A, b, gv = np.eye(n) + 0.3 * rng.standard_normal((n, n)), rng.standard_normal(n), rng.standard_normal(n)
x = np.linalg.solve(A, b)
lam = np.linalg.solve(A.T, gv)              # A^-T g
ours = grads.evaluate({"g": gv, "A": A, "b": b})
L = lambda A, b: jnp.dot(gv, jnp.linalg.solve(A, b))
dA, db = jax.grad(L, argnums=(0, 1))(A, b)
print("dL/dA: matcalc vs -A^-T g x^T:", f"{max_rel_diff(ours['A'], -np.outer(lam, x)):.1e}",
      "  vs JAX:", f"{max_rel_diff(ours['A'], dA):.1e}")
print("dL/db: matcalc vs A^-T g:     ", f"{max_rel_diff(ours['b'], lam):.1e}",
      "  vs JAX:", f"{max_rel_diff(ours['b'], db):.1e}")
assert max_rel_diff(ours["A"], -np.outer(lam, x)) < 1e-12 and max_rel_diff(ours["A"], dA) < 1e-12
assert max_rel_diff(ours["b"], lam) < 1e-12 and max_rel_diff(ours["b"], db) < 1e-12

# %% [markdown]
# ## AD9
#
# The nuclear-norm regularizer $R(W) = \operatorname{tr}\Sigma = \|W\|_*$ for
# $W = U\Sigma V^\top$ (thin SVD): $\partial R/\partial W = U V^\top$ (full rank,
# distinct singular values).
#
# Why: $dW = dU\,\Sigma V^\top + U\,d\Sigma\,V^\top + U \Sigma\, dV^\top$, and
# $\langle UV^\top, dW\rangle = \operatorname{tr}(d\Sigma) + \operatorname{tr}(U^\top dU\, \Sigma) + \operatorname{tr}(\Sigma\, dV^\top V)$;
# $U^\top dU$ and $V^\top dV$ are antisymmetric (from $U^\top U = I$, $V^\top V = I$),
# so their traces against the diagonal $\Sigma$ vanish: $dR = \operatorname{tr}\, d\Sigma = \langle UV^\top, dW\rangle$.
# matcalc prints $UV^\top$ as $\operatorname{polar}(W)$, the orthogonal factor of the polar
# decomposition $W = \operatorname{polar}(W)\,(W^\top W)^{1/2}$.

# %%
g = solve(by_id("AD9"))
print(g.explain())
print("holds where:", *g.conditions)
print(g.verify())

W = np.random.default_rng(9).standard_normal((5, 3))
U, s, Vt = np.linalg.svd(W, full_matrices=False)
ours = g.evaluate({"W": W})
theirs_jax = jax.grad(lambda W: jnp.sum(jnp.linalg.svd(W, compute_uv=False)))(W)
Wt = torch.tensor(W, requires_grad=True)
torch.linalg.matrix_norm(Wt, ord="nuc").backward()
print("singular values:", s)
print("matcalc vs U V^T:", f"{max_rel_diff(ours, U @ Vt):.1e}",
      "  vs JAX:", f"{max_rel_diff(ours, theirs_jax):.1e}",
      "  vs PyTorch:", f"{max_rel_diff(ours, Wt.grad.numpy()):.1e}")
assert max_rel_diff(ours, U @ Vt) < 1e-10 and max_rel_diff(ours, theirs_jax) < 1e-10
assert max_rel_diff(ours, Wt.grad.numpy()) < 1e-10

# %% [markdown]
# ## AD10
#
# Forward versus reverse mode. A program is a graph of elementary operations.
# Take $F: \mathbb{R}^2 \to \mathbb{R}^3$,
# $v_1 = x_1 x_2$, $v_2 = \sin x_1$, $y_1 = v_1 + v_2$, $y_2 = v_1^2$, $y_3 = e^{v_2}$:

# %%
nodes = {"x1": (0, 2), "x2": (0, 0), "v1 = x1 x2": (1.4, 1.6), "v2 = sin x1": (1.4, 0.4),
         "y1 = v1 + v2": (2.9, 2.2), "y2 = v1^2": (2.9, 1.0), "y3 = exp v2": (2.9, -0.2)}
edges = [("x1", "v1 = x1 x2"), ("x2", "v1 = x1 x2"), ("x1", "v2 = sin x1"),
         ("v1 = x1 x2", "y1 = v1 + v2"), ("v2 = sin x1", "y1 = v1 + v2"),
         ("v1 = x1 x2", "y2 = v1^2"), ("v2 = sin x1", "y3 = exp v2")]
fig, ax = plt.subplots(figsize=(7.5, 3.4))
for a, b in edges:
    ax.annotate("", xy=nodes[b], xytext=nodes[a],
                arrowprops=dict(arrowstyle="->", shrinkA=18, shrinkB=26, color="gray"))
for label, (px, py) in nodes.items():
    color = "#cde" if label.startswith("x") else "#fdc" if label.startswith("y") else "#eee"
    ax.text(px, py, label, ha="center", va="center", bbox=dict(boxstyle="round", fc=color))
ax.text(-0.4, -0.9, "forward mode: seed dx, push tangents left to right (one pass per input)")
ax.text(-0.4, -1.3, "reverse mode: seed dy, pull adjoints right to left (one pass per output)")
ax.set_xlim(-0.5, 3.6); ax.set_ylim(-1.5, 2.6); ax.axis("off"); ax.set_title("AD10: a computational graph")
plt.show()


# %% [markdown]
# * **Forward mode** (JVP) carries a tangent $\dot v = dv/dx \cdot \dot x$ along
#   with every value, from the inputs to the outputs: one pass gives
#   $J\dot x$, one column of the Jacobian per seed $\dot x = e_j$. The full
#   Jacobian costs $n$ passes (inputs), each a small multiple ($\le 3$) of
#   the cost of $F$, and no extra memory.
# * **Reverse mode** (VJP, backpropagation) runs $F$ forward, records the
#   graph, then carries adjoints $\bar v = \bar y^\top \partial y/\partial v$
#   backwards: one pass gives $\bar y^\top J$, one row per seed $\bar y = e_i$.
#   The full Jacobian costs $m$ passes (outputs), each a small multiple
#   ($\le 4$) of the cost of $F$, and memory for the recorded values.
#
# So: **few inputs, many outputs** ($n \ll m$): forward mode; **many inputs,
# few outputs** ($n \gg m$), above all a scalar loss ($m = 1$, the gradient in
# one backward pass, "the cheap gradient principle"): reverse mode. JAX has
# both, `jax.jacfwd` and `jax.jacrev`:

# %%
def F(x, W):
    return jnp.tanh(W @ jnp.sin(x))


rng = np.random.default_rng(10)
print(f"{'n inputs':>9} {'m outputs':>10} {'jacfwd':>12} {'jacrev':>12}")
for n, m in [(4, 2000), (2000, 4)]:
    x, W = jnp.asarray(rng.standard_normal(n)), jnp.asarray(rng.standard_normal((m, n)))
    fwd, rev = jax.jit(jax.jacfwd(F)), jax.jit(jax.jacrev(F))
    assert np.allclose(fwd(x, W), rev(x, W))
    t_fwd = best_time(lambda: fwd(x, W).block_until_ready())
    t_rev = best_time(lambda: rev(x, W).block_until_ready())
    print(f"{n:9d} {m:10d} {1e3 * t_fwd:9.3f} ms {1e3 * t_rev:9.3f} ms")

# %% [markdown]
# matcalc is neither: it derives the Jacobian or gradient *symbolically*
# once, and the formula is then evaluated at any point at the cost of
# its own operations (for $\frac12 x^\top A x$, the Hessian
# $\frac12(A + A^\top)$ costs no differentiation at all).

#!/usr/bin/env python
"""matcalc benchmarks: a script, not a test. Run from the repository root:

    pip install -e ".[bench]"
    python benchmarks/bench.py            # about 3 minutes on 2 cores; writes benchmarks/results.md
    python benchmarks/bench.py --quick    # n = 10 only, a smoke run

What it measures, all in one process, float64, the same inputs for everyone:

1. Evaluation: matcalc's generated NumPy code (to_numpy of the gradient,
   the Hessian, the Hessian-vector product) against hand-written closed-form
   NumPy, jitted ``jax.grad`` / ``jax.hessian`` / ``jax.jvp`` (compile time
   reported apart) and ``torch.func.grad`` / ``hessian`` / ``jvp``, and matcalc's
   generated torch code (to_torch, compile(..., backend="torch")) against that
   torch.func autodiff of hand-written torch f, for P3, P5,
   P12, P28 (n = 10, 100, 1000; A is n x n) and the HVP of P11 (X spd,
   n = 10, 100, 300): medians of ``timeit`` repeats, ratios, and the largest
   absolute difference from the hand-written result. ``f+g+H`` rows time
   ``mc.compile`` (value, gradient and Hessian from one call, common
   subexpressions shared) against the three hand-written functions.
2. Derivation: every problem of the problem set (matcalc/problems.py), first
   derivations with all caches emptied before each (matcalc's but the parser's,
   and SymPy's; the median of three such runs) and the median of repeats; then
   matcalc's gradient and Hessian against SymPy's ``MatrixSymbol`` ``.diff`` on
   the same problems, first calls (caches emptied on both sides) and medians of
   repeats; SymPy's answers are checked numerically at n = 3 and marked when
   wrong or not a matrix. Then the derivation time against n (shapes given as
   numbers).
3. ``import matcalc`` and the first ``gradient`` call, in fresh subprocesses.

Threads: one by default, for a fair comparison (``--threads N`` to change):
OMP/OPENBLAS/MKL_NUM_THREADS are set before NumPy is imported and
threadpoolctl limits the BLAS too; torch.set_num_threads; for XLA
``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` (if
this JAX accepts it, probed in a subprocess). The BLAS, its kernel and its
threads are reported (threadpoolctl). OPENBLAS_CORETYPE is left as found.
A library that is not installed gives "n/a" in its columns, never a crash.
"""
from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS/XLA/torch threads (default 1)")
    p.add_argument("--quick", action="store_true", help="n = 10 only, fewer repeats")
    p.add_argument("--out", default=os.path.join(HERE, "results.md"))
    return p.parse_args()


ARGS = parse_args() if __name__ == "__main__" else argparse.Namespace(threads=1, quick=True,
                                                                        out=None)
XLA_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _configure_threads(threads: int) -> str:
    """Set thread counts in the environment before NumPy, JAX or torch is imported."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if threads != 1:
        return "XLA default threads"
    probe = subprocess.run([sys.executable, "-c", "import jax.numpy as j; j.ones(2).sum()"],
                           env={**os.environ, "XLA_FLAGS": XLA_THREAD_FLAGS},
                           capture_output=True, timeout=120)
    if probe.returncode == 0:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + XLA_THREAD_FLAGS).strip()
        return f"XLA_FLAGS={XLA_THREAD_FLAGS}"
    return "XLA threads not limited (JAX missing or flags refused)"


XLA_NOTE = _configure_threads(ARGS.threads)
LOAD_AT_START = os.getloadavg()

import statistics  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, ROOT)
import matcalc as mc  # noqa: E402
from matcalc.backends.code import numpy_source, to_numpy  # noqa: E402
from matcalc import problems as catalogue  # noqa: E402

try:
    import threadpoolctl
    _LIMITS = threadpoolctl.threadpool_limits(ARGS.threads)
except ImportError:
    threadpoolctl = None

try:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = jnp = None

try:
    import torch
    import torch.func
    torch.set_num_threads(ARGS.threads)
except ImportError:
    torch = None

try:
    import sympy as sp
except ImportError:
    sp = None

NA = "n/a"


# ---- timing ------------------------------------------------------------------------------

def calibrate(fn, min_batch):
    """Calls per batch so that a batch takes at least min_batch seconds."""
    fn()
    timer, number = timeit.Timer(fn), 1
    while True:
        t = timer.timeit(number)
        if t >= min_batch or number >= 1 << 20:
            return timer, number, t / number
        number *= 2 if t * 4 > min_batch else 8


def median_times(fns: dict, min_batch=0.05, repeat=7) -> dict:
    """Median seconds per call of each fn(), the batches of all fns interleaved (so that
    a drift of the machine's speed does not favour whichever runs first)."""
    timers = {name: calibrate(fn, min_batch) for name, fn in fns.items()}
    if max(t for _, _, t in timers.values()) > 0.5:
        repeat = 3
    if ARGS.quick:
        repeat = min(repeat, 3)
    samples = {name: [] for name in fns}
    for _ in range(repeat):
        for name, (timer, number, _) in timers.items():
            samples[name].append(timer.timeit(number) / number)
    return {name: statistics.median(v) for name, v in samples.items()}


def median_time(fn, **kw):
    return median_times({"fn": fn}, **kw)["fn"]


def fmt_time(seconds):
    if seconds is None:
        return NA
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(a, b):
    if a is None or b is None:
        return NA
    return f"{a / b:.2f}"


def fmt_diff(d):
    return NA if d is None else f"{d:.1e}"


def max_diff(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


# ---- the problems ------------------------------------------------------------------------

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def spd(rng, n):
    G = rng.standard_normal((n, n))
    return np.eye(n) + G @ G.T / n


class Problem:
    """One benchmark problem: a case of matcalc.problems (its text, variable, shapes and
    assumptions), inputs, hand-written NumPy, JAX and torch f."""

    def __init__(self, id, sizes, inputs, hand, jax_f=None, torch_f=None,
                 kinds=("grad", "hess"), sympy=None):
        case = catalogue.case(id)
        self.id, self.text, self.wrt, self.sizes = id, case.text, case.wrt, sizes
        self.inputs, self.hand, self.jax_f, self.torch_f = inputs, hand, jax_f, torch_f
        self.shapes, self.assume, self.kinds, self.sympy = case.shapes, case.assume, kinds, sympy


def p3_inputs(rng, n):
    return {"A": rng.standard_normal((n, n)), "b": rng.standard_normal(n),
            "c": 0.5, "x": rng.standard_normal(n)}


def p5_inputs(rng, n):
    return {"A": rng.standard_normal((n, n)) / np.sqrt(n), "b": rng.standard_normal(n),
            "x": rng.standard_normal(n)}


def p12_inputs(rng, n):
    return {"A": rng.standard_normal((n, n)) / np.sqrt(n), "b": rng.standard_normal(n),
            "x": rng.standard_normal(n)}


def p28_inputs(rng, n):
    return {"A": rng.standard_normal((n, n)) / np.sqrt(n), "x": rng.standard_normal(n),
            "m": float(n), "mu": 0.1}


def p11_inputs(rng, n):
    G = rng.standard_normal((n, n))
    return {"X": spd(rng, n), "V": (G + G.T) / 2}


def hand_p3():
    def f(A, b, c, x):
        return 0.5 * x @ A @ x + b @ x + c

    def grad(A, b, c, x):
        return 0.5 * (A @ x + A.T @ x) + b

    def hess(A, b, c, x):
        return 0.5 * (A + A.T)
    return {"f": f, "grad": grad, "hess": hess}


def hand_p5():
    def f(A, b, x):
        r = A @ x - b
        return 0.5 * r @ r

    def grad(A, b, x):
        return A.T @ (A @ x - b)

    def hess(A, b, x):
        return A.T @ A
    return {"f": f, "grad": grad, "hess": hess}


def hand_p12():
    def softmax(z):
        w = np.exp(z - z.max())
        return w / w.sum()

    def f(A, b, x):
        z = A @ x + b
        m = z.max()
        return m + np.log(np.sum(np.exp(z - m)))

    def grad(A, b, x):
        return A.T @ softmax(A @ x + b)

    def hess(A, b, x):
        p = softmax(A @ x + b)
        g = A.T @ p
        return (A.T * p) @ A - np.outer(g, g)
    return {"f": f, "grad": grad, "hess": hess}


def hand_p28():
    def f(A, m, mu, x):
        return np.sum(np.logaddexp(0.0, A @ x)) / m + 0.5 * mu * (x @ x)

    def grad(A, m, mu, x):
        return A.T @ sigmoid(A @ x) / m + mu * x

    def hess(A, m, mu, x):
        s = sigmoid(A @ x)
        return (A.T * (s * (1 - s) / m)) @ A + mu * np.eye(len(x))
    return {"f": f, "grad": grad, "hess": hess}


def hand_p11():
    def hvp(V, X):
        Xi = np.linalg.inv(X)
        return -Xi @ V @ Xi
    return {"hvp": hvp}


# f(variable, *constants) for JAX and torch, constants in sorted order without the variable
def jax_fs():
    if jax is None:
        return {}
    return {
        "P3": lambda x, A, b, c: 0.5 * x @ A @ x + b @ x + c,
        "P5": lambda x, A, b: 0.5 * jnp.sum((A @ x - b) ** 2),
        "P12": lambda x, A, b: jax.nn.logsumexp(A @ x + b),
        "P28": lambda x, A, m, mu: jnp.sum(jnp.logaddexp(0.0, A @ x)) / m + 0.5 * mu * x @ x,
        "P11": lambda X: jnp.linalg.slogdet(X)[1],
    }


def torch_fs():
    if torch is None:
        return {}
    return {
        "P3": lambda x, A, b, c: 0.5 * x @ A @ x + b @ x + c,
        "P5": lambda x, A, b: 0.5 * torch.sum((A @ x - b) ** 2),
        "P12": lambda x, A, b: torch.logsumexp(A @ x + b, 0),
        "P28": lambda x, A, m, mu: (torch.logaddexp(torch.zeros(()), A @ x).sum() / m
                                    + 0.5 * mu * x @ x),
        "P11": lambda X: torch.linalg.slogdet(X)[1],
    }


VECTOR_SIZES = (10,) if ARGS.quick else (10, 100, 1000)
MATRIX_SIZES = (10,) if ARGS.quick else (10, 100, 300)

PROBLEMS = [
    Problem("P3", VECTOR_SIZES, p3_inputs, hand_p3()),
    Problem("P5", VECTOR_SIZES, p5_inputs, hand_p5()),
    Problem("P12", VECTOR_SIZES, p12_inputs, hand_p12()),
    Problem("P28", VECTOR_SIZES, p28_inputs, hand_p28()),
    Problem("P11", MATRIX_SIZES, p11_inputs, hand_p11(), kinds=("hvp",)),   # X spd
]


# ---- 1. evaluation ------------------------------------------------------------------------

def derive(p):
    """The generated functions (gradient, Hessian or HVP, and compile) and engine notes."""
    out, notes = {}, []
    for kind in p.kinds:
        try:
            if kind == "grad":
                r = mc.gradient(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)
            elif kind == "hess":
                r = mc.hessian(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume)
            else:
                r = mc.hvp(p.text, wrt=p.wrt, shapes=p.shapes, assume=p.assume, direction="V")
            out[kind] = to_numpy(r)
            out[kind + ":text"] = str(r)
            if torch is not None:
                out[kind + ":torch"] = mc.to_torch(r)
        except Exception as e:        # an engine limitation: reported, not fatal
            notes.append(f"{p.id} {kind}: {type(e).__name__}: {e}")
    if "hess" in p.kinds:
        try:
            out["fgh"] = mc.compile(p.text, p.wrt, shapes=p.shapes, assume=p.assume)
            if torch is not None:
                out["fgh:torch"] = mc.compile(p.text, p.wrt, shapes=p.shapes, assume=p.assume,
                                              backend="torch")
        except Exception as e:
            notes.append(f"{p.id} compile: {type(e).__name__}: {e}")
    return out, notes


def jax_callable(p, kind, values):
    f = jax_fs().get(p.id)
    if f is None:
        return None, None
    names = sorted(k for k in values if k not in (p.wrt, "V"))
    args = [jnp.asarray(values[p.wrt])] + [jnp.asarray(values[k]) for k in names]
    if kind == "grad":
        g = jax.jit(jax.grad(f))
        return (lambda: g(*args).block_until_ready()), (lambda: np.asarray(g(*args)))
    if kind == "hess":
        h = jax.jit(jax.hessian(f))
        return (lambda: h(*args).block_until_ready()), (lambda: np.asarray(h(*args)))
    V = jnp.asarray(values["V"])
    hv = jax.jit(lambda X, V: jax.jvp(jax.grad(f), (X,), (V,))[1])
    return (lambda: hv(args[0], V).block_until_ready()), (lambda: np.asarray(hv(args[0], V)))


def torch_callable(p, kind, values):
    f = torch_fs().get(p.id)
    if f is None:
        return None, None
    names = sorted(k for k in values if k not in (p.wrt, "V"))
    as_t = lambda v: torch.as_tensor(np.asarray(v, dtype=np.float64))
    args = [as_t(values[p.wrt])] + [as_t(values[k]) for k in names]
    if kind == "grad":
        g = torch.func.grad(f)
        run = lambda: g(*args)
    elif kind == "hess":
        h = torch.func.hessian(f)
        run = lambda: h(*args)
    else:
        V = as_t(values["V"])
        g = torch.func.grad(f)
        run = lambda: torch.func.jvp(g, (args[0],), (V,))[1]
    return run, (lambda: run().detach().numpy())


def evaluation_rows(notes):
    rows = []
    rng = np.random.default_rng(0)
    for p in PROBLEMS:
        generated, problem_notes = derive(p)
        notes += problem_notes
        for n in p.sizes:
            values = p.inputs(rng, n)
            for kind in p.kinds + (("fgh",) if "hess" in p.kinds else ()):
                print(f"  {p.id} n={n} {kind}", flush=True)
                rows.append(evaluate_one(p, n, kind, values, generated))
    return rows


def evaluate_one(p, n, kind, values, generated):
    row = {"problem": p.id, "n": n, "kind": kind}
    if kind == "fgh":
        hand = lambda: tuple(p.hand[k](**{a: values[a] for a in values if a != "V"})
                             for k in ("f", "grad", "hess"))
    else:
        fn = p.hand[kind]
        names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
        hand_args = [values[a] for a in names]
        hand = lambda: fn(*hand_args)
    expected = hand()
    timed = {"hand": hand}
    gen = generated.get(kind)
    if gen is not None:
        gen_args = [values[a] for a in gen.args]
        timed["matcalc"] = call = lambda: gen(*gen_args)
        got = call()
        row["diff_matcalc"] = max(max_diff(a, b) for a, b in zip(got, expected)) \
            if kind == "fgh" else max_diff(got, expected)
    gen_torch = generated.get(kind + ":torch")
    if gen_torch is not None:
        torch_args = [torch.as_tensor(np.asarray(values[a], dtype=np.float64))
                      for a in gen_torch.args]
        timed["matcalc_torch"] = lambda: gen_torch(*torch_args)
        got = timed["matcalc_torch"]()
        as_array = lambda t: t.numpy() if hasattr(t, "numpy") else t
        row["diff_matcalc_torch"] = max(max_diff(as_array(a), b) for a, b in zip(got, expected)) \
            if kind == "fgh" else max_diff(as_array(got), expected)
    row.update(median_times(timed))
    if kind == "fgh":
        return row
    for lib, make in (("jax", jax_callable), ("torch", torch_callable)):
        if (lib == "jax" and jax is None) or (lib == "torch" and torch is None):
            continue
        try:
            run, result = make(p, kind, values)
            if run is None:
                continue
            start = time.perf_counter()
            run()
            first = time.perf_counter() - start
            row[lib] = median_time(run)
            row[lib + "_compile"] = max(first - row[lib], 0.0)
            row["diff_" + lib] = max_diff(result(), expected)
        except Exception as e:             # noqa: BLE001 - report, never crash
            row[lib + "_error"] = f"{type(e).__name__}: {e}"
    return row


# ---- 2. derivation: matcalc vs SymPy ------------------------------------------------------

DERIVATION_PROBLEMS = [
    # the id of a case of matcalc.problems, SymPy builder (n -> (f, wrt, symbols))
    ("P2", lambda n: _sym(n, "c x", lambda c, x: c.T * x, "x")),
    ("P3", lambda n: _sym(n, "A b x", lambda A, b, x: x.T * A * x / 2 + b.T * x, "x")),
    ("P5", lambda n: _sym(n, "A b x", lambda A, b, x: (A * x - b).T * (A * x - b) / 2, "x")),
    ("P10", lambda n: _sym(n, "X", lambda X: sp.det(X), "X")),
    ("P11", lambda n: _sym(n, "X", lambda X: sp.log(sp.det(X)), "X")),
    ("P12", lambda n: _sym(n, "A b x", lambda A, b, x: sp.log(
         sp.OneMatrix(A.shape[0], 1).T * (A * x + b).applyfunc(sp.exp)), "x")),
    ("P15", lambda n: _sym(n, "X", lambda X: sp.Trace(X.T * X), "X")),
    ("P17", lambda n: _sym(n, "A X", lambda A, X: sp.Trace(A * X), "X")),
    ("P18", lambda n: _sym(n, "S X", lambda S, X: sp.Trace(S.T * X) - sp.log(sp.det(X)), "X")),
    ("P28",
     lambda n: _sym(n, "A x", lambda A, x: (sp.OneMatrix(A.shape[0], 1).T * (A * x).applyfunc(
         lambda z: sp.log(1 + sp.exp(z)))) / sp.Symbol("m") + sp.Symbol("mu") / 2 * x.T * x,
         "x", scalars=("m", "mu"))),
    ("P29-trinv", lambda n: _sym(n, "X", lambda X: sp.Trace(X.I), "X")),
    ("S2", lambda n: _sym(n, "A B X", lambda A, B, X: sp.Trace(A * X.I * B), "X")),
]


def _sym(n, names, build, wrt, scalars=()):
    """SymPy matrix symbols (vectors lowercase) and f built from them."""
    symbols = {}
    for name in names.split():
        symbols[name] = sp.MatrixSymbol(name, n, 1 if name.islower() else n)
    return build(*symbols.values()), symbols[wrt], symbols, scalars


def sympy_derive(builder, n, order):
    f, wrt, symbols, scalars = builder(n)
    g = f.diff(wrt)
    return (g if order == 1 else g.diff(wrt)), symbols, scalars


def sympy_numeric(expr, symbols, scalars, values):
    subs = {s: sp.ImmutableMatrix(np.asarray(values[name], dtype=float).reshape(s.shape))
            for name, s in symbols.items()}
    subs.update({sp.Symbol(name): values[name] for name in scalars})
    value = expr.xreplace(subs).doit()
    if isinstance(value, sp.MatrixExpr):
        value = value.as_explicit()
    if hasattr(value, "tolist"):
        return np.array(value.tolist(), dtype=float)
    return np.array(float(value))


def check_sympy(builder, text, wrt, shapes, assume, order):
    """'ok', 'wrong' or 'fails': SymPy's derivative at n = 3 against matcalc's."""
    try:
        expr, symbols, scalars = sympy_derive(builder, 3, order)
        if isinstance(expr, sp.Basic) and expr.has(sp.Derivative) or \
                type(expr).__module__.startswith("sympy.tensor"):
            return "fails"
        r = (mc.gradient if order == 1 else mc.hessian)(text, wrt=wrt, shapes=shapes,
                                                         assume=assume)
        rng = np.random.default_rng(1)
        values = {}
        for name, s in symbols.items():
            values[name] = spd(rng, 3) if s.shape[1] != 1 else rng.standard_normal(3)
        values.update({name: 1.5 for name in scalars})
        got = sympy_numeric(expr, symbols, scalars, values)
        want = np.asarray(r.evaluate(values), dtype=float)
        if got.size != want.size:
            return "wrong"
        ok = np.allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8) or \
            np.allclose(got.reshape(want.shape).T, want, rtol=1e-6, atol=1e-8)
        return "ok" if ok else "wrong"
    except Exception:                 # noqa: BLE001
        return "fails"


BUILT_ONCE = {"lark_parser", "own_functions", "variable"}
"""Made once per process, not caches of work: the Lark parser, the catalogue's SymPy classes
and its variable z."""


def clear_caches(sympy_too=True):
    """Empty matcalc's caches (all but what is built once per process) and SymPy's, so that
    the next derivation is a first one."""
    for name, module in list(sys.modules.items()):
        if name.startswith("matcalc"):
            for obj in list(vars(module).values()):
                if callable(getattr(obj, "cache_clear", None)) and \
                        getattr(obj, "__name__", "") not in BUILT_ONCE:
                    obj.cache_clear()
    if sympy_too and sp is not None:
        sp.core.cache.clear_cache()


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def first_call(fn, clear=clear_caches, runs=3):
    """Seconds of a first call: the median of runs, each after clear() empties the caches."""
    times = []
    for _ in range(runs):
        clear()
        times.append(timed(fn))
    return statistics.median(times)


def time_calls(fn, repeat, clear=clear_caches):
    """(first call with the caches emptied, median of repeat calls after it)."""
    first = first_call(fn, clear)
    return first, statistics.median(timed(fn) for _ in range(repeat))


def catalogue_rows():
    """Every problem of the problem set: first derivation and median of repeats."""
    for p in catalogue.PROBLEMS:           # once, so that lazy imports are not first calls
        catalogue.solve(p)
    rows = []
    for p in catalogue.PROBLEMS:
        first, median = time_calls(lambda: catalogue.solve(p), 3 if ARGS.quick else 7)
        rows.append({"problem": p.id, "kind": p.kind, "first": first, "median": median})
    return rows


def catalogue_summary(rows):
    """Median and max of first derivations, first-order results and Hessians apart."""
    out = []
    for label, group in (("first order", [r for r in rows if r["kind"] != "hessian"]),
                         ("Hessians", [r for r in rows if r["kind"] == "hessian"])):
        firsts = [r["first"] for r in group]
        slowest = sorted(group, key=lambda r: -r["first"])[:3]
        out.append(f"- {label} ({len(group)} problems): first derivation median "
                   f"{fmt_time(statistics.median(firsts))}, max {fmt_time(max(firsts))}; "
                   "slowest " + ", ".join(f"{r['problem']} {fmt_time(r['first'])}"
                                          for r in slowest) + "; median of repeats "
                   f"{fmt_time(statistics.median(r['median'] for r in group))}")
    return out


def derivation_rows(notes):
    rows = []
    repeat = 3 if ARGS.quick else 7
    n = sp.Symbol("n", integer=True, positive=True) if sp is not None else None
    for pid, builder in DERIVATION_PROBLEMS:
        case = catalogue.case(pid)
        text, wrt, shapes, assume = case.text, case.wrt, case.shapes, case.assume
        # Hessians for vector variables only: for a matrix, SymPy's is a 4-D array
        for order in (1, 2) if wrt.islower() else (1,):
            print(f"  derive {pid} order {order}", flush=True)
            row = {"problem": pid, "what": "gradient" if order == 1 else "Hessian"}
            which = mc.gradient if order == 1 else mc.hessian
            try:
                row["first"], row["matcalc"] = time_calls(
                    lambda: which(text, wrt=wrt, shapes=shapes, assume=assume), repeat)
            except Exception as e:      # noqa: BLE001
                notes.append(f"{pid} {row['what']}: {type(e).__name__}: {e}")
            if sp is not None:
                try:
                    row["sympy_first"], row["sympy"] = time_calls(
                        lambda: sympy_derive(builder, n, order), max(3, repeat // 2),
                        clear=sp.core.cache.clear_cache)
                    row["sympy_status"] = check_sympy(builder, text, wrt, shapes, assume, order)
                except Exception as e:          # noqa: BLE001
                    row["sympy_status"] = f"fails ({type(e).__name__})"
            rows.append(row)
    return rows


def flatness_rows():
    """First derivations of the P5 gradient and Hessian with the shapes given as numbers."""
    rows = []
    for n in (10, 100, 1000, 10000):
        shapes = {"A": (n, n), "x": n, "b": n}
        row = {"n": n}
        row["gradient"] = first_call(
            lambda: mc.gradient("1/2 ||A x - b||_2^2", wrt="x", shapes=shapes))
        row["Hessian"] = first_call(
            lambda: mc.hessian("1/2 ||A x - b||_2^2", wrt="x", shapes=shapes))
        if sp is not None:
            A, x, b = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("x", n, 1), \
                sp.MatrixSymbol("b", n, 1)
            row["sympy"] = first_call(lambda: ((A * x - b).T * (A * x - b) / 2).diff(x),
                                      clear=sp.core.cache.clear_cache)
        rows.append(row)
    return rows


# ---- 3. import and first result -----------------------------------------------------------

def compile_package():
    """Write the package's bytecode, as pip does when it installs it, so that start-up times
    are an installed matcalc's (not the compiling of its sources, as with
    PYTHONDONTWRITEBYTECODE=1 and an editable install)."""
    compileall.compile_dir(os.path.join(ROOT, "matcalc"), quiet=1)


def startup_times(runs=3):
    compile_package()
    code = ("import time; t0 = time.perf_counter(); import matcalc; t1 = time.perf_counter(); "
            "matcalc.gradient('tr(A X^-1 B)', wrt='X'); t2 = time.perf_counter(); "
            "print(t1 - t0, t2 - t1)")
    imports, firsts = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
        a, b = out.stdout.split()
        imports.append(float(a))
        firsts.append(float(b))
    return statistics.median(imports), statistics.median(firsts)


# ---- report -------------------------------------------------------------------------------

def environment():
    lines = [f"- Python {sys.version.split()[0]}, NumPy {np.__version__}, "
             f"JAX {jax.__version__ if jax else NA}, torch {torch.__version__ if torch else NA}, "
             f"SymPy {sp.__version__ if sp else NA}"]
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = NA
    lines.append(f"- CPU: {cpu}, {os.cpu_count()} cores; threads used: {ARGS.threads} "
                 f"(OMP/OPENBLAS/MKL_NUM_THREADS, threadpoolctl, torch.set_num_threads; "
                 f"{XLA_NOTE})")
    if threadpoolctl is not None:
        for info in threadpoolctl.threadpool_info():
            lines.append(f"- BLAS (threadpoolctl): {info.get('internal_api')} "
                         f"{info.get('version')}, kernel {info.get('architecture')}, "
                         f"{info.get('num_threads')} thread(s), {info.get('filepath')}")
    else:
        lines.append("- BLAS: n/a (threadpoolctl not installed)")
    lines.append("- load average (1, 5, 15 min), other users' work included: "
                 f"{', '.join(f'{x:.2f}' for x in LOAD_AT_START)} at the start, "
                 f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    lines.append(f"- OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(not set)')}, "
                 f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(not set)')} "
                 "(left as found)")
    return lines


KIND_LABEL = {"grad": "gradient", "hess": "Hessian", "hvp": "HVP", "fgh": "f+g+H (compile)"}


def plot_evaluation(eval_rows, path) -> bool:
    """Time against n of the Hessian (the HVP for P11), one panel per problem, log-log;
    False where matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in eval_rows if r["kind"] in ("hess", "hvp")]
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    fig, axes = plt.subplots(1, len(problems), figsize=(3.2 * len(problems), 3.2), squeeze=False)
    for ax, pid in zip(axes[0], problems):
        mine = [r for r in rows if r["problem"] == pid]
        for lib, style in (("matcalc", "o-"), ("hand", "s--"), ("jax", "^-"), ("torch", "v-"),
                           ("matcalc_torch", "D:")):
            points = [(r["n"], r[lib]) for r in mine if r.get(lib)]
            if points:
                ax.loglog(*zip(*points), style, label=lib, markersize=4)
        ax.set_title(f"{pid} {KIND_LABEL[mine[0]['kind']]}")
        ax.set_xlabel("n")
    axes[0][0].set_ylabel("seconds per call")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def report(eval_rows, catalogue, deriv_rows, flat_rows, startup, notes, generated_examples):
    out = ["# matcalc benchmarks", "",
           f"Generated by `python benchmarks/bench.py` on {time.strftime('%Y-%m-%d %H:%M')}.",
           "Float64, one process, the same inputs for every library; times are medians of "
           "`timeit` repeats. Ratios above 1 mean matcalc's generated code is faster "
           "(`hand / matcalc` is at least 0.8 when matcalc is within 1.25x of the "
           "hand-written closed form).", "", "## Machine", ""]
    out += environment()
    out += ["", "## Evaluation: generated code vs hand-written NumPy, jax, torch.func", "",
            "A is n x n. P3 `1/2 x^T A x + b^T x + c`, P5 `1/2 ||A x - b||_2^2`, "
            "P12 `log(sum(exp(A x + b)))`, P28 `1/m sum(log(1 + exp(A x))) + mu/2 ||x||_2^2`, "
            "P11 `log det X` (X spd): H[V] = -X^-1 V X^-1. jax: `jax.jit(jax.grad / "
            "jax.hessian / jvp of grad)`, compile time apart; torch: `torch.func.grad / hessian "
            "/ jvp of grad`; matcalc torch: the generated torch code (`to_torch`, "
            "`compile(..., backend=\"torch\")`) on float64 tensors. The differences are "
            "max |result - hand-written|.", "",
            "| problem | n | result | hand-written | matcalc | hand / matcalc | jax | "
            "jax / matcalc | jax compile | torch | torch / matcalc | matcalc torch | "
            "torch / matcalc torch | max diff matcalc | max diff jax | max diff torch | "
            "max diff matcalc torch |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in eval_rows:
        out.append("| " + " | ".join([
            r["problem"], str(r["n"]), KIND_LABEL[r["kind"]], fmt_time(r.get("hand")),
            fmt_time(r.get("matcalc")), fmt_ratio(r.get("hand"), r.get("matcalc")),
            fmt_time(r.get("jax")), fmt_ratio(r.get("jax"), r.get("matcalc")),
            fmt_time(r.get("jax_compile")), fmt_time(r.get("torch")),
            fmt_ratio(r.get("torch"), r.get("matcalc")), fmt_time(r.get("matcalc_torch")),
            fmt_ratio(r.get("torch"), r.get("matcalc_torch")), fmt_diff(r.get("diff_matcalc")),
            fmt_diff(r.get("diff_jax")), fmt_diff(r.get("diff_torch")),
            fmt_diff(r.get("diff_matcalc_torch"))]) + " |")
    errors = [(r, lib) for r in eval_rows for lib in ("jax", "torch") if lib + "_error" in r]
    for r, lib in errors:
        out.append(f"\n{lib} failed on {r['problem']} n={r['n']} {r['kind']}: "
                   f"{r[lib + '_error']}")
    plot = os.path.splitext(ARGS.out or os.path.join(HERE, "results.md"))[0] + ".png"
    if plot_evaluation(eval_rows, plot):
        out += ["", f"![evaluation time against n]({os.path.basename(plot)})"]
    out += ["", "The generated code measured (`numpy_source`):", ""]
    for pid, src in generated_examples:
        out += [f"{pid}:", "", "```python", src.strip(), "```", ""]
    out += ["## Derivation of the problem set", "",
            "Every problem of `matcalc/problems.py`, solved as `matcalc problems` does "
            "(`problems.solve`: text to result, without the checks). First: all caches "
            "emptied before the call (matcalc's but the parser's, built once per process, "
            "and SymPy's), the median of three such calls, after one pass over the whole "
            "set for lazy imports. Median: of repeats after it, caches warm.", ""]
    out += catalogue_summary(catalogue)
    out += ["", "| problem | kind | first | median |", "|---|---|---|---|"]
    for r in catalogue:
        out.append(f"| {r['problem']} | {r['kind']} | {fmt_time(r['first'])} | "
                   f"{fmt_time(r['median'])} |")
    out += ["", "## Derivation: matcalc vs SymPy `MatrixSymbol.diff`", "",
            "First: caches emptied before the call (matcalc's and SymPy's for matcalc, "
            "SymPy's for SymPy; median of three such calls); median: of repeats after it. "
            "SymPy's answer is evaluated at n = 3 and compared with matcalc's: `ok`, `wrong` "
            "(a different value, e.g. 0), `fails` (an error, an unevaluated `Derivative`, or "
            "an array expression that is not a matrix); ratios only where it is `ok`.", "",
            "| problem | result | matcalc first | matcalc median | SymPy first | SymPy median "
            "| SymPy / matcalc, first | SymPy / matcalc, median | SymPy answer |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in deriv_rows:
        ok = r.get("sympy_status") == "ok"
        out.append("| " + " | ".join([
            r["problem"], r["what"], fmt_time(r.get("first")), fmt_time(r.get("matcalc")),
            fmt_time(r.get("sympy_first")), fmt_time(r.get("sympy")),
            fmt_ratio(r.get("sympy_first"), r.get("first")) if ok else NA,
            fmt_ratio(r.get("sympy"), r.get("matcalc")) if ok else NA,
            r.get("sympy_status", NA)]) + " |")
    out += ["", "Derivation time against n (P5, shapes given as numbers; first calls as above):",
            "",
            "| n | matcalc gradient | matcalc Hessian | SymPy gradient |", "|---|---|---|---|"]
    for r in flat_rows:
        out.append(f"| {r['n']} | {fmt_time(r['gradient'])} | {fmt_time(r['Hessian'])} | "
                   f"{fmt_time(r.get('sympy'))} |")
    out += ["", "## Start-up (fresh subprocesses, median of 3)", "",
            "| `import matcalc` | first `gradient('tr(A X^-1 B)', wrt='X')` after import |",
            "|---|---|", f"| {fmt_time(startup[0])} | {fmt_time(startup[1])} |", ""]
    if notes:
        out += ["## Engine notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out) + "\n"


def main():
    notes = []
    print("evaluation ...", flush=True)
    eval_rows = evaluation_rows(notes)
    print("derivation ...", flush=True)
    catalogue_times = catalogue_rows()
    deriv_rows = derivation_rows(notes)
    flat_rows = flatness_rows()
    print("start-up ...", flush=True)
    startup = startup_times()
    examples = []
    for p in PROBLEMS:
        for kind in p.kinds:
            maker = {"grad": mc.gradient, "hess": mc.hessian, "hvp": mc.hvp}[kind]
            try:
                src = numpy_source(maker(p.text, wrt=p.wrt, shapes=p.shapes,
                                         assume=p.assume), name=f"{p.id}_{kind}")
                examples.append((f"{p.id} {KIND_LABEL[kind]}", src.split("\n\n\n")[-1]))
            except Exception:          # noqa: BLE001 - already in the notes
                pass
    text = report(eval_rows, catalogue_times, deriv_rows, flat_rows, startup, notes, examples)
    if ARGS.out:
        with open(ARGS.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(text)


if __name__ == "__main__":
    main()

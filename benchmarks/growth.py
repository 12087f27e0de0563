#!/usr/bin/env python
"""How matcalc's costs grow with the size of the expression: a script, not a test. Run from
the repository root:

    pip install -e ".[bench]"
    python benchmarks/growth.py            # the full sizes (L up to 32, depth 30, width 1024)
    python benchmarks/growth.py --quick    # the small sizes only, a smoke run
    python benchmarks/growth.py --profile  # cProfile of each derivation family's largest size

It writes its tables into benchmarks/results.md (its own section, between the growth
markers; bench.py's sections are kept) and the plot benchmarks/growth.png. The house style
is bench.py's, whose helpers it uses: one process, one BLAS thread (threadpoolctl), float64,
caches emptied before a first call (bench.clear_caches), medians of interleaved repeats.

The families, each timed against its size, with the growth exponent of a log-log fit over
the upper half of the sizes:

1. the gradient wrt W_1 of the L-layer loss 1/2 ||W_L tanh(... tanh(W_1 x)) - y||_2^2;
2. the same wrt all W_i (``gradient(f, wrt=[...])``);
3. the softmax cross-entropy head -y^T log(softmax(W_L tanh(... W_1 x))) wrt W_1;
4. nested sum(sin(exp(tanh(... x)))) by depth, every call under a time limit
   (``set_time_limit``): a call that runs out is recorded as a timeout;
5. the Hessian wrt x of the L-layer loss;
6. the Hessian wrt X of log det(A_1 X A_2 X ... A_k X), all square (time and printed length);
7. the gradient code of tr(A_1 X A_2 X ... A_k X): matmuls in the source, and its time
   against jitted jax.grad;
8. the value and all gradients of the L-layer loss on a batch (X, Y matrices,
   ||.||_F^2): matcalc's generated code, hand-written NumPy backprop,
   jax.jit(jax.value_and_grad) and torch.func.grad_and_value, the same numbers to 1e-12;
9. ``import matcalc`` and the first gradient in fresh subprocesses.

Families 1-3, 5 and 6 also show the characters str(result) prints (where lines included).
The targets of each family are printed beside its figures, PASS or MISS.
"""
from __future__ import annotations

import argparse
import cProfile
import math
import os
import pstats
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the small sizes only, fewer repeats")
    p.add_argument("--out", default=os.path.join(HERE, "results.md"))
    p.add_argument("--profile", action="store_true",
                   help="cProfile of each derivation family at its largest size, nothing timed")
    return p.parse_args()


ARGS = parse_args()
sys.path.insert(0, HERE)
import bench  # noqa: E402  - sets the thread counts before NumPy is imported

bench.ARGS.quick = ARGS.quick
np, mc, jax, jnp, torch = bench.np, bench.mc, bench.jax, bench.jnp, bench.torch
fmt_time, NA = bench.fmt_time, bench.NA

QUICK = ARGS.quick
LAYERS = (2, 4, 8) if QUICK else (2, 4, 8, 16, 32)
DEPTHS = (5, 10, 15) if QUICK else (5, 10, 15, 20, 25, 30)
HESSIAN_LAYERS = (2, 4) if QUICK else (2, 4, 8)
BATCH_LAYERS = (2, 4) if QUICK else (2, 4, 8)
FACTORS = (2, 3, 4) if QUICK else (2, 3, 4, 5, 6)
PRODUCTS = (2, 4, 6) if QUICK else tuple(range(2, 13))
WIDTHS = (64,) if QUICK else (64, 256, 1024)
BATCH = 64
TIME_LIMIT = 10.0 if QUICK else 30.0     # seconds, every derivation
FIRST_CALLS = 1 if QUICK else 3          # first calls per figure (their median)
TOLERANCE = 1e-12                        # relative, value and gradients against hand-written
START = time.strftime("%Y-%m-%d %H:%M")
BEGIN, END = "<!-- growth.py: begin -->", "<!-- growth.py: end -->"


# ---- the expressions ----------------------------------------------------------------------

def network(L: int, x: str = "x") -> str:
    """W_L tanh(W_{L-1} ... tanh(W_1 x))."""
    text = x
    for i in range(1, L):
        text = f"tanh(W_{i} {text})"
    return f"W_{L} {text}"


def weights(L: int) -> list[str]:
    return [f"W_{i}" for i in range(1, L + 1)]


def loss(L: int) -> str:
    return f"1/2 ||{network(L)} - y||_2^2"


def cross_entropy(L: int) -> str:
    return f"-y^T log(softmax({network(L)}))"


def nested(depth: int) -> str:
    """sum(sin(exp(tanh(sin(...(x)))))), depth functions deep."""
    text = "x"
    for i in range(depth):
        text = f"{('tanh', 'exp', 'sin')[(depth - 1 - i) % 3]}({text})"
    return f"sum({text})"


def log_det_product(k: int) -> str:
    return "log det(" + " ".join(f"A_{i} X" for i in range(1, k + 1)) + ")"


def square_factors(k: int) -> dict:
    """A_1, ..., A_k and X all n x n: log det of their product is a sum of log dets."""
    return {name: ("n", "n") for name in [f"A_{i}" for i in range(1, k + 1)] + ["X"]}


def trace_product(k: int) -> str:
    return "tr(" + " ".join(f"A_{i} X" for i in range(1, k + 1)) + ")"


def batch_loss(L: int) -> str:
    return f"1/2 ||{network(L, 'X')} - Y||_F^2"


# ---- timing -------------------------------------------------------------------------------

def first_derivation(fn):
    """(seconds of a first call, its result), or (None, 'timeout') past the time limit, or
    (None, the error's name) where matcalc refuses."""
    try:
        result = fn()
        return bench.first_call(fn, runs=FIRST_CALLS), result
    except mc.TimeLimitError:
        return None, "timeout"
    except mc.MatcalcError as e:        # an engine limitation: reported, not fatal
        return None, type(e).__name__


def growth_exponent(sizes, times):
    """The slope of log time against log size over the upper half of the sizes (None where
    fewer than two of them were measured)."""
    points = [(s, t) for s, t in list(zip(sizes, times))[len(sizes) // 2:] if t]
    if len(points) < 2:
        return None
    slope, _ = np.polyfit(np.log([s for s, _ in points]), np.log([t for _, t in points]), 1)
    return float(slope)


def derivation_family(label, sizes, derive):
    """Time of a first derivation at each size; a timeout skips the larger sizes."""
    rows = []
    for size in sizes:
        print(f"  {label} {size}", flush=True)
        seconds, result = first_derivation(lambda: derive(size))
        rows.append({"size": size, "time": seconds, "result": result})
        if seconds is None:             # the larger sizes would fail the same way
            rows += [{"size": s, "time": None, "result": "not run"} for s in sizes[len(rows):]]
            break
    return rows


def shown_time(row):
    return fmt_time(row["time"]) if row["time"] else row["result"]


# ---- 1-6. derivation ----------------------------------------------------------------------

def derivation_families():
    """label -> (sizes, derive(size)) of the derivation families."""
    return {
        "gradient wrt W_1": (LAYERS, lambda L: mc.gradient(loss(L), wrt="W_1")),
        "gradient wrt all W_i": (LAYERS, lambda L: mc.gradient(loss(L), wrt=weights(L))),
        "softmax cross-entropy wrt W_1": (LAYERS,
                                          lambda L: mc.gradient(cross_entropy(L), wrt="W_1")),
        "Hessian wrt x": (HESSIAN_LAYERS, lambda L: mc.hessian(loss(L), wrt="x")),
        "nested": (DEPTHS, lambda d: mc.gradient(nested(d), wrt="x")),
        "Hessian of log det": (FACTORS, lambda k: mc.hessian(log_det_product(k), wrt="X",
                                                             shapes=square_factors(k))),
    }


def profile():
    """Where the time of each derivation family's largest case goes (cumulative, top 25)."""
    mc.set_time_limit(None)
    for label, (sizes, derive) in derivation_families().items():
        print(f"==== {label}, size {sizes[-1]}", flush=True)
        bench.clear_caches()
        profiler = cProfile.Profile()
        profiler.runcall(derive, sizes[-1])
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def derivations():
    plans = derivation_families()
    rows = {label: derivation_family(label + ", size", *plans[label]) for label in plans}
    return ({label: rows[label] for label in list(plans)[:4]}, rows["nested"],
            rows["Hessian of log det"])


# ---- 7. gradient code of tr(A_1 X ... A_k X) ----------------------------------------------

def matmuls(source: str) -> int:
    """Matrix products (@) in the generated code, its docstring aside."""
    body = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "", source)
    return body.count("@")


def trace_rows(n=64):
    rng = np.random.default_rng(7)
    rows = []
    for k in PRODUCTS:
        print(f"  tr(A_1 X ... A_{k} X) code", flush=True)
        text = trace_product(k)
        seconds, g = first_derivation(lambda: mc.gradient(text, wrt="X"))
        row = {"k": k, "derive": seconds}
        if seconds is None:
            rows.append(row | {"failure": g})
            continue
        fn = mc.to_numpy(g)
        row["matmuls"] = matmuls(mc.numpy_source(g))
        values = {f"A_{i}": rng.standard_normal((n, n)) / math.sqrt(n) for i in range(1, k + 1)}
        values["X"] = rng.standard_normal((n, n)) / math.sqrt(n)
        args = [values[a] for a in fn.args]
        timed = {"matcalc": lambda: fn(*args)}
        if jax is not None:
            As = [jnp.asarray(values[f"A_{i}"]) for i in range(1, k + 1)]

            def f(X):
                P = jnp.eye(n)
                for A in As:
                    P = P @ A @ X
                return jnp.trace(P)
            jg = jax.jit(jax.grad(f))
            X = jnp.asarray(values["X"])
            jg(X).block_until_ready()
            timed["jax"] = lambda: jg(X).block_until_ready()
            row["diff"] = bench.max_diff(fn(*args), jg(X))
        row.update(bench.median_times(timed))
        rows.append(row)
    return rows


# ---- 8. value and all gradients on a batch ------------------------------------------------

def hand_backprop(Ws, X, Y):
    """Value and gradients of 1/2 ||W_L tanh(... W_1 X) - Y||_F^2, by reverse mode."""
    hidden = [X]
    for W in Ws[:-1]:
        hidden.append(np.tanh(W @ hidden[-1]))
    residual = Ws[-1] @ hidden[-1] - Y
    grads = [residual @ hidden[-1].T]
    delta = Ws[-1].T @ residual
    for i in range(len(Ws) - 2, -1, -1):
        delta = delta * (1.0 - hidden[i + 1] ** 2)
        grads.append(delta @ hidden[i].T)
        if i:
            delta = Ws[i].T @ delta
    return 0.5 * np.sum(residual * residual), grads[::-1]


def jax_loss(Ws, X, Y):
    H = X
    for W in Ws[:-1]:
        H = jnp.tanh(W @ H)
    R = Ws[-1] @ H - Y
    return 0.5 * jnp.sum(R * R)


def torch_loss(Ws, X, Y):
    H = X
    for W in Ws[:-1]:
        H = torch.tanh(W @ H)
    R = Ws[-1] @ H - Y
    return 0.5 * torch.sum(R * R)


def matcalc_value_and_gradients(L):
    """(function of the values dict returning (value, [gradients]), how it was made): one
    generated function for the value and the gradient with respect to every weight."""
    f, names = batch_loss(L), weights(L)
    fn = mc.compile(f, wrt=names, order=1)

    def run(values):
        value, grads = fn(*[values[a] for a in fn.args])
        return value, list(grads)
    return run, "mc.compile(f, wrt=[W_1, ..., W_L], order=1)"


def relative_diff(got, want):
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / max(1.0, float(
        np.max(np.abs(np.asarray(b))))) for a, b in zip(got, want))


def batch_rows():
    rng = np.random.default_rng(8)
    rows, how = [], None
    for L in BATCH_LAYERS:
        run, how = matcalc_value_and_gradients(L)
        for width in WIDTHS:
            print(f"  value and gradients, L = {L}, width {width}", flush=True)
            Ws = [rng.standard_normal((width, width)) / math.sqrt(width) for _ in range(L)]
            X, Y = rng.standard_normal((width, BATCH)), rng.standard_normal((width, BATCH))
            values = {f"W_{i + 1}": W for i, W in enumerate(Ws)} | {"X": X, "Y": Y}
            value, grads = hand_backprop(Ws, X, Y)
            want = [value] + grads
            timed = {"hand": lambda: hand_backprop(Ws, X, Y), "matcalc": lambda: run(values)}
            got = run(values)
            row = {"L": L, "width": width, "diff_matcalc": relative_diff([got[0]] + got[1], want)}
            if jax is not None:
                jWs, jX, jY = [jnp.asarray(W) for W in Ws], jnp.asarray(X), jnp.asarray(Y)
                jfg = jax.jit(jax.value_and_grad(jax_loss))
                jv, jg = jfg(jWs, jX, jY)
                row["diff_jax"] = relative_diff([jv] + list(jg), want)
                timed["jax"] = lambda: jax.block_until_ready(jfg(jWs, jX, jY))
            if torch is not None:
                tWs = [torch.as_tensor(W) for W in Ws]
                tX, tY = torch.as_tensor(X), torch.as_tensor(Y)
                tfg = torch.func.grad_and_value(torch_loss)
                tg, tv = tfg(tWs, tX, tY)
                row["diff_torch"] = relative_diff([tv.numpy()] + [g.numpy() for g in tg], want)
                timed["torch"] = lambda: tfg(tWs, tX, tY)
            row.update(bench.median_times(timed))
            rows.append(row)
    return rows, how


# ---- 9. start-up ---------------------------------------------------------------------------

def import_cpu_time(runs):
    """Median CPU seconds (time.process_time) of ``import matcalc`` in fresh subprocesses:
    what the import costs when the machine is shared, near its wall time when idle."""
    bench.compile_package()
    code = "import time; t = time.process_time(); import matcalc; print(time.process_time() - t)"
    return statistics.median(float(subprocess.run(
        [sys.executable, "-c", code], cwd=bench.ROOT, capture_output=True, text=True,
        timeout=300).stdout) for _ in range(runs))


# ---- targets and report -------------------------------------------------------------------

def verdict(ok) -> str:
    return "not measured" if ok is None else ("PASS" if ok else "MISS")


def time_at(rows, size):
    return next((r["time"] for r in rows if r["size"] == size), None)


def targets(families, nested_rows, batch, startup):
    grad = families["gradient wrt W_1"]
    grad_exp = growth_exponent([r["size"] for r in grad], [r["time"] for r in grad])
    hess = families["Hessian wrt x"]
    hess_exp = growth_exponent([r["size"] for r in hess], [r["time"] for r in hess])
    all_32 = time_at(families["gradient wrt all W_i"], 32)
    printed = printed_exponent(families["gradient wrt all W_i"])
    depth_30 = time_at(nested_rows, 30)
    ratios = [r["matcalc"] / r["hand"] for r in batch]
    ahead = [r["matcalc"] < min(r.get("jax", math.inf), r.get("torch", math.inf))
             for r in batch if r["width"] <= 256]
    return [
        ("gradient derivation grows at most like L^1.5 up to L = 32",
         f"exponent {grad_exp:.2f}" if grad_exp is not None else NA,
         verdict(None if grad_exp is None or time_at(grad, 32) is None else grad_exp <= 1.5)),
        ("all weights at L = 32 under 1 s", fmt_time(all_32),
         verdict(None if all_32 is None else all_32 < 1.0)),
        ("all weights' gradients print at most like L^1.3 (named intermediates)",
         f"exponent {printed:.2f}" if printed is not None else NA,
         verdict(None if printed is None else printed <= 1.3)),
        ("nested depth 30 under 0.2 s", fmt_time(depth_30),
         verdict(None if depth_30 is None else depth_30 < 0.2)),
        ("Hessian derivation grows at most like L^2",
         f"exponent {hess_exp:.2f}" if hess_exp is not None else NA,
         verdict(None if hess_exp is None else hess_exp <= 2.0)),
        ("value + all gradients within 1.1x of hand-written backprop",
         f"matcalc / hand {min(ratios):.2f} to {max(ratios):.2f}",
         verdict(max(ratios) <= 1.1)),
        ("value + all gradients ahead of jax and torch at width <= 256",
         f"{sum(ahead)} of {len(ahead)} cases", verdict(all(ahead) if ahead else None)),
        ("import matcalc under 0.2 s", f"{fmt_time(startup[0])} (CPU {fmt_time(startup[2])})",
         verdict(startup[0] < 0.2)),
        ("value + all gradients equal hand-written to 1e-12 (relative)",
         f"{max(r['diff_matcalc'] for r in batch):.1e}",
         verdict(max(r["diff_matcalc"] for r in batch) <= TOLERANCE)),
    ]


PRINTED = ("printed length", lambda r: len(str(r["result"])) if r["time"] else NA)
"""The column of characters str(result) prints (with its where lines)."""


def printed_exponent(rows):
    """The growth exponent of the printed length, as growth_exponent of the times."""
    measured = [r for r in rows if r["time"]]
    return growth_exponent([r["size"] for r in measured],
                           [len(str(r["result"])) for r in measured])


def family_table(title, rows, unit="L", extra=None):
    sizes, times = [r["size"] for r in rows], [r["time"] for r in rows]
    exponent = growth_exponent(sizes, times)
    out = [f"{title}: growth exponent {exponent:.2f}" if exponent is not None
           else f"{title}: growth exponent n/a", "",
           f"| {unit} | first derivation |" + (f" {extra[0]} |" if extra else ""),
           "|---|---|" + ("---|" if extra else "")]
    for r in rows:
        out.append(f"| {r['size']} | {shown_time(r)} |" + (f" {extra[1](r)} |" if extra else ""))
    return out + [""]


def report(families, nested_rows, log_det_rows, trace, batch, how, startup, goals):
    out = [BEGIN, "## Growth with the size of the expression", "",
           f"Generated by `python benchmarks/growth.py{' --quick' if QUICK else ''}` on "
           f"{START}. First derivations: all caches emptied before the call (as in the "
           f"sections above), the median of {FIRST_CALLS}; every call under a time limit of "
           f"{TIME_LIMIT:.0f} s (a call that runs out is a timeout and the larger sizes are not "
           "run). Growth exponents: slope of a log-log fit over the upper half of the sizes.",
           "", "**The machine was shared with other work while these figures were taken "
           "(load average below): they are noisy, the ratios of interleaved repeats less so."
           + (" This was a `--quick` run: small sizes only." if QUICK else "") + "**", ""]
    out += bench.environment() + ["", "### Targets", "", "| target | measured | |",
                                  "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in goals]
    out += ["", "### Derivation against L", "",
            "The L-layer loss `1/2 ||W_L tanh(... tanh(W_1 x)) - y||_2^2` and the head "
            "`-y^T log(softmax(W_L tanh(... W_1 x)))`; the Hessian is wrt x.", ""]
    for title, rows in families.items():
        out += family_table(title, rows, extra=PRINTED)
    out += ["![derivation time against L](growth.png)", "", "### Nested functions", ""]
    out += family_table("`sum(sin(exp(tanh(... x))))` gradient", nested_rows, unit="depth")
    out += ["### Hessian of log det(A_1 X ... A_k X) wrt X", ""]
    out += family_table("Hessian", log_det_rows, unit="k", extra=PRINTED)
    out += ["### Gradient code of tr(A_1 X ... A_k X), n = 64", "",
            "| k | derivation | matmuls in the code | matcalc | jax.jit(jax.grad) | "
            "jax / matcalc | max diff |", "|---|---|---|---|---|---|---|"]
    for r in trace:
        out.append(f"| {r['k']} | {fmt_time(r['derive']) if r['derive'] else r['failure']} | "
                   f"{r.get('matmuls', NA)} | {fmt_time(r.get('matcalc'))} | "
                   f"{fmt_time(r.get('jax'))} | {bench.fmt_ratio(r.get('jax'), r.get('matcalc'))}"
                   f" | {bench.fmt_diff(r.get('diff'))} |")
    out += ["", f"### Value and all gradients, batch {BATCH}", "",
            f"`1/2 ||W_L tanh(... tanh(W_1 X)) - Y||_F^2`, W_i width x width, X and Y width x "
            f"{BATCH}. matcalc: {how}. Hand-written: NumPy reverse mode. jax: "
            "`jax.jit(jax.value_and_grad)`; torch: `torch.func.grad_and_value`. Differences: "
            "max |result - hand-written| / max(1, max |hand-written|) over the value and every "
            "gradient.", "",
            "| L | width | hand-written | matcalc | matcalc / hand | jax | jax / matcalc | torch "
            "| torch / matcalc | diff matcalc | diff jax | diff torch |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in batch:
        out.append("| " + " | ".join([
            str(r["L"]), str(r["width"]), fmt_time(r["hand"]), fmt_time(r["matcalc"]),
            bench.fmt_ratio(r["matcalc"], r["hand"]), fmt_time(r.get("jax")),
            bench.fmt_ratio(r.get("jax"), r["matcalc"]), fmt_time(r.get("torch")),
            bench.fmt_ratio(r.get("torch"), r["matcalc"]), bench.fmt_diff(r["diff_matcalc"]),
            bench.fmt_diff(r.get("diff_jax")), bench.fmt_diff(r.get("diff_torch"))]) + " |")
    out += ["", "### Start-up (fresh subprocesses, median of the runs)", "",
            "| `import matcalc` | its CPU time | first `gradient('tr(A X^-1 B)', wrt='X')` "
            "after import |", "|---|---|---|",
            f"| {fmt_time(startup[0])} | {fmt_time(startup[2])} | {fmt_time(startup[1])} |", "",
            END]
    return "\n".join(out) + "\n"


def plot(families, nested_rows, path) -> bool:
    """Time against L of each derivation family, and against depth of the nested one,
    log-log; False where matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter, ScalarFormatter
    except ImportError:
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    panels = [(left, rows, title, style) for (title, rows), style in
              zip(families.items(), ("o-", "s-", "^-", "v-"))] + [
        (right, nested_rows, "gradient of sum(sin(exp(tanh(... x))))", "o-")]
    for ax, rows, title, style in panels:
        points = [(r["size"], r["time"]) for r in rows if r["time"]]
        if points:
            ax.loglog(*zip(*points), style, label=title, markersize=4)
    for ax, sizes, label in ((left, LAYERS, "L (layers)"), (right, DEPTHS, "depth")):
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(label)
        ax.legend(fontsize=7)
    left.set_ylabel("seconds, first derivation")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_section(section: str, path: str):
    """The growth section replaces its previous version in path, else is appended."""
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section.rstrip("\n") + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")


def main():
    if ARGS.profile:
        return profile()
    mc.set_time_limit(TIME_LIMIT)
    bench.catalogue.solve(bench.catalogue.PROBLEMS[0])   # lazy imports are not first calls
    print("derivation ...", flush=True)
    families, nested_rows, log_det_rows = derivations()
    print("code of tr(A_1 X ... A_k X) ...", flush=True)
    trace = trace_rows()
    print("value and all gradients ...", flush=True)
    batch, how = batch_rows()
    print("start-up ...", flush=True)
    runs = 3 if QUICK else 5
    startup = bench.startup_times(runs) + (import_cpu_time(runs),)
    goals = targets(families, nested_rows, batch, startup)
    section = report(families, nested_rows, log_det_rows, trace, batch, how, startup, goals)
    if plot(families, nested_rows, os.path.join(os.path.dirname(ARGS.out), "growth.png")):
        print(f"plot: {os.path.join(os.path.dirname(ARGS.out), 'growth.png')}")
    write_section(section, ARGS.out)
    print(section)
    print("\n".join(f"{c:4}  {a}: {b}" for a, b, c in goals))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""How derivation time grows with the size of the expression: a quick measurement helper,
not a test. Run from the repository root:

    PYTHONPATH=$PWD python benchmarks/scale.py                  # every family
    PYTHONPATH=$PWD python benchmarks/scale.py nested hessian   # some of them
    PYTHONPATH=$PWD python benchmarks/scale.py --profile layers # cProfile of the largest case

Each time is the median processor time of --runs first calls in this process, matcalc's and
SymPy's caches emptied before each (the language's aside); the growth exponent is the slope
of log(time) against log(size) between consecutive sizes.
"""
from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import statistics
import sys
import time

import sympy

import matcalc as mc

SQUARE = ("n", "n")


def layers(L):
    """1/2 ||W_L tanh(... tanh(W_1 x)) - y||_2^2."""
    h = "x"
    for i in range(1, L):
        h = f"tanh(W_{i} {h})"
    return f"1/2 ||W_{L} {h} - y||_2^2"


def softmax_head(L):
    """-y^T log(softmax(W_L h)) with h the L - 1 tanh layers."""
    h = "x"
    for i in range(1, L):
        h = f"tanh(W_{i} {h})"
    return f"-y^T log(softmax(W_{L} {h}))"


def nested(depth):
    """sum(sin(exp(tanh(... x)))): sin, exp, tanh in turn from outside, depth functions deep."""
    text = "x"
    for k in reversed(range(depth)):
        text = f"{('sin', 'exp', 'tanh')[k % 3]}({text})"
    return f"sum({text})"


def weights(L):
    return {f"W_{i}": SQUARE for i in range(1, L + 1)}


FAMILIES = {
    "layers": ([2, 4, 8, 16, 32], lambda L: mc.gradient(layers(L), "W_1", weights(L))),
    "layers-all": ([2, 4, 8, 16, 32], lambda L: mc.gradient(
        layers(L), [f"W_{i}" for i in range(1, L + 1)], weights(L))),
    "softmax": ([2, 4, 8, 16, 32], lambda L: mc.gradient(softmax_head(L), "W_1", weights(L))),
    "nested": ([5, 10, 13, 14, 20, 30], lambda d: mc.gradient(nested(d), "x")),
    "hessian": ([2, 4, 8], lambda L: mc.hessian(layers(L), "x", weights(L))),
}


def clear_caches():
    """Empty matcalc's caches (the language's aside: the parser is built once) and SymPy's."""
    for name, module in list(sys.modules.items()):
        if name.startswith("matcalc") and not name.startswith("matcalc.language"):
            for obj in list(vars(module).values()):
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()
    sympy.core.cache.clear_cache()


def first_call(fn, size, runs=1):
    """The median processor time of runs first calls fn(size), the caches emptied before each."""
    times = []
    for _ in range(runs):
        clear_caches()
        start = time.process_time()
        fn(size)
        times.append(time.process_time() - start)
    return statistics.median(times)


def measure(name, limit, runs):
    sizes, fn = FAMILIES[name]
    previous = None
    for size in sizes:
        seconds = first_call(fn, size, runs)
        slope = "" if previous is None else \
            f"  L^{math.log(seconds / previous[1]) / math.log(size / previous[0]):.2f}"
        print(f"{name:10} {size:3d} {seconds * 1000:9.1f} ms{slope}", flush=True)
        previous = (size, seconds)
        if seconds > limit:
            break


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("families", nargs="*", choices=[[], *FAMILIES], help="default: all")
    p.add_argument("--limit", type=float, default=5.0, help="stop a family after a call "
                   "longer than this many seconds")
    p.add_argument("--runs", type=int, default=3, help="the median of this many first calls")
    p.add_argument("--profile", action="store_true", help="cProfile of each family's largest size")
    args = p.parse_args()
    mc.set_time_limit(None)
    mc.gradient("x^T x", "x")      # the parser is built once per process, before any timing
    for name in args.families or FAMILIES:
        if args.profile:
            sizes, fn = FAMILIES[name]
            clear_caches()
            cProfile.runctx("fn(sizes[-1])", globals(), {"fn": fn, "sizes": sizes}, "/tmp/scale.prof")
            pstats.Stats("/tmp/scale.prof").sort_stats("cumulative").print_stats(30)
        else:
            measure(name, args.limit, args.runs)


if __name__ == "__main__":
    main()

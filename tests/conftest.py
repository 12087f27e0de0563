"""Fixtures shared by the test modules (the helpers they build on are in harness.py,
oracle.py and closed_forms.py).

- ``rng``: a NumPy generator seeded by the test's name: reproducible, its own stream.
- ``dims``: each size setting of the acceptance tests (harness.SIZES), one test run each.
- ``values_for``: random values for the symbols of expressions, respecting shapes and
  assumptions (square matrices near I, spd, symmetric), sizes fixed by ``dims``.
- ``directional``: (F(X + h V) - F(X - h V)) / 2h of a NumPy function of the values.
"""
from __future__ import annotations

import zlib

import numpy as np
import pytest

import matcalc as mc
from matcalc.backends.numeric import draw
from matcalc.ir.traverse import free_symbols
from harness import SIZES
from oracle import directional_difference


@pytest.fixture
def rng(request):
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(params=SIZES, ids=lambda dims: ",".join(f"{k}={v}" for k, v in dims.items()))
def dims(request):
    return dict(request.param)


@pytest.fixture
def values_for(rng, dims):
    """values_for(*exprs, assume=None): values of every symbol of the expressions."""
    def values(*exprs, assume=None):
        symbols = frozenset().union(*(free_symbols(e) for e in exprs))
        return draw(symbols, assume or {}, rng, dict(dims))
    return values


@pytest.fixture
def directional():
    return directional_difference


CORRECTNESS_ONLY = {"test_properties", "test_codegen_properties"}
"""Modules of random expressions checked for correctness, not speed (benchmarks/ measure
speed): on a loaded machine a public call's 10 s limit must not fail them."""


@pytest.fixture(autouse=True)
def generous_time_limit(request):
    if request.module.__name__.rpartition(".")[2] not in CORRECTNESS_ONLY:
        yield
        return
    previous = mc.set_time_limit(120)
    try:
        yield
    finally:
        mc.set_time_limit(previous)

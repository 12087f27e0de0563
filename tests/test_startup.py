"""import matcalc loads SymPy only when a call first needs it (matcalc/lazy.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python(code: str) -> str:
    """The output of code run in a fresh interpreter that imports this checkout's matcalc."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True, timeout=300).stdout.strip()


def test_import_matcalc_leaves_sympy_unloaded_until_the_first_call():
    out = python("import sys, matcalc\n"
                 "print(any(m.startswith('sympy.') for m in sys.modules))\n"
                 "print(matcalc.gradient('sum(sigma(x))', wrt='x'))\n"
                 "print(any(m.startswith('sympy.') for m in sys.modules))")
    assert out.splitlines() == ["False", "sigma(x) .* (1 - sigma(x))", "True"]
